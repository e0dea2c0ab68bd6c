"""Events avoided: from an estimated effect, or a rate × population, to events avoided.

An :class:`~analysis.effect.Effect` (or a planning assumption) becomes
:class:`EventsAvoided`, events avoided with the sampling distribution they
came from, which :func:`analysis.savings.simulate_savings` values in £.
:func:`baseline_events` gives the planning baseline (events a year) from the
loaded data.

Conventions:

- Events avoided are positive when the programme helps: fewer events where
  lower is better (fall admissions), more where higher is better (extra
  women screened, ``higher_is_better=True``).
- Events avoided are spread evenly over the years they were counted in, and
  that annual number is assumed to continue for each year of the horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from analysis.disclosure import DEFAULT_RULE, DisclosureRule
from analysis.effect import Effect
from analysis.savings_numbers import SavingsInputError, checked_number, z_for

Distribution = Literal["log_rate_ratio", "normal", "uniform"]


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
        z_for(self.confidence)
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
    periods_per_year: float = 1.0,
) -> EventsAvoided:
    """Events avoided from an estimated effect, over its post period of ``years`` years.

    With ``effect.count_scale`` (counterfactual − observed counts of the method): events
    avoided = s × observed × (1/RR − 1), simulated with log RR normal (SE from
    the interval's width on the log scale). Otherwise (value-only measures)
    ``population`` and ``multiplier`` are required and
    :func:`events_avoided_from_rate` is used, with the measure's own period
    length (``periods_per_year``: 12 for a monthly rate, 4 quarterly, 1 yearly).
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
        estimate, ci = mean_post_effect(effect)
        found = events_avoided_from_rate(
            estimate,
            ci,
            population,
            years,
            multiplier,
            confidence=effect.confidence,
            higher_is_better=higher_is_better,
            periods_per_year=periods_per_year,
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
        spread=(math.log(hi) - math.log(lo)) / (2 * z_for(effect.confidence)),
        confidence=effect.confidence,
        observed_events=observed,
        direction=direction,
        measure=effect.measure,
        unit="rate ratio",
        basis=basis,
    )


def mean_post_effect(effect: Effect) -> tuple[float, tuple[float, float]]:
    """The effect averaged over the post periods, with its interval.

    Σ over post periods of (counterfactual − observed) is the mean post-period
    effect × the number of periods. For difference-in-differences and
    synthetic control the estimate is that mean already; an interrupted time
    series' estimate is the level change at the first post period, and its
    mean adds the slope change (``average_post_effect``, :mod:`analysis.its`).
    """
    average = effect.diagnostics.get("average_post_effect")
    if average is None:
        return effect.estimate, (effect.ci_low, effect.ci_high)
    low, high = effect.diagnostics["average_post_effect_ci"]
    return float(average), (float(low), float(high))


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
    periods_per_year: float = 1.0,
) -> EventsAvoided:
    """Value-only rates: events = −s × Δrate × population × n × years ÷ multiplier.

    ``estimate`` and ``ci`` are the change in the rate per ``multiplier``
    people *per period of the measure* (intervention minus counterfactual;
    negative = fewer events); ``n`` = ``periods_per_year`` is the number of
    those periods in a year (12 for a monthly rate, 4 quarterly, 1 for an
    annual rate), so a monthly rate is never read as an annual one.
    ``population`` is the user's number of people at risk. Events are
    simulated as Normal with SE = interval width × population × n × years ÷
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
    n = checked_number(periods_per_year, "periods_per_year", 0, strict=True)
    s = -1 if higher_is_better else 1
    k = population * n * years / multiplier
    ends = sorted((-s * low * k, -s * high * k))
    return EventsAvoided(
        events=-s * estimate * k,
        ci=(ends[0], ends[1]),
        years=years,
        distribution="normal",
        spread=(high - low) * k / (2 * z_for(confidence)),
        confidence=confidence,
        direction="more" if higher_is_better else "fewer",
        effect_per_event_year=-s * multiplier / (population * n),
        measure=measure,
        unit=f"per {multiplier:,.0f}",
        basis=f"rate change {estimate:,.4g} per {multiplier:,.0f} {_per_period(n)} × "
        f"{n:g} period(s) a year × population {population:,.0f} × {years:.2f} years "
        "(Normal on events)",
    )


def _per_period(periods_per_year: float) -> str:
    words = {12.0: "a month", 4.0: "a quarter", 1.0: "a year"}
    return words.get(float(periods_per_year), f"a period ({periods_per_year:g} a year)")


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
