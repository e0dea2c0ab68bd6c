"""Difference-in-differences: known answers, statsmodels equivalence, recovery, errors.

Known answers first (Card & Krueger 1994; the Mississippi banks of Richardson
& Troost 2009), then agreement with statsmodels' dummy-variable regressions to
1e-6, then recovery of planted effects in simulated panels, then the errors a
user can cause.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import analysis.did_fe
from analysis.did import (
    did_count_scale,
    did_staggered,
    did_twfe,
    estimate_did,
    leave_one_out,
)
from analysis.event_study import event_study
from analysis.panel import PanelError

# ---------------------------------------------------------------- generated panels


def make_panel(
    seed: int = 0,
    *,
    n_int: int = 15,
    n_cmp: int = 25,
    n_periods: int = 16,
    starts: tuple[int, ...] = (8,),
    effect: float | Callable[[np.ndarray], np.ndarray] = 0.0,
    counts: bool = False,
    missing: float = 0.0,
    rho: float = 0.5,
) -> pd.DataFrame:
    """Monthly panel: site and period effects, AR(1) noise within site, planted effect.

    ``effect`` is a number, or a function of event time (periods since start).
    With ``counts``, numerators are Poisson with log rate ratio ``effect``.
    """
    rng = np.random.default_rng(seed)
    n = n_int + n_cmp
    months = pd.date_range("2019-01-01", periods=n_periods, freq="MS")
    codes = np.array([f"S{i:03d}" for i in range(n)])
    start = np.full(n, -1)
    start[:n_int] = np.array(starts)[np.arange(n_int) % len(starts)]
    site, t = np.repeat(np.arange(n), n_periods), np.tile(np.arange(n_periods), n)
    noise = np.zeros((n, n_periods))
    shocks = rng.normal(size=(n, n_periods))
    noise[:, 0] = shocks[:, 0]
    for k in range(1, n_periods):
        noise[:, k] = rho * noise[:, k - 1] + np.sqrt(1 - rho**2) * shocks[:, k]
    post = (start[site] >= 0) & (t >= start[site])
    event = t - start[site]
    planted = effect(event) if callable(effect) else np.full(len(t), float(effect))
    planted = np.where(post, planted, 0.0)
    denominator = np.repeat(rng.integers(1000, 20000, n), n_periods).astype(float)
    value = 50 + rng.normal(0, 3, n)[site] + rng.normal(0, 1, n_periods)[t] + 2 * noise.ravel()
    value = value + planted
    numerator = np.full(len(t), np.nan)
    if counts:
        log_rate = np.log(0.01) + rng.normal(0, 0.2, n)[site] + 0.01 * t + planted
        numerator = rng.poisson(np.exp(log_rate) * denominator).astype(float)
        value = numerator / denominator * 1000
    start_date = np.where(
        start >= 0, months[np.clip(start, 0, None)].to_numpy(), np.datetime64("NaT")
    )
    frame = pd.DataFrame(
        {
            "site_code": codes[site],
            "site_name": codes[site],
            "group": np.where(start[site] >= 0, "intervention", "comparator"),
            "start_date": pd.to_datetime(start_date[site]),
            "period_start": months[t],
            "period_end": months[t] + pd.offsets.MonthEnd(0),
            "granularity": "month",
            "numerator": numerator,
            "denominator": denominator if counts else np.nan,
            "value": value,
        }
    )
    if missing:
        frame = frame[rng.random(len(frame)) > missing].reset_index(drop=True)
    return frame


def dummies(panel: pd.DataFrame, columns: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Design [const, columns..., site dummies, period dummies] and site groups."""
    site = pd.factorize(panel["site_code"])[0]
    period = pd.factorize(panel["period_start"])[0]
    x = np.column_stack(
        [
            np.ones(len(panel)),
            *columns,
            np.eye(site.max() + 1)[site][:, 1:],
            np.eye(period.max() + 1)[period][:, 1:],
        ]
    )
    return x, site


def treated(panel: pd.DataFrame) -> np.ndarray:
    return (
        (panel["group"] == "intervention") & (panel["period_start"] >= panel["start_date"])
    ).to_numpy(float)


# ---------------------------------------------------------------- known answers


def card_krueger(reference_dir: Path) -> pd.DataFrame:
    """Card & Krueger's stores as a panel: NJ intervention from April 1992, PA comparator."""
    raw = pd.read_csv(reference_dir / "card_krueger" / "card-krueger.csv")
    wave = pd.to_datetime(np.where(raw["d"] == 1, "1992-11-01", "1992-02-01"))
    nj = raw["nj"] == 1
    return pd.DataFrame(
        {
            "site_code": raw["id"].astype(str),
            "group": np.where(nj, "intervention", "comparator"),
            "start_date": pd.to_datetime(np.where(nj, "1992-04-01", None)),
            "period_start": wave,
            "granularity": "month",
            "numerator": np.nan,
            "denominator": np.nan,
            "value": raw["fte"],
        }
    )


def test_card_krueger_balanced_sample_reproduces_table_3(reference_dir):
    """Table 3 row 4: DiD 2.75 (SE 1.34) on the balanced sample.

    The published SE is not a clustered regression SE: it is the SE of a
    difference of two independent means, the mean change in New Jersey minus
    the mean change in Pennsylvania, each change's SE being
    sd(change)/sqrt(stores) (PA -2.28 (1.25), NJ 0.47 (0.48)). Our regression
    (site and period fixed effects) gives the same point estimate; so does
    Callaway & Sant'Anna, whose influence-function SE is the same two-sample
    SE with n rather than n - 1 in the variances.
    """
    panel = card_krueger(reference_dir)
    wide = panel.pivot_table(index=["site_code", "group"], columns="period_start", values="value")
    wide = wide.dropna().reset_index()
    change = wide.iloc[:, 3] - wide.iloc[:, 2]
    nj, pa = change[wide["group"] == "intervention"], change[wide["group"] == "comparator"]
    assert pa.mean() == pytest.approx(-2.28, abs=0.005)
    assert pa.std() / np.sqrt(len(pa)) == pytest.approx(1.25, abs=0.005)
    assert nj.mean() == pytest.approx(0.47, abs=0.005)
    assert nj.std() / np.sqrt(len(nj)) == pytest.approx(0.48, abs=0.005)
    published_se = np.sqrt(nj.var() / len(nj) + pa.var() / len(pa))
    assert nj.mean() - pa.mean() == pytest.approx(2.75, abs=0.005)
    assert published_se == pytest.approx(1.34, abs=0.005)

    balanced = panel[panel["site_code"].isin(wide["site_code"])]
    assert did_twfe(balanced, "fte", "FTE").estimate == pytest.approx(nj.mean() - pa.mean())
    cs = did_staggered(balanced, "fte", "FTE")
    assert cs.estimate == pytest.approx(2.75, abs=1e-9)
    two_sample_n = np.sqrt(nj.var(ddof=0) / len(nj) + pa.var(ddof=0) / len(pa))
    assert cs.standard_error == pytest.approx(two_sample_n, rel=1e-9)


def test_card_krueger_all_stores_reproduces_table_3_means(reference_dir):
    """Table 3 rows 1-2 (all stores with data): means and SEs of independent samples.

    FTE before: PA 23.33 (1.35), NJ 20.44 (0.51); after: PA 21.17 (0.94), NJ
    21.03 (0.52). The DiD of these means is 2.754; the paper prints 2.76 for
    row 3, which its own rows 1-2 cannot give to the last digit
    (-0.14 - (-2.89) = 2.75), so we match it to 0.01. The pooled regression
    ``value ~ nj + post + nj × post`` gives the same 2.754; with site fixed
    effects (our TWFE) stores seen once drop out and the estimate is the
    balanced sample's 2.75.
    """
    panel = card_krueger(reference_dir)
    cells = panel.dropna(subset=["value"]).groupby(["group", "period_start"])["value"]
    mean, se = cells.mean(), cells.std() / np.sqrt(cells.count())
    before, after = pd.Timestamp("1992-02-01"), pd.Timestamp("1992-11-01")
    published = {
        ("comparator", before): (23.33, 1.35),
        ("intervention", before): (20.44, 0.51),
        ("comparator", after): (21.17, 0.94),
        ("intervention", after): (21.03, 0.52),
    }
    for key, (m, s) in published.items():
        assert mean[key] == pytest.approx(m, abs=0.005)
        assert se[key] == pytest.approx(s, abs=0.005)
    did = (mean[("intervention", after)] - mean[("intervention", before)]) - (
        mean[("comparator", after)] - mean[("comparator", before)]
    )
    assert did == pytest.approx(2.76, abs=0.01)

    rows = panel.dropna(subset=["value"])
    nj = (rows["group"] == "intervention").to_numpy(float)
    post = (rows["period_start"] == after).to_numpy(float)
    x = np.column_stack([np.ones(len(rows)), nj, post, nj * post])
    assert sm.OLS(rows["value"].to_numpy(), x).fit().params[3] == pytest.approx(did)
    assert did_twfe(panel, "fte", "FTE").estimate == pytest.approx(2.75, abs=1e-9)


@pytest.mark.xfail(
    strict=True,
    reason="Published all-stores SE 1.36 (= sqrt(1.25² + 0.54²)) is not reproducible from "
    "this file: the NJ change SE 0.54 matches no estimator we tried (paired 0.48, "
    "covariance-adjusted 0.47, independent waves 0.73); clustered regression gives 1.31",
)
def test_card_krueger_all_stores_standard_error(reference_dir):
    panel = card_krueger(reference_dir).dropna(subset=["value"])
    nj = (panel["group"] == "intervention").to_numpy(float)
    post = (panel["period_start"] == pd.Timestamp("1992-11-01")).to_numpy(float)
    x = np.column_stack([np.ones(len(panel)), nj, post, nj * post])
    fit = sm.OLS(panel["value"].to_numpy(), x).fit(
        cov_type="cluster", cov_kwds={"groups": panel["site_code"].to_numpy()}
    )
    assert fit.bse[3] == pytest.approx(1.36, abs=0.005)


def test_card_krueger_through_estimate_did(reference_dir):
    """Two survey waves nine months apart: TWFE, no pre-trend test possible, said so.

    New Jersey stores seen in one wave only are left out (with a note): 309 remain.
    """
    effect = estimate_did(card_krueger(reference_dir), "fte", "FTE")
    assert effect.method == "did"
    assert effect.estimate == pytest.approx(2.75, abs=1e-9)
    assert effect.diagnostics["pre_trend_p"] is None
    assert effect.diagnostics["pre_trend_test"].startswith("no pre-trend test")
    assert effect.n_intervention == 309 and effect.n_comparator == 79
    assert any("have no period before their start" in n for n in effect.notes)


def banks(reference_dir: Path, years: tuple[int, ...]) -> pd.DataFrame:
    """Banks in business on 1 July each year: 6th district (intervention) and 8th."""
    raw = pd.read_csv(reference_dir / "banks.csv")
    july = raw[(raw["month"] == 7) & (raw["day"] == 1) & raw["year"].isin(years)]
    frames = []
    for code, column, group, start in (
        ("district6", "bib6", "intervention", "1931-01-01"),
        ("district8", "bib8", "comparator", None),
    ):
        frames.append(
            pd.DataFrame(
                {
                    "site_code": code,
                    "group": group,
                    "start_date": pd.to_datetime(start),
                    "period_start": pd.to_datetime(july["year"].astype(str) + "-01-01"),
                    "granularity": "year",
                    "value": july[column].to_numpy(float),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_banks_did_is_19(reference_dir):
    """Mastering 'Metrics ch. 5: (121 - 135) - (132 - 165) = 19 banks."""
    panel = banks(reference_dir, (1930, 1931))
    assert panel["value"].tolist() == [135, 121, 165, 132]
    effect = did_twfe(panel, "banks", "banks")
    assert effect.estimate == pytest.approx(19.0, abs=1e-9)
    assert effect.p_value is None
    assert any("standard error cannot be estimated" in n for n in effect.notes)


def test_banks_event_study_equals_two_by_two_differences(reference_dir):
    """Each event-time coefficient is that year's DiD against 1930 (the reference)."""
    panel = banks(reference_dir, tuple(range(1929, 1935)))
    table = event_study(panel, "banks").table.set_index("event_time")
    wide = panel.pivot(index="period_start", columns="site_code", values="value")
    gap = wide["district6"] - wide["district8"]
    for year, e in zip(range(1929, 1935), range(-2, 4), strict=True):
        expected = gap[pd.Timestamp(f"{year}-01-01")] - gap[pd.Timestamp("1930-01-01")]
        assert table.loc[e, "value"] == pytest.approx(expected, abs=1e-9)
    assert table.loc[0, "value"] == pytest.approx(19.0)


# ---------------------------------------------------------------- statsmodels


@pytest.mark.parametrize("weighted", [False, True])
def test_twfe_equals_statsmodels_dummies_with_cluster_se(weighted):
    panel = make_panel(3, n_int=12, n_cmp=18, n_periods=10, starts=(5,), missing=0.15)
    panel["denominator"] = np.random.default_rng(1).uniform(100, 5000, len(panel))
    x, site = dummies(panel, [treated(panel)])
    y = panel["value"].to_numpy()
    model = sm.WLS(y, x, weights=panel["denominator"]) if weighted else sm.OLS(y, x)
    ref = model.fit(cov_type="cluster", cov_kwds={"groups": site}, use_t=True)
    effect = did_twfe(panel, "m", "u", weights="denominator" if weighted else "none")
    assert effect.estimate == pytest.approx(ref.params[1], abs=1e-6)
    assert effect.standard_error == pytest.approx(ref.bse[1], abs=1e-6)
    assert effect.p_value == pytest.approx(ref.pvalues[1], abs=1e-6)
    assert (effect.ci_low, effect.ci_high) == pytest.approx(tuple(ref.conf_int()[1]), abs=1e-6)
    assert effect.diagnostics["df"] == 29
    assert effect.diagnostics["weights"] == ("denominator" if weighted else "none")


def test_alternating_projections_agree_with_exact_solution(monkeypatch):
    panel = make_panel(4, missing=0.2)
    exact = did_twfe(panel, "m", "u")
    monkeypatch.setattr(analysis.did_fe, "EXACT_MAX_DIM", 0)
    iterative = did_twfe(panel, "m", "u")
    assert iterative.estimate == pytest.approx(exact.estimate, abs=1e-9)
    assert iterative.standard_error == pytest.approx(exact.standard_error, abs=1e-9)


def test_event_study_equals_statsmodels_with_f_pre_trend_test():
    panel = make_panel(5, n_int=12, n_cmp=18, n_periods=14, starts=(8,), missing=0.1)
    study = event_study(panel, "m", leads=4, lags=3)
    event = np.where(
        panel["group"] == "intervention",
        (panel["period_start"].dt.month - panel["start_date"].dt.month)
        + 12 * (panel["period_start"].dt.year - panel["start_date"].dt.year),
        -1,
    )
    binned = np.clip(event, -4, 3)
    times = [e for e in range(-4, 4) if e != -1]
    is_int = (panel["group"] == "intervention").to_numpy()
    columns = [((binned == e) & is_int).astype(float) for e in times]
    x, site = dummies(panel, columns)
    ref = sm.OLS(panel["value"].to_numpy(), x).fit(
        cov_type="cluster", cov_kwds={"groups": site}, use_t=True
    )
    table = study.table.set_index("event_time")
    for j, e in enumerate(times, start=1):
        assert table.loc[e, "value"] == pytest.approx(ref.params[j], abs=1e-6)
        assert table.loc[e, "standard_error"] == pytest.approx(ref.bse[j], abs=1e-6)
    assert table.loc[-1, "value"] == 0
    assert table.loc[-4, "binned"] and table.loc[3, "binned"]
    restriction = np.zeros((3, x.shape[1]))
    for row, j in enumerate([1, 2, 3]):
        restriction[row, j] = 1
    f_test = ref.f_test(restriction)
    assert study.pre_trend_p == pytest.approx(float(f_test.pvalue), abs=1e-6)
    assert study.pre_trend_statistic == pytest.approx(float(f_test.fvalue), abs=1e-6)
    assert "F(3, 29)" in study.pre_trend_test


@pytest.mark.parametrize("se", ["cluster", "quasipoisson"])
def test_count_scale_equals_statsmodels_poisson_glm(se):
    panel = make_panel(
        6, n_int=10, n_cmp=15, n_periods=10, starts=(5,), counts=True, effect=-0.15, missing=0.1
    )
    x, site = dummies(panel, [treated(panel)])
    model = sm.GLM(
        panel["numerator"].to_numpy(),
        x,
        family=sm.families.Poisson(),
        offset=np.log(panel["denominator"].to_numpy()),
    )
    if se == "cluster":
        ref = model.fit(cov_type="cluster", cov_kwds={"groups": site}, tol=1e-13)
        q = stats.t.ppf(0.975, 24)
    else:
        ref = model.fit(scale="X2", tol=1e-13)
        q = stats.t.ppf(0.975, len(panel) - x.shape[1])
    result = did_count_scale(panel, "m", se=se)
    assert result.rate_ratio == pytest.approx(np.exp(ref.params[1]), abs=1e-6)
    low, high = np.exp(ref.params[1] + np.array([-q, q]) * ref.bse[1])
    assert result.rate_ratio_ci == pytest.approx((low, high), abs=1e-6)
    observed = panel.loc[treated(panel) == 1, "numerator"].sum()
    assert result.observed_events == observed
    assert result.events_avoided == pytest.approx(observed / result.rate_ratio - observed)
    assert result.events_avoided_ci == pytest.approx(
        (observed / high - observed, observed / low - observed)
    )


# ---------------------------------------------------------------- staggered starts


def test_staggered_estimator_recovers_dynamic_effects_that_fool_twfe():
    """Effects growing with time since start, staggered cohorts, no noise.

    Callaway & Sant'Anna recover the planted average exactly; TWFE does not
    (it uses early starters, whose effect is still growing, as controls).
    """
    growth = lambda e: 1.0 + 0.5 * e  # noqa: E731
    clean = make_panel(0, n_int=20, n_cmp=10, n_periods=12, starts=(3, 6, 9))
    site = clean["site_code"].str[1:].astype(int)
    month = clean["period_start"].dt.month
    event = (month - clean["start_date"].dt.month).to_numpy()
    post = treated(clean) == 1
    clean["value"] = 0.7 * site + 0.3 * month + np.where(post, growth(event), 0.0)
    sizes = {3: 7, 6: 7, 9: 6}
    truth = sum(n * np.mean(growth(np.arange(12 - s))) for s, n in sizes.items()) / 20
    cs = did_staggered(clean, "m", "u")
    assert cs.estimate == pytest.approx(truth, abs=1e-9)
    assert abs(did_twfe(clean, "m", "u").estimate - truth) > 0.5


@pytest.mark.parametrize("control", ["never_treated", "not_yet_treated"])
def test_started_sites_are_never_controls(control):
    panel = make_panel(1, n_int=20, n_cmp=10, n_periods=12, starts=(4, 8))
    before = did_staggered(panel, "m", "u", control=control)
    early = (panel["start_date"] == pd.Timestamp("2019-05-01")) & (treated(panel) == 1)
    wild = panel.copy()
    wild.loc[early, "value"] += 1000
    after = did_staggered(wild, "m", "u", control=control)
    cells = lambda e: pd.DataFrame(e.extra["group_time"]).set_index(["cohort", "period"])  # noqa: E731
    late_before, late_after = cells(before), cells(after)
    late = late_before.index.get_level_values("cohort") == late_before.index.max()[0]
    pd.testing.assert_series_equal(late_before.loc[late, "att"], late_after.loc[late, "att"])


def test_estimate_did_chooses_estimator_by_start_dates_and_says_why():
    common = estimate_did(make_panel(2), "m", "u")
    assert common.method == "did"
    assert "same period" in common.notes[0]
    assert 0 <= common.diagnostics["pre_trend_p"] <= 1
    assert "F(" in common.diagnostics["pre_trend_test"]
    json.dumps(common.to_json_dict())
    staggered = estimate_did(make_panel(2, starts=(5, 9)), "m", "u")
    assert staggered.method == "did_staggered"
    assert "2 different periods" in staggered.notes[0]
    assert "χ²" in staggered.diagnostics["pre_trend_test"]
    assert did_twfe(make_panel(2, starts=(5, 9)), "m", "u").notes[-1].startswith("start dates")


def test_estimate_did_adds_count_scale_and_is_json_ready():
    panel = make_panel(3, counts=True, effect=-0.2, starts=(6, 10))
    effect = estimate_did(panel, "falls", "per 1,000")
    assert effect.count_scale is not None
    assert effect.count_scale.rate_ratio < 1
    assert effect.count_scale.events_avoided > 0
    assert effect.diagnostics["weights"] == "denominator"
    out = json.loads(json.dumps(effect.to_json_dict()))
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
    ):
        assert key in out


def test_leave_one_out_range_matches_refits():
    panel = make_panel(7, n_int=5, n_cmp=4)
    fit = lambda p: did_twfe(p, "m", "u")  # noqa: E731
    result = leave_one_out(panel, fit)
    estimates = {
        code: fit(panel[panel["site_code"] != code]).estimate
        for code in panel.loc[panel["group"] == "comparator", "site_code"].unique()
    }
    assert result.n_refits == 4
    assert result.low == pytest.approx(min(estimates.values()))
    assert result.high == pytest.approx(max(estimates.values()))
    assert estimates[result.site_low] == result.low
    assert result.full == fit(panel).estimate


def test_inputs_are_never_modified():
    panel = make_panel(8, counts=True, starts=(6, 10), missing=0.05)
    copy = panel.copy(deep=True)
    estimate_did(panel, "m", "u")
    did_twfe(panel, "m", "u")
    event_study(panel, "m")
    leave_one_out(
        panel[panel["site_code"].isin(["S000", "S020", "S021"])], lambda p: did_twfe(p, "m", "u")
    )
    pd.testing.assert_frame_equal(panel, copy)


# ---------------------------------------------------------------- recovery


def coverage(fits: list, truth: float) -> tuple[float, float]:
    """Share of intervals covering ``truth`` and share excluding 0."""
    cover = np.mean([f[0] <= truth <= f[1] for f in fits])
    reject = np.mean([not (f[0] <= 0 <= f[1]) for f in fits])
    return float(cover), float(reject)


@pytest.mark.slow
@pytest.mark.parametrize("effect", [0.0, 1.0])
def test_twfe_intervals_cover_planted_effect(effect):
    fits = []
    for seed in range(200):
        e = did_twfe(make_panel(seed, effect=effect), "m", "u")
        fits.append((e.ci_low, e.ci_high))
    cover, reject = coverage(fits, effect)
    assert 0.91 <= cover <= 0.99
    if effect == 0:
        assert reject <= 0.09


@pytest.mark.slow
@pytest.mark.parametrize("size", [0.0, 1.0])
def test_staggered_intervals_cover_planted_effect(size):
    """Three cohorts, effect size + 0.1 per period since start (so the truth is the average)."""
    growth = lambda e: size * (1 + 0.1 * e)  # noqa: E731
    periods, starts = 16, (6, 9, 12)
    truth = np.mean([np.mean(growth(np.arange(periods - s))) for s in starts])
    fits = []
    for seed in range(200):
        panel = make_panel(
            seed, n_int=30, n_cmp=30, n_periods=periods, starts=starts, effect=growth
        )
        e = did_staggered(panel, "m", "u")
        fits.append((e.ci_low, e.ci_high))
    cover, reject = coverage(fits, truth)
    assert 0.91 <= cover <= 0.99
    if size == 0:
        assert reject <= 0.09


@pytest.mark.slow
@pytest.mark.parametrize("log_rr", [0.0, -0.2])
def test_count_scale_intervals_cover_planted_rate_ratio(log_rr):
    fits = []
    for seed in range(200):
        result = did_count_scale(make_panel(seed, counts=True, effect=log_rr), "m")
        fits.append(tuple(np.log(result.rate_ratio_ci)))
    cover, reject = coverage(fits, log_rr)
    assert 0.91 <= cover <= 0.99
    if log_rr == 0:
        assert reject <= 0.09


# ---------------------------------------------------------------- errors


def test_no_pre_period_is_an_error():
    panel = make_panel(0, starts=(0,))
    with pytest.raises(PanelError, match="no pre-period"):
        did_twfe(panel, "m", "u")


def test_one_period_only_is_an_error():
    panel = make_panel(0, n_periods=1, starts=(0,))
    with pytest.raises(PanelError, match="one period only"):
        estimate_did(panel, "m", "u")


def test_no_comparators_is_an_error():
    panel = make_panel(0)
    with pytest.raises(PanelError, match="no comparator sites"):
        did_twfe(panel[panel["group"] == "intervention"], "m", "u")


def test_all_missing_series_is_an_error():
    panel = make_panel(0).assign(value=np.nan)
    with pytest.raises(PanelError, match="every row is missing"):
        did_twfe(panel, "m", "u")
    with pytest.raises(PanelError, match="every row is missing"):
        did_count_scale(panel, "m")


def test_site_in_both_groups_is_an_error():
    panel = make_panel(0)
    panel.loc[(panel["site_code"] == "S020") & (panel.index % 2 == 0), "group"] = "intervention"
    with pytest.raises(PanelError, match="S020 are in both"):
        did_twfe(panel, "m", "u")


def test_duplicate_rows_and_missing_start_dates_are_errors():
    panel = make_panel(0)
    with pytest.raises(PanelError, match="more than one row for a period"):
        did_twfe(pd.concat([panel, panel.iloc[:1]]), "m", "u")
    no_start = panel.copy()
    no_start.loc[no_start["site_code"] == "S001", "start_date"] = pd.NaT
    with pytest.raises(PanelError, match="S001 have no start date"):
        did_twfe(no_start, "m", "u")


def test_sites_without_pre_or_post_period_are_left_out_with_a_note():
    panel = make_panel(0)
    panel = panel[~((panel["site_code"] == "S000") & ~(treated(panel) == 1))]
    panel.loc[panel["site_code"] == "S001", "start_date"] = pd.Timestamp("2030-01-01")
    effect = did_twfe(panel, "m", "u")
    assert effect.n_intervention == 13
    assert any("S000 have no period before their start" in n for n in effect.notes)
    assert any("S001 have no period on or after their start" in n for n in effect.notes)


def test_few_intervention_sites_are_flagged():
    panel = make_panel(0, n_int=3)
    for effect in (
        did_twfe(panel, "m", "u"),
        estimate_did(make_panel(0, n_int=4, starts=(5, 9)), "m", "u"),
    ):
        assert any("understate the uncertainty" in n for n in effect.notes)
    assert not any("understate" in n for n in did_twfe(make_panel(0), "m", "u").notes)
