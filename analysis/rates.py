"""Proportions, crude rates and means with confidence intervals, the Fingertips way.

The methods and their edge cases follow the PHEindicatormethods R package
(UKHSA; ``phe_proportion``, ``phe_rate``, ``phe_mean``) so that our numbers
match Fingertips:

* proportions: Wilson score interval (Wilson 1927; Newcombe & Altman 2000);
* rates and counts: Byar's approximation to the Poisson interval (Breslow & Day
  1987), switching to the exact Poisson interval (chi-square form; Armitage &
  Berry 2002) when the count is below 10;
* means: Student's t interval.

Vector functions (``proportion_ci``, ``rate_ci``, ``count_ci`` …) take scalars,
arrays or Series and return an :class:`Interval`; the ``phe_*`` helpers take a
DataFrame and return a new one with the columns used everywhere in this project:
``value``, ``lower_ci``, ``upper_ci`` (one confidence level) or
``lower_ci_95``, ``upper_ci_95``, ``lower_ci_99_8``, ``upper_ci_99_8`` (several),
then ``confidence``, ``statistic``, ``method``. Inputs are never modified.
Confidence levels are given as 0.95 / 0.998 (or 95 / 99.8).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, cast

import numpy as np
import pandas as pd
from scipy import stats

from analysis.errors import HiodError

ArrayLike: TypeAlias = float | int | Sequence[float] | np.ndarray | pd.Series
Levels: TypeAlias = float | Sequence[float]

BYARS_MIN_COUNT = 10
"""Counts below this use the exact Poisson interval instead of Byar's (as Fingertips)."""


class MethodInputError(HiodError, ValueError):
    """Inputs a statistical method cannot accept; the message says which and why."""


@dataclass(frozen=True, eq=False)
class Interval:
    """A point estimate with its confidence interval (arrays, or floats for scalar input).

    ``method`` is the method's name per element (e.g. ``"Byars"`` or ``"Exact"``)
    or one name for all. ``confidence`` is a fraction (0.95 for 95%).
    """

    value: Any
    lower: Any
    upper: Any
    confidence: float
    method: Any


def confidence_level(confidence: float) -> float:
    """Normalise a confidence level to a fraction: 95 → 0.95, 0.998 → 0.998.

    Accepted, as in PHEindicatormethods: 0.9 ≤ level < 1, or 90 ≤ level < 100.
    """
    level = float(confidence)
    if 90 <= level < 100:
        level /= 100
    if not 0.9 <= level < 1:
        raise MethodInputError(
            f"confidence level must be between 90 and 100 or between 0.9 and 1 (got {confidence})"
        )
    return level


def levels(confidence: Levels) -> tuple[float, ...]:
    """One or several confidence levels as a tuple of fractions."""
    # np.isscalar's TypeIs covers every numpy and Python scalar and leaves the other branch
    # un-narrowed, so it cannot split Levels for mypy: say what each branch holds
    if np.isscalar(confidence):
        raw: tuple[float, ...] = (cast(float, confidence),)
    else:
        raw = tuple(cast(Sequence[float], confidence))
    if not raw:
        raise MethodInputError("at least one confidence level is needed")
    return tuple(confidence_level(c) for c in raw)


def z_value(confidence: float) -> float:
    """Two-sided standard normal quantile for ``confidence`` (1.959964 for 0.95)."""
    level = confidence_level(confidence)
    return float(stats.norm.ppf(level + (1 - level) / 2))


def level_suffix(level: float) -> str:
    """Column suffix for a level: 0.95 → ``"95"``, 0.998 → ``"99_8"``."""
    return f"{round(level * 100, 6):g}".replace(".", "_")


def level_label(all_levels: Sequence[float]) -> str:
    """The ``confidence`` column text: ``"95%"`` or ``"95%, 99.8%"``."""
    return ", ".join(f"{round(lv * 100, 6):g}%" for lv in all_levels)


def _array(x: ArrayLike) -> np.ndarray:
    return np.asarray(x, dtype=float)


def _shape_like(template: ArrayLike, arr: np.ndarray) -> Any:
    return float(arr) if np.ndim(template) == 0 else arr


def _check_counts(x: np.ndarray, what: str = "numerators") -> None:
    if np.any(x[~np.isnan(x)] < 0):
        raise MethodInputError(f"{what} must be greater than or equal to zero")


def _check_denominators(n: np.ndarray) -> None:
    if np.any(n[~np.isnan(n)] <= 0):
        raise MethodInputError("denominators must be greater than zero")


def wilson_limits(x: np.ndarray, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score limits for proportions x/n, as fractions, unvalidated (Wilson 1927)."""
    z = stats.norm.ppf(level + (1 - level) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        root = z * np.sqrt(z**2 + 4 * x * (1 - x / n))
        lower = (2 * x + z**2 - root) / 2 / (n + z**2)
        upper = (2 * x + z**2 + root) / 2 / (n + z**2)
    return lower, upper


def byars_limits(x: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Byar's limits for counts x (Breslow & Day 1987); lower is NaN where it goes negative."""
    z = stats.norm.ppf(level + (1 - level) / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = x * (1 - 1 / (9 * x) - z / (3 * np.sqrt(x))) ** 3
        upper = (x + 1) * (1 - 1 / (9 * (x + 1)) + z / (3 * np.sqrt(x + 1))) ** 3
    lower = np.where(lower < 0, np.nan, lower)
    return lower, upper


def exact_poisson_limits(x: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact Poisson limits for counts x via chi-square (Armitage & Berry 2002); 0 → lower 0."""
    alpha = 1 - level
    with np.errstate(invalid="ignore"):
        lower = np.where(x == 0, 0.0, stats.chi2.ppf(alpha / 2, 2 * x) / 2)
        upper = stats.chi2.ppf(1 - alpha / 2, 2 * x + 2) / 2
    return np.where(np.isnan(x), np.nan, lower), upper


def count_limits(x: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fingertips count limits: exact below 10 events, Byar's from 10; with method names."""
    exact_lo, exact_hi = exact_poisson_limits(x, level)
    byar_lo, byar_hi = byars_limits(x, level)
    small = x < BYARS_MIN_COUNT
    # numpy's stubs reject None as an array-like; np.where takes it (an object array)
    method = np.where(np.isnan(x), None, np.where(small, "Exact", "Byars"))  # type: ignore[call-overload]
    return np.where(small, exact_lo, byar_lo), np.where(small, exact_hi, byar_hi), method


def proportion_ci(
    numerator: ArrayLike,
    denominator: ArrayLike,
    confidence: float = 0.95,
    multiplier: float = 1.0,
) -> Interval:
    """Proportion with its Wilson score interval (Wilson 1927; Newcombe & Altman 2000).

    Parameters
    ----------
    numerator:
        People with the outcome (count ≥ 0; fractional counts are allowed).
    denominator:
        People eligible (> 0, ≥ numerator).
    confidence:
        Two-sided level, 0.95 by default (0.998 for Fingertips' outer limits).
    multiplier:
        Scale of the result: 1 for a proportion of 1 (default), 100 for a percentage.

    Returns
    -------
    Interval
        ``value = numerator / denominator × multiplier`` with Wilson limits on the
        same scale; NaN where an input is missing. Raises
        :class:`MethodInputError` for negative counts, denominators ≤ 0 or
        numerators above denominators.
    """
    x, n, level = _array(numerator), _array(denominator), confidence_level(confidence)
    _check_counts(x)
    _check_denominators(n)
    if np.any(x > n):
        raise MethodInputError(
            "numerators must be less than or equal to denominator for a proportion statistic"
        )
    lower, upper = wilson_limits(x, n, level)
    with np.errstate(invalid="ignore"):
        value = x / n
    return Interval(
        _shape_like(numerator, value * multiplier),
        _shape_like(numerator, lower * multiplier),
        _shape_like(numerator, upper * multiplier),
        level,
        "Wilson",
    )


def byars_ci(count: ArrayLike, confidence: float = 0.95) -> Interval:
    """Byar's approximation to the Poisson interval for an observed count (Breslow & Day 1987).

    ``lower = x (1 − 1/(9x) − z/(3√x))³``, ``upper = (x+1) (1 − 1/(9(x+1)) + z/(3√(x+1)))³``.
    The lower limit is NaN where the approximation turns negative (very small
    counts at high confidence), as in PHEindicatormethods; for rates use
    :func:`count_ci` or :func:`rate_ci`, which switch to the exact interval
    below 10 events. Returns the interval on the count scale.
    """
    x, level = _array(count), confidence_level(confidence)
    _check_counts(x, "observed events")
    lower, upper = byars_limits(x, level)
    return Interval(
        _shape_like(count, x),
        _shape_like(count, lower),
        _shape_like(count, upper),
        level,
        "Byars",
    )


def exact_poisson_ci(count: ArrayLike, confidence: float = 0.95) -> Interval:
    """Exact Poisson interval for a count (Armitage & Berry 2002).

    ``lower = χ²(α/2; 2x)/2`` (0 when x = 0), ``upper = χ²(1−α/2; 2x+2)/2``, on the count scale.
    """
    x, level = _array(count), confidence_level(confidence)
    _check_counts(x, "observed events")
    lower, upper = exact_poisson_limits(x, level)
    return Interval(
        _shape_like(count, x),
        _shape_like(count, lower),
        _shape_like(count, upper),
        level,
        "Exact",
    )


def count_ci(count: ArrayLike, confidence: float = 0.95) -> Interval:
    """Interval for an observed count as Fingertips computes it: exact below 10, Byar's from 10."""
    x, level = _array(count), confidence_level(confidence)
    _check_counts(x, "observed events")
    lower, upper, method = count_limits(x, level)
    return Interval(
        _shape_like(count, x),
        _shape_like(count, lower),
        _shape_like(count, upper),
        level,
        method,
    )


def rate_ci(
    numerator: ArrayLike,
    denominator: ArrayLike,
    confidence: float = 0.95,
    multiplier: float = 100_000,
) -> Interval:
    """Crude rate with its interval: Byar's method, exact Poisson below 10 events.

    Parameters
    ----------
    numerator:
        Observed events (≥ 0).
    denominator:
        Population at risk or person-time (> 0).
    confidence:
        Two-sided level, 0.95 by default.
    multiplier:
        Rate per this many people, 100,000 by default.

    Returns
    -------
    Interval
        ``value = numerator / denominator × multiplier``; the count interval of
        :func:`count_ci` divided by the denominator, same scale. ``method`` is
        ``"Exact"`` or ``"Byars"`` per element (references: Breslow & Day 1987;
        Armitage & Berry 2002).
    """
    x, n, level = _array(numerator), _array(denominator), confidence_level(confidence)
    _check_counts(x)
    _check_denominators(n)
    lower, upper, method = count_limits(x, level)
    value = x / n * multiplier
    return Interval(
        _shape_like(numerator, value),
        _shape_like(numerator, lower / n * multiplier),
        _shape_like(numerator, upper / n * multiplier),
        level,
        method,
    )


def mean_ci(values: ArrayLike, confidence: float = 0.95) -> Interval:
    """Mean of ``values`` with a Student's t interval: x̄ ± t(1−α/2; n−1) · s/√n.

    Missing values are ignored; fewer than two values give NaN limits.
    Returns floats (value, lower, upper) in the unit of ``values``.
    """
    v = _array(values).ravel()
    v = v[~np.isnan(v)]
    level = confidence_level(confidence)
    n = v.size
    mean = float(v.mean()) if n else float("nan")
    if n < 2:
        return Interval(mean, float("nan"), float("nan"), level, "Student's t-distribution")
    half = stats.t.ppf(level + (1 - level) / 2, n - 1) * v.std(ddof=1) / np.sqrt(n)
    return Interval(mean, mean - half, mean + half, level, "Student's t-distribution")


def ci_columns(all_levels: Sequence[float]) -> list[tuple[float, str, str]]:
    """(level, lower column, upper column): plain names for one level, suffixed for several."""
    if len(all_levels) == 1:
        return [(all_levels[0], "lower_ci", "upper_ci")]
    return [
        (lv, f"lower_ci_{level_suffix(lv)}", f"upper_ci_{level_suffix(lv)}") for lv in all_levels
    ]


def sum_by(
    data: pd.DataFrame, by: str | Sequence[str] | None, columns: Sequence[str]
) -> pd.DataFrame:
    """Sum ``columns`` within ``by`` groups; a missing value makes the sum missing (as R's sum)."""
    if by is None:
        return data.copy()
    keys = [by] if isinstance(by, str) else list(by)
    grouped = data.groupby(keys, sort=False, dropna=False)[list(columns)]
    return grouped.agg(lambda s: s.sum(skipna=False)).reset_index()


def _require(data: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise MethodInputError(f"column(s) not in data: {', '.join(missing)}")


def _number_text(x: float) -> str:
    return f"{x:.0f}" if float(x).is_integer() else f"{x:g}"


def phe_proportion(
    data: pd.DataFrame,
    numerator: str,
    denominator: str,
    confidence: Levels = (0.95, 0.998),
    multiplier: float = 1.0,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Proportions with Wilson intervals for each row (or each ``by`` group), as ``phe_proportion``.

    ``numerator`` and ``denominator`` name columns of ``data``. With ``by``, the
    counts are summed within groups first (any missing count makes the group
    missing). Returns a new DataFrame: the input (or group) columns, then
    ``value``, the interval columns (see module docstring), ``confidence``,
    ``statistic`` (``"proportion of 1"``, ``"percentage"`` …) and ``method``.
    """
    _require(data, [numerator, denominator])
    all_levels = levels(confidence)
    out = sum_by(data, by, [numerator, denominator])
    x, n = out[numerator].to_numpy(float), out[denominator].to_numpy(float)
    for level, lo_col, hi_col in ci_columns(all_levels):
        ci = proportion_ci(x, n, level, multiplier)
        out["value"] = ci.value
        out[lo_col], out[hi_col] = ci.lower, ci.upper
    out["confidence"] = level_label(all_levels)
    out["statistic"] = {1.0: "proportion of 1", 100.0: "percentage"}.get(
        float(multiplier), f"proportion of {_number_text(multiplier)}"
    )
    out["method"] = "Wilson"
    return out


def phe_rate(
    data: pd.DataFrame,
    numerator: str,
    denominator: str,
    confidence: Levels = (0.95, 0.998),
    multiplier: float = 100_000,
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Crude rates with Byar's (≥ 10 events) or exact (< 10) intervals, as ``phe_rate``.

    Columns as :func:`phe_proportion`; ``statistic`` reads ``"rate per 100000"``
    and ``method`` is ``"Byars"`` or ``"Exact"`` per row (missing when the
    numerator is missing). References: Breslow & Day 1987; Armitage & Berry 2002.
    """
    _require(data, [numerator, denominator])
    all_levels = levels(confidence)
    out = sum_by(data, by, [numerator, denominator])
    x, n = out[numerator].to_numpy(float), out[denominator].to_numpy(float)
    out["value"] = x / n * multiplier
    method = None
    for level, lo_col, hi_col in ci_columns(all_levels):
        ci = rate_ci(x, n, level, multiplier)
        out[lo_col], out[hi_col] = ci.lower, ci.upper
        method = ci.method
    out["confidence"] = level_label(all_levels)
    out["statistic"] = f"rate per {_number_text(multiplier)}"
    out["method"] = method
    return out


def phe_mean(
    data: pd.DataFrame,
    values: str,
    confidence: Levels = (0.95, 0.998),
    by: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Means with Student's t intervals, one row per ``by`` group (or one row), as ``phe_mean``.

    Returns ``value_sum``, ``value_count``, ``stdev``, ``value``, the interval
    columns, ``confidence``, ``statistic`` (``"mean"``) and ``method``.
    """
    _require(data, [values])
    all_levels = levels(confidence)
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    groups = data.groupby(keys, sort=False, dropna=False) if keys else [((), data)]
    rows = []
    for key, part in groups:
        v = part[values].dropna().to_numpy(float)
        key_values = key if isinstance(key, tuple) else (key,)
        row: dict[str, Any] = dict(zip(keys, key_values, strict=True))
        row |= {
            "value_sum": v.sum(),
            "value_count": v.size,
            "stdev": v.std(ddof=1) if v.size > 1 else np.nan,
            "value": v.mean() if v.size else np.nan,
        }
        for level, lo_col, hi_col in ci_columns(all_levels):
            ci = mean_ci(v, level)
            row[lo_col], row[hi_col] = ci.lower, ci.upper
        rows.append(row)
    out = pd.DataFrame(rows)
    out["confidence"] = level_label(all_levels)
    out["statistic"] = "mean"
    out["method"] = "Student's t-distribution"
    return out
