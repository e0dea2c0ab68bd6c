"""Time the Compare-areas table and the funnel for every GP practice, after the query.

Uses the bundled smoking prevalence data (about 6,300–6,400 practices per year, with
counts), loaded into a temporary database (or ``--db``), and times what a page
does after the store returns its rows: :func:`analysis.areas.compare_areas`
(Wilson intervals, benchmark, Fingertips comparison, suppression, ranking) and
:func:`analysis.funnel_view.funnel_view` (limits, flags, labels), without and
with the overdispersion adjustment. Target: under 200 ms for table + funnel.

Run: ``python bench/bench_areas.py [--repeat 7] [--db PATH]`` (best of the runs).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.area_benchmarks import BenchmarkKind
from analysis.areas import compare_areas
from analysis.defaults import load_defaults
from analysis.funnel_view import funnel_view
from analysis.site_levels import Level, level_rows
from analysis.store import Store

MEASURE = "smoking_prevalence_qof"
PERIOD = "2022/23"


def best_ms(task, repeat: int) -> float:
    """Best wall time of ``repeat`` runs, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        task()
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", type=Path, default=None, help="a database holding the defaults")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.db is None:
            store = Store(Path(folder) / "bench.duckdb")
            load_defaults(store)
        else:
            store = Store(args.db, read_only=True)
        start = time.perf_counter()
        rows, sites = store.panel_rows(MEASURE), store.sites()
        query_ms = (time.perf_counter() - start) * 1000
        store.close()
    practices = level_rows(rows, sites, Level("practice"), 100)
    practices = practices[practices["period_label"] == PERIOD]
    print(f"{len(practices):,} practices, {MEASURE} {PERIOD}; query {query_ms:.0f} ms, not counted")

    def table(benchmark: BenchmarkKind):
        return lambda: compare_areas(
            rows,
            sites,
            level=Level("practice"),
            period_label=PERIOD,
            measure_kind="proportion",
            multiplier=100,
            higher_is_better=False,
            benchmark=benchmark,
        )

    def funnel(adjust: bool):
        return lambda: funnel_view(
            practices,
            measure_kind="proportion",
            multiplier=100,
            higher_is_better=False,
            adjust_overdispersion=adjust,
        )

    results = {
        "compare-areas table (England benchmark)": best_ms(table("england"), args.repeat),
        "compare-areas table (parent benchmark)": best_ms(table("parent"), args.repeat),
        "funnel (Wilson limits)": best_ms(funnel(False), args.repeat),
        "funnel (overdispersion-adjusted)": best_ms(funnel(True), args.repeat),
    }
    for name, ms in results.items():
        print(f"{name:45s} {ms:7.1f} ms")
    total = results["compare-areas table (England benchmark)"] + results["funnel (Wilson limits)"]
    worst = (
        results["compare-areas table (parent benchmark)"]
        + results["funnel (overdispersion-adjusted)"]
    )
    print(f"{'table + funnel (default choices)':45s} {total:7.1f} ms (target < 200 ms)")
    print(f"{'table + funnel (slowest choices)':45s} {worst:7.1f} ms")


if __name__ == "__main__":
    main()
