"""Compare areas with a benchmark, the Fingertips way: each site's value, interval and verdict.

The "Compare areas" table (one row per site in one period) is built here, from
the store's unsuppressed rows of one measure, in four steps:

1. **Sites at a level** (:func:`analysis.site_levels.level_rows`): the rows of
   one site type, or practices pooled into their parent (e.g. PCNs from
   practices).
2. **Intervals** (:func:`analysis.site_intervals.site_intervals`): Wilson,
   Byar's / exact Poisson, or the published interval (rescaled by Dobson's
   method or the normal approximation for 99.8%).
3. **Benchmark** (:func:`analysis.area_benchmarks.benchmark_for`): England,
   parent areas, comparator sites pooled, or all the sites pooled.
4. **Comparison** (:func:`analysis.benchmark.compare_to_benchmark`): better /
   similar / worse with a polarity, higher / similar / lower without, by whether
   the interval lies wholly above or below the benchmark (OHID Fingertips
   technical guidance). Then small-number suppression
   (:func:`analysis.disclosure.suppress`): a site whose count is 1–7 keeps its
   name and denominator but loses its value, interval, rank and verdict.

:func:`compare_areas` runs all four and returns an :class:`AreaComparison`;
:func:`sites_to_chart` picks the rows a ranked bar chart shows.
What it does not show: the comparison is a screening rule, not a test between
two areas; at 95% about 1 site in 20 differs from the benchmark by chance.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from analysis.area_benchmarks import Benchmark, BenchmarkKind, benchmark_for
from analysis.benchmark import compare_to_benchmark
from analysis.disclosure import DEFAULT_RULE, DisclosureRule, suppress
from analysis.rates import MethodInputError, confidence_level
from analysis.site_intervals import site_intervals
from analysis.site_levels import Level, ancestors, is_in, level_rows, type_phrase

SUPPRESSED_VERDICT = "suppressed"


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
        Which sites (:func:`analysis.site_levels.site_levels`) and which period.
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
        (:func:`analysis.site_levels.ancestors`); the pooled benchmarks then pool those sites.

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
    table["measure_kind"] = measure_kind
    table = suppress(table, ("numerator",), ("value", "lower_ci", "upper_ci"), rule)
    table.loc[table["suppressed"], "comparison"] = SUPPRESSED_VERDICT
    table["rank"] = table["value"].rank(ascending=False, method="min").astype("Int64")
    table = table.sort_values(["suppressed", "value"], ascending=[True, False], na_position="last")
    table = table.reindex(columns=list(TABLE_COLUMNS)).reset_index(drop=True)
    notes = []
    if table["suppressed"].any():
        notes.append(
            f"{int(table['suppressed'].sum()):,} site(s) suppressed (value, interval and "
            "comparison shown as *): counts of 1–7, and the fewest others needed so that no "
            "hidden count can be worked out from a total."
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
