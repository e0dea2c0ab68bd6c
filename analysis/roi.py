"""Savings set against what the programme cost: ROI, break-even and a tornado.

:func:`return_on_investment` reads the draws of a
:class:`~analysis.savings.SavingsEstimate`, so every figure (net saving, ROI,
benefit–cost ratio, payback, break-even, probability of a net saving) has an
interval from the same simulation. :func:`sensitivity_table` is a one-way
sensitivity analysis for a tornado chart. Definitions: Drummond et al.,
*Methods for the Economic Evaluation of Health Care Programmes*, 4th ed., OUP
2015; Briggs, Claxton & Sculpher, *Decision Modelling for Health Economic
Evaluation*, OUP 2006, ch. 4. Savings are costs avoided, not cash released.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.costs import CostTable
from analysis.discounting import GREEN_BOOK_RATE, FirstYear, discount_factors, year_weights
from analysis.events_avoided import EventsAvoided
from analysis.savings import SavingsEstimate, costs_for
from analysis.savings_numbers import checked_number, finite_or_none, percentile_interval


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
        return finite_or_none(asdict(self))


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
    cost = checked_number(programme_cost_gbp, "programme_cost_gbp", 0, strict=True)
    conf = estimate.confidence
    totals = estimate.year_draws.sum(axis=1)
    weights = year_weights(estimate.assumptions.horizon_years)
    points = np.array([[y.savings_gbp for y in estimate.by_year]])
    with np.errstate(divide="ignore"):
        be_draws = np.where(estimate.per_event_draws > 0, cost / estimate.per_event_draws, np.inf)
    per_event = estimate.saving_per_event_gbp
    be = cost / per_event if per_event > 0 else math.inf
    be_ci = percentile_interval(be_draws, conf, "inverted_cdf")
    ev = estimate.events
    to_own = ev.years / estimate.assumptions.horizon_years
    effects = [ev.effect_for(e * to_own) if math.isfinite(e) else None for e in be_ci]
    if None not in effects:
        effects.sort()
    return ReturnOnInvestment(
        programme_cost_gbp=cost,
        net_saving_gbp=estimate.savings_gbp - cost,
        net_saving_gbp_ci=percentile_interval(totals - cost, conf),
        roi=(estimate.savings_gbp - cost) / cost,
        roi_ci=percentile_interval((totals - cost) / cost, conf),
        benefit_cost_ratio=estimate.savings_gbp / cost,
        benefit_cost_ratio_ci=percentile_interval(totals / cost, conf),
        payback_years=float(_payback(points, weights, cost)[0]),
        payback_years_ci=percentile_interval(
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
    costs = costs_for(ev, cost_table)
    weights = year_weights(horizon_years)
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
        low, high = (checked_number(r, "discount_range", 0) for r in discount_range)
        rows.append(("discount rate", low, high, total(rate=low), total(rate=high), "range given"))
    frame = pd.DataFrame(
        rows,
        columns=["input", "low_value", "high_value", "savings_at_low", "savings_at_high", "note"],
    )
    frame["swing"] = (frame["savings_at_high"] - frame["savings_at_low"]).abs()
    frame["base_savings"] = total()
    return frame.sort_values("swing", ascending=False, ignore_index=True, kind="stable")
