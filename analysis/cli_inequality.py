"""``python -m analysis inequality``: the Inequalities page's numbers per period, text or JSON.

Per period: the slope and relative index of inequality with their intervals,
the most-vs-least deprived fifth gap, and each deprivation group's value, from
:func:`analysis.usecases.inequality_for` (the page's defaults unless
``--site-type``, ``--area`` or ``--groups`` say otherwise), and the programme's
effect on the gap (``gap_effect``: the SII after the start as observed against its
counterfactual from the ``--method`` comparison). ``--json`` prints one object:
``periods`` (one object per period), ``gap_effect`` (``sii_change``,
``sii_change_ci``, ``method`` …) or ``gap_effect_problem``, ``signs`` and ``notes``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analysis.inequality_view import (
    DEFAULT_REPS,
    DEFAULT_SEED,
    GLOSSARY,
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
    parser.add_argument(
        "--method",
        choices=["auto", "did", "its", "synth"],
        default="auto",
        help="the comparison whose effect gives the counterfactual (as compare --method)",
    )
    parser.add_argument("--reps", type=int, default=DEFAULT_REPS, help="SII simulation draws")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--db", type=Path, default=None, help=db_help)
    parser.add_argument(
        "--json", action="store_true", help="print one object: periods, gap_effect, notes"
    )


def cmd_inequality(args: argparse.Namespace) -> int:
    """Print the indices per period and the programme's effect on the gap (JSON with --json)."""
    store = Store(args.db, read_only=True)
    try:
        definition = measure_definition(store, args.measure)
        outcome = inequality_for(
            store,
            args.measure,
            with_gap=False,
            method=args.method,
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
    effect = outcome.gap_effect
    if args.json:
        payload = {
            "measure": args.measure,
            "unit": unit,
            "sites": result.site_label,
            "area": result.area_code,
            "area_name": result.area_name,
            "groups": f"IMD {result.group_word}s (1 = most deprived)",
            "signs": SIGN_CONVENTIONS,
            "notes": list(result.notes),
            "periods": records,
            "gap_effect": None if effect is None else effect.to_json_dict(),
            "gap_effect_problem": outcome.gap_effect_problem,
        }
        print(json.dumps(payload, indent=2))
        return 0
    words = "in percentage points" if unit == "%" else (unit or "in the measure's unit")
    word = result.group_word
    print(
        f"{definition.label}: {result.site_label}, {result.area_name}, by IMD {word} "
        f"(1 = most deprived); SII and gap {words}."
    )
    print(f"Method: {result.method}")
    print(f"Signs: {SIGN_CONVENTIONS}")
    for note in result.notes:
        print(f"Note: {note}")
    for record in records:
        print(f"\n{record['period']}")
        sii, rii = _ci(record["sii"], record["sii_ci"]), _ci(record["rii"], record["rii_ci"], 3)
        print(f"  SII {sii}   RII {rii}")
        print(f"  gap (least − most deprived fifth) {_ci(record['gap'], record['gap_ci'])}")
        if record["note"]:
            print(f"  note: {record['note']}")
        values = "  ".join(
            f"{g['quantile']}: {'*' if g['suppressed'] else _fmt(g['value'])}"
            for g in record["quantile_values"]
        )
        print(f"  {word} values: {values}")
    print("\nThe programme's effect on the gap")
    if effect is None:
        print(f"  not available: {outcome.gap_effect_problem}")
    else:
        print("  " + effect.sentence(result.sites_phrase))
        for line in effect.assumptions:
            print(f"  assumes: {line}")
    print("\nGlossary")
    for term, meaning in GLOSSARY:
        print(f"  {term}: {meaning}")
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
