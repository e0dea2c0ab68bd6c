"""What a person sees: Playwright drives Debian's Chromium against ``streamlit run``.

Screenshots go to ``tests/artifacts/`` (git-ignored). Every request that is not
to the local server is blocked, so the pages are proven to work offline.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser_server import block_outside, streamlit_server
from tests.helpers import fixture_store

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "app.duckdb"
    fixture_store(path).close()
    with streamlit_server(path) as url:
        yield url


@pytest.fixture
def offline_page(page, server):
    outside = block_outside(page, server)
    yield page
    assert outside == [], outside


def test_overview_shows_charts(offline_page, server):
    page = offline_page
    page.goto(server)
    page.get_by_text("Headline: intervention vs comparator areas").wait_for(timeout=60_000)
    charts = page.locator(
        "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"
    )
    charts.first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    assert charts.count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "overview.png", full_page=True)
    assert page.get_by_text("per 100,000 · lower is better").is_visible()


def test_data_page_shows_history(offline_page, server):
    page = offline_page
    page.goto(f"{server}/data")
    page.get_by_text("Load history").wait_for(timeout=60_000)
    page.locator("[data-testid='stDataFrame'] canvas").first.wait_for(timeout=60_000)
    page.wait_for_timeout(2000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "data.png", full_page=True)
    assert page.get_by_text("Roll back a load").is_visible()


def test_compare_page_shows_estimate_and_interval(offline_page, server):
    page = offline_page
    page.goto(f"{server}/compare")
    page.get_by_text("Credibility scorecard").wait_for(timeout=90_000)
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "compare.png", full_page=True)
    interval_label = re.compile(r"^\d+% interval$")  # the level attained (see test_pages)
    assert page.get_by_text(interval_label).first.is_visible()
    nav = page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()
    assert any("Compare" in n for n in nav)


def test_a_deep_link_on_a_fresh_server_runs_through_the_app(tmp_path_factory, page):
    """The first visit to a new server goes straight to a page: navigation must still be ours."""
    path = tmp_path_factory.mktemp("fresh") / "app.duckdb"
    fixture_store(path).close()
    with streamlit_server(path) as url:
        page.goto(f"{url}/compare")
        page.get_by_text("Did it work?").wait_for(timeout=90_000)
        page.wait_for_timeout(1000)
        nav = page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()
        titles = [n.split("\n")[-1] for n in nav]
        assert titles[:4] == ["Overview", "Data", "Sites", "Compare"], titles
        assert page.get_by_text("Round counts to the nearest 5").is_visible()
