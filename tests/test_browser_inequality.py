"""What a person sees on Compare areas, Funnel plot, SPC and Inequalities, on the bundled data.

Playwright drives Debian's Chromium against ``streamlit run`` on a database
loaded with the bundled defaults (:func:`analysis.defaults.load_defaults`);
every request not to the local server is blocked. Screenshots go to
``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analysis.defaults import load_defaults
from analysis.store import Store
from tests.browser_server import block_outside, streamlit_server

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
CHART = "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"
WAIT = 90_000


@pytest.fixture(scope="session")
def defaults_server(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser_defaults") / "app.duckdb"
    store = Store(path)
    load_defaults(store)
    store.close()
    with streamlit_server(path) as url:
        yield url


@pytest.fixture
def offline_page(page, defaults_server):
    outside = block_outside(page, defaults_server)
    yield page
    assert outside == [], outside


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` (text it contains) in the select box labelled ``label``."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click(timeout=WAIT)
    box.fill(option, timeout=WAIT)
    page.get_by_role("option").filter(has_text=option).first.click(timeout=WAIT)
    page.wait_for_timeout(500)


def settle(page, name: str, min_charts: int = 1) -> None:
    """Wait for the script to finish and the charts to draw, then save a screenshot."""
    page.locator(CHART).first.wait_for(timeout=WAIT)
    page.locator("[data-testid='stStatusWidget']").wait_for(state="hidden", timeout=WAIT)
    page.wait_for_timeout(2500)
    assert page.locator(CHART).count() >= min_charts
    assert page.locator("[data-testid='stException']").count() == 0
    tall = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('[data-testid=stMain]')]"
        ".map(e => e.scrollHeight), 800)"
    )
    page.set_viewport_size({"width": 1400, "height": min(int(tall) + 80, 9000)})
    page.wait_for_timeout(1500)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


PAGES = {
    "areas": "Compare areas",
    "funnel": "Funnel plot",
    "spc": "SPC",
    "inequalities": "Inequalities",
}


def open_page(page, server: str, path: str, measure: str | None = None) -> None:
    """Start at the home page and follow the sidebar link, as a person would."""
    page.goto(server)
    nav = page.locator("[data-testid='stSidebarNav'] a")
    nav.first.wait_for(timeout=WAIT)
    nav.filter(has_text=re.compile(f"{PAGES[path]}$")).click()
    page.get_by_role("combobox", name="Measure", exact=True).wait_for(timeout=WAIT)
    if measure:
        choose(page, "Measure", f"({measure})")


def test_compare_areas_falls(offline_page, defaults_server):
    open_page(offline_page, defaults_server, "areas")
    offline_page.get_by_text("Compared with benchmark").first.wait_for(timeout=WAIT)
    settle(offline_page, "areas_falls")
    assert offline_page.get_by_text("All sites").first.is_visible()


def test_compare_areas_pcns_breast_and_cervical(offline_page, defaults_server):
    open_page(offline_page, defaults_server, "areas", "breast_screening_coverage")
    settle(offline_page, "areas_breast_pcns")
    open_page(offline_page, defaults_server, "areas", "cervical_screening_coverage_25_49")
    settle(offline_page, "areas_cervical_pcns")
    assert offline_page.get_by_text("highest and 20 lowest").first.is_visible()


def test_funnel_smoking_practices(offline_page, defaults_server):
    open_page(offline_page, defaults_server, "funnel", "smoking_prevalence_qof")
    choose(offline_page, "Site type", "GP practices")
    settle(offline_page, "funnel_smoking_practices")
    assert offline_page.get_by_text("Outside 99.8% limits").first.is_visible()


def test_spc_falls(offline_page, defaults_server):
    open_page(offline_page, defaults_server, "spc")
    settle(offline_page, "spc_falls")
    assert offline_page.get_by_text("Short series").first.is_visible()


def test_inequalities_falls_deciles(offline_page, defaults_server):
    open_page(offline_page, defaults_server, "inequalities")
    offline_page.get_by_text("Did the programme narrow the gap?").first.wait_for(timeout=WAIT)
    settle(offline_page, "inequalities_falls_deciles", min_charts=3)
    assert offline_page.get_by_text("IMD decile").first.is_visible()


def test_inequalities_by_icb(offline_page, defaults_server):
    open_page(offline_page, defaults_server, "inequalities", "cervical_screening_qof_25_49")
    choose(offline_page, "Area", "Cheshire and Merseyside")
    settle(offline_page, "inequalities_cervical_icb", min_charts=2)
    open_page(offline_page, defaults_server, "inequalities", "smoking_prevalence_qof")
    choose(offline_page, "Area", "ICB · NHS Cheshire and Merseyside")
    settle(offline_page, "inequalities_smoking_icb", min_charts=2)
