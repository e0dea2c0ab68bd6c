"""The Map page with Streamlit's AppTest on the North West falls fixture."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.helpers import app_on, fixture_store, load

TIMEOUT = 60


def run_map(at: AppTest) -> AppTest:
    at.run()
    at.switch_page("pages/map.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def chart_specs(at: AppTest) -> list[dict]:
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    return [json.loads(c.proto.spec) for c in charts]


def test_map_page_draws_a_choropleth(app):
    at = run_map(app)
    specs = chart_specs(at)
    assert specs, "the map is drawn"
    text = json.dumps(specs[0])
    assert '"geoshape"' in text
    assert "E08000015" in text  # Wirral, an intervention district
    captions = " ".join(c.value for c in at.caption)
    assert "Boundaries:" in captions or "matched" in captions
    assert "Black outline: intervention areas" in captions


def test_map_colour_modes_and_selection(app):
    at = run_map(app)
    for mode in ("benchmark", "effect"):
        at.radio(key="map_colour_by").set_value(mode).run()
        assert not at.exception, [e.message for e in at.exception]
    assert "difference-in-differences" in " ".join(c.value for c in at.caption)
    at.session_state["selected_site"] = "E08000015"
    at.run()
    assert not at.exception
    assert any("Wirral" in s.value for s in at.subheader)


def test_overview_has_a_small_map(app):
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    assert any(s.value == "Map" for s in app.subheader)
    specs = [json.dumps(s) for s in chart_specs(app)]
    assert any('"geoshape"' in s for s in specs), "a map is drawn on the overview"
    assert any("More on the Map page" in c.value for c in app.caption)


def test_a_suppressed_value_is_grey_and_starred_never_shown(tmp_path, monkeypatch):
    path = tmp_path / "suppressed.duckdb"
    store = fixture_store(path)
    rows = (
        "site_code,period,measure,numerator,denominator,value,lower_ci,upper_ci\n"
        "E08000015,2024/25,falls_admissions_65plus,5,40000,1234.56,1100.5,1388.25\n"
        "E08000012,2024/25,falls_admissions_65plus,900,40000,2250,2100,2400\n"
    )
    load(store, ("late.csv", rows.encode()))
    store.close()
    with app_on(path, monkeypatch) as at:
        run_map(at)
        assert (
            at.selectbox(
                key="map_period_falls_admissions_65plus_"
                + at.selectbox(key="map_level_falls_admissions_65plus").value
            ).value
            == "2024/25"
        )
        for mode in ("value", "benchmark", "effect"):
            at.radio(key="map_colour_by").set_value(mode).run()
            text = json.dumps(chart_specs(at)[0])
            assert '"value_text": "*"' in text
            for number in ("1234.56", "1,234.6", "1100.5", "1388.25"):
                assert number not in text, (mode, number)


def test_a_map_selection_becomes_the_spc_pages_site(app):
    # (AppTest does not show what app.py draws in the sidebar: the browser test checks it)
    at = run_map(app)
    at.session_state["selected_site"] = "E08000015"
    at.switch_page("pages/spc.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert at.radio(key="spc_series").value == "site"
    assert at.selectbox(key="spc_site").value == "E08000015"
    at.selectbox(key="spc_site").set_value("E06000006").run()  # Halton
    assert at.selectbox(key="spc_site").value == "E06000006", "the user can still pick another"


def test_a_map_selection_is_shown_on_compare_areas(app):
    at = run_map(app)
    at.session_state["selected_site"] = "E08000015"
    at.switch_page("pages/areas.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    selected = [i.value for i in at.info if "Selected on the map" in i.value]
    assert selected and "Wirral" in selected[0] and "rank" in selected[0]


def test_the_map_uses_boundaries_the_user_loaded(tmp_path, monkeypatch):
    from analysis.boundary_files import load_boundary_file, match_codes
    from analysis.geo import bundled_layers

    path = tmp_path / "own.duckdb"
    store = fixture_store(path)
    codes = set(store.measure_rows("falls_admissions_65plus")["site_code"])
    districts = next(
        x for x in bundled_layers() if x.name.startswith("Local authority districts (May")
    )
    own = {
        "type": "FeatureCollection",
        "features": [f for f in districts.features["features"] if f["properties"]["code"] in codes],
    }
    prepared = load_boundary_file(
        "our_districts.geojson",
        json.dumps(own).encode(),
        "code",
        match_codes(store.sites()),
        name_column="name",
        year=2024,
        layer_name="Our districts",
    )
    store.save_boundaries(prepared.layer, prepared.file_name, prepared.sha256)
    store.close()
    with app_on(path, monkeypatch) as at:
        run_map(at)
        captions = " ".join(c.value for c in at.caption)
        assert "Our districts" in captions, captions
