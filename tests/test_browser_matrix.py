"""Overview, Compare and Map in Chromium on shapes of data the bundled set does not cover.

The browser counterpart of ``tests/test_page_matrix.py``: ``streamlit run app.py`` on a
database built from a generated shape (:mod:`tests.shapes`), each page opened as a user
would, and no Streamlit exception box (``stException``) may show. Every request that is
not to the local server is blocked. Screenshots go to ``tests/artifacts/`` (git-ignored).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.browser_server import block_outside, streamlit_server
from tests.shapes import SHAPES, build

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
BROWSER_SHAPES = ("practices_no_coords", "practices_pcn", "la_boundaries")
PAGES = {"overview": ("", "Health inequalities outcomes"), "compare": ("compare", "Did it work?")}
PAGES["map"] = ("map", "Map")
CASES = [
    pytest.param(where, shape, id=f"{where}-{shape}") for shape in BROWSER_SHAPES for where in PAGES
]


@pytest.fixture(scope="module")
def shape_server(request, tmp_path_factory):
    """A streamlit server on the shape's database (one per shape: cases run shape by shape)."""
    shape = request.param
    path = build(SHAPES[shape], tmp_path_factory.mktemp(f"browser_{shape}") / "app.duckdb")
    with streamlit_server(path) as url:
        yield url


def settle(page, quiet_ms: int = 1500, timeout_s: float = 90) -> None:
    """Wait until the script has stopped running (no status widget) for ``quiet_ms``."""
    running = page.locator("[data-testid='stStatusWidget']")
    deadline = time.monotonic() + timeout_s
    quiet_since = None
    while time.monotonic() < deadline:
        if running.count() and running.first.is_visible():
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif (time.monotonic() - quiet_since) * 1000 >= quiet_ms:
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the page was still running after {timeout_s:.0f} s")


@pytest.mark.parametrize(("where", "shape_server"), CASES, indirect=["shape_server"])
def test_no_streamlit_exception_is_shown(where, shape_server, page, request):
    shape = request.node.callspec.params["shape_server"]
    path, title = PAGES[where]
    outside = block_outside(page, shape_server)
    page.goto(f"{shape_server}/{path}")
    page.get_by_role("heading", name=title, exact=True).first.wait_for(timeout=90_000)
    settle(page)
    errors = page.locator("[data-testid='stException']")
    assert errors.count() == 0, f"{where} on {shape}: " + " | ".join(errors.all_inner_texts())
    if where == "overview" and shape == "practices_no_coords":
        assert page.get_by_text("No map: the GP practices of this measure").is_visible()
        page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=ARTIFACTS / f"overview_{shape}.png", full_page=True)
    if where == "map" and shape == "la_boundaries":
        page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)
    assert outside == [], outside
