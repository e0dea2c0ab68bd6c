"""``python -m analysis inequality``: the Inequalities page's numbers per period, text or JSON.

Per period: the slope and relative index of inequality with their intervals,
the most-vs-least deprived fifth gap, and each deprivation group's value, from
:func:`analysis.usecases.inequality_for` (the page's defaults unless
``--site-type``, ``--area`` or ``--groups`` say otherwise). ``--json`` prints a
list with one object per period.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analysis.inequality_groups import site_type_label
from analysis.inequality_view import (
    DEFAULT_REPS,
    DEFAULT_SEED,
    SIGN_CONVENTIONS,
    result_records,
)
from analysis.store import Store
from analysis.usecases import inequality_for, measure_definition


def add_parser(commands: argparse._SubParsersAction, db_help: str) -> None:
    """Register ``inequality`` and its options."""
    parser = commands.add_parser(
        "inequality", help="SII, RII and the deprivation gap per period, with intervals"
    )
    parser.add_argument("--measure", required=True, help="measure id (see the Overview)")
    parser.add_argument(
        "--site-type", default=None, help="site type to group (default: as the page)"
    )
    parser.add_argument(
        "--area", default=None, help="area code (a parent of the sites; default: as the page)"
    )
    parser.add_argument(
        "--groups", type=int, choices=[5, 10], default=None, help="quintiles (5) or deciles (10)"
    )
    parser.add_argument("--reps", type=int, default=DEFAULT_REPS, help="SII simulation draws")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--db", type=Path, default=None, help=db_help)
    parser.add_argument("--json", action="store_true", help="print a list, one object per period")


def cmd_inequality(args: argparse.Namespace) -> int:
    """Print the indices per period (JSON list with --json, else a readable table)."""
    store = Store(args.db, read_only=True)
    try:
        definition = measure_definition(store, args.measure)
        outcome = inequality_for(
            store,
            args.measure,
            with_gap=False,
            site_type=args.site_type,
            area=args.area,
            quantiles=args.groups,
            reps=args.reps,
            seed=args.seed,
        )
    finally:
        store.close()
    result, unit = outcome.result, definition.unit
    records = result_records(result, args.measure, unit)
    if args.json:
        print(json.dumps(records, indent=2))
        return 0
    words = "in percentage points" if unit == "%" else (unit or "in the measure's unit")
    print(
        f"{definition.label}: {site_type_label(result.site_type)}, "
        f"{result.area_name}, by IMD {result.group_word} (1 = most deprived); SII and gap "
        f"{words}."
    )
    print(f"Method: {result.method}")
    print(f"Signs: {SIGN_CONVENTIONS}")
    for record in records:
        print(f"\n{record['period']}")
        sii, rii = _ci(record["sii"], record["sii_ci"]), _ci(record["rii"], record["rii_ci"], 3)
        print(f"  SII {sii}   RII {rii}")
        print(f"  gap (most − least deprived fifth) {_ci(record['gap'], record['gap_ci'])}")
        if record["note"]:
            print(f"  note: {record['note']}")
        values = "  ".join(
            f"{g['quantile']}: {'*' if g['suppressed'] else _fmt(g['value'])}"
            for g in record["quintile_values"]
        )
        print(f"  quintile values: {values}")
    return 0


def _fmt(x: float | None, places: int = 2) -> str:
    return "—" if x is None else f"{x:,.{places}f}"


def _ci(value: float | None, interval: list, places: int = 2) -> str:
    if value is None:
        return "—"
    low, high = interval
    if low is None or high is None:
        return _fmt(value, places)
    return f"{_fmt(value, places)} (95% CI {_fmt(low, places)} to {_fmt(high, places)})"
