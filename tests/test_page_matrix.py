"""Every page, on every shape of data a user may bring: no exception, content or a reason.

Each page registered in ``app.py`` is opened through ``app.py`` with AppTest (as a user
would reach it from the navigation) on each shape of :mod:`tests.shapes`, loaded through
the real chain into a real DuckDB file. A case is named ``<page>-<shape>`` (e.g.
``overview-practices_no_coords``), so a failure says which page broke on which data.

Each shape's database is built once per module; the Streamlit caches are cleared when the
case moves to another shape's database (cache keys are store versions, which two
databases may share), and kept between the pages of one shape.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.helpers import REPO
from tests.shapes import SHAPES, build

TIMEOUT = 180
PAGES = tuple(re.findall(r'st\.Page\(\s*"(pages/[a-z_]+\.py)"', (REPO / "app.py").read_text()))
TITLES = {
    page: re.search(r'st\.title\(\s*"([^"]+)"', (REPO / page).read_text())[1] for page in PAGES
}
CASES = [
    pytest.param(page, shape, id=f"{Path(page).stem}-{shape}") for shape in SHAPES for page in PAGES
]
PYTHON_ERROR = re.compile(
    r"Traceback|Exception|Error\b|NoneType|has no attribute|not subscriptable|"
    r"unsupported operand|object is not|index out of|out of bounds|\bnan\b|\bNaT\b|"
    r"could not convert|invalid literal|zero-size array|division by zero"
)


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    """A function building each shape's database once, on first use (module scope)."""
    root = tmp_path_factory.mktemp("shapes")
    built: dict[str, Path] = {}

    def database(shape: str) -> Path:
        if shape not in built:
            built[shape] = build(SHAPES[shape], root / f"{shape}.duckdb")
        return built[shape]

    yield database
    st.cache_resource.clear()
    st.cache_data.clear()


_current: list[Path] = []


@pytest.fixture
def app_for(databases, monkeypatch):
    """An AppTest of ``app.py`` on a shape's database (caches cleared on a new database)."""

    def app(shape: str) -> AppTest:
        path = databases(shape)
        monkeypatch.setenv("HIOD_DB", str(path))
        if _current != [path]:
            st.cache_resource.clear()
            st.cache_data.clear()
            _current[:] = [path]
        return AppTest.from_file(str(REPO / "app.py"), default_timeout=TIMEOUT)

    return app


def open_page(at: AppTest, page: str) -> AppTest:
    """Run the app (its default page), then the page, as a click in the navigation does."""
    at.run()
    at.switch_page(page)
    at.run()
    if page == "pages/report.py" and not at.exception:
        build = [b for b in at.button if b.key == "build_report"]
        if build:
            build[0].click().run()
    return at


def shown_text(at: AppTest) -> dict[str, list[str]]:
    """The text of what the page shows, by kind of element."""
    return {
        "messages": [e.value for kind in ("warning", "info", "error") for e in getattr(at, kind)],
        "metrics": [f"{m.label}: {m.value}" for m in at.metric],
        "markdown": [m.value for m in at.markdown],
        "captions": [c.value for c in at.caption],
    }


def content(at: AppTest) -> list[str]:
    """The page's content elements: charts, tables, metrics, text, downloads."""
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    kinds = {
        "chart": len(charts),
        "table": len(at.dataframe) + len(at.get("arrow_data_frame")),
        "metric": len(at.metric),
        "markdown": len([m for m in at.markdown if m.value.strip()]),
        "download": len(at.get("download_button")),
        "iframe": len(at.get("iframe")),
    }
    return [k for k, n in kinds.items() if n]


@pytest.mark.parametrize(("page_file", "shape"), CASES)
def test_page_works_on_shape(page_file: str, shape: str, app_for):
    # page_file, not page: "page" is pytest-playwright's browser fixture
    at = open_page(app_for(shape), page_file)
    assert not at.exception, f"{page_file} on {shape}: " + "\n\n".join(
        f"{e.message}\n{''.join(e.stack_trace)}" for e in at.exception
    )
    titles = [t.value for t in at.title]
    assert TITLES[page_file] in titles, f"{page_file} on {shape} did not run: titles {titles}"
    text = shown_text(at)
    messages = text["messages"]
    assert content(at) or messages, f"{page_file} on {shape} shows nothing but its title"
    for line in (*messages, *text["metrics"]):
        assert not PYTHON_ERROR.search(line), (
            f"{page_file} on {shape} shows an internal error: {line}"
        )


def geoshape_charts(at: AppTest) -> list[str]:
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    texts = [c.proto.spec for c in charts]
    return [t for t in texts if '"geoshape"' in t or '"longitude"' in t]


def test_overview_says_why_there_is_no_map(app_for):
    """Practices with no position and no boundary: the map's space says why, no chart."""
    at = open_page(app_for("practices_no_coords"), "pages/overview.py")
    assert not at.exception
    assert not geoshape_charts(at)
    said = " ".join(i.value for i in at.info)
    assert "No map" in said and "lat/lon" in said, said


@pytest.mark.parametrize("shape", ["practices_coords", "la_boundaries", "user_boundaries_only"])
def test_overview_draws_the_map_where_it_can(shape, app_for):
    at = open_page(app_for(shape), "pages/overview.py")
    assert not at.exception
    assert geoshape_charts(at), f"no map on the Overview for {shape}"


def map_areas(at: AppTest) -> set[str]:
    """The site codes of the shapes the first map on the page draws."""
    spec = json.loads(geoshape_charts(at)[0])
    return {f["properties"]["code"] for f in spec["datasets"]["map_areas"]["features"]}


def test_boundary_codes_put_own_codes_on_the_bundled_boundaries(app_for):
    """Sites with their own codes and an ONS boundary_code are drawn on the bundled layer."""
    at = open_page(app_for("la_boundaries"), "pages/map.py")
    assert not at.exception
    assert map_areas(at) == {f"LA{i:02d}" for i in range(1, 13)}
    captions = " ".join(c.value for c in at.caption)
    assert "(bundled); 12 of 12 areas matched" in captions, captions


def test_a_users_own_boundaries_are_the_map(app_for):
    at = open_page(app_for("user_boundaries_only"), "pages/map.py")
    assert not at.exception
    assert len(map_areas(at)) == 9
    assert "Our areas" in " ".join(c.value for c in at.caption)


def _charts_with_and_without_selections():  # an AppTest script (runs in its own module)
    import pandas as pd
    import streamlit as st

    from analysis.charts_map import map_chart
    from pages import _ui

    empty = _ui.show_chart(map_chart(), "empty_map", on_select="rerun", key="empty_map")
    st.text(f"empty: {dict(empty.selection)}")
    points = pd.DataFrame(
        {"code": ["A"], "name": ["A"], "group": [""], "value": [1.0], "value_text": ["1"]}
        | {"interval_text": [""], "comparison": [""], "suppressed": [False]}
        | {"denominator": [10.0], "lat": [53.4], "lon": [-3.0]}
    )
    chart = map_chart(points=points, colour_points=True)
    some = _ui.show_chart(
        chart, "points", on_select="rerun", selection_mode=["area", "site"], key="points"
    )
    st.text(f"points: {sorted(some.selection)}")


def test_a_chart_is_drawn_with_only_the_selections_it_has():
    at = AppTest.from_function(_charts_with_and_without_selections, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert [t.value for t in at.text] == ["empty: {}", "points: ['site']"]
