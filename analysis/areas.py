"""Compare areas with a benchmark, the Fingertips way: each site's value, interval and verdict.

The "Compare areas" table (one row per site in one period) is built here, from
the store's unsuppressed rows of one measure, in four steps:

1. **Sites at a level** (:func:`level_rows`): the rows of one site type, or
   practices pooled into their parent (e.g. PCNs from practices, Σ numerator ÷
   Σ denominator) when the parent type has no rows of its own.
2. **Intervals** (:func:`site_intervals`): proportions with counts by Wilson's
   score interval (Wilson 1927; Newcombe & Altman 2000); rates whose published
   value is the crude rate by Byar's method, exact Poisson below 10 events
   (Breslow & Day 1987; Armitage & Berry 2002); published values (e.g. directly
   standardised rates) with their published 95% interval, which for a 99.8%
   comparison is rescaled: by Dobson's method when the event count is known
   (the published limits fix √(var/X); Dobson et al. 1991), otherwise by the
   normal approximation (each side × z₀.₉₉₉ / z₀.₉₇₅).
3. **Benchmark** (:func:`benchmark_for`): England's value (its own row), each
   site's parent area (its own row, else its sites in the table pooled), the
   comparator sites' pooled value (:mod:`analysis.arms`), or all the sites
   pooled.
4. **Comparison** (:func:`analysis.benchmark.compare_to_benchmark`): better /
   similar / worse with a polarity, higher / similar / lower without, by whether
   the interval lies wholly above or below the benchmark (OHID Fingertips
   technical guidance). Then small-number suppression
   (:func:`analysis.disclosure.suppress`): a site whose count is 1–7 keeps its
   name and denominator but loses its value, interval, rank and verdict.

:func:`compare_areas` runs all four and returns an :class:`AreaComparison`.
What it does not show: the comparison is a screening rule, not a test between
two areas; at 95% about 1 site in 20 differs from the benchmark by chance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.arms import assign_arms
from analysis.benchmark import compare_to_benchmark
from analysis.disclosure import DEFAULT_RULE, DisclosureRule, suppress
from analysis.disclosure import SUPPRESSED as SUPPRESSED_MARK
from analysis.panel import COMPARATOR
from analysis.rates import (
    MethodInputError,
    byars_limits,
    confidence_level,
    count_limits,
    level_label,
    wilson_limits,
    z_value,
)

BenchmarkKind = Literal["england", "parent", "comparator", "pooled"]
SUPPRESSED_VERDICT = "suppressed"
ENGLAND = "E92000001"
CRUDE_TOLERANCE = 0.005
"""A published value within 0.5% of numerator ÷ denominator × multiplier is the crude value."""

TYPE_ORDER = ("practice", "pcn", "la", "sub_icb", "icb", "region", "country", "other")
TYPE_NAMES = {
    "practice": "GP practices",
    "pcn": "PCNs",
    "la": "Local authorities (districts and UAs)",
    "sub_icb": "Sub-ICB locations",
    "icb": "ICBs",
    "region": "NHS regions",
    "country": "England",
    "other": "Other areas (e.g. deprivation groups)",
}
BENCHMARK_NAMES = {
    "england": "England",
    "parent": "Parent area",
    "comparator": "Comparator sites (pooled)",
    "pooled": "All sites shown (pooled)",
}
SITE_COLUMNS = (
    "site_name",
    "site_type",
    "parent_code",
    "group",
    "start_date",
    "imd_decile",
    "imd_quintile",
    "population",
)


def type_name(site_type: str | None) -> str:
    """Plain name of a site type (``"pcn"`` → ``"PCNs"``)."""
    return TYPE_NAMES.get(site_type or "", site_type or "unknown type")


def type_phrase(site_type: str | None) -> str:
    """A site type's name inside a sentence: ``"GP practices"``, ``"local authorities (…)"``."""
    name = type_name(site_type)
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def _type_rank(site_type: str) -> int:
    return TYPE_ORDER.index(site_type) if site_type in TYPE_ORDER else len(TYPE_ORDER)


@dataclass(frozen=True)
class Level:
    """Sites of one type, reported directly or pooled from their children (``pooled_from``)."""

    site_type: str
    pooled_from: str | None = None

    @property
    def label(self) -> str:
        """What the site-type picker shows."""
        name = type_name(self.site_type)
        if self.pooled_from is None:
            return name
        return f"{name} (pooled from {type_phrase(self.pooled_from)})"


def is_in(column: pd.Series, codes: pd.Series | pd.Index | list) -> np.ndarray:
    """Boolean mask: ``column`` values found in ``codes`` (missing never matches).

    pandas' ``isin`` on Arrow strings converts every value one by one; an index
    lookup is about ten times faster on thousands of codes.
    """
    index = pd.Index(pd.Series(list(codes), dtype="object").dropna().unique())
    return index.get_indexer(column) >= 0


def _has_counts(rows: pd.DataFrame) -> pd.Series:
    return rows["numerator"].notna() & rows["denominator"].notna() & (rows["denominator"] > 0)


POOLED_LEVELS = {"practice": "pcn"}
"""Child type → the parent type its counts may be pooled into (practices make up a PCN)."""


def site_levels(rows: pd.DataFrame, sites: pd.DataFrame) -> list[Level]:
    """The levels a measure can be compared at: its site types, then pooled parent levels.

    England alone is not a level when other types exist. PCNs pooled from
    practices are offered when the measure has practice counts and no PCN rows
    of its own, so a pooled value never sits beside a published one. (Only
    practices pool: other parents, such as regions, are rarely complete in a
    file and a partial sum would mislead.)
    """
    direct = sorted(rows["site_type"].dropna().unique(), key=_type_rank)
    if len(direct) > 1:
        direct = [t for t in direct if t != "country"]
    levels = [Level(t) for t in direct]
    counted = rows[_has_counts(rows) & rows["parent_code"].notna()]
    parent_type = sites.drop_duplicates("site_code").set_index("site_code")["site_type"]
    for child, parent in POOLED_LEVELS.items():
        if child not in direct or parent in direct:
            continue
        parents = counted.loc[counted["site_type"] == child, "parent_code"].unique()
        if (parent_type.reindex(parents) == parent).any():
            levels.append(Level(parent, pooled_from=child))
    return levels


def level_rows(
    rows: pd.DataFrame, sites: pd.DataFrame, level: Level, multiplier: float
) -> pd.DataFrame:
    """One row per site and period at ``level``; pooled levels sum their children's counts.

    Pooled rows carry ``n_pooled`` (children with counts in that period), the
    parent's own details from ``sites`` and value = Σ numerator ÷ Σ
    denominator × ``multiplier``; published intervals do not pool, so they are
    empty. Direct rows get ``n_pooled`` = NaN. The input is not modified.
    """
    if level.pooled_from is None:
        out = rows[rows["site_type"] == level.site_type].copy()
        out["n_pooled"] = np.nan
        return out.reset_index(drop=True)
    child = rows[
        (rows["site_type"] == level.pooled_from) & _has_counts(rows) & rows["parent_code"].notna()
    ]
    keys = ["parent_code", "period_start", "period_end", "granularity"]
    pooled = child.groupby(keys, as_index=False, sort=True).agg(
        period_label=("period_label", "first"),
        numerator=("numerator", "sum"),
        denominator=("denominator", "sum"),
        n_pooled=("site_code", "nunique"),
    )
    pooled = pooled.rename(columns={"parent_code": "site_code"})
    details = sites.set_index("site_code").reindex(pooled["site_code"])
    for column in SITE_COLUMNS:
        pooled[column] = details[column].to_numpy() if column in details else np.nan
    pooled = pooled[pooled["site_type"] == level.site_type].reset_index(drop=True)
    pooled["measure"] = rows["measure"].iloc[0] if len(rows) else None
    pooled["value"] = pooled["numerator"] / pooled["denominator"] * multiplier
    pooled["lower_ci"] = np.nan
    pooled["upper_ci"] = np.nan
    return pooled


def periods(frame: pd.DataFrame) -> list[str]:
    """Period labels of ``frame`` in time order (latest last)."""
    order = frame.drop_duplicates("period_label").sort_values("period_start")
    return order["period_label"].tolist()


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
    counts = _has_counts(out).to_numpy()
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


def pooled_value(frame: pd.DataFrame, multiplier: float, rule: DisclosureRule) -> float:
    """Σ numerator ÷ Σ denominator × multiplier when every row has counts, else a mean of values.

    The mean is weighted by ``population`` when every row has one. NaN when the
    pooled numerator is a count the rule suppresses (1–7) or nothing is left.
    """
    if frame.empty:
        return float("nan")
    if _has_counts(frame).all():
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
    if len(frame) and _has_counts(frame).all():
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
        counted = table.assign(_counted=_has_counts(table))
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


@dataclass(frozen=True)
class AreaComparison:
    """The Compare-areas table for one measure, level and period, small counts suppressed.

    ``table`` columns: ``rank`` (1 = highest value), ``site_code``,
    ``site_name``, ``site_type``, ``parent_code``, ``group``, ``period_label``,
    ``numerator``, ``denominator``, ``n_pooled``, ``value``, ``lower_ci``,
    ``upper_ci``, ``confidence``, ``method``, ``benchmark``, ``comparison``
    and ``suppressed``; sorted by value, highest first, suppressed rows last.
    """

    table: pd.DataFrame
    level: Level
    period_label: str
    benchmark: Benchmark
    confidence: float
    higher_is_better: bool | None
    notes: tuple[str, ...]

    @property
    def methods(self) -> str:
        """The interval methods used, for display beside the numbers."""
        used = self.table.loc[~self.table["suppressed"], "method"].dropna().unique()
        return "; ".join(sorted(used))

    @property
    def counts(self) -> dict[str, int]:
        """Sites per verdict (better, similar, worse … suppressed)."""
        return self.table["comparison"].value_counts().to_dict()


TABLE_COLUMNS = (
    "rank",
    "site_code",
    "site_name",
    "site_type",
    "parent_code",
    "group",
    "period_label",
    "numerator",
    "denominator",
    "n_pooled",
    "value",
    "lower_ci",
    "upper_ci",
    "confidence",
    "method",
    "benchmark",
    "comparison",
    "suppressed",
)


def compare_areas(
    rows: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    level: Level,
    period_label: str,
    measure_kind: str | None,
    multiplier: float,
    higher_is_better: bool | None,
    benchmark: BenchmarkKind = "pooled",
    confidence: float = 0.95,
    rule: DisclosureRule = DEFAULT_RULE,
    within: str | None = None,
) -> AreaComparison:
    """Each site of ``level`` in ``period_label`` against a benchmark, ready to chart and export.

    Parameters
    ----------
    rows:
        The measure's **unsuppressed** rows (``Store.panel_rows``), every site type.
    sites:
        The sites table (``Store.sites``): names and parents for pooled levels.
    level, period_label:
        Which sites (:func:`site_levels`) and which period.
    measure_kind, multiplier, higher_is_better:
        From the measure definition: ``proportion``/``rate``…, the display
        multiplier (100 = %), and the polarity (None: no judgement).
    benchmark:
        ``"england"``, ``"parent"``, ``"comparator"`` or ``"pooled"``.
    confidence:
        0.95 or 0.998 (Fingertips' two levels).
    rule:
        Disclosure rule applied to the per-site output (counts 1–7 suppressed).
    within:
        Optional area code: keep only sites that have it as an ancestor
        (:func:`ancestors`); the pooled benchmarks then pool those sites.

    Returns
    -------
    AreaComparison
    """
    level_all = level_rows(rows, sites, level, multiplier)
    in_period = level_all[level_all["period_label"] == period_label]
    if within is not None:
        inside = ancestors(sites)
        codes = inside.loc[inside["ancestor_code"] == within, "site_code"]
        in_period = in_period[is_in(in_period["site_code"], codes)]
    if in_period.empty:
        raise MethodInputError(
            f"no {type_phrase(level.site_type)} report this measure in {period_label}"
        )
    table = site_intervals(in_period, measure_kind, multiplier, confidence).reset_index(drop=True)
    same_period = rows[rows["period_label"] == period_label]
    bench = benchmark_for(
        benchmark, table, same_period, measure_kind=measure_kind, multiplier=multiplier, rule=rule
    )
    polarity = (
        None if higher_is_better is None or pd.isna(higher_is_better) else bool(higher_is_better)
    )
    table["benchmark"] = bench.values
    table["comparison"] = compare_to_benchmark(
        table["lower_ci"], table["upper_ci"], table["benchmark"], polarity
    )
    table = suppress(table, ("numerator",), ("value", "lower_ci", "upper_ci"), rule)
    table.loc[table["suppressed"], "comparison"] = SUPPRESSED_VERDICT
    table["rank"] = table["value"].rank(ascending=False, method="min").astype("Int64")
    table = table.sort_values(["suppressed", "value"], ascending=[True, False], na_position="last")
    table = table.reindex(columns=list(TABLE_COLUMNS)).reset_index(drop=True)
    notes = []
    if table["suppressed"].any():
        notes.append(
            f"{int(table['suppressed'].sum()):,} site(s) with a count of 1–7 are suppressed "
            "(value, interval and comparison shown as *)."
        )
    if level.pooled_from is not None:
        notes.append(
            f"{level.label}: counts of the {type_phrase(level.pooled_from)} in the data are "
            "summed by each one's parent in the sites table (its current PCN); any left out "
            "of the source (e.g. suppressed there) are missing, so a pooled value can differ "
            "from a published one."
        )
    no_interval = int((table["method"] == "published value, no interval").sum())
    if no_interval:
        notes.append(
            f"{no_interval:,} site(s) have a published value but no interval: not compared."
        )
    return AreaComparison(
        table=table,
        level=level,
        period_label=period_label,
        benchmark=bench,
        confidence=confidence_level(confidence),
        higher_is_better=polarity,
        notes=tuple(notes),
    )


def sites_to_chart(
    table: pd.DataFrame, limit: int = 25, keep_intervention: bool = True
) -> tuple[pd.DataFrame, str | None]:
    """The rows a ranked bar chart can show: all, or the top and bottom ``limit`` plus intervention.

    Suppressed rows are never charted. Returns (rows with a ``shown`` column
    saying why each is there, and a note when rows were left out, else None).
    """
    shown = table[~table["suppressed"] & table["value"].notna()].copy()
    total = len(shown)
    if total <= 2 * limit:
        shown["shown"] = "all"
        return shown, None
    ordered = shown.sort_values("value", ascending=False)
    top, bottom = ordered.head(limit).index, ordered.tail(limit).index
    reason = pd.Series(pd.NA, index=ordered.index, dtype="object")
    reason[top] = f"highest {limit}"
    reason[bottom] = f"lowest {limit}"
    extra = 0
    if keep_intervention:
        chosen = reason.isna() & ordered["group"].eq("intervention")
        reason[chosen] = "intervention site"
        extra = int(chosen.sum())
    keep = ordered[reason.notna()].assign(shown=reason[reason.notna()])
    note = (
        f"Showing the {limit} highest and {limit} lowest of {total:,} sites"
        + (f", and {extra} other intervention site(s)" if extra else "")
        + ". Download the table for every site."
    )
    return keep, note


DEFAULT_LEVEL_ORDER = (Level("pcn"), Level("pcn", "practice"), Level("la"), Level("practice"))


def default_level(levels: list[Level]) -> Level:
    """The level shown first: PCNs (published or pooled), then local authorities, practices."""
    for level in DEFAULT_LEVEL_ORDER:
        if level in levels:
            return level
    return levels[0]


def publishable(
    frame: pd.DataFrame,
    count_columns: tuple[str, ...] = ("numerator", "denominator", "n_pooled"),
    value_columns: tuple[str, ...] = ("value", "lower_ci", "upper_ci", "benchmark"),
    decimals: int = 2,
) -> pd.DataFrame:
    """A table as text for screens and CSV exports: suppressed cells ``*``, numbers rounded.

    In rows flagged ``suppressed``, the numerator and every value column read
    ``*`` (:data:`analysis.disclosure.SUPPRESSED`); the denominator (people
    eligible, not a small count) stays. Whole counts print without decimals,
    values with ``decimals``; missing cells (numbers or text) are empty.
    """
    out = frame.copy()
    hidden = (
        out["suppressed"].fillna(False).astype(bool)
        if "suppressed" in out
        else pd.Series(False, index=out.index)
    )

    def text(value: object, places: int | None) -> str:
        if value is None or pd.isna(value):
            return ""
        number = float(value)
        if places is None and number.is_integer():
            return f"{number:.0f}"
        return f"{number:.{decimals if places is None else places}f}"

    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].astype(object).where(out[column].notna(), "")
    for column in count_columns:
        if column in out:
            out[column] = [text(v, None) for v in out[column]]
            if column == "numerator":
                out.loc[hidden, column] = SUPPRESSED_MARK
    for column in value_columns:
        if column in out:
            out[column] = [text(v, decimals) for v in out[column]]
            out.loc[hidden, column] = SUPPRESSED_MARK
    return out


AREA_TYPE_LABELS = {
    "country": "Country",
    "region": "Region",
    "icb": "ICB",
    "sub_icb": "Sub-ICB",
    "pcn": "PCN",
    "la": "LA",
}


def area_labels(choices: pd.DataFrame) -> dict[str, str]:
    """Picker labels for :func:`area_choices` rows: ``"ICB · NHS … (83 sites)"``."""
    labels = {}
    for row in choices.itertuples(index=False):
        kind = AREA_TYPE_LABELS.get(row.area_type, row.area_type or "")
        name = row.area_name if isinstance(row.area_name, str) else row.area_code
        prefix = f"{kind} · " if kind else ""
        labels[row.area_code] = f"{prefix}{name} ({row.n_sites:,} sites)"
    return labels


def ancestors(sites: pd.DataFrame, max_depth: int = 8) -> pd.DataFrame:
    """Every (site, ancestor) pair from the ``parent_code`` chain (parent, grandparent …).

    Returns ``site_code``, ``ancestor_code``, ``ancestor_type``, ``depth`` (1 =
    parent). Chains stop at a code not in ``sites`` or after ``max_depth``
    steps (so a loop in the data cannot hang).
    """
    unique = sites.drop_duplicates("site_code")
    codes = unique["site_code"].tolist()
    parent = {
        code: up
        for code, up in zip(codes, unique["parent_code"].tolist(), strict=True)
        if isinstance(up, str)
    }
    kind = dict(zip(codes, unique["site_type"].tolist(), strict=True))
    rows = []
    for code in codes:
        current = parent.get(code)
        depth = 1
        while current is not None and current in kind and depth <= max_depth:
            rows.append((code, current, kind[current], depth))
            current, depth = parent.get(current), depth + 1
    return pd.DataFrame(rows, columns=["site_code", "ancestor_code", "ancestor_type", "depth"])


def area_choices(site_codes: pd.Series, sites: pd.DataFrame) -> pd.DataFrame:
    """Areas containing some of ``site_codes``, largest type (England) first.

    Returns ``area_code``, ``area_name``, ``area_type`` and ``n_sites``.
    """
    pairs = ancestors(sites)
    pairs = pairs[is_in(pairs["site_code"], site_codes)]
    counts = pairs.groupby(["ancestor_code", "ancestor_type"], as_index=False)[
        "site_code"
    ].nunique()
    counts.columns = ["area_code", "area_type", "n_sites"]
    names = sites.drop_duplicates("site_code").set_index("site_code")["site_name"]
    counts["area_name"] = names.reindex(counts["area_code"]).to_numpy()
    counts["_order"] = counts["area_type"].map(lambda t: -_type_rank(t))
    counts = counts.sort_values(["_order", "area_name"]).drop(columns="_order")
    return counts[["area_code", "area_name", "area_type", "n_sites"]].reset_index(drop=True)
