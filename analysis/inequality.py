"""Slope and relative index of inequality, and the most-vs-least deprived gap.

The slope index of inequality (SII) is the difference in a measure between the
least and the most deprived ends of the population, from a regression across
deprivation quantiles (deciles or quintiles) that allows for their different
sizes; the relative index (RII) is the ratio of the two ends. Method as
PHEindicatormethods ``phe_sii`` and the PHE technical guidance, after Low &
Low, Measuring the gap: quantifying and comparing local health inequalities,
J Public Health 2004;26:388-95:

* quantiles ordered from 1 = most deprived; each gets the relative rank
  b = midpoint of its share of the cumulative population (0 … 1);
* weighted least squares of the value on b with weights a = population share
  (PHE fits √a·y on √a and b·√a without an intercept: the same estimate);
* SII = slope × multiplier = fitted(b = 1) − fitted(b = 0), so **a positive SII
  means higher values in less deprived areas**; RII = fitted(1) ÷ fitted(0)
  (inverted when the multiplier is negative, as the package does);
* interval by simulation: each quantile's value is drawn from a normal
  distribution with its standard error (on the log scale for rates and logit
  for proportions, then back-transformed) ``reps`` times and the regression
  repeated; the limits are order statistics of the simulated SIIs. With
  ``transform=True`` the regression itself is on the log / logit scale and the
  SII is back-transformed around the midpoint, as ``phe_sii(transform = TRUE)``.

What the SII does not show: it assumes a straight-line relation with
deprivation rank (check the quantile values), it describes areas not people
(an ecological measure), and with few or small quantiles it is unstable.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.rates import (
    ArrayLike,
    MethodInputError,
    ci_columns,
    count_limits,
    level_label,
    levels,
    wilson_limits,
    z_value,
)

ValueType = Literal["normal", "rate", "proportion"]
MIN_REPS = 1000


@dataclass(frozen=True)
class IndexInterval:
    """A confidence interval of an index at one level (e.g. 0.95)."""

    confidence: float
    lower: float
    upper: float


@dataclass(frozen=True)
class SlopeIndex:
    """SII and RII of one area or period, with simulated intervals (Low & Low 2004).

    ``sii`` is in the measure's unit × ``multiplier`` (least minus most deprived
    end); ``rii`` the ratio of the two ends (None when not requested);
    ``intercept`` the fitted value at the most deprived end (rank 0).
    """

    sii: float
    sii_ci: tuple[IndexInterval, ...]
    rii: float | None
    rii_ci: tuple[IndexInterval, ...]
    intercept: float
    n_quantiles: int
    value_type: ValueType
    transform: bool
    multiplier: float
    reps: int
    seed: int | None

    @property
    def method(self) -> str:
        """How the interval was made, for display next to the number."""
        scale = {"rate": "log", "proportion": "logit"}.get(self.value_type, "identity")
        how = f"fitted on the {scale} scale" if self.transform else f"drawn on the {scale} scale"
        return (
            "SII (Low & Low 2004; PHE): population-weighted least squares across the groups; "
            f"interval by simulation ({self.reps:,} draws, {how})"
        )


_Scale = Callable[[Any], Any]
"""A transform to or from the fitting scale, elementwise on a number or an array."""

_FORWARD: dict[str, _Scale] = {
    "normal": lambda v: v,
    "rate": np.log,
    "proportion": lambda v: np.log(v / (1 - v)),
}
_BACK: dict[str, _Scale] = {
    "normal": lambda v: v,
    "rate": np.exp,
    "proportion": lambda v: 1 / (1 + np.exp(-v)),
}


def relative_ranks(population: ArrayLike) -> np.ndarray:
    """Midpoints of each quantile's share of the cumulative population (Low & Low 2004)."""
    a = np.asarray(population, dtype=float)
    share = a / a.sum()
    return np.cumsum(share) - share / 2


def weighted_fit(
    share: np.ndarray, rank: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Intercept and slope of ``y`` on ``rank``, weighted by population ``share`` (Low & Low 2004).

    Weighted least squares over the last axis (the quantiles)::

        slope = Σ a (b − b̄)(y − ȳ) ÷ Σ a (b − b̄)²,  intercept = ȳ − slope · b̄

    with ``a`` the population shares and ``b`` the relative ranks
    (:func:`relative_ranks`). The slope is the SII (fitted value at the least
    deprived end minus the most deprived end); the intercept the fitted value
    at the most deprived end. Leading axes (e.g. simulation draws) broadcast.
    """
    rbar = np.sum(share * rank, axis=-1, keepdims=True)
    ybar = np.sum(share * y, axis=-1, keepdims=True)
    slope = np.sum(share * (rank - rbar) * (y - ybar), axis=-1) / np.sum(
        share * (rank - rbar) ** 2, axis=-1
    )
    return ybar[..., 0] - slope * rbar[..., 0], slope


def _validate(
    population: np.ndarray,
    value: np.ndarray,
    se: np.ndarray | None,
    cls: tuple[np.ndarray, np.ndarray] | None,
    value_type: ValueType,
) -> None:
    if np.any(~(population > 0)):
        raise MethodInputError("some groups have a zero, negative or missing population")
    if se is not None and np.any(~(se >= 0)):
        raise MethodInputError("negative or missing standard errors in input dataset")
    if cls is not None and (np.any(np.isnan(cls[0])) or np.any(np.isnan(cls[1]))):
        raise MethodInputError("missing lower or upper confidence limits in input dataset")
    if np.any(np.isnan(value)):
        raise MethodInputError("some quantiles have a missing value")
    if value_type == "proportion":
        if np.any((value < 0) | (value > 1)):
            raise MethodInputError("value proportions are not all between 0 and 1")
        if cls is not None and np.any((np.r_[cls[0], cls[1]] < 0) | (np.r_[cls[0], cls[1]] > 1)):
            raise MethodInputError("confidence limit proportions are not all between 0 and 1")


def slope_index(
    quantile: ArrayLike,
    population: ArrayLike,
    value: ArrayLike | None = None,
    *,
    numerator: ArrayLike | None = None,
    se: ArrayLike | None = None,
    lower_ci: ArrayLike | None = None,
    upper_ci: ArrayLike | None = None,
    value_type: ValueType = "normal",
    transform: bool = False,
    multiplier: float = 1.0,
    confidence: float | Sequence[float] = 0.95,
    rii: bool = True,
    reps: int = 100_000,
    seed: int | None = None,
) -> SlopeIndex:
    """SII and RII across deprivation quantiles with simulated intervals (``phe_sii``).

    Parameters
    ----------
    quantile:
        Quantile number per row, 1 = most deprived (5–100 quantiles; deciles or
        quintiles usually).
    population:
        Population (denominator) of each quantile, > 0.
    value:
        The measure per quantile (a proportion of 1 for ``value_type="proportion"``).
    numerator:
        For proportions, people with the outcome (> 0): used as
        ``numerator / population`` when ``value`` is omitted.
    se, lower_ci, upper_ci:
        Standard error per quantile, or its 95% confidence limits (then
        se = (upper − lower) / (2 × 1.96) after the log/logit transform for
        rates/proportions). A given ``se`` is taken to be on that scale.
    value_type:
        ``"normal"`` (e.g. life expectancy), ``"rate"`` or ``"proportion"``.
    transform:
        Fit on the log (rate) / logit (proportion) scale (needs confidence limits).
    multiplier:
        Scale of the SII (e.g. 100 for percentage points); negative flips the
        sign and inverts the RII.
    confidence:
        Level(s) of the simulated intervals (0.95 default; e.g. (0.95, 0.998)).
    rii:
        Also return the RII and its interval.
    reps, seed:
        Simulation size (≥ 1000; 100,000 as Fingertips) and random seed.
        Monte Carlo error of a 95% limit is about 2.7 σ / √reps.
    """
    q = np.asarray(quantile, dtype=float)
    order = np.argsort(q, kind="stable")
    q = q[order]
    pop = np.asarray(population, dtype=float)[order]
    if np.unique(q).size != q.size:
        raise MethodInputError("each quantile must appear once")
    if not 5 <= q.size <= 100:
        raise MethodInputError("Number of quantiles must be between 5 and 100")
    if q.size > 10:
        warnings.warn(
            "Small values can make SII unstable when using a large number of quantiles",
            stacklevel=2,
        )
    if reps < MIN_REPS:
        raise MethodInputError(f"number of repetitions must be {MIN_REPS} or greater")
    if transform and value_type == "normal":
        raise MethodInputError("value_type should be rate or proportion when transform is true")
    if transform and (se is not None or lower_ci is None or upper_ci is None):
        raise MethodInputError("transform needs lower_ci and upper_ci, and se to be missing")
    if value is None:
        if value_type != "proportion" or numerator is None:
            raise MethodInputError("a value, or a numerator for a proportion, is needed")
        x = np.asarray(numerator, dtype=float)[order]
        if np.any(~(x > 0)):
            raise MethodInputError("some groups have a zero or negative count x")
        val = x / pop
    else:
        val = np.asarray(value, dtype=float)[order]
    cls = None
    if se is None:
        if lower_ci is None or upper_ci is None:
            raise MethodInputError("either lower_ci and upper_ci, or se, is needed")
        cls = (np.asarray(lower_ci, float)[order], np.asarray(upper_ci, float)[order])
    sev = None if se is None else np.asarray(se, dtype=float)[order]
    _validate(pop, val, sev, cls, value_type)
    forward, back = _FORWARD[value_type], _BACK[value_type]
    if cls is not None:
        sev = (forward(cls[1]) - forward(cls[0])) / (2 * z_value(0.95))
    assert sev is not None  # given as se, or derived from the limits just above
    centre = forward(val)
    share = pop / pop.sum()
    rank = np.cumsum(share) - share / 2
    c0, c1 = weighted_fit(share, rank, centre if transform else val)
    rng = np.random.default_rng(seed)
    draws = rng.normal(centre[:, None], sev[:, None], (q.size, reps)).T
    s0, s1 = weighted_fit(share, rank, draws if transform else back(draws))
    sorted_sii = np.sort(s1)
    sorted_rii = np.sort((s0 + s1) / s0 if multiplier > 0 else s0 / (s0 + s1))
    sii_ci, rii_ci = [], []
    for level in levels(confidence):
        upper_p = level + (1 - level) / 2
        i_lo, i_hi = round(reps * (1 - upper_p)) - 1, round(reps * upper_p) - 1
        lo, hi = sorted_sii[i_lo], sorted_sii[i_hi]
        if transform:
            mid = c0 + c1 / 2
            lo_sii = (back(mid + lo / 2) - back(mid - lo / 2)) * multiplier
            hi_sii = (back(mid + hi / 2) - back(mid - hi / 2)) * multiplier
            lo_rii = back(mid + lo / 2) / back(mid - lo / 2)
            hi_rii = back(mid + hi / 2) / back(mid - hi / 2)
            if multiplier < 0:
                lo_sii, hi_sii, lo_rii, hi_rii = hi_sii, lo_sii, 1 / hi_rii, 1 / lo_rii
        else:
            lo_sii, hi_sii = sorted((lo * multiplier, hi * multiplier))
            lo_rii, hi_rii = sorted_rii[i_lo], sorted_rii[i_hi]
        sii_ci.append(IndexInterval(level, float(lo_sii), float(hi_sii)))
        rii_ci.append(IndexInterval(level, float(lo_rii), float(hi_rii)))
    if transform:
        y0, y1 = back(c0), back(c0 + c1)
        sii_value, rii_value, intercept = (y1 - y0) * multiplier, y1 / y0, y0 * abs(multiplier)
    else:
        sii_value, rii_value, intercept = c1 * multiplier, (c0 + c1) / c0, c0
    if multiplier < 0:
        rii_value = 1 / rii_value
    return SlopeIndex(
        sii=float(sii_value),
        sii_ci=tuple(sii_ci),
        rii=float(rii_value) if rii else None,
        rii_ci=tuple(rii_ci) if rii else (),
        intercept=float(intercept),
        n_quantiles=int(q.size),
        value_type=value_type,
        transform=transform,
        multiplier=multiplier,
        reps=reps,
        seed=seed,
    )


def quintile_from_decile(imd_decile: ArrayLike) -> np.ndarray:
    """IMD quintile (1 = most deprived fifth) from IMD decile (1 = most deprived tenth).

    Deciles 1–2 → 1, 3–4 → 2, …, 9–10 → 5; missing stays missing. Raises for
    values outside 1–10 or not whole numbers.
    """
    d = np.asarray(imd_decile, dtype=float)
    known = d[~np.isnan(d)]
    if np.any((known < 1) | (known > 10) | (known != np.round(known))):
        raise MethodInputError("IMD deciles must be whole numbers from 1 to 10")
    return np.ceil(d / 2)


@dataclass(frozen=True)
class DeprivationGap:
    """Least deprived minus most deprived quantile, with its interval.

    Positive: the measure is higher in the less deprived areas (the sign of the SII).
    """

    value: float
    lower: float
    upper: float
    confidence: float
    most_deprived: float
    least_deprived: float
    method: str


def deprivation_gap(
    numerator: tuple[float, float],
    denominator: tuple[float, float],
    kind: Literal["proportion", "rate"],
    confidence: float = 0.95,
    multiplier: float = 1.0,
) -> DeprivationGap:
    """Gap between the least and the most deprived quantile, with a MOVER interval.

    ``numerator`` and ``denominator`` are (least deprived, most deprived); the
    gap is p₁ − p₂ = least − most deprived, so that, like the SII, a positive
    gap means higher values in less deprived areas. The interval combines each
    group's own interval (Wilson for proportions; Byar's / exact Poisson for
    rates) by the method of variance estimates recovery::

        lower = d − √((p₁ − l₁)² + (u₂ − p₂)²),  upper = d + √((u₁ − p₁)² + (p₂ − l₂)²)

    Newcombe's hybrid score interval for a difference of proportions
    (Newcombe 1998; Newcombe & Altman 2000), and Zou & Donner (2008) for rates.
    Returned on the scale of ``multiplier`` (100 = percentage points).
    """
    x = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    if x.shape != (2,) or n.shape != (2,):
        raise MethodInputError("give (least deprived, most deprived) numerators and denominators")
    (level,) = levels(confidence)
    if kind == "proportion":
        lo, hi = wilson_limits(x, n, level)
        method = "Newcombe hybrid score (Wilson) interval"
    else:
        lo_count, hi_count, _ = count_limits(x, level)
        lo, hi = lo_count / n, hi_count / n
        method = "MOVER (Zou & Donner 2008) from Byar's/exact Poisson limits"
    p = x / n
    diff = p[0] - p[1]
    lower = diff - np.sqrt((p[0] - lo[0]) ** 2 + (hi[1] - p[1]) ** 2)
    upper = diff + np.sqrt((hi[0] - p[0]) ** 2 + (p[1] - lo[1]) ** 2)
    return DeprivationGap(
        float(diff * multiplier),
        float(lower * multiplier),
        float(upper * multiplier),
        level,
        float(p[1] * multiplier),
        float(p[0] * multiplier),
        method,
    )


def log_scale_se(numerator: ArrayLike, denominator: ArrayLike, kind: str) -> np.ndarray:
    """Standard error of a pooled rate on the log scale (1/√x) or a proportion on logit."""
    x = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    with np.errstate(divide="ignore"):
        return np.sqrt(1 / x) if kind == "rate" else np.sqrt(1 / x + 1 / (n - x))


def phe_sii(
    data: pd.DataFrame,
    quantile: str,
    population: str,
    value: str | None = None,
    *,
    by: str | Sequence[str] | None = None,
    numerator: str | None = None,
    se: str | None = None,
    lower_ci: str | None = None,
    upper_ci: str | None = None,
    value_type: ValueType = "normal",
    transform: bool = False,
    multiplier: float = 1.0,
    confidence: float | Sequence[float] = 0.95,
    rii: bool = True,
    reps: int = 100_000,
    seed: int | None = None,
) -> pd.DataFrame:
    """:func:`slope_index` for each ``by`` group of a table with one row per quantile.

    Column arguments name columns of ``data``. A group without a row for every
    quantile in the table is left out with a warning, as ``phe_sii`` does;
    missing populations, values or errors inside a group raise
    :class:`~analysis.rates.MethodInputError`. Returns one row per group and statistic (``"sii"``,
    ``"rii"``): ``value``, ``lower_ci``/``upper_ci`` (suffixed per level when
    several), ``confidence``, ``statistic``, ``method`` and ``intercept``.
    """
    keys = [] if by is None else ([by] if isinstance(by, str) else list(by))
    all_levels = levels(confidence)
    n_quantiles = data[quantile].nunique()
    rng = np.random.default_rng(seed)
    rows, dropped = [], []
    groups = data.groupby(keys, sort=False, dropna=False) if keys else [((), data)]
    for key, part in groups:
        label = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
        if part[quantile].nunique() != n_quantiles:
            dropped.append(label or "all rows")
            continue
        result = slope_index(
            part[quantile],
            part[population],
            None if value is None else part[value],
            numerator=None if numerator is None else part[numerator],
            se=None if se is None else part[se],
            lower_ci=None if lower_ci is None else part[lower_ci],
            upper_ci=None if upper_ci is None else part[upper_ci],
            value_type=value_type,
            transform=transform,
            multiplier=multiplier,
            confidence=all_levels,
            rii=rii,
            reps=reps,
            seed=int(rng.integers(2**32)),
        )
        stats_: list[tuple[str, float | None, tuple[IndexInterval, ...]]] = [
            ("sii", result.sii, result.sii_ci)
        ]
        if rii:
            stats_.append(("rii", result.rii, result.rii_ci))
        for name, point, intervals in stats_:
            row = label | {"statistic": name, "value": point}
            for interval, (_, lo_col, hi_col) in zip(
                intervals, ci_columns(all_levels), strict=True
            ):
                row |= {lo_col: interval.lower, hi_col: interval.upper}
            row |= {
                "confidence": level_label(all_levels),
                "method": result.method,
                "intercept": result.intercept,
            }
            rows.append(row)
    if dropped:
        warnings.warn(
            f"some records have been removed due to incomplete or invalid data: {dropped}",
            stacklevel=2,
        )
    return pd.DataFrame(rows)
