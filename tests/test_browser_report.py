"""The impact report in Chromium: it loads with no request but itself, shows the headline
figure, and prints to PDF. Screenshot in ``tests/artifacts/report.png``."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

from tests.browser_server import block_outside
from tests.report_helpers import FALLS, PROGRAMME_COST, build_with_cli, default_store

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def report_url(tmp_path_factory):
    """The report built by the CLI, served by a tiny local HTTP server on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("browser_report")
    db = default_store(folder / "defaults.duckdb")
    assert build_with_cli(db, folder / "report.html", "--programme-cost", PROGRAMME_COST) == 0
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/report.html"
    finally:
        server.shutdown()
        server.server_close()


def test_report_opens_offline_and_prints(page, report_url, tmp_path):
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    blocked = block_outside(page, report_url)
    page.set_viewport_size({"width": 1100, "height": 1400})
    page.goto(report_url)
    page.wait_for_load_state("networkidle")
    headline = page.locator("#effects .headline").first
    assert headline.is_visible()
    assert headline.inner_text().startswith("Effect: ")
    assert page.get_by_text(f"({FALLS})").first.is_visible()
    assert page.locator("figure svg").count() >= 3
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "report.png", full_page=False)
    pdf = page.pdf(path=tmp_path / "report.pdf", format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    assert blocked == []
    assert requested == [report_url]
