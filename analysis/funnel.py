"""Funnel plot control limits and outlier flags, as PHEindicatormethods computes them.

A funnel plot shows each site's value against its size (denominator, or
events) with control limits around the overall average that narrow as size
grows. Three statistics, as in Fingertips (OHID Public Health Technical
Guidance, funnel plots) and PHEindicatormethods ``calculate_funnel_limits``,
``assign_funnel_significance`` and ``calculate_funnel_points``:

* ``"proportion"``: limits from inverting the Wilson score interval around
  the average proportion (Wilson 1927; Newcombe & Altman 2000);
* ``"rate"``: exact Poisson limits found by bisection on the event count, for
  crude rates or directly standardised rates (``rate_type="dsr"``: the
  denominator is derived as events ÷ rate, and sites with fewer than 10
  events are not assessed); flags use Byar's method from 10 events and the
  exact chi-square interval below (Breslow & Day 1987);
* ``"ratio"``: observed ÷ expected (e.g. an indirectly standardised ratio),
  the same Poisson limits.

Limits are at 95% ("2s", p = 0.025 each side) and 99.8% ("3s", p = 0.001).
:func:`funnel_limits` returns 100 points to draw; :func:`funnel_significance`
flags each site. For overdispersion (more spread between sites than chance
allows) see :mod:`analysis.funnel_overdispersion`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analysis.rates import MethodInputError

Statistic = Literal["proportion", "rate", "ratio"]
RateType = Literal["dsr", "crude"]
RatioType = Literal["count", "isr"]

HIGH_998, HIGH_95 = "High (0.001)", "High (0.025)"
LOW_998, LOW_95 = "Low (0.001)", "Low (0.025)"
NOT_SIGNIFICANT = "Not significant"
DSR_NOT_APPLICABLE = "Not applicable for events less than 10 for dsrs"
SIGNIFICANCE_LEVELS = (HIGH_998, HIGH_95, LOW_998, LOW_95, NOT_SIGNIFICANT, DSR_NOT_APPLICABLE)
N_POINTS = 100


def wilson_funnel_limit(
    p: float | np.ndarray, population: np.ndarray, average: float, side: str, multiplier: float
) -> np.ndarray:
    """Proportion at which a site of this size sits on the Wilson limit (``sigma_adjustment``).

    ``p`` is the one-sided probability (0.975 for the 95% limits, 0.999 for
    99.8%); ``average`` the overall proportion; ``side`` ``"low"``/``"high"``.
    """
    n = np.asarray(population, dtype=float)
    z2 = stats.norm.ppf(p) ** 2
    first = average * (n / z2 + 1)
    with np.errstate(invalid="ignore"):
        adj = np.sqrt(
            (-8 * average * (n / z2 + 1)) ** 2
            - 64
            * (1 / z2 + 1 / n)
            * average
            * (n * (average * (n / z2 + 2) - 1) + z2 * (average - 1))
        )
    last = 1 / z2 + 1 / n
    limit = (first - adj / 8) / last if side == "low" else (first + adj / 8) / last
    return limit / n * multiplier


def _series_stop(z: np.ndarray) -> np.ndarray:
    """Index at which PHEindicatormethods' Poisson series stops summing terms.

    Its ``poisson_cis`` adds terms k = 0, 1, … while k ≤ z or the next term
    exceeds 1e-10 × the running total: the first k > z with
    pmf(k) ≤ 1e-10 · cdf(k − 1). Reproducing this truncation (rather than using
    the exact tail) makes the bisection take the same path as the package.
    Beyond z the condition, once met, stays met, so a bisection on k finds it.
    """

    def stops(k: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return stats.poisson.logpmf(k, z) <= np.log(1e-10) + stats.poisson.logcdf(k - 1, z)

    low = np.floor(z)  # condition false here or not applicable (k must exceed z)
    high = low + 1 + np.ceil(12 * np.sqrt(z) + 60)
    while np.any(high - low > 1):
        mid = np.floor((low + high) / 2)
        met = stops(mid) & (mid > z)
        high, low = np.where(met, mid, high), np.where(met, low, mid)
    return high


def _truncated_poisson_probability(z: np.ndarray, observed: np.ndarray, side: str) -> np.ndarray:
    """P(K ≥ obs) (``side="low"``) or P(K ≤ obs) (``"high"``) as the package's series gives it."""
    last = _series_stop(z) - 1
    total = stats.poisson.cdf(last, z)
    if side == "low":
        inside = stats.poisson.sf(observed - 1, z) - stats.poisson.sf(last, z)
    else:
        inside = stats.poisson.cdf(np.minimum(observed, last), z)
    return np.maximum(inside, 0.0) / total


def poisson_funnel(observed: np.ndarray, p: float, side: str) -> np.ndarray:
    """Expected count at which ``observed`` events sit on the exact Poisson limit.

    Bisection on v with expected = (1 + obs) v / (1 − v), halving the step
    from 0.25 until it is ≤ 1e-7, exactly as PHEindicatormethods
    ``poisson_funnel``: ``side="low"`` solves P(K ≥ obs) = p, ``"high"``
    solves P(K ≤ obs) = p, K ~ Poisson(expected), with the package's series
    truncation (relative error ≈ 1e-10; see :func:`_series_stop`).
    """
    obs = np.asarray(observed, dtype=float)
    v = np.full(obs.shape, 0.5)
    dv = 0.5
    while dv > 1e-7:
        dv /= 2
        probability = _truncated_poisson_probability((1 + obs) * v / (1 - v), obs, side)
        too_high = probability > p if side == "low" else probability < p
        v = np.where(too_high, v - dv, v + dv)
    return (1 + obs) * v / (1 - v)


def poisson_ratio_limit(
    observed: np.ndarray, expected: np.ndarray, level: float | np.ndarray, side: str
) -> np.ndarray:
    """Limit of observed ÷ expected (``funnel_ratio_significance``).

    The ``side`` (``"low"``/``"high"``) confidence limit of the observed count,
    Byar's from 10 events and the exact chi-square limit below, divided by
    ``expected``.
    """
    obs = np.asarray(observed, dtype=float)
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        if side == "low":
            exact = np.where(obs == 0, 0.0, stats.chi2.isf(0.5 + level / 2, 2 * obs) / 2)
            byars = obs * (1 - 1 / (9 * obs) - z / 3 / np.sqrt(obs)) ** 3
        else:
            exact = stats.chi2.ppf(0.5 + level / 2, 2 * obs + 2) / 2
            byars = (obs + 1) * (1 - 1 / (9 * (obs + 1)) + z / 3 / np.sqrt(obs + 1)) ** 3
        return np.where(obs < 10, exact, byars) / np.asarray(expected, dtype=float)


def _r_nchar(value: float) -> int:
    """Characters R prints for a whole number: fixed, or scientific when that is shorter."""
    fixed = f"{value:.0f}"
    for digits in range(15):
        mantissa, exponent = f"{value:.{digits}e}".split("e")
        if float(f"{mantissa}e{exponent}") == value:
            break
    scientific = f"{mantissa}e{exponent[0]}{int(exponent[1:]):02d}"
    return len(scientific) if len(fixed) > len(scientific) else len(fixed)


def _floor_neat(x: float, down: float = 0.95) -> float:
    if x == 0:
        return 0.0
    n = _r_nchar(math.floor(x * down)) - 1
    return math.floor(x * down / 10**n) * 10**n


def _ceiling_neat(x: float, up: float = 1.05) -> float:
    if x == 0:
        return 0.0
    n = _r_nchar(math.ceil(x * up)) - 2
    return math.ceil(x * up / 10**n) * 10**n


def derived_denominator(
    numerator: np.ndarray,
    rate: np.ndarray,
    multiplier: float,
    rate_type: RateType,
    denominator: np.ndarray | None = None,
) -> np.ndarray:
    """Person-years behind each rate: multiplier × events ÷ rate (DSR: NaN for 0 events)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        derived = multiplier * numerator / rate
    if rate_type == "dsr":
        return np.where(numerator == 0, np.nan, derived)
    if denominator is None:
        if np.any(numerator == 0):
            raise MethodInputError(
                "for rates, where there are 0 events for a record, the denominator "
                "field needs to be provided using the denominator argument"
            )
        return derived
    return np.where(numerator == 0, denominator, derived)


def _grid(first: float, axis_maximum: float, statistic: Statistic) -> np.ndarray:
    points = [max(1.0, first)]
    for j in range(2, N_POINTS + 1):
        offset = j - 1 if statistic == "ratio" else j
        prev = points[-1]
        step = round((axis_maximum / prev) ** (1 / (101 - offset)) * prev)
        points.append(max(step, prev + 1))
    return np.array(points, dtype=float)


def funnel_limits(
    data: pd.DataFrame,
    numerator: str,
    denominator: str | None = None,
    *,
    statistic: Statistic,
    multiplier: float,
    rate: str | None = None,
    rate_type: RateType | None = None,
    ratio_type: RatioType | None = None,
    years_of_data: float | None = None,
) -> pd.DataFrame:
    """Control-limit curves to draw a funnel plot: 100 points (``calculate_funnel_limits``).

    Parameters
    ----------
    data:
        One row per site.
    numerator, denominator:
        Column names: events/people with the outcome, and the population
        (proportions), expected events (ratios) or population (crude rates;
        optional unless a site has 0 events).
    statistic:
        ``"proportion"``, ``"rate"`` or ``"ratio"``.
    multiplier:
        Display scale (100 = percentage; 100,000 = per 100,000); for
        ``ratio_type="isr"`` the ratio is × ``multiplier`` (100 in Fingertips).
    rate, rate_type, years_of_data:
        For rates: the rate column, ``"dsr"`` or ``"crude"``, and how many years
        the data cover (population axis shown per year).
    ratio_type:
        For ratios: ``"count"`` (observed/expected − 1) or ``"isr"``.

    Returns
    -------
    pandas.DataFrame
        A new frame of 100 rows. Proportions: ``Population``, ``lower_2s_limit``,
        ``upper_2s_limit``, ``lower_3s_limit``, ``upper_3s_limit``, ``baseline``.
        Rates: ``Events`` and, per limit, the ``*_population_1_year`` at which a
        site with that many events lies on it, plus ``baseline``. Ratios:
        ``Observed_events`` and ``*_exp_events``. Then ``statistic`` and
        ``method`` (Wilson or Poisson). 2s = 95%, 3s = 99.8%.
    """
    num = data[numerator].to_numpy(float)
    if statistic == "rate":
        if rate is None or rate_type is None or years_of_data is None:
            raise MethodInputError("rates need rate, rate_type and years_of_data")
        per_year = years_of_data
        den_in = None if denominator is None else data[denominator].to_numpy(float)
        rate_values = pd.to_numeric(data[rate], errors="coerce").to_numpy(float)
        den = derived_denominator(num, rate_values, multiplier, rate_type, den_in)
    elif statistic in ("proportion", "ratio"):
        if denominator is None:
            raise MethodInputError(f"{statistic}s need a denominator column")
        if statistic == "ratio" and ratio_type not in ("count", "isr"):
            raise MethodInputError("ratios need ratio_type 'count' or 'isr'")
        den = data[denominator].to_numpy(float)
        per_year = 1.0
    else:
        raise MethodInputError(f"statistic must be proportion, rate or ratio (got {statistic!r})")
    average = num.sum() / np.nansum(den)
    lo_den, hi_den = np.nanmin(den), np.nanmax(den)
    axis_min = 0.0 if hi_den > 2 * lo_den else _floor_neat(lo_den / per_year) * per_year
    axis_max = _ceiling_neat(hi_den / per_year) * per_year
    if statistic == "rate":
        axis_min, axis_max = math.floor(axis_min * average), math.ceil(axis_max * average)
    grid = _grid(axis_min, axis_max, statistic)
    if statistic == "proportion":
        out = pd.DataFrame({"Population": grid})
        for tag, p in (("2s", 0.975), ("3s", 0.999)):
            low = wilson_funnel_limit(p, grid, average, "low", multiplier)
            high = wilson_funnel_limit(p, grid, average, "high", multiplier)
            out[f"lower_{tag}_limit"] = np.maximum(0.0, low)
            out[f"upper_{tag}_limit"] = np.minimum(multiplier, high)
        out["baseline"] = average * multiplier
        method, label = "Wilson", "proportion"
    else:
        column = "Events" if statistic == "rate" else "Observed_events"
        out = pd.DataFrame({column: grid})
        for tag, p in (("2s", 0.025), ("3s", 0.001)):
            for bound, side in (("lower", "high"), ("upper", "low")):
                expected = poisson_funnel(grid, p, side)
                if statistic == "rate":
                    population = expected / average
                    out[f"{bound}_{tag}_population_1_year"] = population / years_of_data
                    out[f"{bound}_{tag}_limit"] = grid / population * multiplier
                else:
                    ratio = grid / expected
                    out[f"{bound}_{tag}_exp_events"] = expected
                    scale = ratio - 1 if ratio_type == "count" else ratio * multiplier
                    out[f"{bound}_{tag}_limit"] = scale
        if statistic == "rate":
            out["baseline"] = average * multiplier
            label = f"rate ({rate_type} per {multiplier:,.0f})"
        else:
            label = f"ratio ({ratio_type})"
        method = "Poisson"
    out["statistic"] = label
    out["method"] = method
    return out


Beyond = Callable[[float | np.ndarray, str], np.ndarray]


def _site_tests(
    data: pd.DataFrame,
    numerator: str,
    denominator: str | None,
    statistic: Statistic,
    rate: str | None,
    rate_type: RateType | None,
    multiplier: float | None,
) -> Beyond:
    """The test behind the flags: ``beyond(level, side)`` is True where a site lies outside.

    Proportions: the site's proportion against the Wilson limit around the
    average; ratios and rates: the average (1, or the overall rate) against
    the other-side confidence limit of the site's count (Byar's, exact below
    10 events). ``level`` may be one value or one per site.
    """
    num = data[numerator].to_numpy(float)
    den = None if denominator is None else data[denominator].to_numpy(float)
    if np.any(num < 0):
        raise MethodInputError("numerators must be greater than or equal to zero")
    if den is not None and np.any(den <= 0):
        raise MethodInputError("denominators must be greater than zero")
    if statistic == "proportion":
        if den is None:
            raise MethodInputError("proportions need a denominator column")
        if np.any(num > den):
            raise MethodInputError(
                "numerators must be less than or equal to denominator for a proportion statistic"
            )
        average = num.sum() / den.sum()
        value = num / den

        def beyond_proportion(level: float | np.ndarray, side: str) -> np.ndarray:
            p = 0.5 + np.asarray(level) / 2
            limit = wilson_funnel_limit(p, den, average, side, 1.0)
            return value < limit if side == "low" else value > limit

        return beyond_proportion
    if statistic in ("ratio", "rate"):
        if statistic == "ratio":
            if den is None:
                raise MethodInputError("ratios need the expected count as denominator")
            expected, target = den, 1.0
        else:
            if rate is None or rate_type is None or multiplier is None:
                raise MethodInputError("rates need rate, rate_type and multiplier")
            rate_values = pd.to_numeric(data[rate], errors="coerce").to_numpy(float)
            expected = derived_denominator(num, rate_values, multiplier, rate_type, den)
            target = num.sum() / np.nansum(expected)

        def beyond_count(level: float | np.ndarray, side: str) -> np.ndarray:
            other = "low" if side == "high" else "high"
            limit = poisson_ratio_limit(num, expected, level, other)
            return target < limit if side == "high" else target > limit

        return beyond_count
    raise MethodInputError(f"statistic must be proportion, rate or ratio (got {statistic!r})")


def funnel_significance(
    data: pd.DataFrame,
    numerator: str,
    denominator: str | None = None,
    *,
    statistic: Statistic,
    rate: str | None = None,
    rate_type: RateType | None = None,
    multiplier: float | None = None,
) -> pd.DataFrame:
    """Flag each site against the funnel limits (``assign_funnel_significance``).

    Returns a copy of ``data`` with ``significance`` (``"High (0.001)"``,
    ``"High (0.025)"``, ``"Low (0.001)"``, ``"Low (0.025)"``, ``"Not
    significant"``, or for DSRs from fewer than 10 events ``"Not applicable for
    events less than 10 for dsrs"``) plus plain flags: ``outside_95``,
    ``outside_99_8`` (bool) and ``direction`` (``"high"``, ``"low"`` or
    ``None``). High/low refer to the value, not to better/worse.
    """
    beyond = _site_tests(data, numerator, denominator, statistic, rate, rate_type, multiplier)
    num = data[numerator].to_numpy(float)
    high_998, high_95 = beyond(0.998, "high"), beyond(0.95, "high")
    low_998, low_95 = beyond(0.998, "low"), beyond(0.95, "low")
    if statistic == "proportion":
        order = [(low_998, LOW_998), (low_95, LOW_95), (high_998, HIGH_998), (high_95, HIGH_95)]
    else:
        order = [(high_998, HIGH_998), (high_95, HIGH_95), (low_998, LOW_998), (low_95, LOW_95)]
    labels = np.select([cond for cond, _ in order], [lab for _, lab in order], NOT_SIGNIFICANT)
    if statistic == "rate" and rate_type == "dsr":
        labels = np.where(num < 10, DSR_NOT_APPLICABLE, labels)
    out = data.copy()
    out["significance"] = pd.Categorical(labels, categories=SIGNIFICANCE_LEVELS)
    assessed = labels != DSR_NOT_APPLICABLE
    out["outside_99_8"] = np.isin(labels, [HIGH_998, LOW_998])
    out["outside_95"] = out["outside_99_8"] | np.isin(labels, [HIGH_95, LOW_95])
    direction = np.where(np.char.startswith(labels.astype(str), "High"), "high", "low")
    # numpy's stubs reject None as an array-like; np.where takes it (an object array)
    out["direction"] = np.where(out["outside_95"] & assessed, direction, None)  # type: ignore[call-overload]
    return out


def funnel_z_scores(
    data: pd.DataFrame,
    numerator: str,
    denominator: str | None = None,
    *,
    statistic: Statistic,
    rate: str | None = None,
    rate_type: RateType | None = None,
    multiplier: float | None = None,
    z_max: float = 12.0,
) -> np.ndarray:
    """Each site's z-score by the same test as :func:`funnel_significance`.

    The normal deviate z at which the site sits exactly on its limit
    (two-sided level 2Φ(z) − 1), positive above the average: |z| > 1.960 is
    outside the 95% limits and |z| > 3.090 outside 99.8%, exactly as flagged.
    Found by bisection (40 halvings) on [0, ``z_max``]; sites beyond ``z_max``
    get ±``z_max``; DSRs from fewer than 10 events, which are not assessed,
    get NaN. Same parameters as :func:`funnel_significance`.
    """
    beyond = _site_tests(data, numerator, denominator, statistic, rate, rate_type, multiplier)

    def deviate(side: str) -> np.ndarray:
        low, high = np.zeros(len(data)), np.full(len(data), z_max)
        for _ in range(40):
            mid = (low + high) / 2
            outside = beyond(2 * stats.norm.cdf(mid) - 1, side)
            low, high = np.where(outside, mid, low), np.where(outside, high, mid)
        return np.where(beyond(2 * stats.norm.cdf(z_max) - 1, side), z_max, low)

    high = deviate("high")
    z = np.where(high > 0, high, -deviate("low"))
    if statistic == "rate" and rate_type == "dsr":
        z = np.where(data[numerator].to_numpy(float) < 10, np.nan, z)
    return z


def funnel_points(
    data: pd.DataFrame,
    numerator: str,
    rate: str,
    *,
    rate_type: RateType,
    years_of_data: float,
    multiplier: float,
    denominator: str | None = None,
) -> pd.DataFrame:
    """Where to plot each site on a rate funnel (``calculate_funnel_points``).

    Adds ``<rate>_chart`` (the rate; NaN for DSRs from fewer than 10 events)
    and ``denominator_derived`` (multiplier × events ÷ rate ÷ years: the
    population per year; for crude rates with 0 events, denominator ÷ years).
    Returns a copy.
    """
    num = data[numerator].to_numpy(float)
    rate_values = pd.to_numeric(data[rate], errors="coerce").to_numpy(float)
    den = None if denominator is None else data[denominator].to_numpy(float)
    derived = derived_denominator(num, rate_values, multiplier, rate_type, den) / years_of_data
    out = data.copy()
    if rate_type == "dsr":
        out[f"{rate}_chart"] = np.where(num < 10, np.nan, rate_values)
        out["denominator_derived"] = np.where(num < 10, np.nan, derived)
    else:
        out[f"{rate}_chart"] = rate_values
        out["denominator_derived"] = derived
    return out
