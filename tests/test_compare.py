"""The comparison layer: method choice, checks, sentence, series, CLI keys."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.arms import build_panel
from analysis.compare import choose_method, post_years, run_comparison
from analysis.credibility import (
    leave_one_out_check,
    pre_period_check,
    pre_trend_check,
    small_numbers_check,
    treated_sites_check,
)
from analysis.did import estimate_did
from analysis.effect import Effect
from analysis.measure_definition import MeasureDefinition
from analysis.narrative import effect_sentence
from analysis.panel import PanelError
from tests.helpers import fixture_store


def generated_panel(n_int=3, n_comp=30, periods=24, freq="MS", starts=("2021-01-01",), seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2020-01-01", periods=periods, freq=freq)
    rows = []
    for i in range(n_int + n_comp):
        group = "intervention" if i < n_int else "comparator"
        start = pd.Timestamp(starts[i % len(starts)]) if group == "intervention" else pd.NaT
        level = rng.normal(100, 5)
        for d in dates:
            rows.append(
                {
                    "site_code": f"S{i:03d}",
                    "site_name": f"S{i}",
                    "group": group,
                    "start_date": start,
                    "period_start": d,
                    "period_end": d + pd.offsets.MonthEnd(0),
                    "granularity": "month" if freq == "MS" else "year",
                    "numerator": np.nan,
                    "denominator": np.nan,
                    "value": level + rng.normal(0, 1),
                    "population": 1000.0,
                    "period_label": str(d.date()),
                    "site_type": "la",
                }
            )
    return pd.DataFrame(rows)


def effect(estimate=-5.0, low=-8.0, high=-2.0, **diagnostics):
    return Effect(
        "m",
        "did",
        "DiD",
        estimate,
        low,
        high,
        0.01,
        "per 100,000",
        3,
        12,
        4,
        4,
        diagnostics=diagnostics,
    )


def test_method_choice_follows_the_stated_rules():
    assert choose_method(generated_panel(n_int=3, n_comp=30))[0] == "synth"
    assert choose_method(generated_panel(n_int=3, n_comp=10))[0] == "did"
    assert choose_method(generated_panel(n_int=2, n_comp=10))[0] == "its"
    assert choose_method(generated_panel(n_int=3, n_comp=0))[0] == "its"
    with pytest.raises(PanelError, match="no period before"):
        choose_method(generated_panel(starts=("2019-01-01",)))
    with pytest.raises(PanelError, match="no period after"):
        choose_method(generated_panel(starts=("2030-01-01",)))


def test_checks_and_their_thresholds():
    assert pre_trend_check(effect(pre_trend_p=0.5)).status == "green"
    assert pre_trend_check(effect(pre_trend_p=0.07)).status == "amber"
    assert pre_trend_check(effect(pre_trend_p=0.01)).status == "red"
    assert pre_trend_check(effect()).status == "grey"
    assert treated_sites_check(effect()).status == "red"  # 3 intervention sites
    assert leave_one_out_check(effect(), [-6, -4]).status == "green"
    assert leave_one_out_check(effect(), [-9, -4]).status == "amber"
    assert leave_one_out_check(effect(), [-6, 1]).status == "red"
    panel = generated_panel(periods=24)  # 12 months before 2021-01
    assert pre_period_check(panel).status == "green"
    assert small_numbers_check(panel).status == "grey"


def test_sentence_never_claims_more_than_the_interval():
    crossing = effect_sentence(effect(-5, -9, 1), "Falls", [], higher_is_better=False)
    assert "includes no effect" in crossing and "improvement" not in crossing
    clear = effect_sentence(effect(-5, -8, -2), "Falls", [], higher_is_better=False)
    assert "fell by 5 per 100,000 more than" in clear and "improvement" in clear
    from analysis.credibility import Check

    red = effect_sentence(effect(), "Falls", [Check("Pre-trend", "red", 0.01, "")], False)
    assert "the pre-trend check failed" in red


@pytest.fixture
def falls_panel(tmp_path):
    store = fixture_store(tmp_path / "c.duckdb")
    panel = build_panel(store.panel_rows("falls_admissions_65plus"))
    store.close()
    return panel


def test_run_comparison_matches_the_estimator_it_names(falls_panel):
    definition = MeasureDefinition(
        "falls_admissions_65plus", "Falls", "rate", 100_000, False, "financial_year"
    )
    result = run_comparison(falls_panel, definition, method="did")
    direct = estimate_did(falls_panel, "falls_admissions_65plus", "per 100,000")
    assert result.effect.estimate == pytest.approx(direct.estimate)
    assert result.effect.count_scale.events_avoided == pytest.approx(
        direct.count_scale.events_avoided
    )
    assert set(result.series["group"]) == {"intervention", "comparator", "counterfactual"}
    assert result.post_years == pytest.approx(post_years(falls_panel))
    assert result.post_years == pytest.approx(3.0, abs=0.01)  # Wirral from 2021/22 to 2023/24
    assert next(c.name for c in result.checks) == "Periods before start"


def test_cli_compare_json_has_the_design_keys(tmp_path, capsys):
    from analysis.cli import main

    fixture_store(tmp_path / "cli.duckdb").close()
    code = main(
        [
            "compare",
            "--measure",
            "falls_admissions_65plus",
            "--db",
            str(tmp_path / "cli.duckdb"),
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    for key in (
        "measure",
        "method",
        "estimate",
        "ci_low",
        "ci_high",
        "p_value",
        "unit",
        "n_intervention",
        "n_comparator",
        "pre_trend_p",
        "event_time",
    ):
        assert key in out, key
    assert out["n_intervention"] == 3 and out["n_comparator"] == 7
    assert out["ci_low"] < out["estimate"] < out["ci_high"]
