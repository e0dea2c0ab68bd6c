"""The series and design matrix of an interrupted time series (see :mod:`analysis.its`).

Pooling the sites of each group into one series per period (or keeping one
series per site for the pooled multiple-group model, Linden 2015), the
segmented regression's columns (Wagner et al. 2002) with Fourier seasonality
(Bhaskaran et al. 2013), the group interactions, the residual autocorrelation
checks (Durbin & Watson 1950; Ljung & Box 1978) and the count scale (events
avoided).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.stats.diagnostic import acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson

from analysis.did_fe import interval
from analysis.did_prep import Design
from analysis.effect import CountScaleEffect
from analysis.panel import PanelError

ComparatorUse = Literal["auto", "none"]
ControlDesign = Literal["auto", "pooled", "difference"]
CountSE = Literal["quasipoisson", "hac"]

MIN_POOLED_COMPARATORS = 5
"""From this many comparators the controlled design defaults to the pooled model."""

SEASON_LENGTH = {"month": 12, "quarter": 4}
DEFAULT_HARMONICS = {"month": 2, "quarter": 1}
MIN_PRE_PERIODS = 3


@dataclass(frozen=True, eq=False)
class PooledSeries:
    """The pooled series of one group: one row per calendar period."""

    frame: pd.DataFrame
    n_sites: int


def pooled(design: Design, outcome: str, comparator: bool = False) -> PooledSeries:
    """Pool the intervention (or comparator) sites into one series per calendar period."""
    sites = ~design.intervention if comparator else design.intervention
    rows = sites[design.site]
    period, den = design.period[rows], design.denominator[rows]
    weighted = bool(np.all(np.isfinite(den) & (den > 0)))
    weight = den if weighted else np.ones(len(period))
    n = design.n_periods

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(period, values, n)

    present = np.bincount(period, minlength=n) > 0
    pooled = pd.DataFrame(
        {
            "number": design.period_number,
            "period_start": pd.to_datetime(design.period_starts),
            "value": total(weight * design.value[rows]) / np.where(present, total(weight), 1),
            "numerator": total(design.numerator[rows]),
            "denominator": total(den),
            "sites": np.bincount(period, minlength=n),
        }
    )[present].reset_index(drop=True)
    if outcome == "counts" and (pooled["numerator"] == 0).all():
        raise PanelError("no events in the pooled series: every count is zero")
    return PooledSeries(pooled, int(sites.sum()))


def control_series(design: Design, comparator: ComparatorUse, outcome: str) -> PooledSeries | None:
    """The pooled comparator series, or ``None`` (no comparators, or ``comparator="none"``)."""
    if comparator == "none" or design.n_comparator == 0:
        return None
    return pooled(design, outcome, comparator=True)


def control_design(design: Design, comparator: ComparatorUse, control: ControlDesign) -> str:
    """``"single"``, ``"pooled"`` or ``"difference"``: the linear model's design.

    ``control="auto"`` is the pooled model from :data:`MIN_POOLED_COMPARATORS`
    comparators and the difference series below that (too few units to say
    anything about the comparators' spread).
    """
    if comparator == "none" or design.n_comparator == 0:
        return "single"
    if control == "auto":
        return "pooled" if design.n_comparator >= MIN_POOLED_COMPARATORS else "difference"
    return control


def unit_frame(design: Design) -> pd.DataFrame:
    """One row per kept site and period, sorted by site then period (for the pooled model).

    Columns ``site`` (index into ``design.site_codes``), ``number``,
    ``period_start``, ``value`` and ``z`` (1 for an intervention site).
    """
    frame = pd.DataFrame(
        {
            "site": design.site,
            "number": design.period_number[design.period],
            "period_start": pd.to_datetime(design.period_starts[design.period]),
            "value": design.value,
            "z": design.intervention[design.site].astype(float),
        }
    )
    return frame.sort_values(["site", "number"], kind="stable").reset_index(drop=True)


def group_interaction(
    x: np.ndarray, names: list[str], z: np.ndarray
) -> tuple[np.ndarray, list[str]]:
    """The multiple-group columns: trend terms, ``z_`` × each trend term, shared seasonality.

    With trend terms const, time, post, time_since this is Linden's (2015)
    ``Y = β0 + β1·t + β2·post + β3·time_since + β4·Z + β5·Z·t + β6·Z·post +
    β7·Z·time_since``; the sine/cosine terms are not interacted.
    """
    season = [j for j, n in enumerate(names) if n.startswith(("sin", "cos"))]
    trend = [j for j in range(len(names)) if j not in season]
    columns = np.hstack([x[:, trend], z[:, None] * x[:, trend], x[:, season]])
    labels = [names[j] for j in trend] + [f"z_{names[j]}" for j in trend]
    return columns, labels + [names[j] for j in season]


def design_matrix(
    frame: pd.DataFrame,
    design: Design,
    harmonics: int | None,
    slope_change: bool,
    measure: str,
    t0: float | None = None,
) -> tuple[np.ndarray, list[str], float]:
    """Columns const, time, post, time_since (optional), sin_k/cos_k; and the first post period."""
    if t0 is None:
        t0 = float(design.cohort[design.intervention].min())
    number = frame["number"].to_numpy()
    post = number >= t0
    pre_n, post_n = int((~post).sum()), int(post.sum())
    if pre_n < MIN_PRE_PERIODS:
        raise PanelError(
            f"{measure}: {pre_n} period(s) before the start; an interrupted time series "
            f"needs at least {MIN_PRE_PERIODS}"
        )
    if post_n < (2 if slope_change else 1):
        raise PanelError(f"{measure}: too few periods after the start to estimate a change")
    columns = {
        "const": np.ones(len(number)),
        "time": number - design.period_number.min() + 1.0,
        "post": post.astype(float),
    }
    if slope_change:
        columns["time_since"] = np.where(post, number - t0, 0.0)
    default = DEFAULT_HARMONICS.get(design.granularity, 0)
    count = default if harmonics is None else harmonics
    if count:
        length = SEASON_LENGTH.get(design.granularity)
        if length is None or count > length // 2:
            raise PanelError(
                f"{measure}: {count} harmonic(s) need monthly (up to 6) or quarterly (up to 2) "
                f"periods; these are {design.granularity}"
            )
        month = frame["period_start"].dt.month.to_numpy()
        position = month if length == 12 else (month - 1) // 3 + 1
        for j in range(1, count + 1):
            angle = 2 * np.pi * j * position / length
            if 2 * j != length:
                columns[f"sin{j}"] = np.sin(angle)
            columns[f"cos{j}"] = np.cos(angle)
    if len(number) <= len(columns) + 1:
        raise PanelError(
            f"{measure}: {len(number)} periods are too few for a model with {len(columns)} terms"
        )
    return np.column_stack(list(columns.values())), list(columns), t0


def default_lags(n: int) -> int:
    """Newey & West (1994) rule of thumb: floor(4 (n/100)^(2/9))."""
    return int(np.floor(4 * (n / 100) ** (2 / 9)))


def autocorrelation(resid: np.ndarray, granularity: str) -> dict:
    """Durbin–Watson, lag-1 autocorrelation and a Ljung–Box test of the residuals."""
    lags = max(1, min(SEASON_LENGTH.get(granularity, 10), len(resid) // 4))
    centred = resid - resid.mean()
    lag1 = float(centred[1:] @ centred[:-1] / (centred @ centred))
    box = acorr_ljungbox(resid, lags=[lags])
    return {
        "durbin_watson": float(durbin_watson(resid)),
        "residual_autocorrelation_lag1": lag1,
        "ljung_box_p": float(box["lb_pvalue"].iloc[0]),
        "ljung_box_lags": lags,
    }


def start_notes(design: Design) -> list[str]:
    """Warnings about the interruption: staggered starts, fewer than 8 points on a side."""
    starts = np.unique(design.cohort[design.intervention])
    notes = []
    if len(starts) > 1:
        first = pd.Timestamp(design.period_starts[design.period_number == starts[0]][0])
        notes.append(
            f"intervention sites start in {len(starts)} different periods; the series is "
            f"interrupted at the earliest ({first.date()}); difference-in-differences for "
            "staggered starts suits this better"
        )
    pre = int((design.period_number < starts[0]).sum())
    post = int((design.period_number >= starts[0]).sum())
    if min(pre, post) < 8:
        notes.append(
            f"{pre} period(s) before and {post} after the start: segmented regression is "
            "usually advised to have at least 8 on each side (Wagner et al. 2002)"
        )
    return notes


def has_counts(design: Design) -> bool:
    """Whether every intervention row has a numerator and a positive denominator."""
    rows = design.intervention[design.site]
    num, den = design.numerator[rows], design.denominator[rows]
    return bool(np.all(np.isfinite(num) & np.isfinite(den) & (den > 0)))


def count_scale_effect(
    mu: np.ndarray,
    since: np.ndarray,
    den: np.ndarray,
    observed: np.ndarray,
    params: np.ndarray,
    cov: np.ndarray,
    effect_cols: list[int],
    confidence: float,
    se: CountSE,
) -> CountScaleEffect:
    """Average post-period rate ratio Σ fitted / Σ counterfactual (delta method), events avoided."""
    gradient = np.zeros(len(params))
    gradient[effect_cols[0]] = 1.0
    log_rr = params[effect_cols[0]] * np.ones(len(mu))
    if len(effect_cols) > 1:
        gradient[effect_cols[1]] = float(mu @ since / mu.sum())
        log_rr = log_rr + params[effect_cols[1]] * since
    rr = float(mu.sum() / (mu / np.exp(log_rr)).sum())
    low, high, _ = interval(np.log(rr), float(np.sqrt(gradient @ cov @ gradient)), None, confidence)
    total = float(observed.sum())
    rr_low, rr_high = float(np.exp(low)), float(np.exp(high))
    return CountScaleEffect(
        rate_ratio=rr,
        rate_ratio_ci=(rr_low, rr_high),
        observed_events=total,
        expected_events=total / rr,
        events_avoided=total / rr - total,
        events_avoided_ci=(total / rr_high - total, total / rr_low - total),
        person_time=float(den.sum()),
        model=f"segmented Poisson regression, offset log(denominator), {se} SEs; "
        "average rate ratio over the post period",
    )
