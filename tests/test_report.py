"""The impact report: built by the command line on the bundled data, self-contained, and
showing the same figures as ``compare``, ``savings`` and ``inequality`` for the same inputs."""

from __future__ import annotations

import json
import re
from html import escape

import pytest

from analysis.cli import main
from analysis.report import ReportOptions, ReportOptionsError, build_report
from analysis.savings_numbers import format_gbp
from analysis.store import Store
from tests.report_helpers import FALLS, PROGRAMME_COST, build_with_cli, default_store

DSR_2010 = "falls_admissions_65plus_dsr_2010"
SMOKING = "smoking_prevalence_qof"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return default_store(tmp_path_factory.mktemp("report") / "defaults.duckdb")


@pytest.fixture(scope="module")
def report(db, tmp_path_factory):
    """The report with every section and the default measures, via the CLI."""
    out = tmp_path_factory.mktemp("report_out") / "report.html"
    assert build_with_cli(db, out, "--programme-cost", PROGRAMME_COST) == 0
    return out.read_text(encoding="utf-8")


def cli_json(capsys, *args: str):
    capsys.readouterr()
    assert main([*args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_the_file_is_one_self_contained_html_document(report):
    assert report.startswith("<!DOCTYPE html>")
    assert report.count("<svg") >= 3  # effect, savings by item, deprivation groups
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(", report, re.I)
    outside = re.findall(r"""(?:src|href|action)\s*=\s*["']?\s*(?:[a-z]+:)?//""", report, re.I)
    assert outside == []


def test_default_measures_are_those_with_intervention_and_comparator_sites(report):
    for measure in (FALLS, DSR_2010, SMOKING):
        assert f"--measure {measure}" in report
    assert "--measure breast_screening_coverage" not in report


def test_effect_figures_equal_the_compare_command(report, db, capsys):
    out = cli_json(capsys, "compare", "--measure", FALLS, "--db", str(db))
    assert f"<td>{out['estimate']:,.1f}</td>" in report
    assert f"<td>{out['ci_low']:,.1f} to {out['ci_high']:,.1f}</td>" in report
    assert f"<td>{out['p_value']:.3f}</td>" in report
    assert escape(out["method_label"]) in report
    for check in out["checks"]:
        assert f"{check['status'].upper()}</span></td><th>{escape(check['name'])}</th>" in report


def test_savings_figures_equal_the_savings_command(report, db, capsys):
    out = cli_json(
        capsys, "savings", "--measure", FALLS, "--db", str(db), "--programme-cost", PROGRAMME_COST
    )
    low, high = out["savings_gbp_ci"]
    assert (
        f"{format_gbp(out['savings_gbp'])} (95% interval {format_gbp(low)} to "
        f"{format_gbp(high)})" in report
    )
    low, high = out["events_avoided_ci"]
    assert f"{out['events_avoided']:,.0f} (95% interval {low:,.0f} to {high:,.0f})" in report
    for item in out["by_item"]:
        assert f"<td>{escape(item['item'])}</td>" in report
        assert f'<td class="num">{format_gbp(item["savings_gbp"])}</td>' in report
    assert format_gbp(out["roi"]["net_saving_gbp"]) in report
    assert "discounted at 3.5% a year (HM Treasury Green Book)" in report
    assert "price year 2013/14, 2022/23" in report


def test_inequality_figures_equal_the_inequality_command(report, db, capsys):
    periods = cli_json(capsys, "inequality", "--measure", SMOKING, "--db", str(db))["periods"]
    latest = [p for p in periods if p["sii"] is not None][-1]
    low, high = latest["sii_ci"]
    assert f"SII {latest['sii']:,.2f} (95% CI {low:,.2f} to {high:,.2f})" in report


def test_provenance_lists_every_loaded_file_with_its_checksum(report, db):
    store = Store(db, read_only=True)
    try:
        loads = store.loads()
    finally:
        store.close()
    assert len(loads) >= 10
    for row in loads.itertuples():
        assert f"<td>{escape(row.file_name)}</td>" in report
        assert f'<td class="hash">{row.sha256}</td>' in report
    assert "Tool version" in report and "hiod 0.1." in report


def test_parts_the_data_cannot_support_say_why(report):
    assert "Effect estimate: not available.</strong> No period after the programme start" in report
    assert f"Savings: not available.</strong> No unit costs are stored for {SMOKING}" in report
    assert "This needs counts (numerator and denominator) per site" in report


def test_plain_caveats_and_references(report):
    for text in (
        "Costs avoided are not cash released",
        "Few intervention sites",
        "bundled example",
        "Wilson EB (1927)",
        "Callaway B, Sant&#x27;Anna PHC (2021)",
        "Abadie A, Diamond A, Hainmueller J (2010)",
        "Making Data Count",
        "phe_sii",
        "Dobson AJ",
        "Green Book",
    ):
        assert text in report, text


def test_sections_and_title_are_chosen_and_escaped(db):
    store = Store(db, read_only=True)
    try:
        html = build_report(
            store,
            ReportOptions(measures=(FALLS,), sections=("data",), title="<b>Board & co</b>"),
        )
    finally:
        store.close()
    assert "Data coverage and provenance" in html
    assert "Methods and references" not in html
    assert "&lt;b&gt;Board &amp; co&lt;/b&gt;" in html
    assert "<b>Board" not in html


def test_bad_choices_are_user_errors(db, tmp_path, capsys):
    with pytest.raises(ReportOptionsError):
        ReportOptions(sections=("nonsense",))
    with pytest.raises(ReportOptionsError):
        ReportOptions(programme_cost=-1)
    assert build_with_cli(db, tmp_path / "x.html", "--measure", "nope") == 2
    assert "no measure 'nope'" in capsys.readouterr().err
    assert not (tmp_path / "x.html").exists()
