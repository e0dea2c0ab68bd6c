"""The credibility scorecard: one traffic light per check of an effect estimate.

Each check is a small named function returning a :class:`Check` (green, amber,
red, or grey when the check does not apply). Thresholds are conventions, stated
in each explanation so a reader can disagree with them:

- pre-trend: joint test that the effects before the start are zero (event
  study F test, or for staggered starts R ``did``'s Wald pre-test; the
  explanation names the test);
  p ≥ 0.10 green, 0.05–0.10 amber, < 0.05 red (Roth 2022 warns that passing
  is weak evidence: the explanation says so);
- placebo: in-space placebo p-value (synthetic control; Abadie et al. 2010);
  ≤ 0.10 green, else amber (a gap that does not stand out is consistent with no
  effect, not a flaw of the design);
- pre-period fit: pre-period RMSPE against the noise the pooled intervention
  series has by chance alone (Poisson: sd of a period's rate = √Σnumerator ÷
  Σdenominator × multiplier): at most 1.5 × that noise green, 2.5 × amber,
  else red; without counts, as a share of the pre-period mean level (< 5%
  green, < 10% amber, else red);
- leave-one-out: the estimate with each comparator dropped in turn; green when
  every estimate stays inside the 95% interval, red when the interval excludes
  zero and dropping one comparator flips the sign, else amber (with an
  interval that includes zero a sign flip is no news);
- periods before the start (for staggered starts, each cohort's own, the
  shortest counting): ≥ 8 green, 4–7 amber, fewer red (with few pre-periods
  neither trends nor fit can be checked, and time-series standard errors are
  unreliable), amber where the estimate's pre-trend test ran on them;
- intervention sites (for difference-in-differences with clustered errors):
  ≥ 10 green, 5–9 amber, fewer red: clustered standard errors are too small
  with few treated clusters (Cameron & Miller 2015; MacKinnon & Webb 2017);
  grey where the inference does not rest on them (randomisation inference,
  the placebo test, a time series' Newey–West errors);
- small numbers: share of the periods of the pooled intervention series (the
  series the estimate describes: Σ numerators, Σ denominators over the
  intervention sites) with a denominator under 1,000 or a count of 1–7; 0
  green, < 10% amber, else red.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.effect import Effect
from analysis.panel import INTERVENTION, is_post

Status = Literal["green", "amber", "red", "grey"]
SMALL_DENOMINATOR = 1000


@dataclass(frozen=True)
class Check:
    """One check: its name, light, the number behind it and a line of explanation."""

    name: str
    status: Status
    value: float | None
    explanation: str


def pre_trend_check(effect: Effect) -> Check:
    """Light from the event study's joint pre-trend test (``pre_trend_p``)."""
    p = effect.diagnostics.get("pre_trend_p")
    if p is None or not np.isfinite(p):
        return Check("Pre-trend", "grey", None, "No event-study pre-trend test for this method.")
    status: Status = "green" if p >= 0.10 else "amber" if p >= 0.05 else "red"
    words = {
        "green": "no sign that the groups were already diverging before the start "
        "(passing is weak evidence when there are few pre-periods)",
        "amber": "weak sign of diverging trends before the start",
        "red": "the groups were already diverging before the start: the estimate may be biased",
    }[status]
    test = str(effect.diagnostics.get("pre_trend_test") or "Joint test of leads")
    return Check("Pre-trend", status, float(p), f"{test}: p = {p:.2f}, {words}.")


def placebo_check(effect: Effect) -> Check:
    """Light from the in-space placebo p-value (``placebo_p``), where run."""
    p = effect.diagnostics.get("placebo_p")
    if p is None or not np.isfinite(p):
        return Check("Placebo rank", "grey", None, "No placebo test for this method.")
    n = effect.diagnostics.get("n_placebos")
    status: Status = "green" if p <= 0.10 else "amber"
    smallest = f" (the smallest possible with {n} placebos is {1 / (n + 1):.2f})" if n else ""
    verdict = (
        "the intervention's gap stands out from the placebos"
        if status == "green"
        else "the intervention's gap does not stand out from the placebos: consistent with "
        "no effect"
    )
    return Check(
        "Placebo rank",
        status,
        float(p),
        f"The intervention gap ranks with p = {p:.2f} among placebo runs{smallest}: {verdict}.",
    )


def pooled_noise(panel: pd.DataFrame, multiplier: float) -> float | None:
    """Chance noise of the pooled intervention series before the start (Poisson).

    sd_t = √(Σ numerator_t) ÷ Σ denominator_t × multiplier for each pre period;
    returns √(mean sd_t²), or None without counts.
    """
    rows = panel[(panel["group"] == INTERVENTION) & ~is_post(panel)]
    if rows.empty or rows["numerator"].isna().any() or rows["denominator"].isna().any():
        return None
    sums = rows.groupby("period_start")[["numerator", "denominator"]].sum()
    sd = np.sqrt(sums["numerator"]) / sums["denominator"] * multiplier
    return float(np.sqrt((sd**2).mean()))


def pre_fit_check(effect: Effect, pre_level: float | None, noise: float | None = None) -> Check:
    """Light from the pre-period RMSPE, against chance noise where counts give it."""
    rmspe = effect.diagnostics.get("pre_rmspe")
    if rmspe is None or not np.isfinite(rmspe):
        return Check("Pre-period fit", "grey", None, "No pre-period fit measure for this method.")
    status: Status
    if noise:
        ratio = abs(rmspe) / noise
        status = "green" if ratio <= 1.5 else "amber" if ratio <= 2.5 else "red"
        return Check(
            "Pre-period fit",
            status,
            float(ratio),
            f"Before the start the counterfactual misses by {rmspe:,.3g} on average (RMSPE), "
            f"{ratio:.1f} × the {noise:,.3g} that chance alone gives a series of this size "
            "(Poisson noise of the pooled counts; up to 1.5 × is good).",
        )
    if not pre_level:
        return Check("Pre-period fit", "grey", None, "No pre-period level to judge the fit by.")
    share = abs(rmspe / pre_level)
    status = "green" if share < 0.05 else "amber" if share < 0.10 else "red"
    return Check(
        "Pre-period fit",
        status,
        float(share),
        f"Before the start the counterfactual misses by {share:.1%} of the level on average "
        "(RMSPE; under 5% is good).",
    )


def leave_one_out_check(effect: Effect, estimates: Sequence[float], how: str = "") -> Check:
    """Light from the estimates with each comparator dropped in turn (``how``: which, or why)."""
    values = np.asarray([e for e in estimates if np.isfinite(e)], dtype=float)
    if values.size == 0:
        reason = how or "skipped: too few comparators to drop one at a time"
        return Check("Leave one out", "grey", None, f"Not run ({reason}).")
    low, high = float(values.min()), float(values.max())
    inside = low >= effect.ci_low and high <= effect.ci_high
    excludes_zero = effect.ci_low > 0 or effect.ci_high < 0
    flips = bool(np.any(np.sign(values) != np.sign(effect.estimate)))
    status: Status = "green" if inside else "red" if excludes_zero and flips else "amber"
    detail = {
        "green": "every estimate stays inside the interval: no single comparator drives the result",
        "amber": "one comparator moves the estimate outside its interval",
        "red": "dropping one comparator flips the sign of an effect the interval says is "
        "there: the result rests on it",
    }[status]
    return Check(
        "Leave one out",
        status,
        high - low,
        f"With {how or 'each comparator dropped in turn'} the estimate is {low:,.3g} to "
        f"{high:,.3g}: {detail}.",
    )


def pre_period_check(panel: pd.DataFrame, effect: Effect | None = None) -> Check:
    """Light from the distinct periods before the start, counted for each start cohort.

    With one start date: the periods before it. With staggered starts each
    cohort (intervention sites sharing a start date) has its own count, and the
    light goes by the shortest; where the estimate's own pre-trend test ran on
    those periods (``effect.diagnostics["pre_trend_p"]``), a short run is amber,
    not red: the trends were checked, only roughly.
    """
    starts = panel.loc[panel["group"] == INTERVENTION, "start_date"].dropna().unique()
    periods = panel["period_start"].drop_duplicates()
    counts = sorted({int((periods < start).sum()) for start in starts}) or [0]
    n = counts[0]
    status: Status = "green" if n >= 8 else "amber" if n >= 4 else "red"
    p = None if effect is None else effect.diagnostics.get("pre_trend_p")
    tested = p is not None and bool(np.isfinite(p))
    if status == "red" and tested and n >= 1:
        status = "amber"
    detail = {
        "green": "enough to see the trends the groups were on",
        "amber": "a short run: trends before the start are only roughly known"
        + (" (the pre-trend test used the periods there are)" if tested and n < 4 else ""),
        "red": "too few to check trends or fit; intervals from time-series methods are unreliable",
    }[status]
    if len(starts) > 1:
        span = f"{counts[0]}–{counts[-1]}" if len(counts) > 1 else f"{n}"
        what = f"{span} period(s) before the start across {len(starts)} start cohorts"
    else:
        what = f"{n} period(s) before the start"
    return Check("Periods before start", status, float(n), f"{what}: {detail}.")


def treated_sites_check(effect: Effect) -> Check:
    """Light from the number of intervention sites, where clustered errors carry the interval."""
    n = effect.n_intervention
    inference = str(effect.diagnostics.get("inference", ""))
    if effect.method == "synth":
        why = "synthetic control's inference is the placebo test, not clustered errors"
    elif effect.method == "its":
        why = "the time series' interval comes from the pooled series (Newey–West), not clusters"
    elif inference.startswith("randomisation"):
        why = f"the interval comes from {inference}, which holds with few intervention sites"
    else:
        why = ""
    if why:
        return Check("Intervention sites", "grey", float(n), f"{n} intervention site(s): {why}.")
    status: Status = "green" if n >= 10 else "amber" if n >= 5 else "red"
    detail = {
        "green": "enough for clustered standard errors",
        "amber": "clustered standard errors may be somewhat too small",
        "red": "clustered standard errors are too small with so few: the interval is too narrow",
    }[status]
    return Check("Intervention sites", status, float(n), f"{n} intervention site(s): {detail}.")


def small_numbers_check(panel: pd.DataFrame) -> Check:
    """Light from the periods of the pooled intervention series with small numbers."""
    rows = panel[panel["group"] == INTERVENTION]
    if rows["denominator"].isna().all():
        return Check("Small numbers", "grey", None, "No counts loaded (published values only).")
    pooled = rows.groupby("period_start")[["numerator", "denominator"]].sum(min_count=1)
    small = (pooled["denominator"] < SMALL_DENOMINATOR) | pooled["numerator"].between(1, 7)
    share = float(small.mean())
    status: Status = "green" if share == 0 else "amber" if share < 0.10 else "red"
    return Check(
        "Small numbers",
        status,
        share,
        f"{share:.0%} of the {len(pooled)} periods of the pooled intervention series (the "
        f"series the estimate describes) have a denominator under {SMALL_DENOMINATOR:,} or "
        "a count of 1–7 (noisy rates).",
    )


def scorecard(
    effect: Effect,
    panel: pd.DataFrame,
    loo_estimates: Sequence[float],
    loo_how: str = "",
    multiplier: float = 1.0,
) -> tuple[Check, ...]:
    """Every check, in the order the page shows them."""
    mine = panel[(panel["group"] == INTERVENTION) & ~is_post(panel)]
    pre_level = float(mine["value"].mean()) if len(mine) else None
    return (
        pre_period_check(panel, effect),
        pre_trend_check(effect),
        treated_sites_check(effect),
        placebo_check(effect),
        pre_fit_check(effect, pre_level, pooled_noise(panel, multiplier)),
        leave_one_out_check(effect, loo_estimates, loo_how),
        small_numbers_check(panel),
    )
