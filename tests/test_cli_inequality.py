"""``python -m analysis inequality``: the page's numbers per period, as text or one JSON object."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analysis.cli import main
from analysis.inequality_view import inequality_result
from tests.inequality_helpers import ICB, inequality_store


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "cli.duckdb"
    inequality_store(path).close()
    return path


def run(capsys, *args):
    code = main(["inequality", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_has_one_object_per_period_equal_to_the_analysis(db, capsys):
    code, out, _ = run(capsys, "--measure", "falls_admissions_65plus", "--db", str(db), "--json")
    assert code == 0
    payload = json.loads(out)
    records = payload["periods"]
    assert payload["gap_effect"] is None
    assert "published deprivation-group rows" in payload["gap_effect_problem"]
    assert "higher in less deprived areas" in payload["signs"]
    assert [r["period"] for r in records] == [
        "2018/19",
        "2019/20",
        "2020/21",
        "2021/22",
        "2022/23",
        "2023/24",
    ]
    from analysis.store import Store

    store = Store(db, read_only=True)
    try:
        expected = inequality_result(
            store.panel_rows("falls_admissions_65plus"),
            store.sites(),
            kind="rate",
            multiplier=100_000,
        )
    finally:
        store.close()
    latest = records[-1]
    summary = expected.summary.iloc[-1]
    assert latest["sii"] == pytest.approx(summary["sii"])
    assert latest["sii_ci"] == pytest.approx([summary["sii_lower_ci"], summary["sii_upper_ci"]])
    assert latest["rii_ci"] == pytest.approx([summary["rii_lower_ci"], summary["rii_upper_ci"]])
    assert latest["gap"] == pytest.approx(summary["gap"])
    assert latest["unit"] == "per 100,000" and latest["area"] == "E92000001"
    assert len(latest["quantile_values"]) == 10 and len(latest["quintile_values"]) == 5


def test_text_output_and_options(db, capsys):
    code, out, _ = run(
        capsys,
        "--measure",
        "smoking_prevalence_qof",
        "--site-type",
        "practice",
        "--area",
        ICB,
        "--groups",
        "5",
        "--db",
        str(db),
    )
    assert code == 0
    assert "by IMD quintile (1 = most deprived)" in out
    assert "SII -" in out and "RII 0." in out and "quintile values: 1:" in out
    assert "Signs: The SII and the gap are both positive when values are higher in less" in out
    assert "The programme's effect on the gap" in out and "Glossary" in out


def test_value_only_medians_report_why_there_is_no_sii(db, capsys):
    code, out, _ = run(
        capsys,
        "--measure",
        "cervical_screening_qof_25_49",
        "--area",
        ICB,
        "--db",
        str(db),
        "--json",
    )
    assert code == 0
    first = json.loads(out)["periods"][0]
    assert first["sii"] is None and "at least 5" in first["note"]
    assert first["gap"] is not None


def test_errors_exit_2_with_a_message(db, capsys):
    code, _, err = run(capsys, "--measure", "nope", "--db", str(db))
    assert code == 2 and "no measure 'nope'" in err
    code, _, err = run(
        capsys, "--measure", "falls_admissions_65plus", "--site-type", "practice", "--db", str(db)
    )
    assert code == 2 and "error:" in err


def test_module_entry_point(db):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "inequality",
            "--measure",
            "falls_admissions_65plus",
            "--db",
            str(db),
            "--json",
            "--reps",
            "1000",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["periods"][0]["period"] == "2018/19"
