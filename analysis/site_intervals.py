"""Each site's value and interval at a confidence level, with the method named per row.

Proportions with counts by Wilson's score interval (Wilson 1927; Newcombe &
Altman 2000); rates whose published value is the crude rate
(:func:`published_is_crude`) by Byar's method, exact Poisson below 10 events
(Breslow & Day 1987; Armitage & Berry 2002); published values (e.g. directly
standardised rates) with their published 95% interval, which for a 99.8%
comparison is rescaled (:func:`rescale_published`): by Dobson's method when
the event count is known (the published limits fix √(var/X); Dobson et al.
1991), otherwise by the normal approximation (each side × z₀.₉₉₉ / z₀.₉₇₅).
Step 2 of Compare areas (:mod:`analysis.areas`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.rates import (
    byars_limits,
    confidence_level,
    count_limits,
    level_label,
    wilson_limits,
    z_value,
)
from analysis.site_levels import has_counts

CRUDE_TOLERANCE = 0.005
"""A published value within 0.5% of numerator ÷ denominator × multiplier is the crude value."""


def published_is_crude(frame: pd.DataFrame, multiplier: float) -> pd.Series:
    """True where a row's published value is its crude value (or missing), within 0.5%.

    False marks a published value of another kind, e.g. a directly
    standardised rate beside the crude counts.
    """
    crude = frame["numerator"] / frame["denominator"] * multiplier
    close = (frame["value"] - crude).abs() <= CRUDE_TOLERANCE * crude.abs() + 1e-12
    return frame["value"].isna() | close


def site_intervals(
    frame: pd.DataFrame, kind: str | None, multiplier: float, confidence: float = 0.95
) -> pd.DataFrame:
    """Each row's value and interval at ``confidence``, with the method named per row.

    Rules (module docstring): proportions with counts → Wilson; rates with
    counts whose published value is the crude rate → Byar's / exact Poisson;
    otherwise the published value with its published 95% interval (rescaled
    for other levels: Dobson when the count is known, else the normal
    approximation); no published interval → no interval (``"published value,
    no interval"``). Returns a copy with ``value``, ``lower_ci``, ``upper_ci``,
    ``confidence`` and ``method``; published intervals are taken to be 95%.
    """
    level = confidence_level(confidence)
    out = frame.copy()
    n = len(out)
    value = out["value"].to_numpy(float).copy()
    lower = np.full(n, np.nan)
    upper = np.full(n, np.nan)
    method = np.full(n, "published value, no interval", dtype=object)
    counts = has_counts(out).to_numpy()
    x = out["numerator"].to_numpy(float)
    d = out["denominator"].to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        crude = x / d * multiplier
    if kind == "proportion":
        use = counts & (x <= d)
        lo, hi = wilson_limits(x[use], d[use], level)
        value[use], lower[use], upper[use] = crude[use], lo * multiplier, hi * multiplier
        method[use] = "Wilson score interval"
    elif kind == "rate":
        use = counts & published_is_crude(out, multiplier).to_numpy()
        lo, hi, names = count_limits(x[use], level)
        value[use] = crude[use]
        lower[use], upper[use] = lo / d[use] * multiplier, hi / d[use] * multiplier
        method[use] = np.where(names == "Exact", "exact Poisson interval", "Byar's method")
    else:
        use = np.zeros(n, dtype=bool)
    published = ~use & out["lower_ci"].notna().to_numpy() & out["upper_ci"].notna().to_numpy()
    if published.any():
        lo, hi, names = rescale_published(
            value[published],
            out["lower_ci"].to_numpy(float)[published],
            out["upper_ci"].to_numpy(float)[published],
            np.where(counts, x, np.nan)[published],
            level,
        )
        lower[published], upper[published], method[published] = lo, hi, names
    out["value"], out["lower_ci"], out["upper_ci"] = value, lower, upper
    out["confidence"] = level_label((level,))
    out["method"] = method
    return out


def rescale_published(
    value: np.ndarray,
    lower95: np.ndarray,
    upper95: np.ndarray,
    count: np.ndarray,
    confidence: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A published 95% interval at another level: Dobson where the count is known, else normal.

    Dobson et al. (1991): limit = value + √(var/X) × (Byar(X) − X), so the
    published 95% limits give √(var/X) for each side and the limits at
    ``confidence`` follow from Byar's limits of X at that level. Without a
    count (or below 10 events) each side is scaled by z(confidence) / z(0.95).
    At 95% the published limits are returned as they are. Returns
    (lower, upper, method per element).
    """
    level = confidence_level(confidence)
    v, lo95, hi95 = (np.asarray(a, dtype=float) for a in (value, lower95, upper95))
    x = np.asarray(count, dtype=float)
    if abs(level - 0.95) < 1e-12:
        return lo95, hi95, np.full(v.shape, "published 95% interval", dtype=object)
    ratio = z_value(level) / z_value(0.95)
    lower, upper = v - (v - lo95) * ratio, v + (hi95 - v) * ratio
    method = np.full(
        v.shape, "published 95% interval rescaled (normal approximation)", dtype=object
    )
    dobson = ~np.isnan(x) & (x >= 10)
    if dobson.any():
        xd = x[dobson]
        b_lo95, b_hi95 = byars_limits(xd, 0.95)
        b_lo, b_hi = byars_limits(xd, level)
        with np.errstate(invalid="ignore", divide="ignore"):
            lower[dobson] = v[dobson] + (lo95[dobson] - v[dobson]) / (b_lo95 - xd) * (b_lo - xd)
            upper[dobson] = v[dobson] + (hi95[dobson] - v[dobson]) / (b_hi95 - xd) * (b_hi - xd)
        method[dobson] = "published 95% interval rescaled (Dobson)"
    return lower, upper, method
