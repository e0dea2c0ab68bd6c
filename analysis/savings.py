"""What did it save? From an estimated effect to pounds, uncertainty carried all the way.

Flow: an :class:`~analysis.effect.Effect` (or a planning assumption) becomes
:class:`EventsAvoided`, events avoided with the sampling distribution they
came from; :func:`simulate_savings` multiplies events × unit cost × share for
each cost item and year, discounts, and repeats over Monte Carlo draws
(probabilistic sensitivity analysis: Briggs, Claxton & Sculpher, *Decision
Modelling for Health Economic Evaluation*, OUP 2006, ch. 4). On top of it:
:func:`project_savings` (planning), :func:`return_on_investment`,
:func:`sensitivity_table` (tornado) and :func:`check_claim` (a headline claim
read, its implied unit costs, and what the data support).

Conventions:

- Events avoided are positive when the programme helps: fewer events where
  lower is better (fall admissions), more where higher is better (extra
  women screened, ``higher_is_better=True``).
- Savings are £ in the unit costs' price years, not inflated; a table with
  mixed price years is flagged in the assumptions.
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
import re
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import norm

from analysis.costs import CostTable, UnitCost
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


def _number(value: Any, name: str, low: float = -math.inf, strict: bool = False) -> float:
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
    _number(confidence, "confidence", 0, strict=True)
    if confidence >= 1:
        raise SavingsInputError(f"confidence must be between 0 and 1 (got {confidence})")
    return float(norm.ppf(0.5 + confidence / 2))


def _interval(x: np.ndarray, confidence: float, method: str = "linear") -> tuple[float, float]:
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
        _number(self.events, "events avoided")
        _number(self.years, "years", 0, strict=True)
        _number(self.spread, "spread", 0)
        _z(self.confidence)
        if not _number(self.ci[0], "ci") <= _number(self.ci[1], "ci"):
            raise SavingsInputError(f"ci lower end {self.ci[0]:g} is above its upper end")
        if self.distribution not in ("log_rate_ratio", "normal", "uniform"):
            raise SavingsInputError(f"distribution '{self.distribution}' is not known")
        if self.distribution == "log_rate_ratio":
            observed = _number(self.observed_events, "observed_events", 0, strict=True)
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
    years = _number(years, "years", 0, strict=True)
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
    rr = _number(cs.rate_ratio, "rate_ratio", 0, strict=True)
    lo, hi = (_number(v, "rate_ratio_ci", 0, strict=True) for v in cs.rate_ratio_ci)
    observed = _number(cs.observed_events, "observed_events", 0, strict=True)
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
    estimate = _number(estimate, "estimate")
    low, high = (_number(v, "ci") for v in ci)
    if low > high:
        raise SavingsInputError(f"ci lower end {low:g} is above its upper end {high:g}")
    population = _number(population, "population", 0, strict=True)
    years = _number(years, "years", 0, strict=True)
    multiplier = _number(multiplier, "multiplier", 0, strict=True)
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
    rate = _number(rate, "discount_rate", 0)
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


def _year_weights(horizon_years: float) -> np.ndarray:
    horizon = _number(horizon_years, "horizon_years", 0, strict=True)
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

    def by_item_frame(self) -> pd.DataFrame:
        """By item, in the shared column names (value, lower_ci, upper_ci, …)."""
        return _tidy(self.by_item, self.confidence)

    def by_year_frame(self) -> pd.DataFrame:
        """By year, in the shared column names."""
        return _tidy(self.by_year, self.confidence)

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
        return _finite_or_none(out)


def _tidy(rows: tuple[Any, ...], confidence: float) -> pd.DataFrame:
    frame = pd.DataFrame([asdict(r) for r in rows])
    ends = pd.DataFrame(frame.pop("savings_gbp_ci").tolist(), columns=["lower_ci", "upper_ci"])
    frame = frame.rename(columns={"savings_gbp": "value"}).join(ends)
    return frame.assign(confidence=confidence, statistic="savings_gbp", method="Monte Carlo")


def _finite_or_none(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite_or_none(v) for v in obj]
    return obj


def _costs_for(events: EventsAvoided, cost_table: CostTable) -> CostTable:
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
    costs = _costs_for(ev, cost_table)
    weights = _year_weights(horizon_years)
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
        savings_gbp_ci=_interval(item_draws.sum(axis=1), confidence),
        by_item=tuple(
            ItemSavings(
                c.item,
                float(p),
                _interval(item_draws[:, j], confidence),
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
                _interval(year_draws[:, t], confidence),
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
    base = _number(baseline_events_per_year, "baseline_events_per_year", 0)
    low = _number(expected_reduction_low, "expected_reduction_low", 0)
    high = _number(expected_reduction_high, "expected_reduction_high", 0)
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


@dataclass(frozen=True)
class ReturnOnInvestment:
    """Savings set against a programme cost, with intervals from the same draws.

    Definitions (Drummond et al., *Methods for the Economic Evaluation of
    Health Care Programmes*, 4th ed., OUP 2015): net saving = PV savings − cost;
    ROI = net saving ÷ cost; benefit–cost ratio = PV savings ÷ cost. Payback:
    years until cumulative discounted savings reach the cost (paid up front),
    linear within a year; ``inf`` if not within the horizon. Break-even: events
    avoided over the horizon (and the effect) at which savings equal the cost.
    """

    programme_cost_gbp: float
    net_saving_gbp: float
    net_saving_gbp_ci: tuple[float, float]
    roi: float
    roi_ci: tuple[float, float]
    benefit_cost_ratio: float
    benefit_cost_ratio_ci: tuple[float, float]
    payback_years: float
    payback_years_ci: tuple[float, float]
    break_even_events: float
    break_even_events_ci: tuple[float, float]
    break_even_effect: float | None
    break_even_effect_ci: tuple[float | None, float | None]
    break_even_effect_unit: str
    probability_net_saving: float
    confidence: float

    def to_json_dict(self) -> dict[str, Any]:
        """Plain dict for JSON (infinite payback becomes null)."""
        return _finite_or_none(asdict(self))


def _payback(years: np.ndarray, weights: np.ndarray, cost: float) -> np.ndarray:
    cum = np.cumsum(years, axis=1)
    reached = cum >= cost
    first = reached.argmax(axis=1)
    rows = np.arange(len(years))
    before = np.where(first > 0, cum[rows, first - 1], 0.0)
    gain = years[rows, first]
    start = np.concatenate([[0.0], np.cumsum(weights)])[first]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(gain > 0, (cost - before) / gain, 0.0)
    return np.where(reached.any(axis=1), start + weights[first] * frac, np.inf)


def return_on_investment(
    estimate: SavingsEstimate, programme_cost_gbp: float
) -> ReturnOnInvestment:
    """ROI, benefit–cost ratio, payback and break-even against ``programme_cost_gbp`` (£ > 0)."""
    cost = _number(programme_cost_gbp, "programme_cost_gbp", 0, strict=True)
    conf = estimate.confidence
    totals = estimate.year_draws.sum(axis=1)
    weights = _year_weights(estimate.assumptions.horizon_years)
    points = np.array([[y.savings_gbp for y in estimate.by_year]])
    with np.errstate(divide="ignore"):
        be_draws = np.where(estimate.per_event_draws > 0, cost / estimate.per_event_draws, np.inf)
    per_event = estimate.saving_per_event_gbp
    be = cost / per_event if per_event > 0 else math.inf
    be_ci = _interval(be_draws, conf, "inverted_cdf")
    ev = estimate.events
    to_own = ev.years / estimate.assumptions.horizon_years
    effects = [ev.effect_for(e * to_own) if math.isfinite(e) else None for e in be_ci]
    if None not in effects:
        effects.sort()
    return ReturnOnInvestment(
        programme_cost_gbp=cost,
        net_saving_gbp=estimate.savings_gbp - cost,
        net_saving_gbp_ci=_interval(totals - cost, conf),
        roi=(estimate.savings_gbp - cost) / cost,
        roi_ci=_interval((totals - cost) / cost, conf),
        benefit_cost_ratio=estimate.savings_gbp / cost,
        benefit_cost_ratio_ci=_interval(totals / cost, conf),
        payback_years=float(_payback(points, weights, cost)[0]),
        payback_years_ci=_interval(
            _payback(estimate.year_draws, weights, cost), conf, "inverted_cdf"
        ),
        break_even_events=be,
        break_even_events_ci=be_ci,
        break_even_effect=ev.effect_for(be * to_own) if math.isfinite(be) else None,
        break_even_effect_ci=(effects[0], effects[1]),
        break_even_effect_unit=ev.unit,
        probability_net_saving=float((totals > cost).mean()),
        confidence=conf,
    )


def sensitivity_table(
    events_avoided_dist: EventsAvoided,
    cost_table: CostTable,
    horizon_years: float,
    discount_rate: float = GREEN_BOOK_RATE,
    *,
    first_year: FirstYear = "undiscounted",
    discount_range: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """Tornado table: total savings with each input at its low and at its high value.

    One-way sensitivity analysis (Briggs, Claxton & Sculpher 2006, ch. 4):
    events avoided at the ends of their interval, each unit cost at the ends
    of its range (items without a range are listed with no swing), and the
    discount rate over ``discount_range`` if given; everything else central.
    Rows are sorted by swing, largest first.
    """
    ev = events_avoided_dist
    costs = _costs_for(ev, cost_table)
    weights = _year_weights(horizon_years)
    shares = np.array([c.share for c in costs])
    central = np.array([c.cost_gbp for c in costs])

    def total(events: float = ev.events, unit: np.ndarray = central, rate: float = discount_rate):
        annuity = float(weights @ discount_factors(len(weights), rate, first_year))
        return events / ev.years * float(unit @ shares) * annuity

    def with_cost(j: int, value: float) -> np.ndarray:
        unit = central.copy()
        unit[j] = value
        return unit

    rows = [
        (
            "events avoided",
            *ev.ci,
            total(ev.ci[0]),
            total(ev.ci[1]),
            f"{ev.confidence:.0%} interval",
        )
    ]
    for j, c in enumerate(costs):
        note = "published range" if c.has_range else "no range given: held at central value"
        rows.append(
            (
                f"{c.item}: cost (£)",
                c.low,
                c.high,
                total(unit=with_cost(j, c.low)),
                total(unit=with_cost(j, c.high)),
                note,
            )
        )
    if discount_range is not None:
        low, high = (_number(r, "discount_range", 0) for r in discount_range)
        rows.append(("discount rate", low, high, total(rate=low), total(rate=high), "range given"))
    frame = pd.DataFrame(
        rows,
        columns=["input", "low_value", "high_value", "savings_at_low", "savings_at_high", "note"],
    )
    frame["swing"] = (frame["savings_at_high"] - frame["savings_at_low"]).abs()
    frame["base_savings"] = total()
    return frame.sort_values("swing", ascending=False, ignore_index=True, kind="stable")


class ClaimParseError(SavingsInputError):
    """A savings claim whose event count or amounts could not be read."""


_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "bn": 1e9,
    "billion": 1e9,
}
_STOP = r"(?=\s*(?:,|;|:|\.(?!\d)|\(|\band\b|\bplus\b|\bwith\b|$))"
_AMOUNT = re.compile(
    r"£\s*(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<scale>bn|billion|mn|million|thousand|m|k)?\b"
    r"(?:\s+(?:in|on|of|for|from|to)(?=\s))?(?:\s+(?P<item>[a-z][a-z/&' -]*?))?" + _STOP,
    re.IGNORECASE,
)
_EVENTS = re.compile(
    r"(?<![£\d.,])(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<scale>k|thousand)?\s+"
    r"(?:(?:fewer|less)\s+(?P<what>[a-z][a-z -]*?)(?=\s+(?:over|in|across|during|a|per|each|"
    r"saving|worth|,|$))|(?P<what2>[a-z][a-z -]*?)\s+(?:avoided|prevented))",
    re.IGNORECASE,
)
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
_WORDS |= {"six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_YEARS = re.compile(
    r"\b(?:over|across|in|within|during)\s+(?:the\s+)?(?:first\s+|next\s+|last\s+|past\s+)?"
    r"(?P<n>\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten)\s+years?\b"
    r"|\b(?P<n2>\d+)[- ]year\b|\b(?P<one>a year|per year|each year|annually|per annum)\b",
    re.IGNORECASE,
)
_SYNONYMS = {
    "inpatient": "hospital",
    "admission": "hospital",
    "admissions": "hospital",
    "bed": "hospital",
    "beds": "hospital",
    "paramedic": "ambulance",
    "social": "residential",
    "nursing": "residential",
    "long-term": "residential",
}
_GENERIC = {
    "care",
    "cost",
    "costs",
    "saving",
    "savings",
    "services",
    "service",
    "the",
    "nhs",
    "spend",
    "spending",
    "call-out",
    "call-outs",
    "callouts",
}


def _money_value(num: str, scale: str | None) -> float:
    return float(num.replace(",", "")) * _SCALES.get((scale or "").lower(), 1.0)


def _gbp(x: float) -> str:
    """£ for prose: £1.2m, £120k, £1,644."""
    if abs(x) >= 1e6:
        return "£" + f"{x / 1e6:,.2f}".rstrip("0").rstrip(".") + "m"
    return f"£{x / 1e3:,.0f}k" if abs(x) >= 1e4 else f"£{x:,.0f}"


@dataclass(frozen=True)
class ClaimedItem:
    """One amount in a claim: '£1.2m hospital' → item 'hospital', £1,200,000."""

    item: str
    amount_gbp: float


@dataclass(frozen=True)
class Claim:
    """A headline savings claim read into events, years and amounts by item."""

    events: float
    items: tuple[ClaimedItem, ...]
    years: float | None = None
    text: str = ""

    def __post_init__(self) -> None:
        _number(self.events, "claimed events", 0, strict=True)
        if not self.items:
            raise ClaimParseError("the claim has no £ amounts")

    @property
    def implied_cost_per_event(self) -> dict[str, float]:
        """Amount ÷ events for each item (£ per event avoided)."""
        return {i.item: i.amount_gbp / self.events for i in self.items}

    def as_cost_table(self, measure: str) -> CostTable:
        """The unit costs the claim implies (share 1), to run through the same engine."""
        return CostTable(
            tuple(
                UnitCost(
                    measure, i.item, i.amount_gbp / self.events, 1.0, None, "implied by the claim"
                )
                for i in self.items
            )
        )


def parse_claim(text: str) -> Claim:
    """Read '730 fewer falls over two years, saving £1.2m hospital, …' into a :class:`Claim`."""
    found = _EVENTS.search(text)
    if found is None:
        raise ClaimParseError(
            f"no event count found in the claim (write e.g. '730 fewer falls'): {text!r}"
        )
    amounts = [
        ClaimedItem(_item_name(m["item"]), _money_value(m["num"], m["scale"]))
        for m in _AMOUNT.finditer(text)
    ]
    if not amounts:
        raise ClaimParseError(
            f"no £ amounts found in the claim (write e.g. '£1.2m hospital'): {text!r}"
        )
    years = _YEARS.search(text)
    n = None
    if years:
        word = (years["n"] or years["n2"] or "1").lower()
        n = float(_WORDS.get(word, word)) if not years["one"] else 1.0
    return Claim(_money_value(found["num"], found["scale"]), tuple(amounts), n, text)


def _item_name(raw: str | None) -> str:
    words = (raw or "").lower().split()
    while words and words[-1] in _GENERIC - {"care"}:
        words.pop()
    return " ".join(words) or "total"


def _keywords(item: str) -> set[str]:
    words = re.split(r"[^a-z-]+", item.lower())
    return {_SYNONYMS.get(w, w) for w in words if w and w not in _GENERIC}


@dataclass(frozen=True)
class ClaimItemCheck:
    """One claimed amount set against what the data and unit costs support."""

    item: str
    claimed_gbp: float
    implied_cost_per_event: float
    matched_item: str | None
    table_cost_per_event: float | None
    supported_gbp: float | None
    supported_gbp_ci: tuple[float, float] | None
    inside: bool | None


@dataclass(frozen=True)
class ClaimCheck:
    """A claim, item by item, with plain-English findings and the assumptions it needs."""

    claim: Claim
    items: tuple[ClaimItemCheck, ...]
    events_ci: tuple[float, float] | None
    events_inside: bool | None
    findings: tuple[str, ...]
    assumptions: tuple[str, ...]


def check_claim(
    text_or_components: str | Claim,
    events: EventsAvoided | None = None,
    cost_table: CostTable | None = None,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int | None = DEFAULT_SEED,
) -> ClaimCheck:
    """Implied £ per event for each claimed item, and (given events and costs) whether it holds.

    The comparison simulates savings over the claim's years, undiscounted
    (headline claims rarely discount), with :func:`simulate_savings`; a claimed
    amount is "inside" when it lies in the supported interval.
    """
    c = (
        parse_claim(text_or_components)
        if isinstance(text_or_components, str)
        else text_or_components
    )
    n = c.events
    listed = ", ".join(f"{i.item} {_gbp(i.amount_gbp)}" for i in c.items)
    total = sum(i.amount_gbp for i in c.items)
    span = f" over {c.years:g} year(s)" if c.years else ""
    findings = [f"The claim: {n:,.0f} events avoided{span}, {_gbp(total)} in all ({listed})."]
    findings += [
        f"{i.item}: {_gbp(i.amount_gbp)} ÷ {n:,.0f} = £{i.amount_gbp / n:,.0f} per event avoided."
        for i in c.items
    ]
    assumptions = [
        "Every event counted was avoided because of the programme (against a comparator), "
        "not a decline that would have happened anyway.",
        "Each item is incurred by every avoided event at the implied £ per event (or, if only "
        "some events incur it, the cost per case × that share).",
        "The items do not overlap, and each is a real saving: fewer hospital stays usually "
        "free capacity rather than release cash.",
        "Amounts are undiscounted totals; at 3.5% a year (Green Book) later years count less.",
    ]
    checks = [
        ClaimItemCheck(i.item, i.amount_gbp, i.amount_gbp / n, None, None, None, None, None)
        for i in c.items
    ]
    events_ci = inside = None
    if events is not None and cost_table is not None:
        years = c.years or events.years
        if c.years is None:
            assumptions.append(
                f"The claim does not say over how many years: read as the "
                f"{years:g} year(s) of the estimate."
            )
        costs = _costs_for(events, cost_table)
        est = simulate_savings(events, costs, years, 0.0, draws, seed, confidence=events.confidence)
        events_ci = est.events_avoided_ci
        inside = events_ci[0] <= n <= events_ci[1]
        findings.append(
            f"The data support {est.events_avoided:,.0f} events avoided over {years:g} year(s) "
            f"({est.confidence:.0%} interval {events_ci[0]:,.0f} to {events_ci[1]:,.0f}): the "
            f"claimed {n:,.0f} is {'inside' if inside else 'outside'} it."
        )
        by_item = {s.item: s for s in est.by_item}
        used: set[str] = set()
        for k, claimed in enumerate(c.items):
            match = next(
                (
                    u
                    for u in costs
                    if u.item not in used and _keywords(u.item) & _keywords(claimed.item)
                ),
                None,
            )
            if match is None:
                findings.append(f"{claimed.item}: no unit cost in the table matches; not checked.")
                continue
            used.add(match.item)
            got = by_item[match.item]
            ok = got.savings_gbp_ci[0] <= claimed.amount_gbp <= got.savings_gbp_ci[1]
            checks[k] = replace(
                checks[k],
                matched_item=match.item,
                table_cost_per_event=match.cost_per_event,
                supported_gbp=got.savings_gbp,
                supported_gbp_ci=got.savings_gbp_ci,
                inside=ok,
            )
            ratio = (
                checks[k].implied_cost_per_event / match.cost_per_event
                if match.cost_per_event
                else math.inf
            )
            findings.append(
                f"{claimed.item}: claimed {_gbp(claimed.amount_gbp)}; supported "
                f"{_gbp(got.savings_gbp)} ({est.confidence:.0%} interval "
                f"{_gbp(got.savings_gbp_ci[0])} to {_gbp(got.savings_gbp_ci[1])}): "
                f"{'inside' if ok else 'outside'}. The table's {match.item} is "
                f"£{match.cost_gbp:,.0f} × share {match.share:g} = £{match.cost_per_event:,.0f} "
                f"per event; the claim's £{claimed.amount_gbp / n:,.0f} is {ratio:.2f} times that."
            )
        for u in costs:
            if u.item not in used:
                findings.append(
                    f"The table also has {u.item} ({_gbp(by_item[u.item].savings_gbp)}"
                    " supported), which the claim leaves out."
                )
    return ClaimCheck(c, tuple(checks), events_ci, inside, tuple(findings), tuple(assumptions))
