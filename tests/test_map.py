"""Map joins (analysis.geo_join) and map charts (analysis.charts_map)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import charts_map
from analysis.areas import compare_areas
from analysis.geo import bundled_layers
from analysis.geo_join import (
    area_values,
    effect_values,
    map_data,
    match_layer,
    pcn_centres,
    site_effects,
    site_positions,
)
from analysis.site_levels import Level
from tests.helpers import fixture_store

DEFAULT = Path(__file__).resolve().parents[1] / "data" / "default"


@pytest.fixture(scope="module")
def la_codes() -> pd.Series:
    sites = pd.read_csv(DEFAULT / "sites.csv", usecols=["site_code", "site_type"])
    return sites.loc[sites["site_type"] == "la", "site_code"]


def bundled_codes(file_name: str, la_codes: pd.Series, period: str) -> list[str]:
    rows = pd.read_csv(DEFAULT / "measures" / file_name, usecols=["site_code", "period"])
    rows = rows[(rows["period"] == period) & rows["site_code"].isin(la_codes)]
    return sorted(rows["site_code"].unique())


def layer(name_part: str, year: int):
    return next(lyr for lyr in bundled_layers() if name_part in lyr.name and lyr.year == year)


def test_falls_2018_to_2024_matches_the_2024_districts(la_codes):
    codes = bundled_codes("falls_admissions_65plus.csv", la_codes, "2023/24")
    assert len(codes) == 35
    match = match_layer(codes, bundled_layers(), 2023)
    assert match.layer.year == 2024 and "districts" in match.layer.name
    assert match.unmatched == ()
    assert match.share == 1


def test_falls_dsr_2010_matches_the_2016_districts(la_codes):
    codes = bundled_codes("falls_admissions_65plus_dsr_2010.csv", la_codes, "2017/18")
    match = match_layer(codes, bundled_layers(), 2017)
    assert match.layer.year == 2016 and "districts" in match.layer.name
    assert len(match.matched) == len(codes) and match.unmatched == ()


def test_codes_missing_from_a_layer_are_listed(la_codes):
    codes = bundled_codes("falls_admissions_65plus_dsr_2010.csv", la_codes, "2017/18")
    match = match_layer(codes, [layer("districts", 2024)], 2017)
    assert "E07000163" in match.unmatched  # Craven, merged into North Yorkshire in 2023
    assert len(match.matched) + len(match.unmatched) == len(codes)
    assert "not on this layer" in match.note and match.unmatched[0] in match.note
    assert f"{len(match.unmatched) - 12} more" in match.note


def test_a_tie_goes_to_the_nearest_vintage():
    both = [layer("districts", 2016), layer("districts", 2024)]
    assert match_layer(["E08000015"], both, 2012).layer.year == 2016
    assert match_layer(["E08000015"], both, 2024).layer.year == 2024
    assert match_layer(["NOT_A_CODE"], both, 2024) is None


def test_pcn_centre_is_the_list_weighted_mean_of_its_practices():
    sites = pd.DataFrame(
        {
            "site_code": ["P1", "P2", "P3", "P4", "U1", "U2"],
            "site_type": ["practice", "practice", "practice", "practice", "pcn", "pcn"],
            "parent_code": ["U1", "U1", "U1", "U2", None, None],
            "lat": [52.0, 53.0, np.nan, 51.0, np.nan, 50.0],
            "lon": [-1.0, -2.0, -3.0, 0.5, np.nan, 0.0],
            "population": [1000, 3000, 9000, 500, np.nan, np.nan],
        }
    )
    before = sites.copy()
    centres = pcn_centres(sites).set_index("site_code")
    # by hand: (1000 × 52 + 3000 × 53) / 4000 = 52.75; lon (−1000 − 6000) / 4000 = −1.75
    assert centres.loc["U1", "lat"] == pytest.approx(52.75)
    assert centres.loc["U1", "lon"] == pytest.approx(-1.75)
    assert centres.loc["U1", "population"] == 4000  # P3 has no position
    positions = site_positions(sites).set_index("site_code")
    assert positions.loc["U1", "lat"] == pytest.approx(52.75)
    assert positions.loc["U2", "lat"] == 50.0  # its own position wins
    pd.testing.assert_frame_equal(sites, before)


def test_bundled_pcn_positions_are_list_weighted():
    sites = pd.read_csv(DEFAULT / "sites.csv")
    centres = pcn_centres(sites).set_index("site_code")
    own = sites[sites["site_type"] == "pcn"].set_index("site_code")
    both = centres.join(own[["lat"]].rename(columns={"lat": "own_lat"}), how="inner")
    assert len(both) > 1000
    assert (both["lat"] - both["own_lat"]).abs().max() < 1e-4


def tiny_panel() -> pd.DataFrame:
    starts = pd.to_datetime(["2019-04-01", "2020-04-01", "2021-04-01", "2022-04-01"])
    values = {
        "A": [10.0, 12.0, 20.0, 22.0],  # intervention from 2021-04: pre 11, post 21
        "B": [10.0, 10.0, 14.0, 16.0],  # comparator
        "C": [20.0, 22.0, 24.0, np.nan],  # comparator, one suppressed value
    }
    rows = []
    for code, series in values.items():
        for start, value in zip(starts, series, strict=True):
            rows.append(
                {
                    "site_code": code,
                    "site_name": f"Site {code}",
                    "group": "intervention" if code == "A" else "comparator",
                    "start_date": pd.Timestamp("2021-04-01") if code == "A" else pd.NaT,
                    "period_start": start,
                    "period_end": start + pd.DateOffset(years=1) - pd.Timedelta(days=1),
                    "value": value,
                }
            )
    return pd.DataFrame(rows)


def test_site_effect_is_a_difference_in_differences_of_means():
    rows = tiny_panel()
    effects = site_effects(rows).table.set_index("code")
    # comparator mean per period: 15, 16, 19, 16 → pre 15.5, post 17.5, change 2
    # site A: pre 11, post 21, change 10 → effect 10 − 2 = 8
    assert effects.loc["A", "change"] == pytest.approx(10)
    assert effects.loc["A", "comparator_change"] == pytest.approx(2)
    assert effects.loc["A", "effect"] == pytest.approx(8)
    assert list(effects.index) == ["A"]
    assert "difference-in-differences" in site_effects(rows).method


def test_a_site_with_every_post_value_suppressed_has_no_effect():
    rows = tiny_panel()
    rows.loc[(rows["site_code"] == "A") & (rows["period_start"].dt.year >= 2021), "value"] = np.nan
    effects = site_effects(rows)
    assert np.isnan(effects.table.set_index("code").loc["A", "effect"])


def comparison_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_code": ["E08000015", "E08000013", "E08000012"],
            "site_name": ["Wirral", "St. Helens", "Liverpool"],
            "group": ["intervention", "intervention", None],
            "value": [2222.25, 1234.5, 2600.0],
            "lower_ci": [2100.0, 1100.0, 2500.0],
            "upper_ci": [2300.0, 1300.0, 2700.0],
            "denominator": [70000.0, 30000.0, 60000.0],
            "comparison": ["similar", "better", "worse"],
            "suppressed": [False, True, False],
        }
    )


def test_suppressed_values_never_reach_the_chart():
    values = area_values(comparison_table())
    hidden = values.set_index("code").loc["E08000013"]
    assert hidden["value_text"] == "*" and hidden["interval_text"] == "*"
    assert hidden["comparison"] == "suppressed" and np.isnan(hidden["value"])
    features = charts_map.area_features(layer("districts", 2024).features, values)
    for mode in ("value", "benchmark", "effect"):
        spec = json.dumps(charts_map.map_chart(areas=features, colour_by=mode).to_dict())
        for number in ("1234.5", "1100", "1300", "1,234"):
            assert number not in spec, (mode, number)
    points = values.assign(lat=[53.4, 53.45, 53.41], lon=[-3.0, -2.7, -2.9])
    spec = json.dumps(charts_map.map_chart(points=points, colour_points=True).to_dict())
    assert "1234.5" not in spec and "1100" not in spec


def test_choropleth_spec_has_inline_geojson_and_the_intervention_outline():
    values = area_values(comparison_table())
    features = charts_map.area_features(layer("districts", 2024).features, values)
    assert {f["properties"]["code"] for f in features["features"]} == set(values["code"])
    chart = charts_map.map_chart(
        areas=features, colour_by="value", label="Falls", unit="per 100,000", selected="E08000012"
    )
    spec = chart.to_dict()
    marks = [lyr["mark"] for lyr in spec["layer"]]
    assert all(m["type"] == "geoshape" for m in marks)
    data = spec["layer"][0]["data"]
    assert data["format"] == {"property": "features", "type": "json"}
    inline = data.get("values") or spec["datasets"][data["name"]]  # Altair consolidates data
    assert inline["type"] == "FeatureCollection" and len(inline["features"]) == 3
    outline = [
        lyr for lyr in spec["layer"] if "intervention" in json.dumps(lyr.get("transform", []))
    ]
    assert outline and outline[0]["mark"]["filled"] is False
    assert spec["projection"]["type"] == "mercator"
    text = json.dumps(spec)
    assert "Falls (per 100,000)" in text  # units in the legend title
    assert '"area"' in text  # the click selection
    assert "#CC79A7" in text  # the selected area is outlined


def test_benchmark_legend_follows_polarity():
    values = area_values(comparison_table())
    features = charts_map.area_features(layer("districts", 2024).features, values)
    with_polarity = json.dumps(
        charts_map.map_chart(
            areas=features, colour_by="benchmark", higher_is_better=False
        ).to_dict()
    )
    assert '"better"' in with_polarity and '"higher"' not in with_polarity
    without = json.dumps(
        charts_map.map_chart(areas=features, colour_by="benchmark", higher_is_better=None).to_dict()
    )
    assert '"higher"' in without and '"better"' not in without


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = fixture_store(tmp_path_factory.mktemp("map") / "map.duckdb")
    yield store
    store.close()


def test_map_data_on_the_fixture_store(store):
    rows, sites = store.panel_rows("falls_admissions_65plus"), store.sites()
    result = compare_areas(
        rows,
        sites,
        level=Level("la"),
        period_label="2023/24",
        measure_kind="rate",
        multiplier=100000,
        higher_is_better=False,
    )
    shown = store.measure_rows("falls_admissions_65plus")
    data = map_data(
        result.table,
        shown[shown["site_type"] == "la"],
        sites,
        bundled_layers(),
        "la",
        pd.Timestamp("2023-04-01"),
    )
    assert data.match is not None and data.match.unmatched == ()
    assert data.points is None
    effects = data.effects.table.set_index("code")
    assert set(effects.index) == {"E08000015", "E08000013", "E06000049"}
    assert effects["effect"].notna().all()
    with_effects = effect_values(area_values(result.table), data.effects)
    assert (with_effects["effect_text"] != "").sum() == 3


def test_a_user_layer_with_more_of_the_codes_wins():
    from analysis.geo import BoundaryLayer

    bundled = layer("districts", 2024)
    feature = bundled.features["features"][0]
    own = BoundaryLayer(
        "My wards",
        2025,
        "wards.geojson",
        {
            "type": "FeatureCollection",
            "features": [
                {**feature, "properties": {"code": code, "name": code, "year": 2025}}
                for code in ("W1", "W2", "W3")
            ],
        },
    )
    match = match_layer(["W1", "W2", "W3", "W4"], [*bundled_layers(), own], 2025)
    assert match.layer.source == "wards.geojson"
    assert match.unmatched == ("W4",)


def test_on_a_tie_the_users_own_layer_wins_over_a_bundled_one_nearer_in_year():
    from analysis.geo import BoundaryLayer

    bundled = layer("districts", 2024)
    own = BoundaryLayer("My districts", 2019, "my_districts.geojson", bundled.features)
    match = match_layer(["E08000015", "E06000006"], [*bundled_layers(), own], 2024)
    assert match.layer.source == "my_districts.geojson"
    assert match_layer(["E08000015", "E06000006"], bundled_layers(), 2024).layer.year == 2024


def test_selection_names_finds_selections_in_any_view_and_none_on_an_empty_map():
    import altair as alt

    assert charts_map.selection_names(charts_map.map_chart()) == frozenset()
    frame = pd.DataFrame({"x": [1.0], "y": [2.0]})
    base = alt.Chart(frame).mark_point().encode(x="x:Q", y="y:Q")
    assert charts_map.selection_names(base) == frozenset()
    assert charts_map.selection_names(base.add_params(alt.param(name="v", value=1))) == set()
    picked = base.add_params(alt.selection_point(name="p"))
    assert charts_map.selection_names(alt.layer(base, picked)) == {"p"}
    assert charts_map.selection_names(alt.hconcat(base, picked)) == {"p"}
    brush = base.add_params(alt.selection_interval(name="brush")).facet("x:N")
    assert charts_map.selection_names(brush) == {"brush"}


def test_boundary_codes_match_own_site_codes_to_a_layer():
    """Sites with their own codes and an ONS boundary_code are drawn on that boundary."""
    from analysis.geo_join import boundary_keys, no_map_reason

    sites = pd.DataFrame(
        {
            "site_code": ["LA01", "LA02", "LA03"],
            "site_name": ["Wirral", "Halton", "Nowhere"],
            "site_type": "la",
            "parent_code": None,
            "group": ["intervention", None, None],
            "start_date": [pd.Timestamp("2021-04-01"), pd.NaT, pd.NaT],
            "lat": np.nan,
            "lon": np.nan,
            "population": np.nan,
            "boundary_code": ["E08000015", "E06000006", None],
        }
    )
    keys = boundary_keys(pd.Series(["LA01", "LA02", "LA03", "LA09"]), sites)
    assert keys.tolist() == ["E08000015", "E06000006", "LA03", "LA09"]
    table = pd.DataFrame(
        {
            "site_code": sites["site_code"],
            "site_name": sites["site_name"],
            "group": sites["group"],
            "value": [10.0, 20.0, 30.0],
            "lower_ci": [9.0, 19.0, 29.0],
            "upper_ci": [11.0, 21.0, 31.0],
            "denominator": [1000.0, 1000.0, 1000.0],
            "comparison": ["similar"] * 3,
            "suppressed": False,
        }
    )
    columns = ["site_code", "site_name", "group", "start_date", "period_start", "period_end"]
    rows = pd.DataFrame(columns=[*columns, "value"])
    data = map_data(table, rows, sites, bundled_layers(), "la", pd.Timestamp("2023-04-01"))
    assert data.match is not None
    assert data.match.matched == ("LA01", "LA02") and data.match.unmatched == ("LA03",)
    assert no_map_reason(data, "local authorities") is None
    features = charts_map.area_features(data.match.layer.features, data.values)["features"]
    assert sorted(f["properties"]["code"] for f in features) == ["LA01", "LA02"]
    names = {f["properties"]["code"]: f["properties"]["name"] for f in features}
    assert names == {"LA01": "Wirral", "LA02": "Halton"}


def test_no_map_reason_says_what_the_sites_lack():
    from analysis.geo_join import MapData, SiteEffects, no_map_reason

    empty = MapData(pd.DataFrame(), None, pd.DataFrame(), None, SiteEffects(pd.DataFrame()), ())
    reason = no_map_reason(empty, "GP practices")
    assert reason.startswith("No map: the GP practices") and "lat/lon" in reason
