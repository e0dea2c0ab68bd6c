"""Synthetic control: the published Basque weights, planted effects, placebos, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import Bounds, LinearConstraint, minimize

from analysis.panel import PanelError
from analysis.synth import fit_synth, solve_w
from analysis.synth_inference import estimate_synth, placebo_test
from analysis.synth_prep import dataprep, panel_dataprep

BASQUE = "Basque Country (Pais Vasco)"
SECTORS = (
    "agriculture",
    "energy",
    "industry",
    "construction",
    "services.venta",
    "services.nonventa",
)
SCHOOL = ("illit", "prim", "med", "high", "post.high")


@pytest.fixture(scope="module")
def basque(reference_dir):
    """Abadie & Gardeazabal (2003) setup, as in pysyncon's tests/test_synth_basque.py."""
    df = pd.read_csv(reference_dir / "basque.csv")
    donors = [r for r in df["regionname"].unique() if r not in (BASQUE, "Spain (Espana)")]
    predictors = [(f"school.{s}", range(1964, 1970)) for s in SCHOOL]
    predictors += [("invest", range(1964, 1970)), ("gdpcap", range(1960, 1970))]
    predictors += [(f"sec.{s}", range(1961, 1970, 2)) for s in SECTORS]
    predictors += [("popdens", [1969])]
    return dataprep(
        df,
        unit="regionname",
        time="year",
        outcome="gdpcap",
        treated=BASQUE,
        donors=donors,
        treatment_time=1970,
        predictors=predictors,
        optimise_periods=range(1960, 1970),
    )


def test_basque_published_weights(basque):
    fit = fit_synth(basque, "optimise")
    assert fit.fit == "predictors with optimised V"
    assert len(basque.Y0.columns) == 16
    assert fit.weights["Cataluna"] == pytest.approx(0.8508, abs=0.02)
    assert fit.weights["Madrid (Comunidad De)"] == pytest.approx(0.1492, abs=0.02)
    others = fit.weights.drop(["Cataluna", "Madrid (Comunidad De)"])
    assert others.max() < 0.02
    assert fit.weights.sum() == pytest.approx(1.0)
    assert fit.v.sum() == pytest.approx(1.0) and (fit.v >= 0).all()
    # pre-period MSPE over 1960-1969 of the published solution, as R's Synth reports
    mspe = float((fit.gap.loc[1960:1969] ** 2).mean())
    assert mspe == pytest.approx(0.0089, abs=0.0005)


def test_basque_gap_is_the_published_size(basque):
    """About -0.70 thousand 1986 USD per head (-8.8%) on average over 1975-1997."""
    fit = fit_synth(basque, "optimise")
    gap = fit.gap.loc[1975:1997]
    assert -1.0 < gap.mean() < -0.5
    relative = (gap / basque.Y1.loc[1975:1997]).mean()
    assert -0.12 < relative < -0.06
    assert fit.post_rmspe > fit.pre_rmspe


def test_basque_outcomes_only_gives_other_weights(basque):
    fit = fit_synth(basque, "outcomes_only")
    optimised = fit_synth(basque, "optimise")
    assert fit.fit == "pre-period outcomes only"
    assert fit.v is None
    assert (fit.weights - optimised.weights).abs().max() > 0.3
    assert fit.weights["Cataluna"] < 0.1
    assert fit.gap.loc[1975:1997].mean() < 0


def test_basque_given_v(basque):
    fit = fit_synth(basque, [1.0] * len(basque.X1))
    assert fit.fit == "predictors with given V"
    assert fit.v.to_numpy() == pytest.approx(np.full(len(basque.X1), 1 / len(basque.X1)))
    with pytest.raises(PanelError, match="V needs"):
        fit_synth(basque, [1.0, 2.0])


def test_basque_placebo(basque):
    placebo = placebo_test(basque, "outcomes_only")
    assert list(placebo.gaps.columns) == [BASQUE, *basque.Y0.columns]
    assert placebo.p_value == placebo.rank / 17
    assert placebo.ratio.iloc[0] == pytest.approx(fit_synth(basque, "outcomes_only").rmspe_ratio)


def _simplex_slsqp(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    n = a.shape[1]
    p, q = a.T @ a, a.T @ b
    res = minimize(
        lambda w: 0.5 * w @ p @ w - q @ w,
        np.full(n, 1 / n),
        jac=lambda w: p @ w - q,
        bounds=Bounds(0, 1),
        constraints=LinearConstraint(np.ones(n), 1, 1),
        method="SLSQP",
        options={"maxiter": 1000, "ftol": 1e-14},
    )
    return res.x


@pytest.mark.parametrize("seed", range(6))
def test_solve_w_matches_slsqp(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(12, 25)).cumsum(axis=0)
    b = rng.normal(size=12).cumsum()
    w = solve_w(a, b)
    assert w.min() >= 0 and w.sum() == pytest.approx(1.0)
    sse = lambda x: float((b - a @ x) @ (b - a @ x))  # noqa: E731
    assert sse(w) <= sse(_simplex_slsqp(a, b)) + 1e-9


def make_panel(
    effect: float,
    *,
    noise: float = 0.0,
    n_donors: int = 20,
    n_pre: int = 24,
    n_post: int = 12,
    mix=(0.5, 0.3, 0.2),
    seed: int = 7,
) -> pd.DataFrame:
    """Monthly panel: the intervention site is a convex combination of donors 0-2 (+ noise)."""
    rng = np.random.default_rng(seed)
    n = n_pre + n_post
    months = pd.date_range("2020-01-01", periods=n, freq="MS")
    factors = rng.normal(size=(n, 3)).cumsum(axis=0)
    donors = 50 + factors @ rng.uniform(0.2, 2.0, size=(3, n_donors))
    donors += rng.normal(scale=1.0, size=donors.shape)
    treated = donors[:, : len(mix)] @ np.asarray(mix) + rng.normal(scale=noise, size=n)
    treated[n_pre:] += effect
    codes = ["T01", *[f"D{j:02d}" for j in range(n_donors)]]
    values = np.column_stack([treated, donors])
    imd = rng.uniform(5, 50, n_donors)
    imd = np.r_[imd[: len(mix)] @ np.asarray(mix), imd]
    frame = pd.DataFrame(
        {
            "site_code": np.repeat(codes, n),
            "period_start": np.tile(months, len(codes)),
            "value": values.T.ravel(),
            "denominator": 1000.0,
            "population": 1000.0,
            "imd_score": np.repeat(imd, n),
        }
    )
    frame["group"] = np.where(frame["site_code"] == "T01", "intervention", "comparator")
    frame["start_date"] = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    frame.loc[frame["group"] == "intervention", "start_date"] = months[n_pre]
    return frame


def test_exact_convex_combination_recovered():
    panel = make_panel(effect=-3.0)
    data = panel_dataprep(panel)
    fit = fit_synth(data, "outcomes_only")
    expected = pd.Series(0.0, index=data.Y0.columns)
    expected[["D00", "D01", "D02"]] = [0.5, 0.3, 0.2]
    assert fit.weights.to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-6)
    assert fit.pre_rmspe < 1e-6
    assert fit.gap[~data.pre].to_numpy() == pytest.approx(np.full(12, -3.0), abs=1e-6)
    effect = estimate_synth(panel, "rate", "per 1,000")
    assert effect.estimate == pytest.approx(-3.0, abs=1e-6)
    assert effect.extra["weights"] == pytest.approx({"D00": 0.5, "D01": 0.3, "D02": 0.2}, abs=1e-6)


def test_placebo_p_small_for_large_effect_not_for_none():
    big = estimate_synth(make_panel(effect=-8.0, noise=0.5, n_donors=39), "rate", "per 1,000")
    assert big.p_value == pytest.approx(1 / 40)
    assert big.diagnostics["placebo_rank"] == 1
    assert big.ci_low < -8.0 < big.ci_high
    assert big.ci_high < 0
    none = estimate_synth(make_panel(effect=0.0, noise=0.5, n_donors=39), "rate", "per 1,000")
    assert none.p_value > 0.2
    assert none.ci_low < 0 < none.ci_high


def test_interval_from_placebo_mean_gaps():
    """Conformal-style: estimate ± the ⌈0.95 × 40⌉ = 38th smallest |placebo mean post gap|."""
    panel = make_panel(effect=-8.0, noise=0.5, n_donors=39)
    effect = estimate_synth(panel, "rate", "per 1,000")
    placebo = placebo_test(panel_dataprep(panel), "outcomes_only")
    q = placebo.mean_post_gap.iloc[1:].abs().sort_values().iloc[37]
    assert effect.ci_low == pytest.approx(effect.estimate - q)
    assert effect.ci_high == pytest.approx(effect.estimate + q)
    assert effect.confidence == 0.95


def test_effect_contents_and_json():
    panel = make_panel(effect=-2.0, noise=0.3, n_donors=12)
    before = panel.copy(deep=True)
    effect = estimate_synth(panel, "falls", "per 1,000")
    pd.testing.assert_frame_equal(panel, before)
    assert effect.method == "synth"
    assert effect.extra["fit"] == "pre-period outcomes only"
    assert (effect.n_intervention, effect.n_comparator) == (1, 12)
    assert (effect.n_periods_pre, effect.n_periods_post) == (24, 12)
    assert effect.diagnostics["placebo_p"] == effect.p_value
    assert effect.confidence == pytest.approx(12 / 13)
    assert any("no sampling-based confidence interval" in n for n in effect.notes)
    assert len(effect.extra["gap"]) == 36
    assert effect.ci_low <= effect.estimate <= effect.ci_high
    json.dumps(effect.to_json_dict())


def test_predictor_fit_on_panel():
    panel = make_panel(effect=-3.0, noise=0.2, n_donors=10)
    effect = estimate_synth(panel, "rate", "per 1,000", fit="predictors")
    assert effect.extra["fit"] == "predictors with optimised V"
    assert effect.estimate == pytest.approx(-3.0, abs=1.0)
    data = panel_dataprep(panel, predictors=True)
    assert list(data.X0.index)[-1].startswith("imd_score")
    assert len(data.X0.index) == 5


def test_several_sites_fitted_on_weighted_aggregate():
    panel = make_panel(effect=0.0, n_donors=8)
    second = panel.loc[panel["site_code"] == "T01"].assign(
        site_code="T02", value=lambda f: f["value"] + 6.0, denominator=3000.0
    )
    second.loc[second.index[5], "value"] = np.nan
    panel = pd.concat([panel, second], ignore_index=True)
    data = panel_dataprep(panel)
    assert data.treated == "intervention aggregate (2 sites)"
    assert any("denominator-weighted mean of 2 intervention sites" in n for n in data.notes)
    base = panel.loc[panel["site_code"] == "T01", "value"].to_numpy()
    expected = base + 6.0 * 3 / 4
    expected[5] = base[5]
    assert data.Y1.to_numpy() == pytest.approx(expected)


def test_errors():
    panel = make_panel(effect=0.0, n_donors=5)
    with pytest.raises(PanelError, match="no pre-period"):
        panel_dataprep(panel.assign(start_date=panel["start_date"] - pd.DateOffset(years=5)))
    with pytest.raises(PanelError, match="no donors"):
        panel_dataprep(panel.loc[panel["group"] == "intervention"])
    missing = panel.copy()
    missing.loc[missing["group"] == "intervention", "value"] = np.nan
    with pytest.raises(PanelError, match="have no values"):
        panel_dataprep(missing)
    both = pd.concat(
        [panel, panel.loc[panel["site_code"] == "D00"].assign(group="intervention")],
        ignore_index=True,
    )
    with pytest.raises(PanelError, match=r"both intervention and comparator.*D00"):
        panel_dataprep(both)
    with pytest.raises(PanelError, match="no post-period"):
        panel_dataprep(panel.assign(start_date=panel["start_date"] + pd.DateOffset(years=5)))
    with pytest.raises(PanelError, match="no start date"):
        panel_dataprep(panel.assign(start_date=pd.NaT))


def test_incomplete_donor_left_out_and_said():
    panel = make_panel(effect=0.0, n_donors=6)
    panel.loc[(panel["site_code"] == "D05") & (panel.index % 7 == 0), "value"] = np.nan
    data = panel_dataprep(panel)
    assert "D05" not in data.Y0.columns
    assert any("D05" in n for n in data.notes)
