"""The Savings page in Chromium, offline: the total with its interval, charts drawn.

Same pattern as ``tests/test_browser.py``: ``streamlit run`` on a free port
against a fixture database (the North West falls slice plus the bundled unit
costs), every request not to the local server blocked, screenshots in
``tests/artifacts/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser_server import block_outside, streamlit_server
from tests.savings_helpers import savings_store

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
CHARTS = "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"


@pytest.fixture(scope="module")
def savings_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser_savings") / "app.duckdb"
    savings_store(path).close()
    with streamlit_server(path) as url:
        yield url


@pytest.fixture
def offline_page(page, savings_server):
    outside = block_outside(page, savings_server)
    page.set_viewport_size({"width": 1400, "height": 5200})  # the whole page, no inner scroll
    yield page
    assert outside == [], outside


def open_savings(page, url: str) -> None:
    """Start at the app's root and follow the navigation, as a person does."""
    page.goto(url)
    # Wait for app.py's own navigation: before it runs, the sidebar briefly lists the files
    # in pages/, and following one of those runs the page without app.py.
    page.get_by_text("Headline: intervention vs comparator areas").wait_for(timeout=90_000)
    page.locator("[data-testid='stSidebarNav'] a", has_text="Savings").click()


def test_savings_page_shows_the_total_with_its_interval(offline_page, savings_server):
    page = offline_page
    open_savings(page, savings_server)
    total = page.locator("[data-testid='stMetric']", has_text="Costs avoided (present value)")
    total.wait_for(timeout=90_000)
    charts = page.locator(CHARTS)
    charts.nth(2).wait_for(timeout=60_000)  # by item, fan, tornado
    page.wait_for_timeout(2000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "savings.png", full_page=True)
    assert total.locator("[data-testid='stMetricValue']").inner_text().startswith(("£", "-£"))
    interval = page.get_by_text("95% interval", exact=False)
    assert interval.count() >= 3  # events, costs avoided, per event
    assert page.get_by_text("£1,644 per event avoided", exact=False).is_visible()
    assert page.get_by_text("Round counts to the nearest 5").is_visible()  # app.py ran


def test_planning_mode_is_labelled_a_projection(offline_page, savings_server):
    page = offline_page
    open_savings(page, savings_server)
    page.get_by_text("Planning (projection)").click()
    page.get_by_text("Projected costs avoided", exact=False).wait_for(timeout=90_000)
    page.locator(CHARTS).nth(2).wait_for(timeout=60_000)
    page.wait_for_timeout(2000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "savings_planning.png", full_page=True)
    assert page.get_by_text("planning assumption, not an estimate from data", exact=False).count()


def test_programme_cost_gives_roi_with_intervals(offline_page, savings_server):
    page = offline_page
    open_savings(page, savings_server)
    cost = page.get_by_label("Programme cost (£, paid up front)")
    cost.wait_for(timeout=90_000)
    cost.fill("500000")
    cost.press("Enter")
    page.locator("[data-testid='stMetric']", has_text="Net saving").first.wait_for(timeout=60_000)
    page.get_by_text("Every assumption behind these figures").click()
    page.get_by_text("Unit costs used").wait_for(timeout=30_000)
    page.wait_for_timeout(2500)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "savings_roi.png", full_page=True)
    for label in ("Return on investment", "Benefit–cost ratio", "Payback"):
        assert page.locator("[data-testid='stMetric']", has_text=label).count() == 1
    assert page.get_by_text("Break-even effect", exact=False).is_visible()
