"""``python -m analysis report``: the impact report as one self-contained HTML file and/or a PDF."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from analysis.cli_compare import METHODS
from analysis.report import SECTIONS, ReportOptions, ReportOptionsError, build_report
from analysis.report_pdf import html_to_pdf
from analysis.store import Store


def add_parser(commands: argparse._SubParsersAction, db_help: str) -> None:
    """Register ``report`` and its options."""
    parser = commands.add_parser(
        "report", help="the impact report: one HTML file (charts inside) and/or a PDF"
    )
    parser.add_argument("--out", type=Path, default=None, help="the HTML file to write")
    parser.add_argument(
        "--pdf", type=Path, default=None, help="the PDF file to write (printed by Chromium)"
    )
    parser.add_argument(
        "--measure",
        action="append",
        default=None,
        help="a measure id (repeat for more; default: every measure with intervention and "
        "comparator sites)",
    )
    parser.add_argument(
        "--section",
        action="append",
        choices=list(SECTIONS),
        default=None,
        help="a section to include (repeat for more; default: all)",
    )
    parser.add_argument(
        "--programme-cost", type=float, default=None, help="£, paid up front (adds ROI)"
    )
    parser.add_argument("--title", default=ReportOptions.title, help="the report's title")
    parser.add_argument(
        "--method", choices=METHODS, default="auto", help="the comparison's method, as compare"
    )
    parser.add_argument(
        "--population",
        action="append",
        default=None,
        metavar="MEASURE=N",
        help="people at risk in each period, for a value-only measure (repeat for more)",
    )
    parser.add_argument("--db", type=Path, default=None, help=db_help)


def cmd_report(args: argparse.Namespace) -> int:
    """Build the report and write it to ``--out`` and/or ``--pdf``; say where and how long."""
    if args.out is None and args.pdf is None:
        raise ReportOptionsError("say where to write the report: --out FILE.html, --pdf FILE.pdf")
    options = ReportOptions(
        measures=tuple(args.measure or ()),
        sections=tuple(args.section or SECTIONS),
        programme_cost=args.programme_cost,
        title=args.title,
        method=args.method,
        populations=tuple(_population(text) for text in args.population or ()),
    )
    started = time.monotonic()
    store = Store(args.db, read_only=True)
    try:
        text = build_report(store, options)
    finally:
        store.close()
    written = []
    if args.pdf is not None:
        pdf = html_to_pdf(text)  # before any file is written: a failure leaves none
        args.pdf.parent.mkdir(parents=True, exist_ok=True)
        args.pdf.write_bytes(pdf)
        written.append(f"{args.pdf} ({len(pdf) / 1024:,.0f} KB)")
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        written.insert(0, f"{args.out} ({len(text.encode()) / 1024:,.0f} KB)")
    print(f"wrote {' and '.join(written)} in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return 0


def _population(text: str) -> tuple[str, float]:
    """``MEASURE=N`` → (measure, N); a bad one is an error naming the option."""
    measure, _, number = text.partition("=")
    try:
        return measure, float(number)
    except ValueError:
        raise ReportOptionsError(
            f"--population {text!r}: write MEASURE=N, e.g. falls_value_only=50000"
        ) from None
