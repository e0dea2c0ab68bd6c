"""What did it save? From an estimated effect to pounds, uncertainty carried all the way.

Flow: an :class:`~analysis.effect.Effect` (or a planning assumption) becomes
:class:`EventsAvoided`, events avoided with the sampling distribution they
came from; :func:`simulate_savings` multiplies events × unit cost × share for
each cost item and year, discounts, and repeats over Monte Carlo draws
(probabilistic sensitivity analysis: Briggs, Claxton & Sculpher, *Decision
Modelling for Health Economic Evaluation*, OUP 2006, ch. 4);
:func:`project_savings` does the same from planning assumptions. Set against
a programme cost in :mod:`analysis.roi` (return on investment, break-even,
tornado); headline claims are read and checked in :mod:`analysis.claims`.

Conventions:

- Events avoided are positive when the programme helps: fewer events where
  lower is better (fall admissions), more where higher is better (extra
  women screened, ``higher_is_better=True``).
- Savings are £ in the unit costs' price years, not inflated; a table with
  mixed price years is flagged in the assumptions. They are costs avoided
  (capacity freed), not cash released.
- Events avoided are spread evenly over the years they were counted in, and
  that annual number is assumed to continue for each year of the horizon.
- Discounting: HM Treasury Green Book (2022), 3.5% a year. Year *t* of the
  horizon (t = 1, 2, …) is discounted by 1/(1 + r)^(t − 1) when
  ``first_year="undiscounted"`` (the default: the first year is the Green
  Book's year 0, the present) or by 1/(1 + r)^t when ``"discounted"``.
  A fractional horizon counts its last year in part.
- Points are computed from the central inputs; intervals are percentiles of
  the draws. The same ``seed`` gives the same numbers every run.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from analysis.costs import CostTable, UnitCost
from analysis.disclosure import DEFAULT_RULE, DisclosureRule
from analysis.effect import Effect
from analysis.errors import HiodError

FirstYear = Literal["undiscounted", "discounted"]
CostDistribution = Literal["triangular", "uniform"]
Distribution = Literal["log_rate_ratio", "normal", "uniform"]
GREEN_BOOK_RATE = 0.035
DEFAULT_SEED = 20240401
DEFAULT_DRAWS = 10_000


class SavingsInputError(HiodError):
    """An input to a savings calculation that cannot be used; the message names it."""


def checked_number(value: Any, name: str, low: float = -math.inf, strict: bool = False) -> float:
    """``value`` as a finite float ≥ ``low`` (> ``low`` when ``strict``), else raise."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SavingsInputError(f"{name} must be a number (got {value!r})") from None
    if not math.isfinite(x) or x < low or (strict and x == low):
        bound = f"greater than {low:g}" if strict else f"at least {low:g}"
        raise SavingsInputError(f"{name} must be a finite number {bound} (got {value!r})")
    return x


def _z(confidence: float) -> float:
    checked_number(confidence, "confidence", 0, strict=True)
    if confidence >= 1:
        raise SavingsInputError(f"confidence must be between 0 and 1 (got {confidence})")
    return float(norm.ppf(0.5 + confidence / 2))


def percentile_interval(
    x: np.ndarray, confidence: float, method: str = "linear"
) -> tuple[float, float]:
    """The central ``confidence`` percentile interval of draws ``x``."""
    a = (1 - confidence) / 2
    lo, hi = np.quantile(x, [a, 1 - a], method=method)
    return float(lo), float(hi)


@dataclass(frozen=True)
class EventsAvoided:
    """Events avoided over ``years`` with the distribution used to simulate them.

    ``distribution``: ``"log_rate_ratio"``: log RR ~ Normal(log RR, ``spread``)
    and events avoided = s × observed × (1/RR − 1) (s = +1 for fewer events,
    −1 for more); ``"normal"``: events ~ Normal(``events``, ``spread``);
    ``"uniform"``: events ~ Uniform(``events`` ± ``spread``) (planning).
    ``effect_per_event_year`` converts events avoided a year back to the
    measure's scale (linear paths only), for break-even effects.
    """

    events: float
    ci: tuple[float, float]
    years: float
    distribution: Distribution
    spread: float = 0.0
    confidence: float = 0.95
    observed_events: float | None = None
    direction: Literal["fewer", "more"] = "fewer"
    effect_per_event_year: float | None = None
    measure: str = ""
    unit: str = ""
    basis: str = ""

    def __post_init__(self) -> None:
        checked_number(self.events, "events avoided")
        checked_number(self.years, "years", 0, strict=True)
        checked_number(self.spread, "spread", 0)
        _z(self.confidence)
        if not checked_number(self.ci[0], "ci") <= checked_number(self.ci[1], "ci"):
            raise SavingsInputError(f"ci lower end {self.ci[0]:g} is above its upper end")
        if self.distribution not in ("log_rate_ratio", "normal", "uniform"):
            raise SavingsInputError(f"distribution '{self.distribution}' is not known")
        if self.distribution == "log_rate_ratio":
            observed = checked_number(self.observed_events, "observed_events", 0, strict=True)
            if observed + self.sign * self.events <= 0:
                raise SavingsInputError("events avoided imply a counterfactual of 0 or fewer")

    @property
    def sign(self) -> int:
        """+1 when fewer events is the benefit, −1 when more is."""
        return 1 if self.direction == "fewer" else -1

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws of events avoided over ``years``."""
        if self.distribution == "uniform":
            return rng.uniform(self.events - self.spread, self.events + self.spread, n)
        z = rng.standard_normal(n)
        if self.distribution == "normal":
            return self.events + self.spread * z
        o = float(self.observed_events or 0)
        rr = np.exp(math.log(self.effect_for(self.events) or 1) + self.spread * z)
        return self.sign * o * (1 / rr - 1)

    def effect_for(self, events: float) -> float | None:
        """The effect (rate ratio, or change in the measure) giving ``events`` over ``years``."""
        if self.distribution == "log_rate_ratio":
            o = float(self.observed_events or 0)
            total = o + self.sign * events
            return o / total if total > 0 else None
        if self.effect_per_event_year is None:
            return None
        return events / self.years * self.effect_per_event_year


def events_avoided_from_effect(
    effect: Effect,
    years: float,
    *,
    higher_is_better: bool = False,
    population: float | None = None,
    multiplier: float | None = None,
) -> EventsAvoided:
    """Events avoided from an estimated effect, over its post period of ``years`` years.

    With ``effect.count_scale`` (a Poisson/binomial model on counts): events
    avoided = s × observed × (1/RR − 1), simulated with log RR normal (SE from
    the interval's width on the log scale). Otherwise (value-only measures)
    ``population`` and ``multiplier`` are required and
    :func:`events_avoided_from_rate` is used.
    """
    years = checked_number(years, "years", 0, strict=True)
    direction: Literal["fewer", "more"] = "more" if higher_is_better else "fewer"
    cs = effect.count_scale
    if cs is None:
        if population is None or multiplier is None:
            raise SavingsInputError(
                f"the effect on '{effect.measure}' has no count scale (a value-only measure): "
                "give population (people at risk) and multiplier (e.g. 100000 for a rate per "
                "100,000) to turn the rate into events"
            )
        found = events_avoided_from_rate(
            effect.estimate,
            (effect.ci_low, effect.ci_high),
            population,
            years,
            multiplier,
            confidence=effect.confidence,
            higher_is_better=higher_is_better,
        )
        return replace(found, measure=effect.measure, unit=effect.unit)
    rr = checked_number(cs.rate_ratio, "rate_ratio", 0, strict=True)
    lo, hi = (checked_number(v, "rate_ratio_ci", 0, strict=True) for v in cs.rate_ratio_ci)
    observed = checked_number(cs.observed_events, "observed_events", 0, strict=True)
    s = 1 if direction == "fewer" else -1
    ends = sorted(s * observed * (1 / r - 1) for r in (lo, hi))
    events = s * observed * (1 / rr - 1)
    basis = (
        f"{effect.method_label}: rate ratio {rr:.3f} ({lo:.3f} to {hi:.3f}), {cs.model}; "
        f"events avoided = observed {observed:,.0f} × (1/RR − 1)"
    )
    if abs(s * cs.events_avoided - events) > 0.01 * max(1.0, abs(events)):
        basis += f" (the estimator reported {s * cs.events_avoided:,.1f})"
    return EventsAvoided(
        events=events,
        ci=(ends[0], ends[1]),
        years=years,
        distribution="log_rate_ratio",
        spread=(math.log(hi) - math.log(lo)) / (2 * _z(effect.confidence)),
        confidence=effect.confidence,
        observed_events=observed,
        direction=direction,
        measure=effect.measure,
        unit="rate ratio",
        basis=basis,
    )


def events_avoided_from_rate(
    estimate: float,
    ci: tuple[float, float],
    population: float,
    years: float,
    multiplier: float = 100_000,
    *,
    confidence: float = 0.95,
    higher_is_better: bool = False,
    measure: str = "",
) -> EventsAvoided:
    """Planning path for value-only rates: events = −s × Δrate × population × years ÷ multiplier.

    ``estimate`` and ``ci`` are the change in an annual rate per ``multiplier``
    people (intervention minus counterfactual; negative = fewer events);
    ``population`` is the user's number of people at risk. Events are
    simulated as Normal with SE = interval width × population × years ÷
    (multiplier × 2z). An age-standardised rate applied to a crude population
    is an approximation: say so next to the number.
    """
    estimate = checked_number(estimate, "estimate")
    low, high = (checked_number(v, "ci") for v in ci)
    if low > high:
        raise SavingsInputError(f"ci lower end {low:g} is above its upper end {high:g}")
    population = checked_number(population, "population", 0, strict=True)
    years = checked_number(years, "years", 0, strict=True)
    multiplier = checked_number(multiplier, "multiplier", 0, strict=True)
    s = -1 if higher_is_better else 1
    k = population * years / multiplier
    ends = sorted((-s * low * k, -s * high * k))
    return EventsAvoided(
        events=-s * estimate * k,
        ci=(ends[0], ends[1]),
        years=years,
        distribution="normal",
        spread=(high - low) * k / (2 * _z(confidence)),
        confidence=confidence,
        direction="more" if higher_is_better else "fewer",
        effect_per_event_year=-s * multiplier / population,
        measure=measure,
        unit=f"per {multiplier:,.0f}",
        basis=f"rate change {estimate:g} per {multiplier:,.0f} a year × population "
        f"{population:,.0f} × {years:g} years (Normal on events)",
    )


def discount_factors(
    n_years: int, rate: float = GREEN_BOOK_RATE, first_year: FirstYear = "undiscounted"
) -> np.ndarray:
    """Green Book discount factors for years 1..n: 1/(1 + r)^(t − 1), or 1/(1 + r)^t."""
    rate = checked_number(rate, "discount_rate", 0)
    if first_year not in ("undiscounted", "discounted"):
        raise SavingsInputError(f"first_year must be 'undiscounted' or 'discounted' ({first_year})")
    t = np.arange(n_years) + (0 if first_year == "undiscounted" else 1)
    return (1 + rate) ** -t.astype(float)


def present_value(
    amounts_by_year: list[float] | np.ndarray,
    rate: float = GREEN_BOOK_RATE,
    first_year: FirstYear = "undiscounted",
) -> float:
    """Σ amount_t × discount factor_t (HM Treasury Green Book 2022, 3.5% a year)."""
    amounts = np.asarray(amounts_by_year, dtype=float)
    return float(amounts @ discount_factors(len(amounts), rate, first_year))


def year_weights(horizon_years: float) -> np.ndarray:
    """Weight of each year of the horizon: 1 for whole years, the fraction for a last part-year."""
    horizon = checked_number(horizon_years, "horizon_years", 0, strict=True)
    whole, part = int(horizon), horizon - int(horizon)
    return np.array([1.0] * whole + ([part] if part > 1e-9 else []))


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


def finite_or_none(obj: Any) -> Any:
    """Replace NaN/inf by None recursively so the result is valid JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_or_none(v) for v in obj]
    return obj


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
    _z(confidence)
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


def format_gbp(x: float) -> str:
    """£ for prose: £1.2m, £120k, £1,644, -£36k (the sign before the £)."""
    sign, x = ("-" if x <= -0.5 else ""), abs(x)
    if x >= 1e6:
        return sign + "£" + f"{x / 1e6:,.2f}".rstrip("0").rstrip(".") + "m"
    return sign + (f"£{x / 1e3:,.0f}k" if x >= 1e4 else f"£{x:,.0f}")


@dataclass(frozen=True)
class BaselineEvents:
    """Events a year in a group's latest year of data: the planning baseline.

    ``events_per_year`` is None when the measure has no counts (value-only) or
    when the total is a small count that disclosure control hides; ``rate`` is
    the group's value in that year (pooled rate, or mean of site values), in
    the measure's display unit.
    """

    events_per_year: float | None
    rate: float | None
    period: str
    sites: int
    basis: str


def baseline_events(
    panel: pd.DataFrame,
    multiplier: float = 1.0,
    group: str = "intervention",
    rule: DisclosureRule = DEFAULT_RULE,
) -> BaselineEvents:
    """Σ numerator a year of ``group``'s sites over the last 12 months of the panel.

    The window is the periods starting within a year of the group's last
    period end; the sum is divided by the window's length in years (to the
    nearest month). The pooled rate is Σ numerator ÷ Σ denominator ×
    ``multiplier``; without counts, the mean of the sites' values. A total in
    the suppressed range (counts 1–7, :mod:`analysis.disclosure`) is not shown.
    """
    rows = panel[panel["group"] == group]
    if rows.empty:
        return BaselineEvents(None, None, "", 0, f"no {group} sites report this measure")
    last = rows["period_end"].max()
    window = rows[rows["period_start"] > last - pd.DateOffset(years=1)]
    first = window["period_start"].min()
    months = max(1, round((last - first).days / 365.25 * 12))
    years = months / 12
    labels = window.get("period_label", pd.Series(dtype=str)).dropna().unique()
    period = labels[0] if len(labels) == 1 else f"{first:%b %Y} to {last:%b %Y}"
    sites = int(window["site_code"].nunique())
    if window["numerator"].notna().all() and window["denominator"].notna().all():
        events = float(window["numerator"].sum())
        rate = events / float(window["denominator"].sum()) * multiplier
        if rule.enabled and rule.low <= events <= rule.high:
            return BaselineEvents(None, None, period, sites, "suppressed: a small count")
        basis = f"{events:,.0f} events at {sites} {group} site(s) in {period}"
        return BaselineEvents(events / years, rate, period, sites, basis)
    rate = float(window["value"].mean())
    basis = f"no counts: mean of {sites} {group} site value(s) in {period}"
    return BaselineEvents(None, rate, period, sites, basis)
