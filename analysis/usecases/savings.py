"""Events → £: the savings use case and its settings.

Part of the use-case layer (:mod:`analysis.usecases`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analysis.compare import Comparison, MethodChoice
from analysis.costs import CostTable
from analysis.discounting import GREEN_BOOK_RATE, FirstYear
from analysis.effect import _finite_or_none
from analysis.events_avoided import EventsAvoided
from analysis.roi import ReturnOnInvestment, return_on_investment
from analysis.savings import (
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    CostDistribution,
    SavingsEstimate,
    simulate_savings,
)
from analysis.store import Store
from analysis.usecases.comparison import EventsFigure, comparison_for, events_for, format_p


@dataclass(frozen=True)
class SavingsSettings:
    """The simulation's settings (the Savings page's and the CLI's defaults)."""

    horizon_years: float = 3.0
    discount_rate: float = GREEN_BOOK_RATE
    draws: int = DEFAULT_DRAWS
    seed: int = DEFAULT_SEED
    first_year: FirstYear = "undiscounted"
    cost_distribution: CostDistribution = "triangular"


@dataclass(frozen=True)
class SavingsOutcome:
    """What the programme saved: the comparison, the events and the £ (and ROI)."""

    comparison: Comparison
    events: EventsAvoided
    figure: EventsFigure
    estimate: SavingsEstimate
    roi: ReturnOnInvestment | None

    def to_json_dict(self) -> dict[str, Any]:
        """The ``savings --json`` object (DESIGN.md keys)."""
        effect = self.comparison.effect
        return _finite_or_none(
            {
                **self.estimate.to_json_dict(),
                **self.figure.to_json_dict(),
                "events_avoided_per_year": self.estimate.events_avoided
                / self.estimate.assumptions.horizon_years,
                "comparison": {
                    "method": effect.method,
                    "method_label": effect.method_label,
                    "estimate": effect.estimate,
                    "ci_low": effect.ci_low,
                    "ci_high": effect.ci_high,
                    "unit": effect.unit,
                    "p_value_text": format_p(effect.p_value),
                    "rate_ratio": getattr(effect.count_scale, "rate_ratio", None),
                    "post_years": self.comparison.post_years,
                    "sentence": self.comparison.sentence,
                },
                "assumption_lines": list(self.estimate.assumptions.lines()),
                "roi": None if self.roi is None else self.roi.to_json_dict(),
            }
        )


def savings_from(
    comparison: Comparison,
    costs: CostTable,
    settings: SavingsSettings | None = None,
    *,
    population: float | None = None,
    programme_cost: float | None = None,
) -> SavingsOutcome:
    """Events avoided (:func:`events_for`) × unit costs, simulated; ROI when a cost is given."""
    settings = settings or SavingsSettings()
    events = events_for(comparison, population)
    estimate = simulate_savings(
        events,
        costs,
        settings.horizon_years,
        settings.discount_rate,
        settings.draws,
        settings.seed,
        first_year=settings.first_year,
        cost_distribution=settings.cost_distribution,
    )
    roi = return_on_investment(estimate, programme_cost) if programme_cost else None
    figure = EventsFigure(
        comparison.definition.benefit_words, events.events, events.ci, events.years, events.basis
    )
    return SavingsOutcome(comparison, events, figure, estimate, roi)


def stored_costs(store: Store) -> CostTable:
    """The unit-cost library in the store."""
    return CostTable.from_frame(store.unit_costs(), file="unit costs in the database")


def savings_for(
    store: Store,
    measure: str,
    method: MethodChoice = "auto",
    settings: SavingsSettings | None = None,
    *,
    population: float | None = None,
    programme_cost: float | None = None,
) -> SavingsOutcome:
    """:func:`savings_from` for ``measure`` under the saved grouping and the stored costs."""
    comparison = comparison_for(store, measure, method)
    return savings_from(
        comparison,
        stored_costs(store),
        settings,
        population=population,
        programme_cost=programme_cost,
    )
