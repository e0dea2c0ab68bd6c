"""Synthetic control on the count scale, and placebos as large as the pooled treated unit.

Panels are planted by :mod:`bench.planted` and go through the real chain (files →
store → panel), so the truth is the planted number of events avoided.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.arms import build_panel
from analysis.ingest import prepare_batch
from analysis.store import Store
from analysis.synth import fit_synth, solve_w
from analysis.synth_counts import pooled_counts
from analysis.synth_inference import estimate_synth, placebo_sets, placebo_test
from analysis.synth_prep import panel_dataprep
from bench.planted import Planted, PlantedSpec, plant

UNIT = "per 100,000"
ONE_SITE = PlantedSpec(n_intervention=1, n_comparator=19, seed=3)


def planted_panel(folder: Path, spec: PlantedSpec) -> tuple[Planted, pd.DataFrame]:
    """Plant a panel, load its files into a store and read the estimator panel back."""
    planted = plant(folder / "files", spec)
    store = Store(folder / "store.duckdb")
    try:
        files = [(str(p), p.read_bytes()) for p in planted.files()]
        store.apply(prepare_batch(files, store.catalogue()))
        panel = build_panel(store.panel_rows(spec.measure))
    finally:
        store.close()
    return planted, panel


@pytest.fixture(scope="module")
def cut(tmp_path_factory):
    """3 intervention practices, 27 comparators, monthly, falls cut by 32% for 24 months."""
    return planted_panel(tmp_path_factory.mktemp("cut"), PlantedSpec())


@pytest.fixture(scope="module")
def null(tmp_path_factory):
    """The same panel with no effect."""
    return planted_panel(tmp_path_factory.mktemp("null"), PlantedSpec(effect=1.0))


def test_planted_cut_events_avoided(cut):
    planted, panel = cut
    cs = estimate_synth(panel, "falls_planted", UNIT).count_scale
    assert cs is not None
    low, high = cs.events_avoided_ci
    assert low <= planted.events_benefit <= high
    assert cs.events_avoided == pytest.approx(planted.events_benefit, rel=0.15)
    assert low > 0


def test_no_effect_interval_contains_zero(null):
    _, panel = null
    effect = estimate_synth(panel, "falls_planted", UNIT)
    low, high = effect.count_scale.events_avoided_ci
    assert low < 0 < high
    rr_low, rr_high = effect.count_scale.rate_ratio_ci
    assert rr_low < 1 < rr_high


def test_count_scale_formulas(cut):
    """O = Σ post numerators, E = Σ synthetic_t × D_t / 100,000, avoided = E − O."""
    _, panel = cut
    effect = estimate_synth(panel, "falls_planted", UNIT)
    cs = effect.count_scale
    gap = pd.DataFrame(effect.extra["gap"]).assign(
        period_start=lambda f: pd.to_datetime(f.period_start)
    )
    mine = panel.loc[panel["group"] == "intervention"]
    sums = mine.groupby("period_start")[["numerator", "denominator"]].sum()
    post = gap.loc[gap["post"]].set_index("period_start").join(sums)
    assert cs.observed_events == pytest.approx(post["numerator"].sum())
    assert cs.expected_events == pytest.approx(
        (post["synthetic"] * post["denominator"] / 1e5).sum()
    )
    assert cs.events_avoided == pytest.approx(cs.expected_events - cs.observed_events)
    assert cs.person_time == pytest.approx(post["denominator"].sum())
    assert cs.rate_ratio == pytest.approx(cs.observed_events / cs.expected_events)
    low, high = cs.events_avoided_ci
    o = cs.observed_events
    assert cs.rate_ratio_ci == pytest.approx((o / (o + high), o / (o + low)))
    assert cs.rate_ratio_ci[0] < cs.rate_ratio < cs.rate_ratio_ci[1]
    # observed_t × factor_t: the count scale is the rate scale × the denominators
    assert (post["observed"] * post["denominator"] / 1e5).to_numpy() == pytest.approx(
        post["numerator"].to_numpy()
    )
    assert cs.model == (
        "synthetic control counterfactual × intervention denominators; interval from "
        "200 in-space placebos (pooled sets of 3 donors)"
    )


def test_events_interval_from_placebo_events(cut):
    """avoided ± the ⌈0.95 × 201⌉ = 191st smallest |Σ_post placebo gap_t × D_t / m|."""
    _, panel = cut
    effect = estimate_synth(panel, "falls_planted", UNIT)
    data = panel_dataprep(panel)
    placebo = placebo_test(data, "outcomes_only")
    factor = pooled_counts(panel, data.Y1.index).factor
    post = ~data.pre
    events = placebo.gaps.iloc[:, 1:].mul(factor, axis=0).loc[post].sum()
    q = events.abs().sort_values().iloc[190]
    cs = effect.count_scale
    assert cs.events_avoided_ci == pytest.approx((cs.events_avoided - q, cs.events_avoided + q))
    # the same placebos give the rate interval: the two agree when D_t is constant
    assert effect.ci_low == pytest.approx(
        effect.estimate - placebo.mean_post_gap.iloc[1:].abs().sort_values().iloc[190]
    )
    assert effect.confidence == 0.95


def test_pooled_placebos_are_sets_of_k_donors(cut):
    _, panel = cut
    data = panel_dataprep(panel)
    assert data.n_treated == 3 and data.pooling == "denominator-weighted mean"
    first = placebo_test(data, "outcomes_only")
    assert (first.set_size, first.n_placebos, first.possible_sets) == (3, 200, math.comb(27, 3))
    assert first.p_value == first.rank / 201
    sets = [name.split(" + ") for name in first.gaps.columns[1:]]
    assert all(len(s) == len(set(s)) == 3 for s in sets)
    assert len({frozenset(s) for s in sets}) == 200
    assert data.treated not in {d for s in sets for d in s}
    pd.testing.assert_frame_equal(first.gaps, placebo_test(data, "outcomes_only").gaps)
    # one placebo by hand: its denominator-weighted pooled series against the donors outside it
    donors = sets[0]
    a = data.donor_weights[donors].to_numpy()
    pooled = (data.Y0[donors].to_numpy() * a).sum(axis=1) / a.sum(axis=1)
    rest = [d for d in data.Y0.columns if d not in donors]
    w = solve_w(data.Z0[rest].to_numpy(), pooled[data.pre])
    expected = pooled - data.Y0[rest].to_numpy() @ w
    assert first.gaps.iloc[:, 1].to_numpy() == pytest.approx(expected)
    effect = estimate_synth(panel, "falls_planted", UNIT)
    assert effect.diagnostics["n_placebos"] == 200
    assert effect.diagnostics["placebo_set_size"] == 3
    assert any("200 drawn at random without replacement (seed 0)" in n for n in effect.notes)


def test_placebos_pool_donors_by_their_denominators(cut):
    _, panel = cut
    sizes = {
        code: 1000.0 * (1 + i % 5) for i, code in enumerate(sorted(panel["site_code"].unique()))
    }
    panel = panel.assign(denominator=panel["site_code"].map(sizes))
    panel["value"] = panel["numerator"] / panel["denominator"] * 1e5
    data = panel_dataprep(panel)
    donors = list(data.Y0.columns)
    assert data.donor_weights.to_numpy() == pytest.approx(
        np.tile([sizes[d] for d in donors], (len(data.Y0), 1))
    )
    names = placebo_test(data, "outcomes_only").gaps.columns[1:]
    assert all(len(n.split(" + ")) == 3 for n in names)
    unweighted = replace(data, donor_weights=None)
    assert not placebo_test(unweighted, "outcomes_only").gaps.equals(
        placebo_test(data, "outcomes_only").gaps
    )


def test_placebo_sets():
    assert placebo_sets(5, 1, max_sets=2) == [(0,), (1,), (2,), (3,), (4,)]
    assert placebo_sets(5, 3, max_sets=10) == [
        (0, 1, 2), (0, 1, 3), (0, 1, 4), (0, 2, 3), (0, 2, 4),
        (0, 3, 4), (1, 2, 3), (1, 2, 4), (1, 3, 4), (2, 3, 4),
    ]  # fmt: skip
    drawn = placebo_sets(27, 3, max_sets=200, seed=4)
    assert len(drawn) == len(set(drawn)) == 200
    assert all(list(s) == sorted(set(s)) and max(s) < 27 for s in drawn)
    assert drawn == placebo_sets(27, 3, max_sets=200, seed=4)
    assert drawn != placebo_sets(27, 3, max_sets=200, seed=5)


def test_too_few_donors_for_pooled_placebos(cut):
    _, panel = cut
    keep = ["Q00000", "Q00001", "Q00002", "Q00003", "Q00004", "Q00005"]
    effect = estimate_synth(panel[panel["site_code"].isin(keep)], "falls_planted", UNIT)
    assert effect.diagnostics["placebo_set_size"] == 1  # C(3, 3) sets would leave no pool
    assert effect.diagnostics["n_placebos"] == 3
    assert any("too few donors for placebos of 3 donors" in n for n in effect.notes)
    assert effect.count_scale is not None


# estimate_synth before same-size placebos and the count scale, on ONE_SITE (and no effect):
# (effect, fit) → (estimate, ci_low, ci_high, p_value, placebo rank)
BEFORE = {
    (0.68, "outcomes_only"): (
        -52.809635887753046,
        -77.79979799207804,
        -27.819473783428048,
        0.05,
        1,
    ),
    (0.68, "predictors"): (-47.5939132229883, -75.42581299330072, -19.762013452675877, 0.05, 1),
    (1.0, "outcomes_only"): (13.689034138846418, -11.30112796547858, 38.67919624317142, 0.35, 7),
    (1.0, "predictors"): (18.904756803611168, -8.927142966701254, 46.73665657392359, 0.25, 5),
}


@pytest.mark.parametrize(("effect", "fit"), list(BEFORE))
def test_one_intervention_site_unchanged(tmp_path, effect, fit):
    _, panel = planted_panel(tmp_path, replace(ONE_SITE, effect=effect))
    found = estimate_synth(panel, "falls_planted", UNIT, fit=fit)
    estimate, low, high, p, rank = BEFORE[(effect, fit)]
    assert (found.estimate, found.ci_low, found.ci_high) == pytest.approx(
        (estimate, low, high), rel=1e-9
    )
    assert (found.p_value, found.diagnostics["placebo_rank"]) == (p, rank)
    assert found.diagnostics["n_placebos"] == 19
    assert found.diagnostics["placebo_set_size"] == 1
    assert found.confidence == 0.95
    assert any("each of the 19 donors in turn" in n for n in found.notes)
    assert found.count_scale is not None
    assert "19 in-space placebos" in found.count_scale.model


def test_periods_with_no_events_use_the_denominator(cut):
    _, panel = cut
    panel = panel.copy()
    zero = (panel["group"] == "intervention") & (panel["period_start"] == panel["start_date"])
    panel.loc[zero, ["numerator", "value"]] = 0.0
    data = panel_dataprep(panel)
    counts = pooled_counts(panel, data.Y1.index)
    assert counts.multiplier == pytest.approx(1e5)
    start = panel.loc[zero, "period_start"].iloc[0]
    assert counts.events[start] == 0
    assert counts.factor[start] == pytest.approx(counts.denominator[start] / 1e5)
    cs = estimate_synth(panel, "falls_planted", UNIT).count_scale
    fit = fit_synth(data, "outcomes_only")
    post = ~data.pre
    assert cs.expected_events == pytest.approx(float((fit.synthetic * counts.factor)[post].sum()))


def test_no_count_scale_without_counts_or_for_other_values(tmp_path, cut):
    _, panel = planted_panel(tmp_path, PlantedSpec(value_only=True))
    effect = estimate_synth(panel, "falls_planted", UNIT)
    assert effect.count_scale is None
    assert not any("count scale" in n for n in effect.notes)
    _, counted = cut
    standardised = counted.assign(value=counted["value"] * (1 + 0.1 * (counted.index % 3)))
    effect = estimate_synth(standardised, "falls_planted", UNIT)
    assert effect.count_scale is None
    assert any(
        "No count scale: the values are not numerator / denominator" in n for n in effect.notes
    )


@pytest.mark.slow
@pytest.mark.parametrize("effect", [0.68, 1.0])
def test_events_interval_covers_the_truth_in_most_seeds(tmp_path, effect):
    covered = []
    for seed in range(200, 215):
        planted, panel = planted_panel(tmp_path / str(seed), PlantedSpec(effect=effect, seed=seed))
        low, high = estimate_synth(panel, "falls_planted", UNIT).count_scale.events_avoided_ci
        covered.append(low <= planted.events_benefit <= high)
    assert sum(covered) >= 12
