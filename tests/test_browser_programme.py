"""A commissioner's own programme in the browser, start to finish: an export with its own
column names is uploaded and its columns matched, a PCN's practices are marked in one go,
the programme is named, Compare gives a result and the report's first page holds the
headline. Screenshots at
1440×900 go to ``tests/artifacts/programme_*.png`` (git-ignored)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.store import Store
from analysis.templates import FOREIGN_EXAMPLE, TEMPLATES_DIR
from analysis.usecases import load_files
from tests.browser_server import block_outside, streamlit_server

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).parent / "artifacts"
WAIT = 120_000
MEASURE = "bowel_screening_uptake"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a database holding only the measure definitions (not the bundled data)."""
    path = tmp_path_factory.mktemp("programme") / "app.duckdb"
    store = Store(path)
    definitions = TEMPLATES_DIR / "measure_definitions_example.csv"
    load_files(store, [(definitions.name, definitions.read_bytes())])
    store.close()
    with streamlit_server(path) as url:
        yield url


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"programme_{name}.png"))


def test_own_programme_start_to_finish(page, server, tmp_path):
    blocked = block_outside(page, server)
    page.set_viewport_size({"width": 1440, "height": 900})

    # 1. bring the files: the export's columns are matched on the page
    page.goto(f"{server}/data")
    page.get_by_text("Files to load").wait_for(timeout=WAIT)
    files = [TEMPLATES_DIR / "sites_example.csv", TEMPLATES_DIR / FOREIGN_EXAMPLE]
    page.locator("input[type=file]").first.set_input_files([str(f) for f in files])
    page.get_by_text("Match your columns").wait_for(timeout=WAIT)
    measure_id = page.get_by_placeholder("e.g. bowel_screening_uptake")
    measure_id.fill(MEASURE)
    measure_id.press("Enter")
    shot(page, "1_match_columns")
    page.get_by_role("button", name="Check and load").click()
    page.get_by_text(f"{FOREIGN_EXAMPLE}: loaded").wait_for(timeout=WAIT)

    # 2. choose the practices by PCN and mark them in one go
    page.goto(f"{server}/sites")
    page.get_by_text("Parent (e.g. PCN)").wait_for(timeout=WAIT)
    page.get_by_role("combobox", name="Parent (e.g. PCN)").click()
    page.get_by_role("option", name=re.compile("Example PCN South")).click()
    page.keyboard.press("Escape")
    page.get_by_text("Mark all 3 site(s) shown at once").wait_for(timeout=WAIT)
    page.get_by_role("combobox", name="as", exact=True).click()
    page.get_by_role("option", name="comparator", exact=True).click()
    page.get_by_role("button", name="Mark 3").click()
    page.get_by_text("3 site(s) marked comparator").wait_for(timeout=WAIT)
    shot(page, "2_sites_by_pcn")

    # 3. name the programme: it is saved, and the sidebar says it is the one in use
    page.get_by_text("Programmes: name this grouping, or start a new one").click()
    name = page.get_by_placeholder("e.g. Bowel screening outreach 2024")
    name.fill("Bowel screening pilot")
    name.press("Enter")
    page.get_by_role("button", name="Save as a programme").click()
    page.get_by_text("Programme Bowel screening pilot saved as load").wait_for(timeout=WAIT)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("2 intervention site(s) starting Jan 2024").wait_for(timeout=WAIT)
    shot(page, "3_programme_named")

    # 4. did it work?
    page.goto(f"{server}/compare")
    page.get_by_text("Did it work?").first.wait_for(timeout=WAIT)
    page.get_by_text("95% interval").or_(page.get_by_text("No estimate")).first.wait_for(
        timeout=WAIT
    )
    shot(page, "4_compare")

    # 5. the report: the summary is its first page, and a PDF beside the HTML
    page.goto(f"{server}/report")
    page.get_by_role("button", name="Build report").click(timeout=WAIT)
    pdf_button = page.get_by_role("button", name="Download the report (PDF)").last
    pdf_button.wait_for(timeout=WAIT)
    preview = page.frame_locator("iframe").first
    preview.get_by_text("Did it work?").first.wait_for(timeout=WAIT)
    assert preview.locator("section").first.get_attribute("id") == "summary"
    shot(page, "5_report")
    with page.expect_download(timeout=WAIT) as download:
        pdf_button.click()
    pdf = tmp_path / "report.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext"):
        first = subprocess.run(
            ["pdftotext", "-f", "1", "-l", "1", pdf, "-"], capture_output=True, text=True
        ).stdout
        assert "Did it work?" in first and "Bowel screening uptake" in first
        assert "Bowel screening pilot" in first  # the report is titled after the programme
    assert blocked == [], blocked
