"""The impact report: one self-contained HTML file for a funder or a board.

:func:`build_report` computes every figure with the functions the pages and the
command line use, so the report shows the same numbers for the same inputs:

- the effect: :func:`analysis.usecases.comparison_for` (as the Compare page and ``compare``);
- the events and savings: :func:`analysis.usecases.events_figure` and
  :func:`analysis.usecases.savings_from` with the defaults of the Savings page and
  ``savings`` (3-year horizon, 3.5% a year, 10,000 draws, the same seed);
- the inequality picture: :func:`analysis.usecases.inequality_from` (the Inequalities
  page's defaults).

Each part is computed on its own: a part the data cannot support (no comparator sites,
no unit costs, no deprivation data…) is reported as not available, with the reason,
rather than left out. Only the errors a user's data or choices can cause
(:class:`~analysis.errors.HiodError`, :class:`~analysis.panel.PanelError`) are turned
into that statement; anything else is a bug and is raised. The HTML is written by
:mod:`analysis.report_sections`; the file names the tool version and the data (each
load's file name and SHA-256) so that it can be reproduced.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Literal

import pandas as pd

from analysis.arms import build_panel, default_arms
from analysis.compare import Comparison, MethodChoice
from analysis.costs import CostTable
from analysis.discounting import GREEN_BOOK_RATE
from analysis.errors import HiodError
from analysis.inequality_change_view import GapChange
from analysis.inequality_gap_effect import GapEffect
from analysis.inequality_view import InequalityResult
from analysis.measure_definition import MeasureDefinition
from analysis.panel import PanelError
from analysis.provenance import tool_version
from analysis.roi import ReturnOnInvestment
from analysis.savings import DEFAULT_DRAWS, DEFAULT_SEED, SavingsEstimate
from analysis.savings_numbers import SavingsInputError
from analysis.store import Store
from analysis.usecases import (
    EventsFigure,
    SavingsSettings,
    comparison_for,
    definitions_from_overview,
    events_figure,
    inequality_from,
    savings_from,
    stored_costs,
)

Section = Literal[
    "summary", "programme", "effects", "savings", "inequality", "caveats", "methods", "data"
]
SECTIONS: dict[str, str] = {
    "summary": "Summary",
    "programme": "The programme and its areas",
    "effects": "Did it work? The headline effects",
    "savings": "What did it save?",
    "inequality": "Inequalities: did the gap narrow?",
    "caveats": "Caveats in plain English",
    "methods": "Methods and references",
    "data": "Data coverage and provenance",
}
"""The sections in the order they are printed: the one-page summary first, provenance last."""
USER_ERRORS = (HiodError, PanelError, SavingsInputError)


class ReportOptionsError(HiodError):
    """A report option that cannot be used (an unknown section, a negative cost…)."""


@dataclass(frozen=True)
class ReportOptions:
    """What the report covers.

    ``measures``: measure ids (empty: :func:`default_measures`); ``sections``: keys of
    :data:`SECTIONS`, printed in that order; ``programme_cost``: £ paid up front (ROI
    when given); ``horizon_years``, ``discount_rate``, ``draws`` and ``seed`` are the
    savings simulation's settings (the Savings page's and CLI's defaults); ``method``
    the comparison's (``auto``, ``did``, ``its``, ``synth``), as ``compare --method``;
    ``populations``: (measure, people at risk in each period) for value-only measures, as
    ``savings --population``.
    """

    def settings(self) -> SavingsSettings:
        """The savings simulation's settings."""
        return SavingsSettings(self.horizon_years, self.discount_rate, self.draws, self.seed)

    measures: tuple[str, ...] = ()
    sections: tuple[str, ...] = tuple(SECTIONS)
    programme_cost: float | None = None
    title: str = "Programme impact report"
    horizon_years: float = 3.0
    discount_rate: float = GREEN_BOOK_RATE
    draws: int = DEFAULT_DRAWS
    seed: int = DEFAULT_SEED
    method: MethodChoice = "auto"
    populations: tuple[tuple[str, float], ...] = ()

    def population(self, measure: str) -> float | None:
        """The people at risk (in each period) given for a value-only ``measure``, if any."""
        return dict(self.populations).get(measure)

    def __post_init__(self) -> None:
        unknown = [s for s in self.sections if s not in SECTIONS]
        if unknown:
            raise ReportOptionsError(
                f"unknown section(s) {', '.join(unknown)}: choose from {', '.join(SECTIONS)}"
            )
        if not self.sections:
            raise ReportOptionsError("choose at least one section")
        if self.programme_cost is not None and not self.programme_cost >= 0:
            raise ReportOptionsError("the programme cost must be £0 or more")


@dataclass(frozen=True)
class MeasureFindings:
    """Everything the report says about one measure; a ``*_problem`` says why a part is missing."""

    measure: str
    label: str
    kind: str
    unit: str
    higher_is_better: bool | None
    intervention_sites: tuple[str, ...]
    comparator_sites: tuple[str, ...]
    start_dates: pd.Series = field(repr=False)
    comparison: Comparison | None = None
    comparison_problem: str | None = None
    events: EventsFigure | None = None
    events_problem: str | None = None
    savings: SavingsEstimate | None = None
    roi: ReturnOnInvestment | None = None
    savings_problem: str | None = None
    inequality: InequalityResult | None = None
    inequality_problem: str | None = None
    gap: GapChange | None = None
    gap_effect: GapEffect | None = None
    gap_effect_problem: str | None = None


@dataclass(frozen=True)
class ReportData:
    """The store's provenance and each measure's findings, ready to write out."""

    options: ReportOptions
    produced: dt.datetime
    tool_version: str
    db_path: str
    loads: pd.DataFrame
    sites: pd.DataFrame
    overview: pd.DataFrame
    findings: tuple[MeasureFindings, ...]


def default_measures(store: Store) -> tuple[str, ...]:
    """Measures with both intervention and comparator sites under the saved grouping."""
    chosen = []
    for measure in store.measure_names():
        intervention, comparators = default_arms(store.panel_rows(measure))
        if intervention and comparators:
            chosen.append(measure)
    return tuple(chosen)


def _savings(
    findings: MeasureFindings, costs: CostTable, options: ReportOptions
) -> tuple[SavingsEstimate | None, ReturnOnInvestment | None, str | None]:
    """The ``savings`` command's figures for this measure, or why there are none."""
    comparison = findings.comparison
    if comparison is None:
        return None, None, f"there is no effect estimate to value ({findings.comparison_problem})"
    if findings.measure not in costs.measures:
        return (
            None,
            None,
            (
                f"no unit costs are stored for {findings.measure}: add them on the Savings page "
                "or load a unit costs file"
            ),
        )
    try:
        outcome = savings_from(
            comparison,
            costs,
            options.settings(),
            population=options.population(findings.measure),
            programme_cost=options.programme_cost,
        )
    except USER_ERRORS as exc:
        return None, None, str(exc)
    return outcome.estimate, outcome.roi, None


def measure_findings(
    store: Store,
    definition: MeasureDefinition,
    sites: pd.DataFrame,
    costs: CostTable,
    options: ReportOptions,
) -> MeasureFindings:
    """Compute the parts of the report the chosen sections need for one measure."""
    measure = definition.measure
    rows = store.panel_rows(measure)
    panel = build_panel(rows)
    intervention, comparators = default_arms(rows)
    findings = MeasureFindings(
        measure=measure,
        label=definition.label,
        kind=str(definition.kind),
        unit=definition.unit,
        higher_is_better=definition.higher_is_better,
        intervention_sites=tuple(intervention),
        comparator_sites=tuple(comparators),
        start_dates=panel["start_date"],
    )
    parts: dict[str, object] = {}
    wanted = set(options.sections)
    if wanted & {"summary", "effects", "savings", "caveats", "methods"}:
        try:
            parts["comparison"] = comparison_for(store, measure, options.method)
        except USER_ERRORS as exc:
            parts["comparison_problem"] = str(exc)
        if "comparison" in parts:
            try:
                parts["events"] = events_figure(
                    parts["comparison"],  # type: ignore[arg-type]
                    options.population(measure),
                )
            except USER_ERRORS as exc:
                parts["events_problem"] = str(exc)
    if wanted & {"savings", "summary"}:
        interim = _replace(findings, parts)
        estimate, roi, problem = _savings(interim, costs, options)
        parts |= {"savings": estimate, "roi": roi, "savings_problem": problem}
    if "inequality" in wanted:
        try:
            outcome = inequality_from(rows, sites, definition, method=options.method)
            parts["inequality"], parts["gap"] = outcome.result, outcome.gap
            parts["gap_effect"] = outcome.gap_effect
            parts["gap_effect_problem"] = outcome.gap_effect_problem
        except USER_ERRORS as exc:
            parts["inequality_problem"] = str(exc)
    return _replace(findings, parts)


def _replace(findings: MeasureFindings, parts: dict[str, object]) -> MeasureFindings:
    return replace(findings, **parts)  # type: ignore[arg-type]


def gather(store: Store, options: ReportOptions) -> ReportData:
    """Read the store and compute every measure's findings for ``options``."""
    measures = options.measures or default_measures(store)
    for measure in measures:
        store.check_measure(measure)
    overview = store.measures_overview().set_index("measure")
    definitions = definitions_from_overview(overview.reset_index())
    sites = store.sites()
    costs = stored_costs(store)
    findings = tuple(
        measure_findings(store, definitions[m], sites, costs, options) for m in measures
    )
    return ReportData(
        options=options,
        produced=dt.datetime.now().replace(microsecond=0),
        tool_version=tool_version(),
        db_path=str(store.path),
        loads=store.loads(),
        sites=sites,
        overview=overview.loc[list(measures)].reset_index(),
        findings=findings,
    )


def build_report(store: Store, options: ReportOptions | None = None) -> str:
    """The impact report for ``options`` (all sections, default measures) as one HTML text."""
    from analysis.report_sections import render

    return render(gather(store, options or ReportOptions()))
