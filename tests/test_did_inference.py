"""Randomisation inference for difference-in-differences with few intervention sites.

First the failure it fixes (clustered errors on planted null panels with three
intervention sites), then known answers on a tiny panel whose placebo sets are
enumerated by hand and fitted one by one with statsmodels' dummy-variable
regressions, then agreement of the vectorised placebo fits with fitting each
placebo on its own, then the choice between clustered and randomisation
inference, then a slow simulation of false alarms and coverage.
"""

from __future__ import annotations

import json
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analysis.arms import build_panel
from analysis.did import did_count_scale, did_twfe, estimate_did
from analysis.did_fe import FixedEffects, ols_fe, poisson_fe
from analysis.did_inference import (
    DRAWS,
    ols_placebos,
    placebo_sets,
    poisson_placebos,
    post_columns,
)
from analysis.did_prep import prepare
from analysis.event_study import event_study
from analysis.ingest import prepare_batch
from analysis.panel import PanelError
from analysis.store import Store
from bench.planted import Planted, PlantedSpec, plant

LABEL = (
    "randomisation inference over placebo intervention sets (Conley & Taber 2011; "
    "MacKinnon & Webb 2020)"
)
UNIT = "per 100,000"

# ---------------------------------------------------------------- planted panels


def planted_panel(folder: Path, spec: PlantedSpec) -> tuple[Planted, pd.DataFrame]:
    """A planted panel loaded as a user's files are: files → store → panel."""
    planted = plant(folder / "files", spec)
    store = Store(folder / "db.duckdb")
    try:
        store.apply(
            prepare_batch([(str(p), p.read_bytes()) for p in planted.files()], store.catalogue())
        )
        panel = build_panel(store.panel_rows(spec.measure))
    finally:
        store.close()
    return planted, panel


def null_spec(seed: int, n_intervention: int = 3) -> PlantedSpec:
    """No effect, no pre-trend: 27 comparators, monthly, 36 months before and 24 after."""
    return PlantedSpec(n_intervention=n_intervention, n_comparator=27, effect=1.0, seed=seed)


def test_null_panels_pass_the_pre_trend_test_and_cover_zero(tmp_path):
    """Three intervention sites, no effect: clustered errors cry wolf, randomisation does not."""
    cluster_alarms, alarms, covers = 0, 0, 0
    seeds = range(1, 6)
    for seed in seeds:
        spec = null_spec(seed)
        _, panel = planted_panel(tmp_path / str(seed), spec)
        effect = estimate_did(panel, spec.measure, UNIT)
        cluster = estimate_did(panel, spec.measure, UNIT, inference="cluster")
        assert effect.method_label.endswith(f"{LABEL}, {DRAWS} draws")
        assert effect.diagnostics["inference"] == f"{LABEL}, {DRAWS} draws"
        assert effect.diagnostics["placebo_sets"] == 2925  # C(27, 3)
        assert "randomisation inference" in effect.diagnostics["pre_trend_test"]
        assert "F(" not in effect.diagnostics["pre_trend_test"]
        assert effect.count_scale is not None and LABEL in effect.count_scale.model
        assert effect.confidence == pytest.approx(0.95)
        assert cluster.diagnostics["inference"].startswith("standard errors clustered")
        cluster_alarms += cluster.diagnostics["pre_trend_p"] < 0.05
        alarms += effect.diagnostics["pre_trend_p"] < 0.05
        covers += effect.ci_low <= 0 <= effect.ci_high
    assert cluster_alarms >= 3  # the failure: CR1 rejects parallel trends that hold
    assert alarms <= 1
    assert covers >= len(seeds) - 1


def test_planted_cut_events_avoided_interval_covers_the_truth(tmp_path):
    """A 32% cut in three sites: the count-scale interval of events avoided holds the truth."""
    for seed in (1, 2, 3):
        spec = PlantedSpec(n_intervention=3, n_comparator=27, effect=0.68, seed=seed)
        planted, panel = planted_panel(tmp_path / str(seed), spec)
        scale = did_count_scale(panel, spec.measure)
        assert LABEL in scale.model
        low, high = scale.events_avoided_ci
        assert low <= planted.events_benefit <= high
        assert low > 0  # and the cut is detected


# ---------------------------------------------------------------- known answers


def tiny_panel(seed: int = 11, n_periods: int = 4, start: int = 2) -> pd.DataFrame:
    """Two intervention sites and seven comparators: C(7, 2) = 21 placebo sets.

    Values are noisy site and period effects; counts are Poisson on 1,000 people.
    """
    rng = np.random.default_rng(seed)
    n = 9
    months = pd.date_range("2022-01-01", periods=n_periods, freq="MS")
    site, t = np.repeat(np.arange(n), n_periods), np.tile(np.arange(n_periods), n)
    value = rng.normal(0, 2, n)[site] + rng.normal(0, 1, n_periods)[t] + rng.normal(size=len(t))
    treated_site = site < 2
    return pd.DataFrame(
        {
            "site_code": [f"T{i}" if i < 2 else f"C{i}" for i in site],
            "group": np.where(treated_site, "intervention", "comparator"),
            "start_date": pd.to_datetime(np.where(treated_site, str(months[start].date()), None)),
            "period_start": months[t],
            "granularity": "month",
            "numerator": rng.poisson(50 * np.exp(rng.normal(0, 0.1, n))[site]).astype(float),
            "denominator": 1000.0,
            "value": value,
        }
    )


def site_period_dummies(frame: pd.DataFrame, columns: list[np.ndarray]) -> np.ndarray:
    """[const, columns..., site dummies, period dummies] for statsmodels."""
    site = pd.factorize(frame["site_code"])[0]
    period = pd.factorize(frame["period_start"])[0]
    return np.column_stack(
        [
            np.ones(len(frame)),
            *columns,
            np.eye(site.max() + 1)[site][:, 1:],
            np.eye(period.max() + 1)[period][:, 1:],
        ]
    )


def placebo_assignments(panel: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """The comparator-only panel and every pair of its sites (the 21 placebo sets)."""
    comparators = panel[panel["group"] == "comparator"].reset_index(drop=True)
    return comparators, list(combinations(sorted(comparators["site_code"].unique()), 2))


def test_twfe_p_value_and_interval_equal_brute_force_over_all_21_placebo_sets():
    panel = tiny_panel()
    start = panel.loc[panel["group"] == "intervention", "start_date"].iloc[0]
    post = (panel["period_start"] >= start).to_numpy()
    real = (panel["group"] == "intervention").to_numpy() & post
    y = panel["value"].to_numpy()
    beta = sm.OLS(y, site_period_dummies(panel, [real.astype(float)])).fit().params[1]
    comparators, sets = placebo_assignments(panel)
    assert len(sets) == 21
    placebo = []
    for pair in sets:
        treat = comparators["site_code"].isin(pair) & (comparators["period_start"] >= start)
        x = site_period_dummies(comparators, [treat.to_numpy(float)])
        placebo.append(sm.OLS(comparators["value"].to_numpy(), x).fit().params[1])
    placebo = np.sort(placebo)
    effect = did_twfe(panel, "m", "u", inference="randomisation", weights="none")
    assert effect.estimate == pytest.approx(beta, abs=1e-9)
    assert effect.p_value == pytest.approx((1 + np.sum(np.abs(placebo) >= abs(beta))) / 22)
    # r = max(1, floor(0.05 · 22 / 2)) = 1, s = 21: the smallest and largest placebo
    assert effect.ci_low == pytest.approx(beta - placebo[-1], abs=1e-9)
    assert effect.ci_high == pytest.approx(beta - placebo[0], abs=1e-9)
    assert effect.confidence == pytest.approx(20 / 22)
    assert effect.standard_error == pytest.approx(np.std(placebo, ddof=1), abs=1e-9)
    assert effect.diagnostics["placebo_draws"] == 21
    assert "21 draws (every possible set)" in effect.method_label
    assert any("interval's level is 91%" in n for n in effect.notes)
    assert effect.diagnostics["cluster_se"] > 0


def test_pre_trend_p_equals_rank_of_statsmodels_f_among_all_21_placebo_sets():
    panel = tiny_panel(seed=12, n_periods=6, start=3)
    times = [-3, -2, 0, 1, 2]  # reference -1

    def f_statistic(frame: pd.DataFrame, treated_sites: set[str]) -> float:
        event = frame["period_start"].rank(method="dense").to_numpy() - 1 - 3
        mine = frame["site_code"].isin(treated_sites).to_numpy()
        columns = [((event == e) & mine).astype(float) for e in times]
        fit = sm.OLS(frame["value"].to_numpy(), site_period_dummies(frame, columns)).fit(
            cov_type="cluster", cov_kwds={"groups": pd.factorize(frame["site_code"])[0]}
        )
        restriction = np.zeros((2, fit.params.size))
        restriction[0, 1] = restriction[1, 2] = 1
        return float(fit.f_test(restriction).fvalue)

    real = f_statistic(panel, {"T0", "T1"})
    comparators, sets = placebo_assignments(panel)
    placebo = np.array([f_statistic(comparators, set(pair)) for pair in sets])
    study = event_study(panel, "m", weights="none", inference="randomisation")
    assert study.pre_trend_statistic == pytest.approx(real, rel=1e-9)
    assert study.pre_trend_p == pytest.approx((1 + np.sum(placebo >= real)) / 22)
    assert "21 draws (every possible set)" in study.pre_trend_test
    assert study.inference.startswith("randomisation")
    cluster = event_study(panel, "m", weights="none", inference="cluster")
    assert cluster.pre_trend_statistic == pytest.approx(real, rel=1e-9)
    assert "F(2, 8)" in cluster.pre_trend_test


def test_count_scale_interval_equals_brute_force_poisson_glms():
    panel = tiny_panel(seed=13)
    start = panel.loc[panel["group"] == "intervention", "start_date"].iloc[0]

    def log_rr(frame: pd.DataFrame, treated_sites: set[str]) -> float:
        treat = frame["site_code"].isin(treated_sites) & (frame["period_start"] >= start)
        x = site_period_dummies(frame, [treat.to_numpy(float)])
        model = sm.GLM(
            frame["numerator"].to_numpy(),
            x,
            family=sm.families.Poisson(),
            offset=np.log(frame["denominator"].to_numpy()),
        )
        return float(model.fit(tol=1e-13).params[1])

    beta = log_rr(panel, {"T0", "T1"})
    comparators, sets = placebo_assignments(panel)
    placebo = np.sort([log_rr(comparators, set(pair)) for pair in sets])
    scale = did_count_scale(panel, "m", inference="randomisation")
    low, high = np.exp(beta - placebo[-1]), np.exp(beta - placebo[0])
    assert scale.rate_ratio == pytest.approx(np.exp(beta), rel=1e-8)
    assert scale.rate_ratio_ci == pytest.approx((low, high), rel=1e-8)
    observed = scale.observed_events
    assert scale.events_avoided_ci == pytest.approx(
        (observed / high - observed, observed / low - observed), rel=1e-8
    )
    assert "91% interval" in scale.model


# ---------------------------------------------------------------- vectorised = one by one


def unbalanced_panel(starts: tuple[int, ...], seed: int = 5) -> pd.DataFrame:
    """Four intervention and twelve comparator sites, 10 months, some rows missing."""
    rng = np.random.default_rng(seed)
    n, n_periods = 16, 10
    months = pd.date_range("2021-01-01", periods=n_periods, freq="MS")
    site, t = np.repeat(np.arange(n), n_periods), np.tile(np.arange(n_periods), n)
    start = np.array([starts[i % len(starts)] if i < 4 else -1 for i in range(n)])
    start_date = np.where(start >= 0, months[np.clip(start, 0, None)].to_numpy(), None)
    frame = pd.DataFrame(
        {
            "site_code": [f"S{i:02d}" for i in site],
            "group": np.where(start[site] >= 0, "intervention", "comparator"),
            "start_date": pd.to_datetime(start_date[site]),
            "period_start": months[t],
            "granularity": "month",
            "numerator": rng.poisson(40, len(t)).astype(float),
            "denominator": rng.uniform(800, 1200, len(t)),
            "value": rng.normal(0, 1, len(t)) + rng.normal(0, 2, n)[site],
        }
    )
    keep = rng.random(len(frame)) > 0.08
    keep[site < 4] = True  # every intervention site keeps its rows before and after
    return frame[keep].reset_index(drop=True)


def comparator_fits(design, rows: np.ndarray):
    """Comparator-only fixed effects and row codes, for fitting placebos one at a time."""
    site = np.unique(design.site[rows], return_inverse=True)[1]
    period = np.unique(design.period[rows], return_inverse=True)[1]
    return FixedEffects(site, period, site.max() + 1, period.max() + 1), site, period


@pytest.mark.parametrize("starts", [(4,), (3, 6)])
def test_vectorised_placebo_fits_equal_fitting_each_placebo_alone(starts):
    panel = unbalanced_panel(starts)
    design = prepare(panel, "m")
    placebos = placebo_sets(design, "randomisation", draws=40)
    assert placebos is not None and placebos.n_draws == 40
    rows = ~design.intervention[design.site]
    fe, site, _ = comparator_fits(design, rows)
    w = design.denominator

    def event_columns(event: np.ndarray) -> np.ndarray:
        binned = np.clip(event, -3, 2)
        return np.column_stack([binned == e for e in (-3, -2, 0, 1, 2)]).astype(float)

    fits = ols_placebos(placebos, design.y, w, event_columns, test=[0, 1])
    did = ols_placebos(placebos, design.y, w, post_columns).params[:, 0]
    number = design.period_number[design.period[rows]]
    for b, members in enumerate(placebos.members):
        cohort = np.full(site.max() + 1, np.inf)
        cohort[members] = placebos.cohorts
        event = number - cohort[site]
        mine = np.isfinite(event)
        x = event_columns(np.where(mine, event, -1)) * mine[:, None]
        one = ols_fe(design.y[rows], x, fe, site, w[rows])
        assert fits.params[b] == pytest.approx(one.params, abs=1e-9)
        lead, cov = one.params[:2], one.cov[:2, :2]
        assert fits.statistic is not None
        assert fits.statistic[b] == pytest.approx(lead @ np.linalg.solve(cov, lead) / 2, rel=1e-8)
        post = (event >= 0).astype(float)[:, None]
        assert did[b] == pytest.approx(ols_fe(design.y[rows], post, fe, site, w[rows]).params[0])


@pytest.mark.parametrize("starts", [(4,), (3, 6)])
def test_vectorised_poisson_placebos_equal_poisson_fe_one_by_one(starts):
    panel = unbalanced_panel(starts, seed=6)
    design = prepare(panel, "m", outcome="counts")
    rows = ~design.intervention[design.site]
    placebos = placebo_sets(design, "randomisation", rows=rows, draws=30)
    assert placebos is not None
    log_rr = poisson_placebos(placebos, design.y, np.log(design.denominator))
    fe, site, _ = comparator_fits(design, rows)
    number = design.period_number[design.period[rows]]
    for b, members in enumerate(placebos.members):
        cohort = np.full(site.max() + 1, np.inf)
        cohort[members] = placebos.cohorts
        x = (number >= cohort[site]).astype(float)[:, None]
        one = poisson_fe(design.y[rows], x, np.log(design.denominator[rows]), fe, site)
        assert log_rr[b] == pytest.approx(one.params[0], abs=1e-9)


# ---------------------------------------------------------------- choosing the inference


def test_auto_uses_randomisation_only_with_few_sites_and_enough_placebo_sets():
    few = unbalanced_panel((4,))  # 4 intervention sites, C(12, 4) = 495 placebo sets
    effect = did_twfe(few, "m", "u")
    assert effect.diagnostics["inference"] == f"{LABEL}, 495 draws (every possible set)"
    assert any("understate the uncertainty" in n for n in effect.notes)
    assert any("randomisation inference" in n for n in effect.notes)
    json.dumps(estimate_did(few, "m", "u").to_json_dict())
    cluster = did_twfe(few, "m", "u", inference="cluster")
    assert (
        cluster.method_label
        == "Difference-in-differences (two-way fixed effects, SEs clustered by site)"
    )
    assert cluster.estimate == effect.estimate
    assert cluster.standard_error == effect.diagnostics["cluster_se"]
    small = few[few["site_code"].isin(["S00", "S01", "S02", "S03", "S04", "S05", "S06"])]
    assert did_twfe(small, "m", "u").diagnostics["inference"].startswith("standard errors")
    with pytest.raises(PanelError, match="at least 19 distinct placebo sets"):
        did_twfe(small, "m", "u", inference="randomisation")  # C(3, 4) = 0 sets


def test_random_draws_are_distinct_seeded_and_deterministic(tmp_path):
    spec = null_spec(7)
    _, panel = planted_panel(tmp_path, spec)
    design = prepare(panel, spec.measure)
    placebos = placebo_sets(design, "auto")
    assert placebos is not None and placebos.n_draws == DRAWS
    assert len(np.unique(placebos.members, axis=0)) == DRAWS
    again = placebo_sets(design, "auto")
    assert again is not None and np.array_equal(placebos.members, again.members)
    first, second = (estimate_did(panel, spec.measure, UNIT) for _ in range(2))
    assert (first.ci_low, first.ci_high, first.p_value) == (
        second.ci_low,
        second.ci_high,
        second.p_value,
    )
    assert first.diagnostics["pre_trend_p"] == second.diagnostics["pre_trend_p"]


# ---------------------------------------------------------------- simulation


@pytest.mark.slow
def test_null_simulation_false_alarms_and_coverage(tmp_path):
    """30 planted null panels, three intervention sites: few false alarms, good coverage."""
    alarms, covers, events = [], [], []
    for seed in range(100, 130):
        spec = null_spec(seed)
        planted, panel = planted_panel(tmp_path / str(seed), spec)
        effect = estimate_did(panel, spec.measure, UNIT)
        assert effect.count_scale is not None
        low, high = effect.count_scale.events_avoided_ci
        alarms.append(effect.diagnostics["pre_trend_p"] < 0.05)
        covers.append(effect.ci_low <= 0 <= effect.ci_high)
        events.append(low <= planted.events_benefit <= high)
    assert np.mean(alarms) <= 0.20
    assert np.mean(covers) >= 0.80
    assert np.mean(events) >= 0.80
