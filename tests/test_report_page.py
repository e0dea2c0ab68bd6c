"""The Report page with AppTest: choose, build, download; the figures are the CLI's."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from analysis.cli import main
from tests.helpers import app_on, fixture_store

TIMEOUT = 120
FALLS = "falls_admissions_65plus"


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "app.duckdb"
    fixture_store(path).close()
    return path


@pytest.fixture
def compare_json(db, capsys) -> dict:
    """``compare --json`` for the falls measure (run before the app holds the file)."""
    capsys.readouterr()
    assert main(["compare", "--measure", FALLS, "--db", str(db), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def app(db, monkeypatch):
    with app_on(db, monkeypatch) as at:
        yield at


def open_report(at: AppTest) -> AppTest:
    at.run()
    at.switch_page("pages/report.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_report_page_builds_the_report_with_the_cli_figures(compare_json, app):
    at = open_report(app)
    assert at.multiselect(key="report_measures").value == [FALLS]
    assert all(c.value for c in at.checkbox if c.key.startswith("report_section_"))
    assert not at.get("download_button")
    at.checkbox(key="report_section_inequality").uncheck()
    at.button(key="build_report").click()
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    downloads = at.get("download_button")
    assert len(downloads) == 2  # the HTML, and the PDF made from it when clicked
    assert "PDF" in downloads[1].proto.label
    report = report_text(at)
    out = compare_json
    assert f"<td>{out['estimate']:,.1f}</td>" in report
    assert "Inequalities: did the gap narrow?" not in report
    assert "Methods and references" in report
    assert report.index('id="summary"') < report.index('id="effects"') < report.index('id="data"')


def report_text(at: AppTest) -> str:
    """The HTML the page previews (the iframe's srcdoc)."""
    frames = list(at.get("iframe"))
    assert frames, "no preview"
    return frames[0].proto.srcdoc


def test_report_page_without_sections_says_so(app):
    at = open_report(app)
    for box in at.checkbox:
        if box.key.startswith("report_section_"):
            box.uncheck()
    at.run()
    assert not at.exception
    assert any("at least one section" in e.value for e in at.error)
