"""Time the synthetic control fit and its in-space placebo loop on generated data.

1 intervention site + 300 donors × 120 months (60 before the start), outcome a
rate per 100,000 from a three-factor model; the intervention site is a convex
combination of five donors plus noise, with a planted fall of 5 per 100,000.

Run: ``python bench/bench_synth.py`` (prints timings, best of ``--repeat`` runs).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.synth import fit_synth
from analysis.synth_inference import estimate_synth, placebo_test
from analysis.synth_prep import panel_dataprep


def generated_panel(n_donors: int = 300, n_periods: int = 120, n_pre: int = 60, seed: int = 1):
    """Tidy panel (analysis.panel columns used by synth) with one intervention site."""
    rng = np.random.default_rng(seed)
    months = pd.date_range("2015-01-01", periods=n_periods, freq="MS")
    factors = rng.normal(size=(n_periods, 3)).cumsum(axis=0)
    loadings = rng.uniform(0.5, 1.5, size=(3, n_donors))
    donors = 200 + factors @ loadings + rng.normal(scale=2.0, size=(n_periods, n_donors))
    mix = rng.dirichlet(np.ones(5))
    treated = donors[:, :5] @ mix + rng.normal(scale=0.5, size=n_periods)
    treated[n_pre:] -= 5.0
    values = np.column_stack([treated, donors])
    codes = ["T0001", *[f"D{j:04d}" for j in range(n_donors)]]
    frame = pd.DataFrame(
        {
            "site_code": np.repeat(codes, n_periods),
            "period_start": np.tile(months, len(codes)),
            "value": values.T.ravel(),
        }
    )
    frame["group"] = np.where(frame["site_code"] == "T0001", "intervention", "comparator")
    frame["start_date"] = pd.NaT
    frame.loc[frame["group"] == "intervention", "start_date"] = months[n_pre]
    frame["denominator"] = 50_000.0
    frame["population"] = 50_000.0
    return frame


T = TypeVar("T")


def best_of(repeat: int, func: Callable[[], T]) -> tuple[float, T]:
    times: list[float] = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--donors", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    panel = generated_panel(n_donors=args.donors)
    print(
        f"panel: 1 intervention + {args.donors} donors × 120 months (60 pre), "
        f"{len(panel):,} rows; cores available: {os.cpu_count()}"
    )
    t_prep, data = best_of(args.repeat, lambda: panel_dataprep(panel))
    t_fit, fit = best_of(args.repeat, lambda: fit_synth(data, "outcomes_only"))
    t_placebo, placebo = best_of(args.repeat, lambda: placebo_test(data, "outcomes_only"))
    predictor_data = panel_dataprep(panel, predictors=True)
    t_v, _ = best_of(args.repeat, lambda: fit_synth(predictor_data, "optimise"))
    t_all, effect = best_of(args.repeat, lambda: estimate_synth(panel, "rate", "per 100,000"))
    print(f"data prep (panel → Z0, Z1):          {t_prep * 1e3:8.1f} ms")
    print(f"fit, outcomes only:                  {t_fit * 1e3:8.1f} ms")
    print(f"fit, predictors with optimised V:    {t_v * 1e3:8.1f} ms (one fit, no placebos)")
    print(
        f"placebo loop, {args.donors + 1} fits:            {t_placebo:8.2f} s "
        f"({t_placebo / (args.donors + 1) * 1e3:.1f} ms per fit)"
    )
    print(f"estimate_synth end to end:           {t_all:8.2f} s")
    print(
        f"estimate {effect.estimate:.2f} (planted -5.00), pre-RMSPE {fit.pre_rmspe:.2f}, "
        f"placebo p {placebo.p_value:.4f} (rank {placebo.rank})"
    )


if __name__ == "__main__":
    main()
