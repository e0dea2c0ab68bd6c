"""What did it save? From events avoided to pounds, uncertainty carried all the way.

Flow: :class:`~analysis.events_avoided.EventsAvoided` (from an estimated
effect or a planning assumption); :func:`simulate_savings` multiplies
events × unit cost × share for each cost item and year, discounts
(:mod:`analysis.discounting`), and repeats over Monte Carlo draws
(probabilistic sensitivity analysis: Briggs, Claxton & Sculpher, *Decision
Modelling for Health Economic Evaluation*, OUP 2006, ch. 4);
:func:`project_savings` does the same from planning assumptions. Set against
a programme cost in :mod:`analysis.roi` (return on investment, break-even,
tornado); headline claims are read and checked in :mod:`analysis.claims`.

Conventions:

- Savings are £ in the unit costs' price years, not inflated; a table with
  mixed price years is flagged in the assumptions. They are costs avoided
  (capacity freed), not cash released.
- Discounting: HM Treasury Green Book (2022), 3.5% a year
  (:mod:`analysis.discounting`).
- Points are computed from the central inputs; intervals are percentiles of
  the draws. The same ``seed`` gives the same numbers every run.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from analysis.costs import CostTable, UnitCost
from analysis.discounting import GREEN_BOOK_RATE, FirstYear, discount_factors, year_weights
from analysis.events_avoided import EventsAvoided
from analysis.savings_numbers import (
    SavingsInputError,
    checked_number,
    finite_or_none,
    percentile_interval,
    z_for,
)

CostDistribution = Literal["triangular", "uniform"]
DEFAULT_SEED = 20240401
DEFAULT_DRAWS = 10_000


@dataclass(frozen=True)
class ItemSavings:
    """Savings from one cost item over the horizon (£, present value)."""

    item: str
    savings_gbp: float
    savings_gbp_ci: tuple[float, float]
    cost_gbp: float
    share: float
    price_year: int | None


@dataclass(frozen=True)
class YearSavings:
    """Savings in one year of the horizon (£, discounted), year 1 first."""

    year: int
    discount_factor: float
    savings_gbp: float
    savings_gbp_ci: tuple[float, float]


@dataclass(frozen=True)
class SavingsAssumptions:
    """Every input behind a savings figure, to show beside it."""

    measure: str
    costs: tuple[UnitCost, ...]
    price_years: tuple[int | None, ...]
    discount_rate: float
    first_year: FirstYear
    horizon_years: float
    draws: int
    seed: int | None
    confidence: float
    cost_distribution: CostDistribution
    events_basis: str
    notes: tuple[str, ...] = ()

    def lines(self) -> tuple[str, ...]:
        """The assumptions as plain-English sentences."""
        years = ", ".join(
            "not stated" if y is None else f"{y}/{(y + 1) % 100:02d}" for y in self.price_years
        )
        costs = "; ".join(f"{c.item} £{c.cost_gbp:,.0f} × share {c.share:g}" for c in self.costs)
        return (
            f"Events: {self.events_basis}.",
            f"Unit costs: {costs} (price year {years}; not inflated).",
            f"Horizon {self.horizon_years:g} years, discounted at {self.discount_rate:.1%} a year "
            f"(HM Treasury Green Book), first year {self.first_year}.",
            f"{self.draws:,} simulation draws (seed {self.seed}); costs with a range drawn from a "
            f"{self.cost_distribution} distribution; {self.confidence:.0%} percentile intervals.",
            *self.notes,
        )

    def to_json_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        out = asdict(self)
        out["costs"] = [asdict(c) for c in self.costs]
        return out


@dataclass(frozen=True)
class SavingsEstimate:
    """Events avoided and the savings they bring, with intervals and every assumption.

    ``events_avoided`` counts events over the horizon. ``saving_per_event_gbp``
    is the present value of one event avoided, spread evenly over the horizon.
    ``year_draws`` (draws × years) and ``per_event_draws`` are read-only arrays
    of the simulation, used by :func:`return_on_investment`.
    """

    kind: Literal["estimate", "projection"]
    measure: str
    events_avoided: float
    events_avoided_ci: tuple[float, float]
    savings_gbp: float
    savings_gbp_ci: tuple[float, float]
    by_item: tuple[ItemSavings, ...]
    by_year: tuple[YearSavings, ...]
    assumptions: SavingsAssumptions
    events: EventsAvoided
    saving_per_event_gbp: float
    year_draws: np.ndarray = field(repr=False, compare=False)
    per_event_draws: np.ndarray = field(repr=False, compare=False)

    @property
    def confidence(self) -> float:
        """Confidence level of the intervals."""
        return self.assumptions.confidence

    @property
    def saving_per_event_gbp_ci(self) -> tuple[float, float]:
        """Interval of the present value of one event avoided (from the unit-cost draws)."""
        return percentile_interval(self.per_event_draws, self.confidence)

    def by_item_frame(self) -> pd.DataFrame:
        """By item, in the shared column names (value, lower_ci, upper_ci, …)."""
        return _tidy(self.by_item, self.confidence)

    def by_year_frame(self) -> pd.DataFrame:
        """By year, in the shared column names."""
        return _tidy(self.by_year, self.confidence)

    def cumulative_frame(self, levels: tuple[float, ...] = (0.5, 0.8, 0.95)) -> pd.DataFrame:
        """Cumulative present value at the end of each year, with a band per level (fan chart).

        One row per (``years``, ``confidence``): ``years`` is time from the
        start (0, 1, 2, … and a part-year last), ``value`` the cumulative
        point, ``lower_ci``/``upper_ci`` percentiles of the cumulative draws.
        """
        ends = np.concatenate([[0.0], np.cumsum(year_weights(self.assumptions.horizon_years))])
        point = np.concatenate([[0.0], np.cumsum([y.savings_gbp for y in self.by_year])])
        zero = np.zeros((self.year_draws.shape[0], 1))
        draws = np.hstack([zero, np.cumsum(self.year_draws, axis=1)])
        rows = [
            (ends[t], point[t], *percentile_interval(draws[:, t], level), level)
            for level in levels
            for t in range(len(ends))
        ]
        frame = pd.DataFrame(rows, columns=["years", "value", "lower_ci", "upper_ci", "confidence"])
        return frame.assign(statistic="cumulative_savings_gbp", method="Monte Carlo")

    def to_json_dict(self) -> dict[str, Any]:
        """The CLI's JSON keys (DESIGN.md) plus by_year and the assumptions."""
        out = {
            "kind": self.kind,
            "measure": self.measure,
            "events_avoided": self.events_avoided,
            "events_avoided_ci": list(self.events_avoided_ci),
            "savings_gbp": self.savings_gbp,
            "savings_gbp_ci": list(self.savings_gbp_ci),
            "confidence": self.confidence,
            "by_item": [asdict(i) for i in self.by_item],
            "by_year": [asdict(y) for y in self.by_year],
            "assumptions": self.assumptions.to_json_dict(),
        }
        return finite_or_none(out)


def _tidy(rows: tuple[Any, ...], confidence: float) -> pd.DataFrame:
    frame = pd.DataFrame([asdict(r) for r in rows])
    ends = pd.DataFrame(frame.pop("savings_gbp_ci").tolist(), columns=["lower_ci", "upper_ci"])
    frame = frame.rename(columns={"savings_gbp": "value"}).join(ends)
    return frame.assign(confidence=confidence, statistic="savings_gbp", method="Monte Carlo")


def costs_for(events: EventsAvoided, cost_table: CostTable) -> CostTable:
    """The cost items of the events' measure (or the table's only measure)."""
    if events.measure:
        return cost_table.for_measure(events.measure)
    if len(cost_table.measures) != 1:
        raise SavingsInputError(
            f"cost_table holds {len(cost_table.measures)} measures "
            f"({', '.join(cost_table.measures) or 'none'}): choose one with for_measure()"
        )
    return cost_table


def _cost_draws(cost: UnitCost, rng: np.random.Generator, n: int, how: str) -> np.ndarray:
    if not cost.has_range:
        return np.full(n, cost.cost_gbp)
    if how == "uniform":
        return rng.uniform(cost.low, cost.high, n)
    return rng.triangular(cost.low, cost.cost_gbp, cost.high, n)


def simulate_savings(
    events_avoided_dist: EventsAvoided,
    cost_table: CostTable,
    horizon_years: float,
    discount_rate: float = GREEN_BOOK_RATE,
    draws: int = DEFAULT_DRAWS,
    seed: int | None = DEFAULT_SEED,
    *,
    first_year: FirstYear = "undiscounted",
    confidence: float = 0.95,
    cost_distribution: CostDistribution = "triangular",
    kind: Literal["estimate", "projection"] = "estimate",
) -> SavingsEstimate:
    """Savings = Σ_items Σ_years (events a year × cost × share × discount factor).

    Each draw takes events avoided from their sampling distribution (see
    :class:`EventsAvoided`) and each unit cost with a range from a triangular
    (low, central, high) or uniform (low, high) distribution, independently
    across items; costs without a range are fixed. The point is the central
    calculation; intervals are percentiles of the draws (Briggs, Claxton &
    Sculpher 2006). Discounting: HM Treasury Green Book 2022 (module notes).
    """
    ev = events_avoided_dist
    costs = costs_for(ev, cost_table)
    weights = year_weights(horizon_years)
    factors = discount_factors(len(weights), discount_rate, first_year)
    if not isinstance(draws, int | np.integer) or draws < 100:
        raise SavingsInputError(f"draws must be a whole number of at least 100 (got {draws!r})")
    if cost_distribution not in ("triangular", "uniform"):
        raise SavingsInputError(f"cost_distribution '{cost_distribution}' is not known")
    z_for(confidence)
    rng = np.random.default_rng(seed)
    per_year = weights * factors
    annuity = float(per_year.sum())
    horizon = float(weights.sum())
    ev_draws = ev.draw(rng, draws) / ev.years
    unit = np.column_stack([_cost_draws(c, rng, draws, cost_distribution) for c in costs])
    shares = np.array([c.share for c in costs])
    item_draws = ev_draws[:, None] * (unit * shares) * annuity
    year_draws = (ev_draws * (unit * shares).sum(axis=1))[:, None] * per_year[None, :]
    point_py = ev.events / ev.years
    item_point = point_py * np.array([c.cost_per_event for c in costs]) * annuity
    per_event = unit @ shares * annuity / horizon
    for arr in (year_draws, per_event):
        arr.setflags(write=False)
    notes = (
        ["Projection from planning assumptions, not an estimate from data."]
        if kind == "projection"
        else []
    )
    if len(costs.price_years) > 1:
        notes.append(
            "Unit costs are in different price years and were not inflated to one "
            "year: inflate them before adding (e.g. NHS Cost Inflation Index)."
        )
    if horizon > 30:
        notes.append("The Green Book rate falls to 3.0% after year 30; 3.5% is used throughout.")
    scale = horizon / ev.years
    return SavingsEstimate(
        kind=kind,
        measure=ev.measure or costs.measures[0],
        events_avoided=point_py * horizon,
        events_avoided_ci=(ev.ci[0] * scale, ev.ci[1] * scale),
        savings_gbp=float(item_point.sum()),
        savings_gbp_ci=percentile_interval(item_draws.sum(axis=1), confidence),
        by_item=tuple(
            ItemSavings(
                c.item,
                float(p),
                percentile_interval(item_draws[:, j], confidence),
                c.cost_gbp,
                c.share,
                c.price_year,
            )
            for j, (c, p) in enumerate(zip(costs, item_point, strict=True))
        ),
        by_year=tuple(
            YearSavings(
                t + 1,
                float(factors[t]),
                float(point_py * sum(c.cost_per_event for c in costs) * per_year[t]),
                percentile_interval(year_draws[:, t], confidence),
            )
            for t in range(len(weights))
        ),
        assumptions=SavingsAssumptions(
            measure=ev.measure or costs.measures[0],
            costs=costs.items,
            price_years=costs.price_years,
            discount_rate=float(discount_rate),
            first_year=first_year,
            horizon_years=horizon,
            draws=int(draws),
            seed=seed,
            confidence=confidence,
            cost_distribution=cost_distribution,
            events_basis=ev.basis,
            notes=tuple(notes),
        ),
        events=ev,
        saving_per_event_gbp=sum(c.cost_per_event for c in costs) * annuity / horizon,
        year_draws=year_draws,
        per_event_draws=per_event,
    )


def project_savings(
    baseline_events_per_year: float,
    expected_reduction_low: float,
    expected_reduction_high: float,
    cost_table: CostTable,
    horizon_years: float,
    discount_rate: float = GREEN_BOOK_RATE,
    draws: int = DEFAULT_DRAWS,
    seed: int | None = DEFAULT_SEED,
    *,
    measure: str = "",
    first_year: FirstYear = "undiscounted",
    confidence: float = 0.95,
    cost_distribution: CostDistribution = "triangular",
) -> SavingsEstimate:
    """Planning mode: savings if a programme cut ``baseline`` events a year by low–high.

    Reductions are fractions (0.1 = 10%); events avoided a year ~ Uniform(
    baseline × low, baseline × high), point at the midpoint. Labelled
    ``kind="projection"``; otherwise as :func:`simulate_savings`.
    """
    base = checked_number(baseline_events_per_year, "baseline_events_per_year", 0)
    low = checked_number(expected_reduction_low, "expected_reduction_low", 0)
    high = checked_number(expected_reduction_high, "expected_reduction_high", 0)
    if high > 1 or low > high:
        raise SavingsInputError(
            "expected_reduction_low and expected_reduction_high must satisfy 0 ≤ low ≤ high ≤ 1 "
            f"(fractions of baseline events; got {low:g} and {high:g})"
        )
    a = (1 - confidence) / 2
    width = base * (high - low)
    events = EventsAvoided(
        events=base * (low + high) / 2,
        ci=(base * low + a * width, base * high - a * width),
        years=1.0,
        distribution="uniform",
        spread=width / 2,
        confidence=confidence,
        effect_per_event_year=1 / base if base > 0 else None,
        measure=measure,
        unit="fraction of baseline events",
        basis=f"projection: {base:,.0f} events a year reduced by {low:.0%} to {high:.0%} (uniform)",
    )
    return simulate_savings(
        events,
        cost_table,
        horizon_years,
        discount_rate,
        draws,
        seed,
        first_year=first_year,
        confidence=confidence,
        cost_distribution=cost_distribution,
        kind="projection",
    )
