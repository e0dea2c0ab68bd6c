"""NHS "Making Data Count" XmR charts (SPC), as NHSRplotthedots computes them.

Compute first, draw second: :func:`xmr_chart` returns a DataFrame of the
points, the process mean and limits, the special-cause rules that fired and
each point's type; charts are drawn elsewhere from that frame.

Method (NHS England / NHS Improvement, *Making Data Count*, 2019;
NHSRplotthedots ``ptd_spc``): within each baseline period, the mean of the
points; moving ranges |y[i] − y[i−1]| and their mean (AMR), after screening
out moving ranges ≥ 3.267 × AMR (the upper range limit) and recomputing;
process limits mean ± 2.66 × AMR (≈ 3 sigma); "near" limits mean ± 2/3 of that
(≈ 2 sigma). Special cause variation, each rule a small function below:

* a point outside the process limits (:func:`outside_limits`);
* a run of 7 points all increasing or all decreasing (:func:`seven_point_trend`);
* 2 of 3 consecutive points close to a limit on the same side of the mean,
  flagging the close points (:func:`two_in_three_close_to_limit`);
* 7 points in a row on one side of the mean, a point on the mean breaking the
  run (:func:`seven_points_one_side_of_mean`).

Each special-cause point is *improvement* or *concern* according to the side
of the mean it lies and the measure's improvement direction, or *neither*
(high / low) when the measure has no polarity. Two deliberate departures from
the R package, both where its code disagrees with Making Data Count: falling
trends are flagged like rising ones, and a neutral special cause below the
mean is "low" (the R code labels every non-zero side "high").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.rates import MethodInputError

Improvement = Literal["increase", "decrease"]

LIMIT = 2.66
"""Process limits are mean ± 2.66 × mean moving range (3 / d2, d2 = 1.128)."""
NEAR_LIMIT = 2 * LIMIT / 3
MR_SCREEN = 3.267
"""Moving ranges at or above 3.267 × their mean are screened out (D4 for n = 2)."""
RUN = 7

_NEITHER = "Special cause variation – neither improvement nor concern"
VARIATION_LABELS = {
    "common_cause": "Common cause variation",
    "special_cause_improvement": "Special cause variation – improvement",
    "special_cause_concern": "Special cause variation – concern",
    "special_cause_neither_high": f"{_NEITHER} (high)",
    "special_cause_neither_low": f"{_NEITHER} (low)",
}
ASSURANCE_LABELS = {
    "consistently_hit": "Consistently hit target",
    "consistently_fail": "Consistently fail target",
    "hit_and_miss": "Hit and miss target subject to random variation",
}


# --- the rules ---------------------------------------------------------------------------------


def outside_limits(y: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Rule 1: points above the upper or below the lower process limit."""
    return (y > upper) | (y < lower)


def seven_points_one_side_of_mean(side: np.ndarray) -> np.ndarray:
    """Rule "shift": +1/−1 at each point ending a run of 7 on the same side (0 otherwise).

    ``side`` is sign(y − mean); a point on the mean (0) breaks the run. Mark
    the whole run with :func:`part_of_run`.
    """
    side = np.asarray(side, dtype=float)
    out = np.zeros(side.size)
    for i in range(RUN - 1, side.size):
        window = side[i - RUN + 1 : i + 1]
        if side[i] != 0 and np.all(window == side[i]):
            out[i] = side[i]
    return out


def seven_point_trend(y: np.ndarray) -> np.ndarray:
    """Rule "trend": +1 (rising) / −1 (falling) at each point ending 7 points that move one way.

    Seven points means six consecutive differences of the same sign; a repeat
    value breaks the trend. Mark the whole run with :func:`part_of_run`.
    """
    steps = np.sign(np.diff(np.asarray(y, dtype=float)))
    out = np.zeros(len(y))
    for i in range(RUN - 1, len(y)):
        window = steps[i - RUN + 1 : i]
        if np.all(window == 1) or np.all(window == -1):
            out[i] = window[0]
    return out


def part_of_run(run_ends: np.ndarray, length: int = RUN) -> np.ndarray:
    """True for every point of a run whose end is marked non-zero (the end and those before)."""
    ends = np.flatnonzero(np.asarray(run_ends) != 0)
    out = np.zeros(len(run_ends), dtype=bool)
    for end in ends:
        out[max(0, end - length + 1) : end + 1] = True
    return out


def two_in_three_close_to_limit(close: np.ndarray, side: np.ndarray) -> np.ndarray:
    """Rule "2 of 3": True for points in a window of 3 with ≥ 2 close to a limit, all one side.

    ``close`` marks points between the near and the process limits; the three
    points of the window must all lie on the same side of the mean. Only the
    close points are special causes: see :func:`part_of_two_in_three`.
    """
    c = np.concatenate([[0, 0], np.asarray(close, dtype=float), [0, 0]])
    s = np.concatenate([[0, 0], np.asarray(side, dtype=float), [0, 0]])
    out = np.zeros(len(close), dtype=bool)
    for i in range(len(close)):
        for start in (i, i + 1, i + 2):
            if c[start : start + 3].sum() >= 2 and abs(s[start : start + 3].sum()) == 3:
                out[i] = True
    return out


def part_of_two_in_three(windows: np.ndarray, close: np.ndarray) -> np.ndarray:
    """The close-to-limit points inside a "2 of 3" window."""
    return np.asarray(windows, dtype=bool) & np.asarray(close, dtype=bool)


# --- the chart ---------------------------------------------------------------------------------


def _limits(y: np.ndarray, fix_after: int | None, screen: bool) -> tuple[float, float]:
    """Mean and (screened) mean moving range of the baseline points of one period."""
    base = y if fix_after is None else y[:fix_after]
    mean = float(np.mean(base))
    mr = np.abs(np.diff(base))
    amr = float(np.mean(mr)) if mr.size else np.nan
    if screen and amr > 0:
        amr = float(np.mean(mr[mr < MR_SCREEN * amr]))
    return mean, amr


def xmr_chart(
    values: Sequence[float] | np.ndarray | pd.Series,
    x: Sequence | np.ndarray | pd.Series | None = None,
    *,
    improvement: Improvement | None = None,
    rebase_at: Sequence = (),
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
    target: float | None = None,
) -> pd.DataFrame:
    """XmR chart of a series, Making Data Count rules (NHSRplotthedots ``ptd_spc``).

    Parameters
    ----------
    values:
        The measure per period (no gaps), in its display unit.
    x:
        Period (dates or numbers); 1, 2, … when omitted. Points are sorted by x.
    improvement:
        ``"increase"`` or ``"decrease"`` when higher or lower is better; None
        when the measure has no polarity (special causes are then "neither").
    rebase_at:
        Values of x at which a new baseline starts (e.g. the programme start):
        limits are recalculated from each such point on.
    fix_after_n_points:
        Compute each period's mean and limits from its first n points only
        (a fixed baseline) and extend them.
    screen_outliers:
        Drop moving ranges ≥ 3.267 × their mean before computing limits
        (default, as Making Data Count). Not applied when the mean moving range is 0.
    target:
        Optional target, carried in a ``target`` column for the assurance icon.

    Returns
    -------
    pandas.DataFrame
        One row per point: ``x``, ``y``, ``rebase_group``, ``mean``,
        ``lower_limit``, ``upper_limit``, ``near_lower_limit``, ``near_upper_limit``,
        ``moving_range`` (|y − previous y| within the period), ``mean_moving_range``,
        ``relative_to_mean`` (−1, 0, 1), ``outside_limits``, ``close_to_limits``,
        the rule flags ``rule_outside_limits``, ``rule_trend``, ``rule_two_in_three``,
        ``rule_shift``, ``special_cause`` and ``point_type`` (``common_cause``,
        ``special_cause_improvement``, ``special_cause_concern``,
        ``special_cause_neither_high``/``_low``), then ``target``.
    """
    y_all = np.asarray(values, dtype=float)
    if y_all.ndim != 1 or y_all.size == 0:
        raise MethodInputError("an XmR chart needs a non-empty series of values")
    if np.isnan(y_all).any():
        raise MethodInputError("an XmR chart needs a value for every period (no gaps)")
    if improvement not in (None, "increase", "decrease"):
        raise MethodInputError("improvement must be 'increase', 'decrease' or None")
    if fix_after_n_points is not None and fix_after_n_points < 2:
        raise MethodInputError("a fixed baseline needs at least 2 points")
    xs = np.arange(1, y_all.size + 1) if x is None else np.asarray(x)
    if len(xs) != y_all.size:
        raise MethodInputError("x and values need the same length")
    order = np.argsort(xs, kind="stable")
    frame = pd.DataFrame({"x": xs[order], "y": y_all[order]})
    starts: np.ndarray | list[float] = (
        np.sort(np.asarray(list(rebase_at), dtype=xs.dtype)) if len(rebase_at) else []
    )
    frame["rebase_group"] = np.searchsorted(starts, frame["x"].to_numpy(), side="right")
    parts = [
        _period(part, improvement, fix_after_n_points, screen_outliers)
        for _, part in frame.groupby("rebase_group", sort=True)
    ]
    out = pd.concat(parts, ignore_index=True)
    out["target"] = np.nan if target is None else float(target)
    return out


def _period(
    part: pd.DataFrame, improvement: Improvement | None, fix_after: int | None, screen: bool
) -> pd.DataFrame:
    out = part.reset_index(drop=True).copy()
    y = out["y"].to_numpy(float)
    mean, amr = _limits(y, fix_after, screen)
    base = y if fix_after is None else np.where(np.arange(y.size) < fix_after, y, np.nan)
    out["mean"] = mean
    out["lower_limit"], out["upper_limit"] = mean - LIMIT * amr, mean + LIMIT * amr
    out["near_lower_limit"] = mean - NEAR_LIMIT * amr
    out["near_upper_limit"] = mean + NEAR_LIMIT * amr
    out["moving_range"] = np.concatenate([[np.nan], np.abs(np.diff(base))])
    out["mean_moving_range"] = amr
    side = np.sign(y - mean)
    outside = outside_limits(y, out["lower_limit"].to_numpy(), out["upper_limit"].to_numpy())
    near = (y < out["near_lower_limit"].to_numpy()) | (y > out["near_upper_limit"].to_numpy())
    close = ~outside & near
    out["relative_to_mean"] = side.astype(int)
    out["outside_limits"], out["close_to_limits"] = outside, close
    out["rule_outside_limits"] = outside
    out["rule_trend"] = part_of_run(seven_point_trend(y))
    out["rule_two_in_three"] = part_of_two_in_three(two_in_three_close_to_limit(close, side), close)
    out["rule_shift"] = part_of_run(seven_points_one_side_of_mean(side))
    rules = ["rule_outside_limits", "rule_trend", "rule_two_in_three", "rule_shift"]
    special = out[rules].any(axis=1).to_numpy()
    out["special_cause"] = special
    out["point_type"] = _point_types(special, side, improvement)
    return out


def _point_types(special: np.ndarray, side: np.ndarray, improvement: Improvement | None):
    if improvement is None:
        kind = np.where(side > 0, "special_cause_neither_high", "special_cause_neither_low")
    else:
        good = 1 if improvement == "increase" else -1
        kind = np.where(side == good, "special_cause_improvement", "special_cause_concern")
    return np.where(special, kind, "common_cause")


def rebase(
    chart: pd.DataFrame,
    at: Sequence,
    *,
    improvement: Improvement | None = None,
    fix_after_n_points: int | None = None,
    screen_outliers: bool = True,
) -> pd.DataFrame:
    """Recalculate a chart's limits with new baselines starting at the given x values."""
    target = (
        chart["target"].iloc[0] if "target" in chart and chart["target"].notna().any() else None
    )
    return xmr_chart(
        chart["y"],
        chart["x"],
        improvement=improvement,
        rebase_at=at,
        fix_after_n_points=fix_after_n_points,
        screen_outliers=screen_outliers,
        target=target,
    )


# --- icons -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SPCSummary:
    """The two Making Data Count icons for a chart, with the latest limits.

    ``variation`` is the type of the latest point (a key of
    :data:`VARIATION_LABELS`); ``assurance`` compares the target with the
    latest process limits (a key of :data:`ASSURANCE_LABELS`), or None without
    a target or a polarity.
    """

    variation: str
    variation_label: str
    assurance: str | None
    assurance_label: str | None
    mean: float
    lower_limit: float
    upper_limit: float
    target: float | None
    n_points: int


def variation_icon(chart: pd.DataFrame) -> str:
    """Variation icon: the type of the latest point (common cause, improvement, concern…)."""
    return str(chart.sort_values("x")["point_type"].iloc[-1])


def assurance_icon(
    chart: pd.DataFrame, target: float | None, improvement: Improvement | None
) -> str | None:
    """Assurance icon: whether the process can be relied on to meet the target.

    Compares the target with the latest period's process limits: a target
    outside the limits on the bad side will consistently be failed, on the
    good side consistently hit; a target between the limits is hit and miss.
    None without a target or an improvement direction (NHSRplotthedots
    ``ptd_calculate_assurance_type``).
    """
    if target is None or improvement is None or np.isnan(target):
        return None
    last = chart.sort_values("x").iloc[-1]
    if target > last["upper_limit"]:
        return "consistently_fail" if improvement == "increase" else "consistently_hit"
    if target < last["lower_limit"]:
        return "consistently_hit" if improvement == "increase" else "consistently_fail"
    return "hit_and_miss"


def spc_summary(
    chart: pd.DataFrame, improvement: Improvement | None = None, target: float | None = None
) -> SPCSummary:
    """Both icons and the latest limits of an :func:`xmr_chart` result."""
    if target is None and "target" in chart and chart["target"].notna().any():
        target = float(chart["target"].dropna().iloc[-1])
    last = chart.sort_values("x").iloc[-1]
    variation = variation_icon(chart)
    assurance = assurance_icon(chart, target, improvement)
    return SPCSummary(
        variation=variation,
        variation_label=VARIATION_LABELS[variation],
        assurance=assurance,
        assurance_label=None if assurance is None else ASSURANCE_LABELS[assurance],
        mean=float(last["mean"]),
        lower_limit=float(last["lower_limit"]),
        upper_limit=float(last["upper_limit"]),
        target=target,
        n_points=len(chart),
    )
