"""Generate national-scale measures and sites files for benchmarks.

Default: 6,500 practices × 120 months × 10 measures = 7.8 million rows,
written as CSV (about 350 MB) to ``bench/out/``.

    python bench/generate.py [--practices 6500] [--months 120] [--measures 10]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).parent / "out"


def generate(practices: int, months: int, measures: int, seed: int = 1) -> tuple[Path, Path]:
    """Write sites.csv and measures.csv; return their paths."""
    OUT.mkdir(exist_ok=True)
    rng = np.random.default_rng(seed)
    codes = np.array([f"P{i:05d}" for i in range(practices)])
    sites = pd.DataFrame(
        {
            "site_code": codes,
            "site_name": [f"Practice {i}" for i in range(practices)],
            "site_type": "practice",
            "imd_decile": rng.integers(1, 11, practices),
            "population": rng.integers(2000, 30000, practices),
        }
    )
    sites_path = OUT / "sites.csv"
    sites.to_csv(sites_path, index=False)
    periods = pd.period_range("2015-01", periods=months, freq="M").strftime("%Y-%m")
    n = practices * months * measures
    denominator = np.repeat(sites["population"].to_numpy(), months * measures)
    rate = rng.uniform(0.01, 0.6, n)
    frame = pd.DataFrame(
        {
            "site_code": np.repeat(codes, months * measures),
            "period": np.tile(np.repeat(periods, measures), practices),
            "measure": np.tile([f"measure_{j:02d}" for j in range(measures)], practices * months),
            "numerator": rng.binomial(denominator, rate),
            "denominator": denominator,
        }
    )
    measures_path = OUT / "measures.csv"
    frame.to_csv(measures_path, index=False)
    return sites_path, measures_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--practices", type=int, default=6500)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--measures", type=int, default=10)
    args = parser.parse_args()
    for path in generate(args.practices, args.months, args.measures):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()
