"""Downloads a person makes: a chart's PNG and SVG and a table's CSV, saved and opened.

Playwright clicks the buttons on the Overview page (every request that is not to the
local server is blocked, so the files are made offline) and the files are read back:
the PNG by its signature and size, the SVG as XML, the CSV with pandas. The PNG is kept
in ``tests/artifacts/`` (git-ignored) to look at.
"""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from tests.browser_server import block_outside, streamlit_server
from tests.helpers import fixture_store

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser_exports") / "app.duckdb"
    fixture_store(path).close()
    with streamlit_server(path) as url:
        yield url


@pytest.fixture
def overview(page, server):
    outside = block_outside(page, server)
    page.goto(server)
    page.get_by_text("Headline: intervention vs comparator areas").wait_for(timeout=60_000)
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=60_000)
    yield page
    assert outside == [], outside


def download(page, button, path: Path) -> Path:
    """Click ``button``, wait for the browser's download and save it to ``path``."""
    with page.expect_download(timeout=60_000) as info:
        button.click()
    info.value.save_as(path)
    assert info.value.failure() is None
    return path


def button(page, label: str):
    """The first download button with ``label`` on the page."""
    return page.locator("[data-testid='stDownloadButton'] button").filter(has_text=label).first


def test_a_chart_downloads_as_png_and_svg(overview, tmp_path):
    page = overview
    png = download(page, button(page, "PNG"), tmp_path / "chart.png").read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", png[16:24])
    assert width >= 1000  # the first chart (the Overview's map, 520 px + legend) at twice the scale
    assert height > 400
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "export_chart.png").write_bytes(png)

    svg = download(page, button(page, "SVG"), tmp_path / "chart.svg").read_text()
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    text = "".join(root.itertext())
    assert "Source: Health inequalities outcomes dashboard" in text
    assert "suppressed" in text


def test_a_table_downloads_as_csv(overview, tmp_path):
    page = overview
    path = download(page, button(page, "Download CSV"), tmp_path / "headline.csv")
    table = pd.read_csv(path, comment="#")
    assert "Intervention" in table.columns
    assert len(table) >= 1
    assert path.read_text().rstrip("\n").splitlines()[-1].startswith("# Source:")
