"""Did the programme narrow the gap? Planted targeted programmes run through the CLI.

Each panel is written by :mod:`bench.planted_gap` (50 practices, 5 in each IMD decile,
uptake rising with decile; the 10 practices of deciles 1–2 are the intervention sites),
loaded with ``python -m analysis load`` and read back with ``inequality --json`` in
process (:func:`analysis.cli.main`), so the figures tested are the ones a user sees.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.effect import Effect
from analysis.inequality_gap_effect import gap_effect
from analysis.rates import MethodInputError
from bench.planted_gap import GapSpec, PlantedGap, plant_gap


def load_gap(folder: Path, spec: GapSpec) -> tuple[Path, PlantedGap]:
    """Write a planted targeted programme and load it with the CLI."""
    planted = plant_gap(folder, spec)
    db = folder / "db.duckdb"
    assert main(["load", *map(str, planted.files()), "--db", str(db)]) == 0
    return db, planted


def inequality_json(capsys, db: Path, *args: str) -> dict:
    capsys.readouterr()
    code = main(["inequality", "--measure", "uptake_targeted", "--db", str(db), *args, "--json"])
    assert code == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="module")
def targeted(tmp_path_factory):
    return load_gap(tmp_path_factory.mktemp("targeted"), GapSpec())


@pytest.fixture(scope="module")
def null(tmp_path_factory):
    return load_gap(tmp_path_factory.mktemp("null"), GapSpec(effect=0.0, seed=12))


@pytest.mark.parametrize(("groups", "truth"), [("10", -5.818), ("5", -6.0)])
def test_planted_targeted_programme_narrows_the_sii(targeted, capsys, groups, truth):
    db, planted = targeted
    assert planted.sii_change(int(groups)) == pytest.approx(truth, abs=1e-3)
    out = inequality_json(capsys, db, "--groups", groups)
    effect = out["gap_effect"]
    assert out["gap_effect_problem"] is None
    low, high = effect["sii_change_ci"]
    assert low <= planted.sii_change(int(groups)) <= high
    assert effect["method"] == "did"
    assert effect["sii_change"] == pytest.approx(
        effect["sii_observed"] - effect["sii_counterfactual"]
    )
    assert effect["intervention_groups"] == ([1, 2] if groups == "10" else [1])
    assert 0 < effect["share_of_gap_closed"] < 1
    assert [q["quintile"] for q in effect["by_quintile"]] == [1]
    assert effect["by_quintile"][0]["estimate"] == pytest.approx(effect["effect"])
    assert any("same effect at every intervention site" in a for a in effect["assumptions"])


def test_a_null_programme_interval_contains_zero(null, capsys):
    db, _ = null
    effect = inequality_json(capsys, db, "--groups", "10")["gap_effect"]
    low, high = effect["sii_change_ci"]
    assert low <= 0 <= high


def test_text_says_deciles_and_gives_the_answer_and_glossary(targeted, capsys):
    db, _ = targeted
    capsys.readouterr()
    code = main(["inequality", "--measure", "uptake_targeted", "--db", str(db), "--groups", "10"])
    out = capsys.readouterr().out
    assert code == 0
    assert "decile values: 1:" in out and "quintile values" not in out
    assert "the programme narrowed the slope index of inequality across all GP practices" in out
    assert "higher in less deprived areas" in out
    assert "By simulation:" in out


def test_sites_without_a_type_give_the_same_sii_as_practices(targeted, tmp_path, capsys):
    db, _ = targeted
    typed = inequality_json(capsys, db, "--groups", "10")
    untyped_db, _ = load_gap(tmp_path, GapSpec(with_site_type=False))
    untyped = inequality_json(capsys, untyped_db, "--groups", "10")
    assert [p["sii"] for p in untyped["periods"]] == pytest.approx(
        [p["sii"] for p in typed["periods"]]
    )
    assert untyped["sites"].startswith("Sites (type 'other' or not given)")
    assert any("read as real sites pooled by their IMD" in n for n in untyped["notes"])
    assert untyped["gap_effect"]["sii_change"] == pytest.approx(typed["gap_effect"]["sii_change"])


def _area(effect_q1: float = 6.0) -> pd.DataFrame:
    """One post period, 5 quintiles × 2 sites; quintile 1's sites are the intervention."""
    rows = []
    for q in range(1, 6):
        for k in range(2):
            treated = q == 1
            value = 50 + 5 * q + (effect_q1 if treated else 0)
            rows.append(
                {
                    "site_code": f"s{q}{k}",
                    "period_start": pd.Timestamp("2024-04-01"),
                    "period_label": "2024-04",
                    "group": "intervention" if treated else "comparator",
                    "start_date": pd.Timestamp("2024-04-01") if treated else pd.NaT,
                    "numerator": value * 10.0,
                    "denominator": 1000.0,
                    "imd_decile": 2.0 * q,
                    "imd_quintile": np.nan,
                }
            )
    return pd.DataFrame(rows)


def _effect(estimate: float, half: float) -> Effect:
    return Effect("m", "did", "DiD", estimate, estimate - half, estimate + half, None,
                  "percentage points", 2, 8, 1, 1)  # fmt: skip


def test_gap_effect_by_hand_with_one_quintile():
    # equal groups: ranks .1 … .9, var = .08; a 6-point shift in quintile 1 moves the SII by
    # cov(rank, Δ) ÷ var = (0.1 × 6 ÷ 5 − 0.5 × 1.2) ÷ 0.08 = −6.
    rows = _area()
    before = rows.copy()
    result = gap_effect(rows, _effect(6.0, 1.0), quantiles=5, kind="proportion", multiplier=100)
    pd.testing.assert_frame_equal(rows, before)
    assert result.sii_change == pytest.approx(-6.0)
    assert result.sii_counterfactual == pytest.approx(25.0)  # 5 points a fifth ÷ 0.2
    assert result.gap_counterfactual == pytest.approx(20.0)
    assert result.gap_observed == pytest.approx(14.0)
    assert result.share_closed == pytest.approx(0.3)
    low, high = result.sii_change_ci
    assert low == pytest.approx(-7.0, abs=0.05) and high == pytest.approx(-5.0, abs=0.05)
    assert "narrowed the slope index" in result.sentence("the practices")


def test_gap_effect_says_why_not():
    rows = _area()
    with pytest.raises(MethodInputError, match="no intervention site"):
        gap_effect(rows.assign(group="comparator"), _effect(6.0, 1.0), quantiles=5,
                   kind="proportion", multiplier=100)  # fmt: skip
    with pytest.raises(MethodInputError, match=r"quintile\(s\) 3"):
        gap_effect(rows[rows["imd_decile"] != 6], _effect(6.0, 1.0), quantiles=5,
                   kind="proportion", multiplier=100)  # fmt: skip


def test_practices_pooled_to_pcns_reproduce_the_pcn_totals(tmp_path):
    from analysis.site_levels import Level, level_rows, site_levels
    from analysis.store import Store

    db, planted = load_gap(tmp_path, GapSpec(pcn_totals=True))
    store = Store(db, read_only=True)
    try:
        rows, sites = store.panel_rows("uptake_targeted"), store.sites()
    finally:
        store.close()
    assert Level("pcn", "practice") in site_levels(rows, sites)
    pooled = level_rows(rows, sites, Level("pcn", "practice"), 100.0)
    assert planted.pcn_totals is not None
    totals = pd.read_csv(planted.pcn_totals)
    got = pooled.assign(period=pooled["period_start"].dt.strftime("%Y-%m"))
    merged = totals.merge(got, on=["site_code", "period"], suffixes=("", "_pooled"))
    assert len(merged) == len(totals) == 10 * 36
    assert (merged["numerator"] == merged["numerator_pooled"]).all()
    assert (merged["denominator"] == merged["denominator_pooled"]).all()
    assert (merged["n_pooled"] == 5).all()


def test_a_parent_code_matching_no_site_is_reported_at_load(tmp_path, capsys):
    planted = plant_gap(tmp_path, GapSpec())
    sites = pd.read_csv(planted.sites)
    sites[sites["site_type"] == "practice"].to_csv(planted.sites, index=False)
    capsys.readouterr()
    assert main(["load", str(planted.sites), "--db", str(tmp_path / "db.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "10 parent code(s) match no site (U00000, U00001" in out
