"""Calibration: do the intervals and checks keep their promises with few intervention sites?

For each number of intervention sites (default 3 and 8, against 27 and 40 comparators)
and each of ``--panels`` seeds, two panels are planted with :mod:`bench.planted`
(monthly, 36 periods before and 24 after the start): one with no effect and no
pre-trend, one with falls cut by 32%. Each goes through the real chain (files → load →
store → :func:`analysis.usecases.comparison_for` → :func:`analysis.usecases.events_for`)
with difference-in-differences, interrupted time series and synthetic control, and the
script prints, per method:

- ``pre-trend alarms``: share of null panels whose pre-trend test has p < 0.05 (aim ≤ 10%;
  nominal 5%);
- ``effect CI covers 0``: share of null panels whose 95% effect interval contains zero
  (aim 90–98%);
- ``events CI covers``: share of panels whose events-avoided interval contains the
  planted number (0 in the null panels, the planted total in the others);
- ``no red check``: share of null panels with no red light on the scorecard (aim ≥ 90%);
- ``bias``: mean (estimate − planted) ÷ planted of events avoided in the effect panels.

    python -m bench.calibrate [--panels 200] [--sites 3 8] [--workers 2] [--methods did its synth]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.compare import MethodChoice

METHODS: tuple[MethodChoice, ...] = ("did", "its", "synth")
COMPARATORS = {3: 27, 8: 40}


@dataclass(frozen=True)
class Outcome:
    """One method on one planted panel."""

    sites: int
    null: bool
    method: str
    pre_trend_alarm: bool | None
    effect_covers_zero: bool
    events_cover: bool | None
    red_checks: tuple[str, ...]
    events_error: float | None


def _run_panel(
    folder: Path, sites: int, seed: int, null: bool, methods: Sequence[MethodChoice]
) -> list[Outcome]:
    from analysis.store import Store
    from analysis.usecases import comparison_for, events_for, load_files
    from bench.planted import PlantedSpec, plant

    spec = PlantedSpec(
        n_intervention=sites,
        n_comparator=COMPARATORS.get(sites, 30),
        effect=1.0 if null else 0.68,
        seed=seed,
    )
    planted = plant(folder, spec)
    store = Store(folder / "db.duckdb")
    try:
        load_files(store, [(p.name, p.read_bytes()) for p in planted.files()])
        outcomes = []
        for method in methods:
            comparison = comparison_for(store, spec.measure, method)
            effect = comparison.effect
            events = events_for(comparison)
            truth = planted.events_benefit
            p = effect.diagnostics.get("pre_trend_p")
            outcomes.append(
                Outcome(
                    sites=sites,
                    null=null,
                    method=method,
                    pre_trend_alarm=None if p is None else bool(p < 0.05),
                    effect_covers_zero=bool(effect.ci_low <= 0 <= effect.ci_high),
                    events_cover=bool(events.ci[0] <= truth <= events.ci[1]),
                    red_checks=tuple(c.name for c in comparison.checks if c.status == "red"),
                    events_error=None if null else (events.events - truth) / truth,
                )
            )
        return outcomes
    finally:
        store.close()


def run_seed(args: tuple[int, int, tuple[MethodChoice, ...]]) -> list[Outcome]:
    """Both panels (no effect, 32% cut) of one seed and size, each method asked for."""
    sites, seed, methods = args
    with tempfile.TemporaryDirectory() as tmp:
        null = _run_panel(Path(tmp) / "null", sites, seed, True, methods)
        cut = _run_panel(Path(tmp) / "cut", sites, seed, False, methods)
    return null + cut


def simulate(
    panels: int,
    sizes: Sequence[int],
    workers: int,
    seed0: int = 1000,
    methods: Sequence[MethodChoice] = METHODS,
) -> pd.DataFrame:
    """Every outcome of ``panels`` seeds × ``sizes`` as one table."""
    tasks = [(sites, seed0 + i, tuple(methods)) for sites in sizes for i in range(panels)]
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(run_seed, tasks))
    else:
        results = [run_seed(t) for t in tasks]
    return pd.DataFrame([o.__dict__ for batch in results for o in batch])


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """The figures the module docstring names, per number of sites and method."""
    rows = []
    for (sites, method), group in table.groupby(["sites", "method"], sort=True):
        null, cut = group[group["null"]], group[~group["null"]]
        alarms = null["pre_trend_alarm"].dropna()
        rows.append(
            {
                "sites": sites,
                "method": method,
                "panels": len(null),
                "pre-trend alarms": alarms.astype(float).mean() if len(alarms) else np.nan,
                "effect CI covers 0": null["effect_covers_zero"].mean(),
                "events CI covers (null)": null["events_cover"].astype(float).mean(),
                "events CI covers (cut)": cut["events_cover"].astype(float).mean(),
                "no red check (null)": (null["red_checks"].map(len) == 0).mean(),
                "bias (cut)": cut["events_error"].astype(float).mean(),
                "red checks seen": ", ".join(
                    sorted({name for names in null["red_checks"] for name in names})
                ),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    """Simulate and print the calibration table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--panels", type=int, default=200, help="seeds per size (default 200)")
    parser.add_argument("--sites", type=int, nargs="+", default=[3, 8])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed0", type=int, default=1000)
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    args = parser.parse_args()
    started = time.monotonic()
    table = simulate(args.panels, args.sites, args.workers, args.seed0, args.methods)
    summary = summarise(table)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(summary.to_string(index=False, float_format=lambda x: f"{x:.3f}"))
    print(f"\n{len(table)} fits in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
