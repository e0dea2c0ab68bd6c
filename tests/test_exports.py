"""Chart and table exports: PNG, SVG and CSV with the footer line, offline, nothing suppressed.

The renderer is ``vl-convert`` (no browser, no network). The page test checks that every
chart on the Overview page has its PNG and SVG buttons and every table its CSV button;
``tests/test_browser_exports.py`` clicks them in a real browser.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import xml.etree.ElementTree as ET

import altair as alt
import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analysis.disclosure import suppress
from analysis.exports import ATTRIBUTION, Footer, chart_png, chart_svg, table_csv, with_footer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FOOTER = Footer(produced=dt.date(2026, 11, 23))
TITLE = "Falls admissions, 65 and over"


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height in pixels from a PNG's IHDR chunk (bytes 16-24)."""
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def svg_root(text: str) -> ET.Element:
    """The parsed SVG document's root element."""
    return ET.fromstring(text)


@pytest.fixture
def chart() -> alt.Chart:
    frame = pd.DataFrame({"site": ["A", "B", "C"], "value": [10.0, 20.0, 15.0]})
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(x=alt.X("site:N"), y=alt.Y("value:Q", title="per 100,000"))
        .properties(title=TITLE, width=400, height=300)
    )


def test_svg_is_a_document_with_the_title_and_the_footer(chart):
    svg = chart_svg(chart, FOOTER)
    root = svg_root(svg)
    assert root.tag.endswith("svg")
    text = "".join(root.itertext())
    assert TITLE in text
    assert FOOTER.text() in text
    assert "produced 2026-11-23" in text


def test_png_has_the_signature_and_the_svg_size_times_the_scale(chart):
    png = chart_png(chart, FOOTER, scale=2)
    assert png.startswith(PNG_SIGNATURE)
    root = svg_root(chart_svg(chart, FOOTER))
    width, height = float(root.get("width")), float(root.get("height"))
    assert png_size(png) == (round(width * 2), round(height * 2))
    assert width > 400  # the plot plus its axis
    assert png_size(chart_png(chart, FOOTER, scale=1)) == (round(width), round(height))


def test_without_a_footer_the_image_is_the_chart_alone(chart):
    assert "Source:" not in "".join(svg_root(chart_svg(chart)).itertext())


def test_csv_round_trips_and_ends_with_the_footer():
    frame = pd.DataFrame(
        {"site_code": ["E08000015", "E06000049"], "value": [2134.5, 1987.25], "n": [120, 98]}
    )
    text = table_csv(frame, FOOTER)
    back = pd.read_csv(io.StringIO(text), comment="#")
    pd.testing.assert_frame_equal(back, frame)
    last = text.rstrip("\n").splitlines()[-1]
    assert last == f"# {FOOTER.text()}. {ATTRIBUTION}"


def test_footer_names_source_date_and_rule_and_mentions_rounding_only_when_set():
    plain = FOOTER.text()
    assert plain.startswith("Source: Health inequalities outcomes dashboard")
    assert "produced 2026-11-23" in plain
    assert "1-7 suppressed" in plain
    assert "rounded" not in plain
    rounded = Footer(produced=dt.date(2026, 11, 23), rounded_to=5).text()
    assert "rounded to the nearest 5" in rounded


def test_a_suppressed_count_leaves_no_trace_in_any_export():
    raw = pd.DataFrame(
        {
            "site_code": ["E08000015", "E06000049", "E08000013"],
            "numerator": [3, 250, 180],
            "denominator": [4567, 5000, 6000],
        }
    )
    raw["value"] = raw["numerator"] / raw["denominator"] * 100_000
    hidden = f"{raw['value'].iloc[0]:.2f}"[:5]  # "65.68": the rate derived from 3
    shown = suppress(raw)
    # the 3, and the smallest other count, so that a total minus 250 cannot reveal the 3
    assert shown["suppressed"].tolist() == [True, False, True]
    chart = (
        alt.Chart(shown)
        .mark_bar()
        .encode(
            x="site_code:N",
            y=alt.Y("value:Q", title="per 100,000"),
            tooltip=["site_code", "numerator", "denominator", "value"],
        )
        .properties(title=TITLE, width=300, height=200)
    )
    spec = with_footer(chart, FOOTER).to_json(validate=False)  # what both renderers are given
    svg = chart_svg(chart, FOOTER)
    csv = table_csv(shown, FOOTER)
    for text in (spec, svg, csv):
        assert hidden not in text
        assert "65.6" not in text
    assert '"numerator": 3' not in spec and '"numerator": 3.0' not in spec
    assert chart_png(chart, FOOTER).startswith(PNG_SIGNATURE)
    back = pd.read_csv(io.StringIO(csv), comment="#")
    suppressed_row = back[back["site_code"] == "E08000015"].iloc[0]
    assert suppressed_row[["numerator", "value"]].isna().all()
    assert 3 not in back["numerator"].tolist()


def layered(chart: alt.Chart) -> alt.LayerChart:
    rule = alt.Chart(pd.DataFrame({"y": [15.0]})).mark_rule().encode(y="y:Q")
    return alt.layer(chart, rule)


@pytest.mark.parametrize(
    "make",
    [
        layered,
        lambda c: alt.hconcat(c, c),
        lambda c: alt.vconcat(c, c),
        lambda c: alt.layer(c).facet(column=alt.Facet("site:N")),
        lambda c: layered(c).configure_view(stroke=None).configure_axis(grid=False),
    ],
    ids=["layer", "hconcat", "vconcat", "facet", "configured"],
)
def test_the_footer_goes_under_layered_and_concatenated_charts(chart, make):
    figure = make(chart.properties(width=200, height=150))
    spec = with_footer(figure, FOOTER).to_dict(validate=False)
    assert spec["title"]["text"] == FOOTER.text()
    assert spec["title"]["orient"] == "bottom"
    assert "vconcat" in spec
    svg = chart_svg(figure, FOOTER)
    assert FOOTER.text() in "".join(svg_root(svg).itertext())
    assert chart_png(figure, FOOTER).startswith(PNG_SIGNATURE)


def test_with_footer_leaves_the_chart_unchanged(chart):
    configured = layered(chart).configure_view(stroke=None)
    for figure in (chart, configured):
        before = figure.to_dict()
        with_footer(figure, FOOTER)
        assert figure.to_dict() == before
    assert with_footer(configured, FOOTER).to_dict()["config"]["view"]["stroke"] is None


def test_overview_offers_png_and_svg_for_every_chart_and_csv_for_every_table(app):
    app.run()
    app.switch_page("pages/overview.py")
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    charts = app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
    buttons = app.get("download_button")
    labels = [b.label for b in buttons]
    assert charts
    assert labels.count("PNG") == len(charts)
    assert labels.count("SVG") == len(charts)
    csv = [b for b in buttons if b.label not in ("PNG", "SVG")]
    assert len(csv) == len(app.dataframe) + len(app.table)  # every table, static or not
    keys = {b.key for b in buttons}
    assert {"png_trend_falls_admissions_65plus", "svg_trend_falls_admissions_65plus"} <= keys
    assert "dl_headline.csv" in keys


@pytest.mark.parametrize("page", ["overview", "areas", "funnel", "spc", "compare"])
def test_every_chart_on_a_page_renders_when_its_button_is_clicked(app, monkeypatch, page):
    """The buttons' deferred renderers (what a click runs) give a PNG and an SVG.

    Charts drawn at the container's width are exported 800 px wide; the Overview's map has
    its own size (520 px plus its legends).
    """
    deferred = {}
    download_button = st.download_button

    def record(label, data, *args, **kwargs):
        if callable(data):
            deferred[kwargs["key"]] = data
        return download_button(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", record)
    app.run()
    app.switch_page(f"pages/{page}.py")
    deferred.clear()
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    charts = app.get("arrow_vega_lite_chart") or app.get("vega_lite_chart")
    assert charts
    assert len(deferred) == 2 * len(charts)
    for key, render in deferred.items():
        out = render()
        if key.startswith("png_"):
            assert out.startswith(PNG_SIGNATURE)
            assert png_size(out)[0] >= 2 * (500 if "map" in key else 800)
        else:
            assert "Source: Health inequalities outcomes dashboard" in "".join(
                svg_root(out).itertext()
            )


def selection_script() -> None:
    """A page drawing a selectable chart through ``show_chart`` (for AppTest)."""
    import altair as alt
    import pandas as pd
    import streamlit as st

    from pages import _ui

    frame = pd.DataFrame({"site": ["A", "B"], "value": [1.0, 2.0]})
    pick = alt.selection_point(name="pick", fields=["site"])
    chart = alt.Chart(frame).mark_bar().encode(x="site:N", y="value:Q").add_params(pick)
    event = _ui.show_chart(chart, "picked", on_select="rerun", key="pick_chart")
    st.write(sorted(event["selection"]))
    st.write(sorted(st.session_state["pick_chart"]["selection"]))


def test_show_chart_passes_the_selection_through_and_keys_the_chart():
    at = AppTest.from_function(selection_script, default_timeout=60)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    keys = {b.key for b in at.get("download_button")}
    assert keys == {"png_pick_chart", "svg_pick_chart"}
    written = [str(j.value) for j in at.get("json")]
    assert len(written) == 2 and all("pick" in w for w in written), written


def test_the_version_in_exports_is_the_packages_and_pyprojects():
    import tomllib

    import analysis
    from analysis.provenance import REPO, tool_version

    declared = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert analysis.__version__ == declared
    assert tool_version().split("+")[0] == declared
    assert f"by hiod {tool_version()}" in Footer().text()
