"""Command line (DESIGN.md): the same functions as the pages, JSON out.

``python -m analysis load FILE... [--columns MAP] [--measure ID] [--db PATH]`` exits 0
when loaded, 2 with one ``file:row:column: message`` line per problem when the
input is bad (nothing is written), and 3 when the database is held by another
process.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from analysis import cli_aggregate, cli_compare, cli_inequality, cli_report
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
    load.add_argument(
        "--columns",
        default=None,
        help="which columns are which in the files whose columns are named otherwise: "
        "'site_code=Practice Code,period=Month,numerator=Screened,denominator=Invited' "
        "(remembered by the file's header for next time, as on the Data page)",
    )
    load.add_argument(
        "--measure",
        default=None,
        help="measure id for every row of files that have no measure column (e.g. bowel_uptake)",
    )
    add_savings_parser(commands)
    cli_compare.add_parser(commands, f"database (default {default_db_path()})")
    cli_inequality.add_parser(commands, f"database (default {default_db_path()})")
    cli_report.add_parser(commands, f"database (default {default_db_path()})")
    cli_aggregate.add_parser(commands, f"database (default {default_db_path()})")
    return parser


def cmd_load(args: argparse.Namespace) -> int:
    """Load files (or the defaults); print what happened."""
    from analysis.column_mapping import parse_columns_option
    from analysis.defaults import load_defaults
    from analysis.usecases import file_headers, load_files

    if not args.files and not args.defaults:
        print("nothing to load: name files, or --defaults", file=sys.stderr)
        return EXIT_BAD_INPUT
    store = Store(args.db)
    try:
        if args.defaults:
            outcomes = load_defaults(store)
        else:
            files = [(str(p), p.read_bytes()) for p in args.files]
            mappings = None
            if args.columns is not None or args.measure is not None:
                # the mapping is for the files whose columns are not recognised as named
                mapping = parse_columns_option(args.columns or "", args.measure)
                headers = file_headers(store, files)
                mappings = {h.file_name: mapping for h in headers if not h.recognised}
            outcomes = list(load_files(store, files, mappings=mappings).outcomes)
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


def add_savings_parser(commands: argparse._SubParsersAction) -> None:
    """Register ``savings`` (DESIGN.md) and its options."""
    savings = commands.add_parser(
        "savings", help="costs avoided from the comparison's effect, with intervals and ROI"
    )
    savings.add_argument("--measure", required=True, help="measure id (see the Overview)")
    savings.add_argument(
        "--method", choices=cli_compare.METHODS, default="auto", help="as for compare"
    )
    savings.add_argument("--programme-cost", type=float, default=None, help="£, paid up front")
    savings.add_argument("--horizon", type=float, default=3.0, help="years (default 3)")
    savings.add_argument(
        "--discount-rate", type=float, default=0.035, help="a year (default 0.035, Green Book)"
    )
    savings.add_argument(
        "--population",
        type=float,
        default=None,
        help="value-only measures: people at risk in each period of the measure",
    )
    savings.add_argument("--draws", type=int, default=10_000, help="simulation draws")
    savings.add_argument("--seed", type=int, default=20240401, help="random seed")
    savings.add_argument(
        "--db", type=Path, default=None, help=f"database (default {default_db_path()})"
    )
    savings.add_argument("--json", action="store_true", help="print one JSON object")


def cmd_savings(args: argparse.Namespace) -> int:
    """Events avoided × the stored unit costs of the measure, as on the Savings page."""
    from analysis.savings_numbers import format_gbp
    from analysis.usecases import SavingsSettings, savings_for

    settings = SavingsSettings(
        horizon_years=args.horizon,
        discount_rate=args.discount_rate,
        draws=args.draws,
        seed=args.seed,
    )
    store = Store(args.db, read_only=True)
    try:
        outcome = savings_for(
            store,
            args.measure,
            args.method,
            settings,
            population=args.population,
            programme_cost=args.programme_cost,
        )
    finally:
        store.close()
    if args.json:
        print(json.dumps(outcome.to_json_dict(), indent=2, default=str))
        return 0
    estimate, roi = outcome.estimate, outcome.roi
    print(outcome.comparison.sentence)
    print(f"Observed: {outcome.figure.text()}.")
    low, high = estimate.events_avoided_ci
    print(
        f"{outcome.figure.words.capitalize()} over the {args.horizon:g}-year horizon: "
        f"{estimate.events_avoided:,.0f} (95% interval {low:,.0f} to {high:,.0f})"
    )
    low, high = estimate.savings_gbp_ci
    print(
        f"Costs avoided (present value): {format_gbp(estimate.savings_gbp)} "
        f"(95% interval {format_gbp(low)} to {format_gbp(high)})"
    )
    for item in estimate.by_item:
        low, high = item.savings_gbp_ci
        print(
            f"  {item.item}: {format_gbp(item.savings_gbp)} "
            f"({format_gbp(low)} to {format_gbp(high)})"
        )
    if roi is not None:
        low, high = roi.net_saving_gbp_ci
        print(
            f"Net saving against {format_gbp(roi.programme_cost_gbp)}: "
            f"{format_gbp(roi.net_saving_gbp)} ({format_gbp(low)} to {format_gbp(high)}); "
            f"ROI {roi.roi:.0%}; probability of a net saving {roi.probability_net_saving:.0%}"
        )
    for line in estimate.assumptions.lines():
        print(f"  assumption: {line}")
    return 0


COMMANDS = {"load": cmd_load, "compare": cli_compare.cmd_compare, "savings": cmd_savings}
COMMANDS["inequality"] = cli_inequality.cmd_inequality
COMMANDS["report"] = cli_report.cmd_report
COMMANDS["aggregate"] = cli_aggregate.cmd_aggregate


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
