"""The deprivation picture, whether the gap narrowed, and the programme's effect on it.

Part of the use-case layer (:mod:`analysis.usecases`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.arms import build_panel, default_arms
from analysis.compare import MethodChoice
from analysis.disclosure import DEFAULT_RULE, DisclosureRule
from analysis.errors import HiodError
from analysis.inequality_change_view import GapChange, gap_change
from analysis.inequality_gap_effect import DEFAULT_DRAWS as GAP_EFFECT_DRAWS
from analysis.inequality_gap_effect import (
    MIN_QUINTILE_SITES,
    GapEffect,
    QuintileEffect,
    gap_effect,
    intervention_quintiles,
)
from analysis.inequality_groups import area_rows, is_breakdown
from analysis.inequality_indices import DEFAULT_SEED as INEQUALITY_SEED
from analysis.inequality_view import InequalityResult, inequality_result
from analysis.measure_definition import MeasureDefinition
from analysis.panel import PanelError
from analysis.rates import MethodInputError
from analysis.store import Store
from analysis.usecases.comparison import comparison_from_rows, measure_definition


@dataclass(frozen=True)
class InequalityOutcome:
    """The deprivation picture, whether the gap narrowed, and the programme's effect on it.

    ``gap`` is the difference-in-differences of the gap (:func:`gap_change_from`);
    ``gap_effect`` the index as observed against its counterfactual
    (:func:`gap_effect_from`), or ``gap_effect_problem`` saying why there is none.
    """

    result: InequalityResult
    gap: GapChange | None
    gap_effect: GapEffect | None = None
    gap_effect_problem: str | None = None


def gap_change_from(
    rows: pd.DataFrame, definition: MeasureDefinition, rule: DisclosureRule = DEFAULT_RULE
) -> GapChange:
    """Whether the gap narrowed (:func:`gap_change`) under the saved grouping.

    When it cannot be estimated (value-only data, no intervention sites…)
    ``problem`` says why.
    """
    return gap_change(
        build_panel(rows),
        kind=definition.kind or "value",
        multiplier=definition.multiplier,
        unit=definition.unit,
        higher_is_better=definition.higher_is_better,
        rule=rule,
    )


def gap_effect_from(
    rows: pd.DataFrame,
    sites: pd.DataFrame,
    definition: MeasureDefinition,
    result: InequalityResult,
    method: MethodChoice = "auto",
    *,
    draws: int = GAP_EFFECT_DRAWS,
    seed: int = INEQUALITY_SEED,
    rule: DisclosureRule = DEFAULT_RULE,
) -> GapEffect:
    """The programme's effect on the SII and gap of ``result``'s sites and area.

    The effect is the comparison's (:func:`comparison_from_rows` under the saved
    grouping with ``method``, as on Compare); each intervention site's
    counterfactual is its observed value minus that effect
    (:func:`analysis.inequality_gap_effect.gap_effect`). Where the intervention
    sites span several IMD quintiles, the effect is also estimated for each
    quintile with at least :data:`MIN_QUINTILE_SITES` of them (same comparators).
    Raises :class:`~analysis.rates.MethodInputError` or
    :class:`~analysis.panel.PanelError` saying why when it cannot be given.
    """
    if is_breakdown(rows, result.site_type):
        raise MethodInputError(
            "published deprivation-group rows have no intervention sites: choose sites"
        )
    if result.basis != "counts":
        raise MethodInputError("it needs counts (numerator and denominator) per site")
    data = area_rows(rows, sites, result.site_type, result.area_code)
    comparison = comparison_from_rows(rows, definition, method)
    by_quintile = []
    groups = intervention_quintiles(data)
    _, comparators = default_arms(rows)
    for quintile, codes in groups.items():
        if len(groups) == 1:
            effect = comparison.effect
        elif len(codes) < MIN_QUINTILE_SITES:
            by_quintile.append(
                QuintileEffect(quintile, len(codes), problem="too few intervention sites")
            )
            continue
        else:
            effect = comparison_from_rows(
                rows, definition, method, intervention=codes, comparators=comparators
            ).effect
        by_quintile.append(
            QuintileEffect(
                quintile, len(codes), effect.estimate, effect.ci_low, effect.ci_high, effect.method
            )
        )
    return gap_effect(
        data,
        comparison.effect,
        quantiles=result.quantiles,
        kind=result.kind,
        multiplier=result.multiplier,
        by_quintile=tuple(by_quintile),
        draws=draws,
        seed=seed,
        rule=rule,
    )


def inequality_from(
    rows: pd.DataFrame,
    sites: pd.DataFrame,
    definition: MeasureDefinition,
    *,
    with_gap: bool = True,
    with_effect: bool = True,
    method: MethodChoice = "auto",
    **options: Any,
) -> InequalityOutcome:
    """SII/RII and the gap (:func:`inequality_result`), the gap change and the programme effect.

    ``options`` are :func:`inequality_result`'s (site type, area, groups, reps,
    seed, disclosure ``rule``); ``method`` the comparison's, for the effect on the
    gap (:func:`gap_effect_from`).
    """
    kind = definition.kind or "value"
    result = inequality_result(rows, sites, kind=kind, multiplier=definition.multiplier, **options)
    rule = options.get("rule", DEFAULT_RULE)
    gap = None
    if with_gap and kind in ("proportion", "rate") and len(rows):
        gap = gap_change_from(rows, definition, rule)
    effect, problem = None, None
    if with_effect:
        try:
            effect = gap_effect_from(
                rows,
                sites,
                definition,
                result,
                method,
                seed=options.get("seed", INEQUALITY_SEED),
                rule=rule,
            )
        except (HiodError, PanelError) as exc:
            problem = str(exc)
    return InequalityOutcome(result, gap, effect, problem)


def inequality_for(store: Store, measure: str, **options: Any) -> InequalityOutcome:
    """:func:`inequality_from` for ``measure`` as stored."""
    definition = measure_definition(store, measure)
    return inequality_from(store.panel_rows(measure), store.sites(), definition, **options)
