"""Slope and relative index of inequality and the most-vs-least deprived gap, per period.

From the group values of :func:`analysis.inequality_view.quantile_table` and
:func:`analysis.inequality_view.fifths_table`:

- :func:`slope_indices`: SII and RII via :func:`analysis.inequality.slope_index`, as
  PHEindicatormethods ``phe_sii`` (population-weighted ranks, simulated intervals).
  **SII = fitted value at the least deprived end minus the most deprived end**; RII = the
  ratio of the two ends. A period with a suppressed group has no SII (it would give the
  hidden value away).
- :func:`gap_table`: **gap = least deprived fifth minus most deprived fifth**, with
  Newcombe / MOVER intervals from counts (:func:`analysis.inequality.deprivation_gap`).

One sign convention for both: **positive = higher in less deprived areas**. One
seeding rule: each period's simulation is seeded from ``(seed, period start)``
(:func:`period_rng`), so a period's interval is the same in whichever table (all
sites, one arm) it is computed.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from analysis.inequality import deprivation_gap, log_scale_se, slope_index
from analysis.inequality_groups import (
    Basis,
)
from analysis.rates import (
    confidence_level,
    z_value,
)

DEFAULT_REPS = 10_000
DEFAULT_SEED = 20_240_401


def period_rng(seed: int, period_start: object) -> np.random.Generator:
    """The random numbers of one period's simulation: seeded from ``seed`` and the period."""
    return np.random.default_rng([seed, pd.Timestamp(period_start).toordinal()])


def slope_indices(
    qtable: pd.DataFrame,
    *,
    quantiles: int,
    kind: str,
    multiplier: float,
    basis: Basis,
    confidence: float = 0.95,
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """SII and RII per period from a :func:`quantile_table` (``phe_sii`` method, simulated CIs).

    Values are passed as proportions of 1 or rates per person with
    ``multiplier`` (so the SII is in the display unit); standard errors from
    the counts (log scale for rates, logit for proportions), from the
    published intervals, or from the spread of site values (normal scale).
    A period is skipped, with ``note`` saying why, when a group is missing,
    suppressed, has no interval or (for counts) no events. Returns
    ``period_start``, ``period_label``, ``sii``, ``sii_lower_ci``,
    ``sii_upper_ci``, ``rii``, ``rii_lower_ci``, ``rii_upper_ci``,
    ``fitted_most``, ``fitted_least`` (the line's ends, display unit),
    ``n_groups``, ``method`` and ``note``.
    """
    rows = []
    for start, part in qtable.groupby("period_start", sort=True):
        part = part.sort_values("quantile")
        row = {"period_start": start, "period_label": part["period_label"].iloc[0]}
        problem = _sii_problem(part, quantiles, kind, basis)
        period_seed = int(period_rng(seed, start).integers(2**32))
        if problem:
            rows.append(row | {"n_groups": len(part), "note": problem})
            continue
        q = part["quantile"].to_numpy(float)
        pop = part["population"].to_numpy(float)
        value = part["value"].to_numpy(float) / multiplier
        args: dict = {"value_type": kind if basis != "values" else "normal"}
        if basis == "counts":
            x, n = part["numerator"].to_numpy(float), part["denominator"].to_numpy(float)
            args["se"] = log_scale_se(x, n, kind)
        elif basis == "published":
            args["lower_ci"] = part["lower_ci"].to_numpy(float) / multiplier
            args["upper_ci"] = part["upper_ci"].to_numpy(float) / multiplier
        else:
            args["se"] = part["se"].to_numpy(float) / multiplier
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            index = slope_index(
                q,
                pop,
                value,
                multiplier=multiplier,
                confidence=confidence,
                reps=reps,
                seed=period_seed,
                **args,
            )
        (sii_ci,), (rii_ci,) = index.sii_ci, index.rii_ci
        most = index.intercept * multiplier
        rows.append(
            row
            | {
                "sii": index.sii,
                "sii_lower_ci": sii_ci.lower,
                "sii_upper_ci": sii_ci.upper,
                "rii": index.rii,
                "rii_lower_ci": rii_ci.lower,
                "rii_upper_ci": rii_ci.upper,
                "fitted_most": most,
                "fitted_least": most + index.sii,
                "n_groups": index.n_quantiles,
                "method": index.method,
                "note": None,
            }
        )
    columns = [
        "period_start",
        "period_label",
        "sii",
        "sii_lower_ci",
        "sii_upper_ci",
        "rii",
        "rii_lower_ci",
        "rii_upper_ci",
        "fitted_most",
        "fitted_least",
        "n_groups",
        "method",
        "note",
    ]
    return pd.DataFrame(rows).reindex(columns=columns)


def _sii_problem(part: pd.DataFrame, quantiles: int, kind: str, basis: Basis) -> str | None:
    present = sorted(int(q) for q in part["quantile"])
    if len(present) < 5:
        return (
            f"the SII needs at least 5 deprivation groups; this period has {len(present)} "
            f"({', '.join(map(str, present))})"
        )
    if len(present) != quantiles:
        missing = sorted(set(range(1, quantiles + 1)) - set(present))
        return f"no sites in group(s) {', '.join(map(str, missing))}"
    if part["suppressed"].any():
        return "a group's count is 1–7 (suppressed), so the SII is not shown"
    no_interval = part["lower_ci"].isna().any() or part["upper_ci"].isna().any()
    if basis == "published" and no_interval:
        return (
            "the groups are published values without intervals (e.g. medians of practices): "
            "the SII needs each group's uncertainty and population"
        )
    if (part["population"] <= 0).any() or part["population"].isna().any():
        return "a group has no population to weight the SII by"
    if basis == "counts":
        x, n = part["numerator"], part["denominator"]
        if (x <= 0).any() or (kind == "proportion" and (x >= n).any()):
            return "a group has no events (or all), so its standard error is undefined"
    elif basis == "values" and part["se"].isna().any():
        return "a group has fewer than 2 sites, so the spread of its values is unknown"
    return None


def gap_table(
    fifths: pd.DataFrame,
    *,
    kind: str,
    multiplier: float,
    basis: Basis,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Least deprived fifth minus most deprived fifth per period, with its interval.

    Positive: higher in less deprived areas (the SII's sign).

    From counts: :func:`analysis.inequality.deprivation_gap` (Newcombe's
    hybrid score interval for proportions; MOVER, Zou & Donner 2008, for
    rates). Otherwise the difference of the two values with a normal
    interval from their intervals (√(se₁² + se₅²)), or no interval when the
    values have none. Returns ``period_start``, ``period_label``, ``gap``,
    ``gap_lower_ci``, ``gap_upper_ci``, ``most_deprived``, ``least_deprived``,
    ``method`` and ``note``.
    """
    level = confidence_level(confidence)
    rows = []
    for start, part in fifths.groupby("period_start", sort=True):
        row = {"period_start": start, "period_label": part["period_label"].iloc[0]}
        ends = part.set_index("quantile")
        if 1 not in ends.index or 5 not in ends.index:
            rows.append(row | {"note": "the most or least deprived fifth has no sites"})
            continue
        most, least = ends.loc[1], ends.loc[5]
        if most["suppressed"] or least["suppressed"]:
            rows.append(row | {"note": "a fifth's count is 1–7 (suppressed)"})
            continue
        note = None
        if 2 not in ends.index:
            note = "the most deprived group also covers the second fifth, so the gap is understated"
        if basis == "counts":
            gap = deprivation_gap(
                (least["numerator"], most["numerator"]),
                (least["denominator"], most["denominator"]),
                "proportion" if kind == "proportion" else "rate",
                level,
                multiplier,
            )
            value, lower, upper, method = gap.value, gap.lower, gap.upper, gap.method
        else:
            value = float(least["value"] - most["value"])
            z95 = z_value(0.95)
            se = [
                e["se"] if not math.isnan(e["se"]) else (e["upper_ci"] - e["lower_ci"]) / (2 * z95)
                for e in (most, least)
            ]
            spread = math.hypot(*se) if not any(math.isnan(s) for s in se) else math.nan
            half = z_value(level) * spread
            lower, upper = value - half, value + half
            method = (
                "difference of values, normal interval from the groups' intervals"
                if not math.isnan(spread)
                else "difference of values (no interval: value-only data)"
            )
        rows.append(
            row
            | {
                "gap": value,
                "gap_lower_ci": lower,
                "gap_upper_ci": upper,
                "most_deprived": float(most["value"]),
                "least_deprived": float(least["value"]),
                "method": method,
                "note": note,
            }
        )
    columns = [
        "period_start",
        "period_label",
        "gap",
        "gap_lower_ci",
        "gap_upper_ci",
        "most_deprived",
        "least_deprived",
        "method",
        "note",
    ]
    return pd.DataFrame(rows).reindex(columns=columns)
