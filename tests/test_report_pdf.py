"""The report a funder can forward: the summary on page 1, provenance at the end, no local
paths, and a PDF beside the HTML whose first page is rendered to PNG to be looked at
(``tests/artifacts/report_pdf_page1.png``, git-ignored)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest

from analysis import report_pdf
from analysis.cli import main
from analysis.report_pdf import PdfFailed, html_to_pdf
from analysis.store import Store
from analysis.usecases import comparison_for
from tests.helpers import fixture_store
from tests.report_helpers import FALLS

ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture store's report as HTML and PDF, from one ``report`` command."""
    folder = tmp_path_factory.mktemp("pdf")
    db = folder / "programme.duckdb"
    fixture_store(db).close()
    html, pdf = folder / "report.html", folder / "report.pdf"
    args = ["report", "--out", str(html), "--pdf", str(pdf), "--db", str(db)]
    assert main([*args, "--programme-cost", "250000"]) == 0
    return db, html.read_text(encoding="utf-8"), pdf.read_bytes()


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def test_summary_comes_first_and_provenance_last(built):
    db, html, _ = built
    sections = re.findall(r'<section class="report-section" id="(\w+)"', html)
    assert sections[0] == "summary" and sections[-1] == "data"
    head = text_of(html[: html.index('id="programme"')])
    for words in ("Did it work?", "By how much", "With what certainty", "What it saved"):
        assert words in head, words
    assert "Main caveat" in head and "Did the gap narrow?" in head
    for internal in ("SHA-256", "python -m analysis", str(db.parent), "Tool version"):
        assert internal not in head, internal
    assert str(db.parent) not in html  # no local path anywhere, only the file's name
    tail = text_of(html[html.index('id="data"') :])
    assert "Tool version" in tail and f"--measure {FALLS}" in tail and db.name in tail


def test_summary_verdict_matches_the_comparison(built):
    db, html, _ = built
    store = Store(db, read_only=True)
    try:
        effect = comparison_for(store, FALLS).effect
    finally:
        store.close()
    head = text_of(html[: html.index('id="programme"')])
    if effect.ci_low <= 0 <= effect.ci_high:
        assert "UNCLEAR" in head and "cannot tell the effect apart from no effect" in head
    else:
        assert ("YES" in head) == (effect.estimate < 0)  # falls: lower is better
    assert f"{effect.ci_low:,.3g} to {effect.ci_high:,.3g}" in head


def test_the_pdf_is_printed_and_page_one_is_the_summary(built):
    _, html, pdf = built
    assert pdf.startswith(b"%PDF")
    ARTIFACTS.mkdir(exist_ok=True)
    png = ARTIFACTS / "report_pdf_page1.png"
    if shutil.which("pdftoppm"):
        source = ARTIFACTS / "report.pdf"
        source.write_bytes(pdf)
        first_page = ["-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile"]
        subprocess.run(["pdftoppm", *first_page, source, png.with_suffix("")], check=True)
        if shutil.which("pdftotext"):
            first = subprocess.run(
                ["pdftotext", "-f", "1", "-l", "1", source, "-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            assert "Summary" in first and "Did it work?" in first
            assert "SHA-256" not in first and "The programme and its areas" not in first
    else:  # no poppler: the HTML as printed (A4 width, print styles) stands in for page 1
        from playwright.sync_api import sync_playwright

        from tests.browser_server import CHROMIUM, CHROMIUM_ARGS

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 794, "height": 1123})
            page.set_content(html)
            page.emulate_media(media="print")
            page.screenshot(path=str(png))
            browser.close()
    assert png.exists() and png.stat().st_size > 10_000


def test_cli_needs_somewhere_to_write(tmp_path, capsys):
    db = tmp_path / "x.duckdb"
    fixture_store(db).close()
    assert main(["report", "--db", str(db)]) == 2
    assert "--out FILE.html, --pdf FILE.pdf" in capsys.readouterr().err


def test_without_chromium_the_pdf_says_what_to_do(monkeypatch):
    monkeypatch.setattr(report_pdf, "CHROMIUM", "/nonexistent/chromium")
    monkeypatch.delenv("HIOD_CHROMIUM", raising=False)
    monkeypatch.setattr(report_pdf.shutil, "which", lambda name: None)
    with pytest.raises(PdfFailed, match="print it to PDF from a browser instead"):
        html_to_pdf("<p>x</p>")
