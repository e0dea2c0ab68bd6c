"""Did it work? A measure's definition, its comparison, the events it stands for, and their JSON.

Part of the use-case layer (:mod:`analysis.usecases`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.arms import build_panel, restrict_window
from analysis.compare import Comparison, MethodChoice, run_comparison
from analysis.effect import Effect, _finite_or_none
from analysis.errors import HiodError
from analysis.events_avoided import EventsAvoided, events_avoided_from_effect
from analysis.measure_definition import MeasureDefinition, definition_from_row
from analysis.savings_numbers import SavingsInputError
from analysis.store import Store
from analysis.synth_prep import PredictorChoice, resolve_predictors

Window = tuple[pd.Timestamp, pd.Timestamp]


def measure_definition(store: Store, measure: str) -> MeasureDefinition:
    """The stored definition of ``measure`` (raises UnknownName for a measure with no data)."""
    store.check_measure(measure)
    row = store.measures_overview().set_index("measure").loc[measure]
    return definition_from_row(measure, row.to_dict())


def definitions_from_overview(overview: pd.DataFrame) -> dict[str, MeasureDefinition]:
    """Every measure's definition from one ``Store.measures_overview`` table."""
    return {
        str(r["measure"]): definition_from_row(str(r["measure"]), r)
        for r in overview.to_dict("records")
    }


def comparison_from_rows(
    rows: pd.DataFrame,
    definition: MeasureDefinition,
    method: MethodChoice = "auto",
    *,
    intervention: Sequence[str] | None = None,
    comparators: Sequence[str] | None = None,
    window: Window | None = None,
    predictors: Sequence[PredictorChoice] = (),
) -> Comparison:
    """The comparison for a measure's rows (``Store.panel_rows``).

    The arms are the saved grouping unless ``intervention``/``comparators`` are
    given (the Compare page's choices); ``window`` keeps the periods starting
    between its two dates; ``predictors`` are synthetic control's.
    """
    if intervention is None and comparators is None:
        panel = build_panel(rows)
    else:
        panel = build_panel(rows, list(intervention or []), list(comparators or []))
    if window is not None:
        panel = restrict_window(panel, *window)
    return run_comparison(panel, definition, method, predictors)


def comparison_for(
    store: Store, measure: str, method: MethodChoice = "auto", predictors: Sequence[str] = ()
) -> Comparison:
    """The comparison for ``measure`` under the saved grouping.

    ``predictors``: synthetic control's, each ``NAME`` or ``NAME:FROM..TO``
    (:func:`analysis.synth_prep.resolve_predictors`).
    """
    definition = measure_definition(store, measure)
    chosen = resolve_predictors(predictors, measure, store.panel_rows)
    return comparison_from_rows(store.panel_rows(measure), definition, method, predictors=chosen)


def events_for(comparison: Comparison, population: float | None = None) -> EventsAvoided:
    """The comparison's effect as a benefit in events over its post period.

    Count scale (every method, where counts exist): Σ over post periods of
    (counterfactual − observed) events in the intervention sites, with the
    interval of the method's own inference, signed so that a benefit is
    positive. Value-only measures: Δrate × ``population`` × periods a year ×
    years ÷ multiplier (:func:`~analysis.events_avoided.events_avoided_from_rate`).
    Raises :class:`~analysis.measure_definition.PolarityUnknown` when the
    measure's polarity is not stated.
    """
    definition = comparison.definition
    higher_is_better = definition.require_polarity()
    if comparison.post_years <= 0:
        raise SavingsInputError("the comparison has no post period to count events in")
    return events_avoided_from_effect(
        comparison.effect,
        comparison.post_years,
        higher_is_better=higher_is_better,
        population=population,
        multiplier=definition.multiplier,
        periods_per_year=definition.periods_per_year,
    )


@dataclass(frozen=True)
class EventsFigure:
    """Events as every page, the CLI and the report state them.

    ``total`` over ``years`` (the post period), ``per_year`` = total ÷ years;
    ``words`` names them ("events avoided", "extra people"); positive is a
    benefit.
    """

    words: str
    total: float
    ci: tuple[float, float]
    years: float
    basis: str

    @property
    def per_year(self) -> float:
        """Events a year."""
        return self.total / self.years

    @property
    def per_year_ci(self) -> tuple[float, float]:
        """The interval of events a year."""
        return self.ci[0] / self.years, self.ci[1] / self.years

    def text(self) -> str:
        """One sentence: the figure, its interval and the period it covers."""
        low, high = self.ci
        return (
            f"{self.total:,.0f} {self.words} over {self.years:.1f} years of the programme "
            f"(95% interval {low:,.0f} to {high:,.0f}); {self.per_year:,.0f} a year"
        )

    def to_json_dict(self) -> dict[str, Any]:
        """The CLI's keys."""
        return {
            "events_words": self.words,
            "events_benefit": self.total,
            "events_benefit_ci": list(self.ci),
            "events_benefit_per_year": self.per_year,
            "events_benefit_per_year_ci": list(self.per_year_ci),
            "events_years": self.years,
            "events_basis": self.basis,
        }


def events_figure(comparison: Comparison, population: float | None = None) -> EventsFigure:
    """:func:`events_for` as the figure the pages, CLI and report show."""
    events = events_for(comparison, population)
    return EventsFigure(
        words=comparison.definition.benefit_words,
        total=events.events,
        ci=events.ci,
        years=events.years,
        basis=events.basis,
    )


def format_p(p: float | None) -> str:
    """A p-value as people read it: ``< 0.001``, ``0.034``, or ``—`` when there is none."""
    if p is None or not math.isfinite(p):
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def comparison_json(comparison: Comparison, population: float | None = None) -> dict[str, Any]:
    """The ``compare --json`` object (DESIGN.md keys), with the events where they can be given."""
    effect: Effect = comparison.effect
    definition = comparison.definition
    payload: dict[str, Any] = {
        **effect.to_json_dict(),
        "label": definition.label,
        "p_value_text": format_p(effect.p_value),
        "higher_is_better": definition.higher_is_better,
        "method_reason": comparison.method_reason,
        "sentence": comparison.sentence,
        "post_years": comparison.post_years,
        "checks": [c.__dict__ for c in comparison.checks],
    }
    try:
        payload |= events_figure(comparison, population).to_json_dict()
    except (HiodError, ValueError) as exc:
        payload["events_problem"] = str(exc)
    return _finite_or_none(payload)
