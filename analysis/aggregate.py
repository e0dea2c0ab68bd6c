"""Count a recipe's measure from record-level data, inside the engine that holds them.

One Ibis expression per recipe (:func:`event_counts`) runs unchanged on DuckDB,
Spark and PostgreSQL (:mod:`analysis.engines`): the records are filtered
(:mod:`analysis.recipes`), placed in a period by their event date (a
financial year runs April–March) and counted by site and period — rows, or
distinct ``unit`` values (spells, patients). For coverage recipes
(``lookback_months``) a period counts the distinct units with a record in the
months up to its last day, by a range join on a small table of windows.

Disclosure at the source: only these counts leave the engine; no record-level
row reaches pandas or the dashboard's database. The counts are exact: small
ones (1–7) are suppressed when shown, by the same rule as every measures file
(:mod:`analysis.disclosure`, applied by the store), so keep the measures file
where the records may be kept.

The denominators (:mod:`analysis.denominators`) are already aggregate and are
added in pandas. Every site with a denominator gets a row for every period from
the first to the last counted event (a count of 0 where nothing happened).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd

from analysis.denominators import denominators_for
from analysis.errors import HiodError
from analysis.periods import parse_period
from analysis.recipes import Recipe, RecipeError, RecordFilter

if TYPE_CHECKING:
    import ibis.expr.types as ir

MEASURE_COLUMNS = ["site_code", "period", "measure", "numerator", "denominator"]
_FREQ = {"month": "M", "quarter": "Q", "year": "Y", "financial_year": "Y-MAR"}


@dataclass(frozen=True)
class MeasuresResult:
    """A measures frame in the data contract (``MEASURE_COLUMNS``) and notes for the user."""

    recipe: Recipe
    measures: pd.DataFrame
    notes: tuple[str, ...]

    def definition(self) -> pd.DataFrame:
        """The recipe's measure as one row of a measure definitions file (DESIGN.md)."""
        r = self.recipe
        polarity = "" if r.higher_is_better is None else str(r.higher_is_better).lower()
        return pd.DataFrame(
            [[r.measure, r.label, r.kind, r.multiplier, polarity, r.description, r.source]],
            columns=[
                "measure",
                "label",
                "kind",
                "multiplier",
                "higher_is_better",
                "description",
                "source",
            ],
        )


def aggregate(
    records: ir.Table, recipe: Recipe, population: pd.DataFrame, records_name: str
) -> MeasuresResult:
    """The recipe's measures: counts from ``records`` over ``population`` rows.

    ``population`` is :func:`analysis.denominators.population_rows`' output;
    ``records_name`` names the source in messages.
    """
    counts, periods, notes = event_counts(records, recipe, records_name)
    if counts.empty:
        raise HiodError(f"{records_name}: no record passes the filters of recipe {recipe.name}")
    denominators = denominators_for(population, periods)
    measures = denominators.merge(counts, on=["site_code", "period"], how="left")
    measures["numerator"] = measures["numerator"].fillna(0).astype("int64")
    measures["denominator"] = measures["denominator"].astype("int64")
    measures["measure"] = recipe.measure
    orphans = counts.merge(denominators, on=["site_code", "period"], how="left")
    orphans = orphans[orphans["denominator"].isna()]
    if not orphans.empty:
        example = orphans.iloc[0]
        notes.append(
            f"{int(orphans['numerator'].sum())} counted at {len(orphans)} site-periods with no "
            f"denominator were left out (e.g. {example['site_code']} {example['period']})"
        )
    if recipe.kind == "proportion":
        over = int((measures["numerator"] > measures["denominator"]).sum())
        if over:
            notes.append(f"{over} rows count more than their denominator")
    measures = measures.sort_values(["site_code", "period"], ignore_index=True)
    return MeasuresResult(recipe, measures[MEASURE_COLUMNS], tuple(notes))


def event_counts(
    records: ir.Table, recipe: Recipe, records_name: str
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Count qualifying records by site and period in the engine.

    Returns the counts (``site_code``, ``period``, ``numerator``) of records
    with a site and a date, the periods reported (every one from the first to
    the last counted, or the look-back windows), and notes saying how many
    qualifying records had no site or no date.
    """
    events = _qualifying(records, recipe, records_name)
    if recipe.lookback_months:
        counts, periods = _window_counts(events, recipe)
    else:
        counts = _period_counts(events, recipe)
        periods = _period_range(recipe, counts["period"].dropna())
    notes = []
    for column, what in (("site_code", "no site"), ("period", "no event date")):
        missing = counts[column].isna()
        if missing.any():
            notes.append(f"{int(counts.loc[missing, 'numerator'].sum())} with {what} left out")
            counts = counts[~missing]
    return counts.reset_index(drop=True), periods, notes


def _qualifying(records: ir.Table, recipe: Recipe, records_name: str) -> ir.Table:
    """The records that pass every filter, as ``site_code``, ``event_date``, ``unit``."""
    keys = {recipe.site_column: "records.site", recipe.date_column: "records.event_date"}
    if recipe.unit_column:
        keys[recipe.unit_column] = "records.unit"
    keys.update({f.column: f"filters[{i}].column" for i, f in enumerate(recipe.filters)})
    for column, key in keys.items():
        if column not in records.columns:
            have = ", ".join(records.columns)
            raise RecipeError(
                f"{recipe.name} on {records_name}", key, f"no column '{column}' (it has {have})"
            )
    kept = records.filter([_passes(records[f.column], f) for f in recipe.filters] or [True])
    columns = {
        "site_code": kept[recipe.site_column].cast("string").strip().nullif(""),
        "event_date": kept[recipe.date_column].cast("date"),
    }
    if recipe.unit_column:
        columns["unit"] = kept[recipe.unit_column]
    return kept.select(**columns)


def _passes(column: ir.Value, rule: RecordFilter) -> ir.BooleanValue:
    """The filter's test on one column (a missing value fails every test)."""
    if rule.min is not None or rule.max is not None:
        number = column.cast("float64")
        tests = []
        if rule.min is not None:
            tests.append(number >= rule.min)
        if rule.max is not None:
            tests.append(number <= rule.max)
        return _all(tests)
    text = column.cast("string")
    if rule.values:
        return text.strip().isin(rule.values)
    if rule.prefixes:
        return _any([text.strip().startswith(p) for p in rule.prefixes])
    # a category is the first three characters (ICD-10 puts the dot after them)
    tests = [text.strip().left(3).upper().isin(rule.categories)] if rule.categories else []
    code = text.upper().replace(".", "").replace(" ", "")
    return _any(tests + [code.startswith(p) for p in rule.code_prefixes])


def _all(tests: list[ir.BooleanValue]) -> ir.BooleanValue:
    out = tests[0]
    for t in tests[1:]:
        out &= t
    return out


def _any(tests: list[ir.BooleanValue]) -> ir.BooleanValue:
    out = tests[0]
    for t in tests[1:]:
        out |= t
    return out


def _counted(events: ir.Table, recipe: Recipe) -> ir.IntegerScalar:
    return events.unit.nunique() if recipe.unit_column else events.count()


def _period_counts(events: ir.Table, recipe: Recipe) -> pd.DataFrame:
    """Counts by site and the period of the event date, labelled in pandas."""
    date = events.event_date
    year = date.year()
    keys: dict[str, ir.Value] = {"year": year}
    if recipe.granularity == "financial_year":
        keys["year"] = (date.month() >= 4).ifelse(year, year - 1)
    elif recipe.granularity in ("month", "quarter"):
        keys["part"] = date.month() if recipe.granularity == "month" else date.quarter()
    grouped = events.group_by(site_code=events.site_code, **keys)
    counts = grouped.aggregate(numerator=_counted(events, recipe)).to_pandas()
    names = list(keys)
    distinct = counts[names].drop_duplicates()  # a few dozen periods, however many rows
    parts = distinct["part"] if "part" in distinct else distinct["year"]
    periods = [_period(recipe, y, p) for y, p in zip(distinct["year"], parts, strict=True)]
    distinct["period"] = [None if p is None else _label(recipe, p) for p in periods]
    labelled = counts.merge(distinct, on=names, how="left")
    return labelled[["site_code", "period", "numerator"]]


def _window_counts(events: ir.Table, recipe: Recipe) -> tuple[pd.DataFrame, list[str]]:
    """Distinct units with an event in each period's look-back window, by site.

    The periods run from the one holding the first event date to the one
    holding the last, keeping those whose window starts on or after the first
    period's first day (an earlier window would be short of records).
    """
    import ibis

    span = events.aggregate(first=events.event_date.min(), last=events.event_date.max())
    first, last = span.to_pandas().iloc[0]
    if pd.isna(first):
        return pd.DataFrame(columns=["site_code", "period", "numerator"]), []
    freq = _FREQ[recipe.granularity]
    start = pd.Period(first, freq=freq).start_time
    months = pd.DateOffset(months=recipe.lookback_months or 0)
    windows = []
    for p in pd.period_range(pd.Period(first, freq=freq), pd.Period(last, freq=freq)):
        end = p.end_time.normalize()
        begin = end + pd.Timedelta(days=1) - months
        if begin >= start:
            windows.append((_label(recipe, p), begin.date(), end.date()))
    table = ibis.memtable(
        pd.DataFrame(windows, columns=["period", "window_start", "window_end"]),
        schema={"period": "string", "window_start": "date", "window_end": "date"},
    )
    joined = events.join(
        table,
        [events.event_date >= table.window_start, events.event_date <= table.window_end],
    )
    grouped = joined.group_by(["site_code", "period"])
    counts = grouped.aggregate(numerator=_counted(joined, recipe)).to_pandas()
    return counts, [w[0] for w in windows]


def _period(recipe: Recipe, year: object, part: object) -> pd.Period | None:
    """The pandas period of an engine's (year, part) key; None for a missing date."""
    if pd.isna(year):  # type: ignore[call-overload]
        return None
    y = int(year)  # type: ignore[call-overload]
    if recipe.granularity == "month":
        return pd.Period(year=y, month=int(part), freq="M")  # type: ignore[call-overload]
    if recipe.granularity == "quarter":
        return pd.Period(year=y, quarter=int(part), freq="Q")  # type: ignore[call-overload]
    if recipe.granularity == "financial_year":
        return pd.Period(year=y + 1, freq="Y-MAR")  # the year to March y + 1
    return pd.Period(year=y, freq="Y")


def _label(recipe: Recipe, period: pd.Period) -> str:
    """A period's label in the data contract: 2023-04, 2023 Q2, 2023, 2023/24."""
    if recipe.granularity == "month":
        return f"{period.year}-{period.month:02d}"
    if recipe.granularity == "quarter":
        return f"{period.year} Q{period.quarter}"
    if recipe.granularity == "financial_year":
        return f"{period.year - 1}/{period.year % 100:02d}"
    return str(period.year)


def _period_range(recipe: Recipe, labels: pd.Series) -> list[str]:
    """Every period label from the first to the last of ``labels``."""
    if labels.empty:
        return []
    starts = [parse_period(label).start for label in labels.unique()]
    freq = _FREQ[recipe.granularity]
    span = pd.period_range(pd.Period(min(starts), freq=freq), pd.Period(max(starts), freq=freq))
    return [_label(recipe, p) for p in span]
