"""Command line (DESIGN.md): the same functions as the pages, JSON out.

``python -m analysis load FILE... [--db PATH]`` exits 0 when loaded, 2 with one
``file:row:column: message`` line per problem when the input is bad (nothing
is written), and 3 when the database is held by another process.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from analysis import cli_compare, cli_inequality
from analysis.errors import HiodError, LoadRejected, StoreBusy
from analysis.store import Store, default_db_path

EXIT_BAD_INPUT = 2
EXIT_BUSY = 3


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per task."""
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    load = commands.add_parser("load", help="validate files and load them in one transaction")
    load.add_argument("files", nargs="*", type=Path, help="CSV, XLSX or Parquet files")
    load.add_argument("--defaults", action="store_true", help="load the bundled default data")
    load.add_argument(
        "--db", type=Path, default=None, help=f"database (default {default_db_path()})"
    )
    load.add_argument("--json", action="store_true", help="print the outcome as JSON")
    cli_compare.add_parser(commands, f"database (default {default_db_path()})")
    cli_inequality.add_parser(commands, f"database (default {default_db_path()})")
    return parser


def cmd_load(args: argparse.Namespace) -> int:
    """Load files (or the defaults); print what happened."""
    from analysis.defaults import load_defaults
    from analysis.ingest import prepare_batch

    if not args.files and not args.defaults:
        print("nothing to load: name files, or --defaults", file=sys.stderr)
        return EXIT_BAD_INPUT
    store = Store(args.db)
    try:
        if args.defaults:
            outcomes = load_defaults(store)
        else:
            files = [(str(p), p.read_bytes()) for p in args.files]
            outcomes = store.apply(prepare_batch(files, store.catalogue()))
    finally:
        store.close()
    if args.json:
        print(json.dumps([o.__dict__ for o in outcomes], indent=2))
    else:
        for o in outcomes:
            print(f"{o.file_name}: {o.status} ({o.kind}, {o.rows} rows, load #{o.load_id})")
            for note in o.notes:
                print(f"  note: {note}")
    return 0


COMMANDS = {"load": cmd_load, "compare": cli_compare.cmd_compare}
COMMANDS["inequality"] = cli_inequality.cmd_inequality


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except LoadRejected as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"rejected: {len(exc.issues)} problem(s); nothing was loaded", file=sys.stderr)
        return EXIT_BAD_INPUT
    except StoreBusy as exc:
        print(f"busy: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except (HiodError, FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
