"""``python -m analysis compare``: the Compare page's estimate as JSON or text."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from analysis.arms import build_panel
from analysis.charts import unit_label
from analysis.compare import Comparison, run_comparison
from analysis.store import Store


def add_parser(commands: argparse._SubParsersAction, db_help: str) -> None:
    """Register ``compare`` and its options."""
    compare = commands.add_parser("compare", help="intervention vs comparator effect estimate")
    compare.add_argument("--measure", required=True, help="measure id (see the Overview)")
    compare.add_argument("--method", choices=["auto", "did", "its", "synth"], default="auto")
    compare.add_argument("--db", type=Path, default=None, help=db_help)
    compare.add_argument("--json", action="store_true", help="print one JSON object")


def comparison_for(store: Store, measure: str, method: str = "auto") -> Comparison:
    """Run the comparison for ``measure`` under the saved grouping."""
    store.check_measure(measure)
    info = store.measures_overview().set_index("measure").loc[measure]
    polarity = info["higher_is_better"]
    return run_comparison(
        build_panel(store.panel_rows(measure)),
        measure=measure,
        label=info["label"] or measure,
        unit=unit_label(info["kind"], info["multiplier"]),
        multiplier=float(info["multiplier"] or 1),
        higher_is_better=None if pd.isna(polarity) else bool(polarity),
        method=method,  # type: ignore[arg-type]
    )


def cmd_compare(args: argparse.Namespace) -> int:
    """Print the effect (DESIGN.md keys with --json) or a readable summary."""
    store = Store(args.db, read_only=True)
    try:
        result = comparison_for(store, args.measure, args.method)
    finally:
        store.close()
    payload = {
        **result.effect.to_json_dict(),
        "method_reason": result.method_reason,
        "sentence": result.sentence,
        "post_years": result.post_years,
        "checks": [c.__dict__ for c in result.checks],
    }
    if args.json:
        print(json.dumps(payload, default=str, indent=2))
    else:
        e = result.effect
        print(
            f"{e.method_label}: {e.estimate:,.3g} {e.unit} ({e.confidence:.0%} CI "
            f"{e.ci_low:,.3g} to {e.ci_high:,.3g}), p = {e.p_value}"
        )
        print(result.sentence)
        for check in result.checks:
            print(f"  [{check.status}] {check.name}: {check.explanation}")
    return 0
