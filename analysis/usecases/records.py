"""Record-level files counted by a recipe into measures that a load takes.

Part of the use-case layer (:mod:`analysis.usecases`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePath

import pandas as pd

from analysis.aggregate import MeasuresResult, aggregate
from analysis.denominators import population_rows
from analysis.disclosure import DEFAULT_RULE, DisclosureRule, publishable, suppress
from analysis.engines import FILE_SUFFIXES, connect, records_table
from analysis.errors import HiodError, LoadRejected
from analysis.periods import parse_period
from analysis.readers import ReadFailed, read_table
from analysis.recipes import Recipe


@dataclass(frozen=True)
class AggregateOutcome:
    """A recipe's measures counted from an uploaded record file, as files that load like any.

    ``files`` are the measures file and the recipe's measure definition, (name,
    bytes) as :func:`load_files` takes them, so loading them is one all-or-nothing
    load (as ``aggregate --load`` does).
    """

    result: MeasuresResult
    records_name: str
    denominators_name: str
    files: tuple[tuple[str, bytes], ...]

    @property
    def recipe(self) -> Recipe:
        """The recipe that was counted."""
        return self.result.recipe

    @property
    def measures(self) -> pd.DataFrame:
        """The measures in the data contract, counts exact (suppress them before showing)."""
        return self.result.measures

    @property
    def notes(self) -> tuple[str, ...]:
        """What was left out and why."""
        return self.result.notes


def measures_from_records(
    recipe: Recipe,
    records: tuple[str, bytes],
    denominators: tuple[str, bytes],
    progress: Callable[[float, str], None] | None = None,
) -> AggregateOutcome:
    """Count ``recipe``'s measure from a record file (name, bytes) on embedded DuckDB.

    The records are written to a temporary folder, counted there by
    :func:`analysis.aggregate.aggregate` (only counts by site and period come
    back) and the folder is deleted before this returns: no record-level row
    is kept. ``denominators`` is a registered-population file (CSV, XLSX or
    Parquet; :mod:`analysis.denominators`). ``progress(fraction, message)`` is
    told each step. Raises :class:`~analysis.errors.HiodError` (a
    :class:`~analysis.errors.LoadRejected` listing file, row and column for the
    denominators) for a file that cannot be read or counted; nothing is written.
    """
    records_name, records_data = records
    denominators_name, denominators_data = denominators
    step = progress or (lambda fraction, message: None)
    suffix = PurePath(records_name).suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise HiodError(f"{records_name}: a record file is .csv or .parquet, not '{suffix}'")
    if not records_data.strip():
        raise HiodError(f"{records_name}: the file is empty")
    step(0.0, f"reading {denominators_name} and {records_name}…")
    try:
        cells = read_table(denominators_name, denominators_data).cells
    except ReadFailed as exc:
        raise LoadRejected([exc.issue]) from None
    population = population_rows(cells, recipe.denominator, denominators_name)
    with tempfile.TemporaryDirectory(prefix="hiod-records-") as folder:
        path = Path(folder) / f"records{suffix}"
        path.write_bytes(records_data)
        con = connect("duckdb")
        try:
            table = records_table(con, "duckdb", str(path))
            step(0.25, f"filtering and counting {records_name} with recipe {recipe.name}…")
            result = aggregate(table, recipe, population, records_name)
        except HiodError:
            raise
        except Exception as exc:
            if type(exc).__module__.split(".")[0] not in ENGINE_ERROR_MODULES:
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise HiodError(
                f"{records_name}: could not be counted as a {suffix[1:]} file of records ({first})"
            ) from None
        finally:
            con.disconnect()
    step(0.85, "writing the measures file…")
    stem = f"{recipe.name}_from_{PurePath(records_name).stem}"
    files = (
        (f"{stem}.csv", result.measures.to_csv(index=False).encode()),
        (f"{stem}.definition.csv", result.definition().to_csv(index=False).encode()),
    )
    step(1.0, "counted")
    return AggregateOutcome(result, records_name, denominators_name, files)


ENGINE_ERROR_MODULES = {"duckdb", "_duckdb", "ibis", "pyarrow"}
"""Where the errors of reading and counting a record file come from (bad input, not bugs)."""


def records_preview(
    outcome: AggregateOutcome, sites: pd.DataFrame, rule: DisclosureRule = DEFAULT_RULE
) -> pd.DataFrame:
    """The counts as text: a row per site (code, name), a column per period, small counts ``*``.

    Suppressed as every table the store hands out (:func:`analysis.disclosure.suppress`:
    counts 1–7, small complements, and secondary suppression within each parent
    and period), so that the screen shows nothing a measures page would hide.
    """
    measures = outcome.measures
    parents = sites.set_index("site_code")["parent_code"] if "parent_code" in sites else None
    frame = measures.assign(period_start=measures["period"])
    if parents is not None:
        frame["parent_code"] = frame["site_code"].map(parents)
    shown = publishable(suppress(frame, rule=rule))
    order = list(dict.fromkeys(sorted(measures["period"], key=lambda p: parse_period(p).start)))
    table = shown.pivot(index="site_code", columns="period", values="numerator")
    table = table.reindex(columns=order).reset_index()
    names = sites.set_index("site_code")["site_name"] if "site_name" in sites else None
    table.insert(1, "Name", table["site_code"].map(names) if names is not None else None)
    table["Name"] = table["Name"].astype(object).where(table["Name"].notna(), "")
    table.columns.name = None
    return table.rename(columns={"site_code": "Site"})
