"""``python -m analysis aggregate``: a recipe's measure counted from record-level data.

``aggregate --recipe falls_65plus --records PATH_OR_TABLE --denominators PATH_OR_TABLE
[--engine duckdb|spark|postgres] [--connection URL] --out measures.parquet|csv [--load]``
counts the records where they live (:mod:`analysis.engines`, :mod:`analysis.aggregate`)
and writes a measures file in the data contract (``site_code, period, measure,
numerator, denominator``) that ``load`` accepts; ``--load`` loads it, with the
recipe's measure definition, in one transaction. Exit 2 on a bad recipe,
records or denominators, 3 when the database is held.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from analysis.engines import ENGINES, check_source, connect, records_table
from analysis.recipes import load_recipe, recipe_names


def add_parser(commands: argparse._SubParsersAction, db_help: str) -> None:
    """Register ``aggregate`` and its options."""
    p = commands.add_parser(
        "aggregate", help="count a recipe's measure from record-level data, where they live"
    )
    p.add_argument(
        "--recipe", required=True, help=f"{', '.join(recipe_names())}, or a recipe .toml file"
    )
    p.add_argument(
        "--records",
        required=True,
        help="CSV or Parquet record file(s), globs allowed (duckdb, spark), or a table name",
    )
    p.add_argument(
        "--denominators",
        required=True,
        help="registered population (site_code, period, age_band, count[, sex]): "
        "a CSV/XLSX/Parquet file or a table of the engine",
    )
    p.add_argument("--engine", choices=ENGINES, default="duckdb", help="default duckdb")
    p.add_argument(
        "--connection",
        default=None,
        help="postgres: postgresql://user@host:port/db; spark: master URL (default "
        "local[*]); duckdb: a database file holding the records table",
    )
    p.add_argument("--out", type=Path, required=True, help="measures file: .parquet or .csv")
    p.add_argument("--load", action="store_true", help="then load the measures and definition")
    p.add_argument("--db", type=Path, default=None, help=db_help)
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")


def cmd_aggregate(args: argparse.Namespace) -> int:
    """Count, write the measures file, optionally load it; print what happened."""
    from analysis.aggregate import aggregate
    from analysis.denominators import population_rows

    if args.out.suffix.lower() not in (".parquet", ".csv"):
        raise ValueError(f"{args.out}: --out must end in .parquet or .csv")
    recipe = load_recipe(args.recipe)
    check_source(args.engine, args.records)
    con = connect(args.engine, args.connection)
    try:
        cells = _population_cells(con, args.denominators)
        population = population_rows(cells, recipe.denominator, args.denominators)
        records = records_table(con, args.engine, args.records)
        result = aggregate(records, recipe, population, args.records)
    finally:
        con.disconnect()
    frame = result.measures
    if args.out.suffix.lower() == ".csv":
        frame.to_csv(args.out, index=False)
    else:
        frame.to_parquet(args.out, index=False)
    loaded = _load(args, result.definition()) if args.load else []
    outcome = {
        "recipe": recipe.name,
        "measure": recipe.measure,
        "engine": args.engine,
        "out": str(args.out),
        "rows": len(frame),
        "sites": int(frame["site_code"].nunique()),
        "periods": sorted(frame["period"].unique()),
        "events": int(frame["numerator"].sum()),
        "notes": list(result.notes),
        "loads": loaded,
    }
    if args.json:
        print(json.dumps(outcome, indent=2))
        return 0
    print(
        f"{args.out}: {outcome['rows']} rows of {recipe.measure} ({outcome['sites']} sites, "
        f"{len(outcome['periods'])} periods, {outcome['events']} counted) on {args.engine}"
    )
    for note in result.notes:
        print(f"  note: {note}")
    for line in loaded:
        print(f"  {line}")
    return 0


def _population_cells(con: object, source: str) -> pd.DataFrame:
    """The denominator source as text cells: a file (rows numbered as shown) or a table."""
    from analysis.readers import read_table

    path = Path(source)
    if path.is_file():
        return read_table(path.name, path.read_bytes()).cells
    schema, _, name = source.rpartition(".")
    frame = con.table(name, database=schema or None).to_pandas()  # type: ignore[attr-defined]
    frame.index = frame.index + 2  # as a spreadsheet numbers rows: header = 1
    return frame.astype("string")


def _load(args: argparse.Namespace, definition: pd.DataFrame) -> list[str]:
    """Load the measures file and the recipe's definition in one transaction."""
    from analysis.store import Store
    from analysis.usecases import load_files

    files = [
        (args.out.name, args.out.read_bytes()),
        (f"{args.out.stem}.definition.csv", definition.to_csv(index=False).encode()),
    ]
    store = Store(args.db)
    try:
        outcomes = load_files(store, files).outcomes
    finally:
        store.close()
    return [
        f"{o.file_name}: {o.status} ({o.kind}, {o.rows} rows, load #{o.load_id})" for o in outcomes
    ]
