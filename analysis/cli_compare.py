"""``python -m analysis compare``: the Compare page's estimate as JSON or text."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from analysis.store import Store
from analysis.usecases import comparison_for, comparison_json, format_p

METHODS = ["auto", "did", "its", "synth"]


def add_parser(commands: argparse._SubParsersAction, db_help: str) -> None:
    """Register ``compare`` and its options."""
    compare = commands.add_parser("compare", help="intervention vs comparator effect estimate")
    compare.add_argument("--measure", required=True, help="measure id (see the Overview)")
    compare.add_argument("--method", choices=METHODS, default="auto")
    compare.add_argument(
        "--predictor",
        action="append",
        default=[],
        metavar="NAME[:FROM..TO]",
        help="synthetic control predictor (repeatable): the mean over FROM..TO (default the "
        "pre-period) of 'outcome', another measure, or a site attribute (imd_score, "
        "imd_decile, population); e.g. outcome:2019-01..2019-12",
    )
    compare.add_argument("--db", type=Path, default=None, help=db_help)
    compare.add_argument("--json", action="store_true", help="print one JSON object")


def cmd_compare(args: argparse.Namespace) -> int:
    """Print the effect (DESIGN.md keys with --json) or a readable summary."""
    store = Store(args.db, read_only=True)
    try:
        result = comparison_for(store, args.measure, args.method, args.predictor)
    finally:
        store.close()
    payload = comparison_json(result)
    if args.json:
        print(json.dumps(payload, default=str, indent=2))
        return 0
    e = result.effect
    print(
        f"{e.method_label}: {e.estimate:,.3g} {e.unit} ({e.confidence:.0%} CI "
        f"{e.ci_low:,.3g} to {e.ci_high:,.3g}), p {_p_words(e.p_value)}"
    )
    print(result.sentence)
    print(f"Why this method: {result.method_reason}.")
    if "events_benefit" in payload:
        low, high = payload["events_benefit_ci"]
        print(
            f"{payload['events_benefit']:,.0f} {payload['events_words']} over "
            f"{payload['events_years']:.1f} years (95% interval {low:,.0f} to {high:,.0f})"
        )
    else:
        print(f"No events figure: {payload['events_problem']}")
    for donor, weight in e.extra.get("weights", {}).items():
        print(f"  donor weight {weight:.3f}: {donor}")
    for predictor, weight in e.extra.get("v_weights", {}).items():
        print(f"  predictor weight (V) {weight:.3f}: {predictor}")
    for check in result.checks:
        print(f"  [{check.status}] {check.name}: {check.explanation}")
    for note in e.notes:
        print(f"  note: {note}")
    return 0


def _p_words(p: float | None) -> str:
    text = format_p(p)
    return text if text.startswith("<") or text == "—" else f"= {text}"
