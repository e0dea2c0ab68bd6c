"""Planted panels: generated site measures with a known programme effect.

Every claim a page makes (the effect, the events avoided, the £, the gap change)
is checked on a panel made here, where the answer is known because we put it
there. A panel is written as the files a user brings (``sites.csv``,
``measures.csv`` and, unless left out, ``definitions.csv``) so that it goes
through the same load → store → panel → method → events → £ chain as real data.

Model (per site ``i`` and period ``t``)::

    expected rate  λ_it = base · exp(u_i + s_t + trend · t) · (effect if treated_it else 1)
    numerator      ~ Poisson(denominator_i · λ_it)        (rates, counts)
                   ~ Binomial(denominator_i, λ_it)       (proportions)

``u_i`` is a site level (Normal, sd ``site_sd``), ``s_t`` a common seasonal
and period shock, the same for every site (so no pre-trend difference).
``effect`` is a rate ratio for rates (0.68 = a 32% fall) and an additive change
in the proportion for proportions (0.05 = 5 percentage points).

:class:`Planted` gives the truth: events avoided (or extra events where higher
is better) = Σ over treated cells of (counterfactual − observed) *expected*
events, so it does not depend on the draw.

    python -m bench.planted OUT_DIR [--sites 3] [--comparators 27] [--grain month]
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

Grain = Literal["month", "quarter", "year"]
PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}


@dataclass(frozen=True)
class PlantedSpec:
    """What to plant.

    ``kind`` ``"rate"`` (falls per 100,000, lower is better) or ``"proportion"``
    (screening uptake %, higher is better); ``effect``: rate ratio for rates,
    additive change in the proportion (0–1 scale) for proportions;
    ``value_only`` drops numerator and denominator (published values only);
    ``with_definitions`` writes a definitions file (left out: the measure is
    loaded with no stated polarity). ``stagger`` > 0 starts intervention site
    ``i`` that many periods after site ``i - 1`` (staggered starts).
    """

    n_intervention: int = 3
    n_comparator: int = 27
    grain: Grain = "month"
    pre_years: float = 3.0
    post_years: float = 2.0
    kind: Literal["rate", "proportion"] = "rate"
    effect: float = 0.68
    base: float = 190e-5
    denominator: float = 16_667.0
    site_sd: float = 0.1
    value_only: bool = False
    with_definitions: bool = True
    site_type: str = "practice"
    seed: int = 1
    measure: str = "falls_planted"
    stagger: int = 0

    @property
    def n_pre(self) -> int:
        """Periods before the start."""
        return round(self.pre_years * PERIODS_PER_YEAR[self.grain])

    @property
    def n_post(self) -> int:
        """Periods from the start on."""
        return round(self.post_years * PERIODS_PER_YEAR[self.grain])

    @property
    def multiplier(self) -> float:
        """Display multiplier: per 100,000 for rates, % for proportions."""
        return 100_000.0 if self.kind == "rate" else 100.0

    @property
    def higher_is_better(self) -> bool:
        """Rates planted here are harms (falls); proportions are uptake."""
        return self.kind == "proportion"


@dataclass(frozen=True)
class Planted:
    """The files written and the truth planted in them."""

    spec: PlantedSpec
    sites: Path
    measures: Path
    definitions: Path | None
    events_benefit: float  # events avoided (lower is better) or extra events, post period
    events_benefit_per_year: float
    population: float  # Σ intervention denominators in one period (value-only path)
    start: str  # the first start

    def files(self) -> list[Path]:
        """The files in load order."""
        return [p for p in (self.sites, self.definitions, self.measures) if p is not None]


def _periods(spec: PlantedSpec) -> pd.PeriodIndex:
    freq = {"month": "M", "quarter": "Q", "year": "Y"}[spec.grain]
    first = pd.Period("2019-04", freq="M").asfreq(freq)
    return pd.period_range(first, periods=spec.n_pre + spec.n_post, freq=freq)


def _label(period: pd.Period, grain: Grain) -> str:
    if grain == "month":
        return period.strftime("%Y-%m")
    if grain == "quarter":
        return f"{period.year} Q{period.quarter}"
    return str(period.year)


def plant(out: Path, spec: PlantedSpec | None = None) -> Planted:
    """Write a planted panel's files to ``out`` and return them with the truth."""
    spec = spec or PlantedSpec()
    rng = np.random.default_rng(spec.seed)
    out.mkdir(parents=True, exist_ok=True)
    n_sites = spec.n_intervention + spec.n_comparator
    codes = [f"Q{i:05d}" for i in range(n_sites)]
    treated_site = np.arange(n_sites) < spec.n_intervention
    periods = _periods(spec)
    start = periods[spec.n_pre].start_time
    site_start = spec.n_pre + spec.stagger * np.arange(n_sites)
    start_dates = [
        periods[min(k, len(periods) - 1)].start_time.strftime("%Y-%m-%d") for k in site_start
    ]
    sites = pd.DataFrame(
        {
            "site_code": codes,
            "site_name": [f"Site {i}" for i in range(n_sites)],
            "site_type": spec.site_type,
            "group": np.where(treated_site, "intervention", "comparator"),
            "start_date": np.where(treated_site, start_dates, ""),
            "imd_decile": rng.integers(1, 11, n_sites),
            "population": np.full(n_sites, round(spec.denominator)),
        }
    )
    t = np.arange(len(periods))
    season = 0.08 * np.sin(2 * np.pi * t / PERIODS_PER_YEAR[spec.grain])
    shock = season + rng.normal(0, 0.02, len(periods))
    level = rng.normal(0, spec.site_sd, n_sites)
    treated = treated_site[:, None] & (t[None, :] >= site_start[:, None])
    den = np.full((n_sites, len(periods)), round(spec.denominator), dtype=float)
    if spec.kind == "rate":
        cf = spec.base * np.exp(level[:, None] + shock[None, :])
        lam = np.where(treated, cf * spec.effect, cf)
        num = rng.poisson(den * lam)
        benefit = float((den * (cf - lam))[treated].sum())
    else:
        cf = np.clip(spec.base * np.exp(level[:, None] + shock[None, :]), 0.01, 0.95)
        lam = np.clip(np.where(treated, cf + spec.effect, cf), 0.0, 1.0)
        num = rng.binomial(den.astype(int), lam)
        benefit = float((den * (lam - cf))[treated].sum())
    frame = pd.DataFrame(
        {
            "site_code": np.repeat(codes, len(periods)),
            "period": np.tile([_label(p, spec.grain) for p in periods], n_sites),
            "measure": spec.measure,
            "numerator": num.ravel(),
            "denominator": den.ravel().astype(int),
        }
    )
    if spec.value_only:
        frame["value"] = frame["numerator"] / frame["denominator"] * spec.multiplier
        frame = frame.drop(columns=["numerator", "denominator"])
    sites_path, measures_path = out / "sites.csv", out / "measures.csv"
    sites.to_csv(sites_path, index=False)
    frame.to_csv(measures_path, index=False)
    definitions = None
    if spec.with_definitions:
        definitions = out / "definitions.csv"
        label = "Falls (planted)" if spec.kind == "rate" else "Screening uptake (planted)"
        pd.DataFrame(
            {
                "measure": [spec.measure],
                "label": [label],
                "kind": [spec.kind],
                "multiplier": [spec.multiplier],
                "higher_is_better": [str(spec.higher_is_better).lower()],
            }
        ).to_csv(definitions, index=False)
    return Planted(
        spec=spec,
        sites=sites_path,
        measures=measures_path,
        definitions=definitions,
        events_benefit=benefit,
        events_benefit_per_year=benefit / spec.post_years,
        population=float(den[treated_site, 0].sum()),
        start=start.strftime("%Y-%m-%d"),
    )


def main() -> None:
    """Write a planted panel and print its truth as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--sites", type=int, default=3)
    parser.add_argument("--comparators", type=int, default=27)
    parser.add_argument("--grain", choices=list(PERIODS_PER_YEAR), default="month")
    parser.add_argument("--kind", choices=["rate", "proportion"], default="rate")
    parser.add_argument("--effect", type=float, default=None)
    parser.add_argument("--value-only", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stagger", type=int, default=0, help="periods between site starts")
    args = parser.parse_args()
    spec = PlantedSpec(
        n_intervention=args.sites,
        n_comparator=args.comparators,
        grain=args.grain,
        kind=args.kind,
        value_only=args.value_only,
        seed=args.seed,
        stagger=args.stagger,
    )
    if args.kind == "proportion":
        spec = replace(spec, effect=0.05, base=0.6, measure="screening_planted")
    if args.effect is not None:
        spec = replace(spec, effect=args.effect)
    planted = plant(args.out, spec)
    print(json.dumps({k: str(v) for k, v in asdict(planted).items()}, indent=2))


if __name__ == "__main__":
    main()
