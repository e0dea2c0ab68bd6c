"""Directly and indirectly standardised rates and ratios, the Fingertips way.

* Directly standardised rate (DSR): the age-specific rates weighted by a
  standard population; interval by Byar's method with the Dobson et al. (1991)
  adjustment, optionally widened for non-independent events (people counted
  more than once) as the Fingertips technical guidance describes. DSRs from
  fewer than 10 events are not published (NaN, ``statistic`` says why).
* Indirectly standardised ratio / rate (ISR): observed ÷ expected events, where
  expected = Σ population × reference rate per band; interval from the
  observed count (Byar's from 10 events, exact Poisson below).

As PHEindicatormethods ``calculate_dsr`` / ``calculate_ISRatio`` /
``calculate_ISRate``. References: Breslow & Day 1987; Dobson A et al.,
Confidence intervals for weighted sums of Poisson parameters, Stat Med
1991;10:457-62; Armitage & Berry 2002.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analysis.rates import (
    BYARS_MIN_COUNT,
    Interval,
    Levels,
    MethodInputError,
    byars_limits,
    ci_columns,
    confidence_level,
    count_limits,
    level_label,
    levels,
)

ESP2013: tuple[int, ...] = (
    5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
    7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000,
)  # fmt: skip
"""European Standard Population 2013 in 19 bands: 0–4, 5–9, …, 85–89, 90+ (sums to 100,000)."""

DOBSON = "Dobson"
DOBSON_NONINDEPENDENT = "Dobson, with confidence adjusted for non-independent events"


def _keys(by: str | Sequence[str] | None) -> list[str]:
    return [] if by is None else ([by] if isinstance(by, str) else list(by))


def _groups(data: pd.DataFrame, keys: list[str]):
    return data.groupby(keys, sort=False, dropna=False) if keys else [((), data)]


def _key_dict(keys: list[str], key) -> dict:
    return dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))


def _per_group(values: str | Sequence[float], part: pd.DataFrame, what: str) -> np.ndarray:
    """A column of ``part``, or a vector applied to every group (one value per row)."""
    if isinstance(values, str):
        return part[values].to_numpy(float)
    return _vector(values, len(part), what, "row")


def _vector(values: Sequence[float], size: int, what: str, unit: str) -> np.ndarray:
    vec = np.asarray(values, dtype=float)
    if vec.size != size:
        raise MethodInputError(
            f"{what} has {vec.size} values but a group has {size} {unit}s; "
            f"give one value per {unit} of each group"
        )
    return vec


def dsr_variance(count: np.ndarray, population: np.ndarray, standard: np.ndarray) -> float:
    """Variance of a DSR (per person, before the multiplier): Σ x (w/n)² / (Σ w)²."""
    x = np.nan_to_num(count)
    return float(np.sum(x * (standard / population) ** 2) / np.sum(standard) ** 2)


def dsr(
    count: Sequence[float] | np.ndarray,
    population: Sequence[float] | np.ndarray,
    standard_population: Sequence[float] | np.ndarray = ESP2013,
    confidence: float = 0.95,
    multiplier: float = 100_000,
    variance: float | None = None,
) -> Interval:
    """Directly standardised rate of one area with its Dobson interval (Dobson et al. 1991).

    Parameters
    ----------
    count, population:
        Events and population per standardisation band (e.g. age band), same
        order as ``standard_population``. Missing counts count as 0.
    standard_population:
        Weights per band; the European Standard Population 2013 by default.
    confidence:
        Two-sided level (0.95 default).
    multiplier:
        Rate per this many people (100,000 default).
    variance:
        Optional variance of the DSR (per person) to use instead of the
        independent-events variance, e.g. from :func:`phe_dsr` with
        ``event_frequency`` for non-independent events.

    Returns
    -------
    Interval
        ``value = Σ (x/n) w / Σ w × multiplier``; limits
        ``value + √(var / X) (Byar(X) − X) × multiplier`` with X the total count.
        All NaN when X < 10 (Fingertips does not publish such DSRs).
    """
    x = np.asarray(count, dtype=float)
    n = np.asarray(population, dtype=float)
    w = np.asarray(standard_population, dtype=float)
    _validate_dsr(x, n, w)
    total = float(np.nansum(x))
    var = dsr_variance(x, n, w) if variance is None else variance
    value = float(np.sum(np.nan_to_num(x) * w / n) / np.sum(w) * multiplier)
    level = confidence_level(confidence)
    if total < BYARS_MIN_COUNT:
        return Interval(np.nan, np.nan, np.nan, level, DOBSON)
    lo, hi = byars_limits(np.array(total), level)
    scale = np.sqrt(var / total) * multiplier
    method = DOBSON if variance is None else DOBSON_NONINDEPENDENT
    lower, upper = value + scale * (lo - total), value + scale * (hi - total)
    return Interval(value, float(lower), float(upper), level, method)


def _validate_dsr(x: np.ndarray, n: np.ndarray, w: np.ndarray) -> None:
    if not (x.size == n.size == w.size):
        raise MethodInputError("count, population and standard population need one value per band")
    if np.any(np.isnan(n)):
        raise MethodInputError("populations cannot have missing values")
    if np.any(np.isnan(w)):
        raise MethodInputError("standard populations cannot have missing values")
    if np.any(x[~np.isnan(x)] < 0):
        raise MethodInputError("numerators must all be greater than or equal to zero")
    if np.any(n <= 0):
        raise MethodInputError("denominators must all be greater than zero")
    if np.any(w < 0):
        raise MethodInputError("standard populations must all be greater than or equal to zero")


def phe_dsr(
    data: pd.DataFrame,
    count: str,
    population: str,
    standard_population: str | Sequence[float] = ESP2013,
    by: str | Sequence[str] | None = None,
    confidence: Levels = (0.95, 0.998),
    multiplier: float = 100_000,
    event_frequency: str | None = None,
    band: str | None = None,
) -> pd.DataFrame:
    """Directly standardised rates per ``by`` group, as ``calculate_dsr`` (Dobson et al. 1991).

    ``data`` has one row per group and band (``count``, ``population``); the
    standard population is a column name or one vector applied to every group
    (ESP 2013 by default). For non-independent events (one person can have
    several events) give ``event_frequency`` and ``band``: then ``count`` is the
    number of distinct people with that many events, one row per group, band
    and frequency f; the DSR uses Σ f × people per band, and its variance is
    Σ_f f² var_f (Fingertips technical guidance, DSR chapter). A standard
    population given as a vector then has one value per band, in the order the
    bands first appear in each group.

    Returns one row per group: ``total_count``, ``total_pop``, ``value``, the
    interval columns, ``confidence``, ``statistic`` (``"dsr per 100000"``, or
    ``"dsr NA for total count < 10"``) and ``method``.
    """
    keys = _keys(by)
    all_levels = levels(confidence)
    rows = []
    if event_frequency is not None and band is None:
        raise MethodInputError("non-independent events need the band column (e.g. age band)")
    for key, part in _groups(data, keys):
        if event_frequency is None:
            w = _per_group(standard_population, part, "standard_population")
            x, n, var = part[count].to_numpy(float), part[population].to_numpy(float), None
        else:
            x, n, w, var = _nonindependent(
                part, count, population, event_frequency, str(band), standard_population
            )
        row = _key_dict(keys, key) | {"total_count": np.nansum(x), "total_pop": n.sum()}
        for level, lo_col, hi_col in ci_columns(all_levels):
            ci = dsr(x, n, w, level, multiplier, variance=var)
            row |= {"value": ci.value, lo_col: ci.lower, hi_col: ci.upper}
        small = row["total_count"] < BYARS_MIN_COUNT
        row["confidence"] = level_label(all_levels)
        row["statistic"] = (
            f"dsr NA for total count < {BYARS_MIN_COUNT}" if small else f"dsr per {multiplier:.0f}"
        )
        row["method"] = DOBSON if var is None else DOBSON_NONINDEPENDENT
        rows.append(row)
    return pd.DataFrame(rows)


def _nonindependent(
    part: pd.DataFrame,
    people: str,
    population: str,
    frequency: str,
    band: str,
    standard_population: str | Sequence[float],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Events, populations and weights per band, and the Σ f² var_f variance."""
    if part[frequency].isna().any():
        raise MethodInputError("event frequency must not have missing values")
    if part[band].isna().any():
        raise MethodInputError("band must not have missing values")
    order = pd.unique(part[band])
    if isinstance(standard_population, str):
        weights = part.groupby(band, sort=False)[standard_population].first()
    else:
        weights = pd.Series(
            _vector(standard_population, len(order), "standard_population", "band"), order
        )
    pops = part.groupby(band, sort=False)[population].first().reindex(order)
    w = weights.reindex(order).to_numpy(float)
    n = pops.to_numpy(float)
    variance = 0.0
    for f, g in part.groupby(frequency):
        people_by_band = g.groupby(band, sort=False)[people].sum(min_count=1).reindex(order)
        variance += f**2 * dsr_variance(people_by_band.to_numpy(float), n, w)
    events = (part[people].fillna(0) * part[frequency]).groupby(part[band], sort=False).sum()
    return events.reindex(order).to_numpy(float), n, w, float(variance)


def phe_isr(
    data: pd.DataFrame,
    observed: str,
    population: str,
    reference_count: str | Sequence[float],
    reference_population: str | Sequence[float],
    by: str | Sequence[str] | None = None,
    kind: Literal["ratio", "rate"] = "ratio",
    confidence: Levels = (0.95, 0.998),
    multiplier: float = 1.0,
) -> pd.DataFrame:
    """Indirectly standardised ratios or rates per ``by`` group, as ``calculate_ISRatio/ISRate``.

    Expected events = Σ population × reference count / reference population over
    the bands (missing counts or populations count as 0). The ratio is
    observed ÷ expected × ``multiplier`` (1, or 100 for "SMR × 100"); the rate
    (``kind="rate"``) is the ratio × the reference rate Σ ref count / Σ ref
    population × ``multiplier`` (e.g. per 100,000). Interval: Byar's from 10
    observed events, exact Poisson below (Breslow & Day 1987), divided by the
    expected count. Reference counts/populations are columns or one vector per
    group (one value per band, same order in every group).

    Returns one row per group: ``observed``, ``expected``, (``ref_rate`` for
    rates), ``value``, the interval columns, ``confidence``, ``statistic``,
    ``method``.
    """
    keys = _keys(by)
    all_levels = levels(confidence)
    rows = []
    for key, part in _groups(data, keys):
        ref_x = _per_group(reference_count, part, "reference_count")
        ref_n = _per_group(reference_population, part, "reference_population")
        n = part[population].to_numpy(float)
        x = part[observed].to_numpy(float)
        if np.any(x[~np.isnan(x)] < 0):
            raise MethodInputError("numerators must all be greater than or equal to zero")
        if np.any(n[~np.isnan(n)] < 0):
            raise MethodInputError("denominators must all be greater than or equal to zero")
        obs = float(np.nansum(x))
        expected = float(np.sum(np.nan_to_num(ref_x) / ref_n * np.nan_to_num(n)))
        scale = multiplier if kind == "ratio" else np.nansum(ref_x) / np.nansum(ref_n) * multiplier
        row = _key_dict(keys, key) | {"observed": obs, "expected": expected}
        if kind == "rate":
            row["ref_rate"] = scale
        row["value"] = obs / expected * scale
        method = None
        for level, lo_col, hi_col in ci_columns(all_levels):
            lo, hi, method = count_limits(np.array(obs), level)
            row[lo_col], row[hi_col] = float(lo) / expected * scale, float(hi) / expected * scale
        row["confidence"] = level_label(all_levels)
        row["statistic"] = (
            f"indirectly standardised ratio x {multiplier:g}"
            if kind == "ratio"
            else f"indirectly standardised rate per {multiplier:.0f}"
        )
        row["method"] = str(method)
        rows.append(row)
    return pd.DataFrame(rows)
