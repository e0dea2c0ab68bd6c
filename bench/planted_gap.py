"""A planted targeted programme: uptake up at the most deprived practices only.

The panel behind "did the programme narrow the gap?" (issue 11): ``n_practices``
GP practices, an equal number in each IMD decile (1 = most deprived), screening
uptake rising with decile, and the practices of the most deprived ``target_deciles``
deciles (the intervention sites) improving by ``effect`` (0.06 = 6 percentage points)
from the start on. Everyone else is a comparator. Written as the files a user brings
(``sites.csv``, ``measures.csv``, ``definitions.csv``; with ``pcn_totals`` also
``pcn_totals.csv``, the PCN sums of the practices' counts).

Model (practice ``i`` in decile ``d_i``, month ``t``)::

    uptake p_it = base + gradient · (d_i − 1) + u_i + s_t + effect · treated_it
    numerator   ~ Binomial(denominator, p_it)

``u_i`` a practice level (Normal, sd ``site_sd``) and ``s_t`` a shock common to
all practices, both additive on the proportion scale so that parallel trends
hold exactly. The truth (:attr:`PlantedGap.sii_change`): with equal decile sizes and
the effect confined to the target deciles, the SII's change is the weighted least
squares slope of the effect on the deciles' relative ranks (Low & Low 2004): −5.8
points across deciles and −6.0 across quintiles for 6 points in deciles 1–2.

    python -m bench.planted_gap OUT_DIR [--effect 0.06] [--no-site-type]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.inequality import relative_ranks, weighted_fit


@dataclass(frozen=True)
class GapSpec:
    """What to plant (see the module docstring)."""

    n_practices: int = 50
    target_deciles: int = 2
    effect: float = 0.06
    base: float = 0.50
    gradient: float = 0.025
    denominator: int = 400
    site_sd: float = 0.01
    n_pre: int = 24
    n_post: int = 12
    practices_per_pcn: int = 5
    with_site_type: bool = True
    pcn_totals: bool = False
    seed: int = 11
    measure: str = "uptake_targeted"


@dataclass(frozen=True)
class PlantedGap:
    """The files written and the SII change planted in them."""

    spec: GapSpec
    sites: Path
    measures: Path
    definitions: Path
    pcn_totals: Path | None
    start: str

    def files(self) -> list[Path]:
        """The files in load order."""
        return [self.sites, self.definitions, self.measures]

    def sii_change(self, quantiles: int) -> float:
        """The planted change in the SII (percentage points) across deciles or quintiles."""
        groups = np.arange(1, quantiles + 1)
        cut = self.spec.target_deciles * quantiles / 10
        effect = np.where(groups <= cut, self.spec.effect * 100, 0.0)
        rank = relative_ranks(np.ones(quantiles))
        return float(weighted_fit(np.full(quantiles, 1 / quantiles), rank, effect)[1])


def plant_gap(out: Path, spec: GapSpec | None = None) -> PlantedGap:
    """Write the planted targeted programme to ``out`` and return it with its truth."""
    spec = spec or GapSpec()
    if spec.n_practices % 10:
        raise ValueError("the practices are split equally across 10 deciles")
    rng = np.random.default_rng(spec.seed)
    out.mkdir(parents=True, exist_ok=True)
    n = spec.n_practices
    decile = np.repeat(np.arange(1, 11), n // 10)
    codes = [f"P{i:05d}" for i in range(n)]
    pcn = [f"U{i // spec.practices_per_pcn:05d}" for i in range(n)]
    treated_site = decile <= spec.target_deciles
    months = pd.period_range("2021-04", periods=spec.n_pre + spec.n_post, freq="M")
    start = months[spec.n_pre].start_time.strftime("%Y-%m-%d")
    practices = pd.DataFrame(
        {
            "site_code": codes,
            "site_name": [f"Practice {i}" for i in range(n)],
            "site_type": "practice",
            "parent_code": pcn,
            "group": np.where(treated_site, "intervention", "comparator"),
            "start_date": np.where(treated_site, start, ""),
            "imd_decile": decile,
        }
    )
    pcns = pd.DataFrame(
        {
            "site_code": sorted(set(pcn)),
            "site_name": [f"PCN {c}" for c in sorted(set(pcn))],
            "site_type": "pcn",
        }
    )
    sites = pd.concat([practices, pcns], ignore_index=True)
    if not spec.with_site_type:
        sites = practices.drop(columns=["site_type", "parent_code"])
    t = np.arange(len(months))
    shock = 0.01 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 0.005, len(months))
    level = spec.base + spec.gradient * (decile - 1) + rng.normal(0, spec.site_sd, n)
    treated = treated_site[:, None] & (t[None, :] >= spec.n_pre)
    p = np.clip(level[:, None] + shock[None, :] + spec.effect * treated, 0.0, 1.0)
    numerator = rng.binomial(spec.denominator, p)
    frame = pd.DataFrame(
        {
            "site_code": np.repeat(codes, len(months)),
            "period": np.tile([m.strftime("%Y-%m") for m in months], n),
            "measure": spec.measure,
            "numerator": numerator.ravel(),
            "denominator": spec.denominator,
        }
    )
    paths = {name: out / f"{name}.csv" for name in ("sites", "measures", "definitions")}
    sites.to_csv(paths["sites"], index=False)
    frame.to_csv(paths["measures"], index=False)
    pd.DataFrame(
        {
            "measure": [spec.measure],
            "label": ["Screening uptake (planted, targeted)"],
            "kind": ["proportion"],
            "multiplier": [100],
            "higher_is_better": ["true"],
        }
    ).to_csv(paths["definitions"], index=False)
    totals = None
    if spec.pcn_totals:
        totals = out / "pcn_totals.csv"
        by_pcn = frame.assign(site_code=np.repeat(pcn, len(months)))
        by_pcn.groupby(["site_code", "period", "measure"], as_index=False)[
            ["numerator", "denominator"]
        ].sum().to_csv(totals, index=False)
    return PlantedGap(spec, paths["sites"], paths["measures"], paths["definitions"], totals, start)


def main() -> None:
    """Write a planted targeted programme and print its truth as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--effect", type=float, default=0.06)
    parser.add_argument("--no-site-type", action="store_true")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    spec = GapSpec(effect=args.effect, with_site_type=not args.no_site_type, seed=args.seed)
    planted = plant_gap(args.out, spec)
    truth: dict[str, object] = {k: str(v) for k, v in asdict(planted).items()}
    truth |= {
        "sii_change_deciles": planted.sii_change(10),
        "sii_change_quintiles": planted.sii_change(5),
    }
    print(json.dumps(truth, indent=2))


if __name__ == "__main__":
    main()
