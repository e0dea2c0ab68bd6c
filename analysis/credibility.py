"""The credibility scorecard: one traffic light per check of an effect estimate.

Each check is a small named function returning a :class:`Check` (green, amber,
red, or grey when the check does not apply). Thresholds are conventions, stated
in each explanation so a reader can disagree with them:

- pre-trend: joint test that leads before the start are zero (event study);
  p ≥ 0.10 green, 0.05–0.10 amber, < 0.05 red (Roth 2022 warns that passing
  is weak evidence: the explanation says so);
- placebo: in-space placebo p-value (synthetic control; Abadie et al. 2010);
  ≤ 0.10 green, ≤ 0.25 amber, else red;
- pre-period fit: pre-period RMSPE as a share of the pre-period mean level;
  < 5% green, < 10% amber, else red;
- leave-one-out: the estimate with each comparator dropped in turn; green when
  every estimate keeps the sign and stays inside the 95% interval, amber when
  the sign holds, red when it flips;
- periods before the start: ≥ 8 green, 4–7 amber, fewer red (with few
  pre-periods neither trends nor fit can be checked, and time-series standard
  errors are unreliable);
- intervention sites (for regression methods): ≥ 10 green, 5–9 amber, fewer
  red: clustered standard errors are too small with few treated clusters
  (Cameron & Miller 2015; MacKinnon & Webb 2017), so intervals are too narrow;
- small denominators: share of intervention site-periods with a denominator
  under 1,000 or a count of 1–7; 0 green, < 10% amber, else red.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.effect import Effect
from analysis.panel import INTERVENTION

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
    return Check("Pre-trend", status, float(p), f"Joint test of leads, p = {p:.2f}: {words}.")


def placebo_check(effect: Effect) -> Check:
    """Light from the in-space placebo p-value (``placebo_p``), where run."""
    p = effect.diagnostics.get("placebo_p")
    if p is None or not np.isfinite(p):
        return Check("Placebo rank", "grey", None, "No placebo test for this method.")
    n = effect.diagnostics.get("n_placebos")
    status: Status = "green" if p <= 0.10 else "amber" if p <= 0.25 else "red"
    smallest = f" (the smallest possible with {n} donors is {1 / (n + 1):.2f})" if n else ""
    return Check(
        "Placebo rank",
        status,
        float(p),
        f"The intervention gap ranks with p = {p:.2f} among placebo runs{smallest}; "
        "small is convincing.",
    )


def pre_fit_check(effect: Effect, pre_level: float | None) -> Check:
    """Light from the pre-period RMSPE relative to the pre-period mean level."""
    rmspe = effect.diagnostics.get("pre_rmspe")
    if rmspe is None or not pre_level or not np.isfinite(rmspe):
        return Check("Pre-period fit", "grey", None, "No pre-period fit measure for this method.")
    share = abs(rmspe / pre_level)
    status: Status = "green" if share < 0.05 else "amber" if share < 0.10 else "red"
    return Check(
        "Pre-period fit",
        status,
        float(share),
        f"Before the start the counterfactual misses by {share:.1%} of the level on average "
        "(RMSPE; under 5% is good).",
    )


def leave_one_out_check(effect: Effect, estimates: Sequence[float]) -> Check:
    """Light from the estimates with each comparator dropped in turn."""
    values = np.asarray([e for e in estimates if np.isfinite(e)], dtype=float)
    if values.size == 0:
        return Check("Leave one out", "grey", None, "Too few comparators to drop one at a time.")
    low, high = float(values.min()), float(values.max())
    same_sign = np.all(np.sign(values) == np.sign(effect.estimate))
    inside = low >= effect.ci_low and high <= effect.ci_high
    status: Status = "green" if same_sign and inside else "amber" if same_sign else "red"
    detail = {
        "green": "no single comparator drives the result",
        "amber": "the sign holds but one comparator moves the estimate outside its interval",
        "red": "dropping one comparator flips the sign: the result rests on it",
    }[status]
    return Check(
        "Leave one out",
        status,
        high - low,
        f"Dropping each comparator gives {low:,.3g} to {high:,.3g}: {detail}.",
    )


def pre_period_check(panel: pd.DataFrame) -> Check:
    """Light from the number of distinct periods before the earliest start."""
    start = panel.loc[panel["group"] == INTERVENTION, "start_date"].min()
    n = int((panel["period_start"].drop_duplicates() < start).sum()) if pd.notna(start) else 0
    status: Status = "green" if n >= 8 else "amber" if n >= 4 else "red"
    detail = {
        "green": "enough to see the trends the groups were on",
        "amber": "a short run: trends before the start are only roughly known",
        "red": "too few to check trends or fit; intervals from time-series methods are unreliable",
    }[status]
    return Check(
        "Periods before start", status, float(n), f"{n} period(s) before the start: {detail}."
    )


def treated_sites_check(effect: Effect) -> Check:
    """Light from the number of intervention sites behind clustered standard errors."""
    if effect.method == "synth":
        return Check(
            "Intervention sites",
            "grey",
            float(effect.n_intervention),
            "Synthetic control's inference is the placebo test, not clustered errors.",
        )
    n = effect.n_intervention
    status: Status = "green" if n >= 10 else "amber" if n >= 5 else "red"
    detail = {
        "green": "enough for clustered standard errors",
        "amber": "clustered standard errors may be somewhat too small",
        "red": "clustered standard errors are too small with so few: the interval is too narrow",
    }[status]
    return Check("Intervention sites", status, float(n), f"{n} intervention site(s): {detail}.")


def small_denominator_check(panel: pd.DataFrame) -> Check:
    """Light from the share of intervention site-periods with small numbers."""
    rows = panel[panel["group"] == INTERVENTION]
    if rows["denominator"].isna().all():
        return Check("Small numbers", "grey", None, "No counts loaded (published values only).")
    small = (rows["denominator"] < SMALL_DENOMINATOR) | rows["numerator"].between(1, 7)
    share = float(small.mean())
    status: Status = "green" if share == 0 else "amber" if share < 0.10 else "red"
    return Check(
        "Small numbers",
        status,
        share,
        f"{share:.0%} of intervention site-periods have a denominator under "
        f"{SMALL_DENOMINATOR:,} or a count of 1–7 (noisy rates).",
    )


def scorecard(
    effect: Effect, panel: pd.DataFrame, loo_estimates: Sequence[float], pre_level: float | None
) -> tuple[Check, ...]:
    """Every check, in the order the page shows them."""
    return (
        pre_period_check(panel),
        pre_trend_check(effect),
        treated_sites_check(effect),
        placebo_check(effect),
        pre_fit_check(effect, pre_level),
        leave_one_out_check(effect, loo_estimates),
        small_denominator_check(panel),
    )
