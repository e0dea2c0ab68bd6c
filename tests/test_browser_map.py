"""The Map page in Chromium, with every request outside the local server blocked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_server import block_outside, streamlit_server
from tests.helpers import fixture_store

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="session")
def map_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser_map") / "app.duckdb"
    fixture_store(path).close()
    with streamlit_server(path) as url:
        yield url


@pytest.fixture
def offline_page(page, map_server):
    outside = block_outside(page, map_server)
    yield page
    assert outside == [], outside


def test_map_is_drawn_offline_and_a_click_selects(offline_page, map_server):
    page = offline_page
    page.goto(f"{map_server}/map")
    page.get_by_text("Black outline: intervention areas").wait_for(timeout=90_000)
    drawn = page.locator(
        "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg.marks"
    ).first
    drawn.wait_for(timeout=60_000)
    page.wait_for_timeout(2000)
    box = drawn.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 300, box
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "map.png", full_page=True)

    # a point inside the fixture's districts (Halton, between Liverpool and Cheshire)
    drawn.click(position={"x": box["width"] * 0.3, "y": box["height"] * 0.5})
    page.get_by_text("Selected on the map:").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    assert page.get_by_text("Selected:", exact=False).first.is_visible()
    page.screenshot(path=ARTIFACTS / "map_selected.png", full_page=True)

    # the selection goes with the user to another page: the sidebar and the SPC site picker
    page.get_by_role("link", name="SPC").click()
    page.get_by_text("Selected on the map:").wait_for(timeout=60_000)
    page.get_by_text("One site").wait_for(timeout=60_000)
    assert page.get_by_label("One site").is_checked()
