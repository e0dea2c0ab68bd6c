"""Benchmarks for Compare areas: what each site's interval is compared with.

England's value (its own row), each site's parent area (its own row, else its
sites in the table pooled), the comparator sites' pooled value
(:mod:`analysis.arms`), or all the sites pooled (:func:`pooled_value`: Σ
numerator ÷ Σ denominator, else a mean of values). A benchmark computed from
a count of 1–7 is NaN, so the sites are then not compared. Step 3 of Compare
areas (:mod:`analysis.areas`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.arms import assign_arms
from analysis.disclosure import DEFAULT_RULE, DisclosureRule
from analysis.panel import COMPARATOR
from analysis.rates import MethodInputError
from analysis.site_intervals import site_intervals
from analysis.site_levels import has_counts, is_in

BenchmarkKind = Literal["england", "parent", "comparator", "pooled"]
BENCHMARK_NAMES = {
    "england": "England",
    "parent": "Parent area",
    "comparator": "Comparator sites (pooled)",
    "pooled": "All sites shown (pooled)",
}


def pooled_value(frame: pd.DataFrame, multiplier: float, rule: DisclosureRule) -> float:
    """Σ numerator ÷ Σ denominator × multiplier when every row has counts, else a mean of values.

    The mean is weighted by ``population`` when every row has one. NaN when the
    pooled numerator is a count the rule suppresses (1–7) or nothing is left.
    """
    if frame.empty:
        return float("nan")
    if has_counts(frame).all():
        num, den = float(frame["numerator"].sum()), float(frame["denominator"].sum())
        if rule.enabled and rule.low <= num <= rule.high:
            return float("nan")
        return num / den * multiplier
    values = frame["value"].dropna()
    if values.empty:
        return float("nan")
    weights = frame.loc[values.index, "population"]
    if weights.notna().all() and (weights > 0).all():
        return float(np.average(values, weights=weights))
    return float(values.mean())


def pooled_method(frame: pd.DataFrame) -> str:
    """How :func:`pooled_value` combined ``frame``: pooled counts, or a (weighted) mean."""
    if len(frame) and has_counts(frame).all():
        return "pooled (Σ numerator ÷ Σ denominator)"
    weights = frame["population"]
    if len(frame) and weights.notna().all() and (weights > 0).all():
        return "population-weighted mean of site values"
    return "mean of site values"


@dataclass(frozen=True)
class Benchmark:
    """What each site is compared with: one value, or one per site (parent areas).

    ``values`` is aligned with the comparison table's rows; ``value`` is the
    single value when there is one (None for per-site benchmarks).
    """

    kind: BenchmarkKind
    label: str
    values: np.ndarray
    value: float | None
    method: str


def benchmark_options(
    table: pd.DataFrame, all_rows: pd.DataFrame, period_label: str
) -> dict[BenchmarkKind, str]:
    """The benchmarks available for this table, as kind → label.

    England first when it has a row, then all sites pooled (the default
    without England), the comparator sites, and parent areas.
    """
    options: dict[BenchmarkKind, str] = {}
    england = all_rows[
        (all_rows["site_type"] == "country") & (all_rows["period_label"] == period_label)
    ]
    if len(england) and not (table["site_type"] == "country").all():
        options["england"] = BENCHMARK_NAMES["england"]
    options["pooled"] = BENCHMARK_NAMES["pooled"]
    if (assign_arms(table) == COMPARATOR).any():
        options["comparator"] = BENCHMARK_NAMES["comparator"]
    if table["parent_code"].notna().any():
        options["parent"] = BENCHMARK_NAMES["parent"]
    return options


def benchmark_for(
    kind: BenchmarkKind,
    table: pd.DataFrame,
    all_rows: pd.DataFrame,
    *,
    measure_kind: str | None,
    multiplier: float,
    rule: DisclosureRule = DEFAULT_RULE,
) -> Benchmark:
    """The benchmark value(s) for ``table`` (one period, one level), from unsuppressed rows.

    ``all_rows`` are the measure's rows in the same period at every level (for
    England's and the parents' own rows). A benchmark computed from a count of
    1–7 is NaN (and the sites are then not compared).
    """
    n = len(table)
    if kind == "england":
        rows = all_rows[all_rows["site_type"] == "country"]
        if rows.empty:
            raise MethodInputError("this measure has no England row in this period")
        row = site_intervals(rows.head(1), measure_kind, multiplier)
        value = _unless_small(row, rule)
        return Benchmark(kind, "England", np.full(n, value), value, "England's own value")
    if kind == "parent":
        own = site_intervals(
            all_rows[is_in(all_rows["site_code"], table["parent_code"])],
            measure_kind,
            multiplier,
        ).drop_duplicates("site_code")
        small = own["numerator"].between(rule.low, rule.high) if rule.enabled else False
        own_value = own["value"].where(~small).set_axis(own["site_code"])
        values = table["parent_code"].map(own_value)
        counted = table.assign(_counted=has_counts(table))
        sums = counted.groupby("parent_code").agg(
            numerator=("numerator", "sum"),
            denominator=("denominator", "sum"),
            counted=("_counted", "all"),
            sites=("site_code", "nunique"),
        )
        pooled = sums["numerator"] / sums["denominator"] * multiplier
        if rule.enabled:
            pooled = pooled.where(~sums["numerator"].between(rule.low, rule.high))
        pooled = pooled.where(sums["counted"] & (sums["sites"] >= 2))
        values = values.fillna(table["parent_code"].map(pooled))
        return Benchmark(
            kind,
            "parent area",
            values.to_numpy(float),
            None,
            "the parent area's own value, else its sites in this table pooled (when 2 or more)",
        )
    if kind == "comparator":
        part = table[assign_arms(table) == COMPARATOR]
        value = pooled_value(part, multiplier, rule)
        label = f"comparator sites ({len(part):,}, {pooled_method(part)})"
        return Benchmark(kind, label, np.full(n, value), value, pooled_method(part))
    if kind == "pooled":
        value = pooled_value(table, multiplier, rule)
        label = f"all {len(table):,} sites ({pooled_method(table)})"
        return Benchmark(kind, label, np.full(n, value), value, pooled_method(table))
    raise MethodInputError(f"unknown benchmark {kind!r}")


def _unless_small(row: pd.Series | pd.DataFrame, rule: DisclosureRule) -> float:
    if isinstance(row, pd.DataFrame):
        row = row.iloc[0]
    num = row.get("numerator")
    if rule.enabled and pd.notna(num) and rule.low <= num <= rule.high:
        return float("nan")
    return float(row["value"])
