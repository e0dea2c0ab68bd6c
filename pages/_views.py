"""Cached inputs and results for the measure pages (Compare areas, Map, Funnel, SPC, Inequalities).

Caching stays at this UI edge (as :mod:`pages._ui`): every entry is keyed by
the store version, so a load or roll-back shows at once. ``site_rows`` are the
store's **unsuppressed** rows: pages only pass them to :mod:`analysis`
functions that apply small-number suppression to everything they return.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import streamlit as st

from analysis import charts
from analysis.compare import MethodChoice
from analysis.disclosure import DisclosureRule
from analysis.inequality_change_view import GapChange
from analysis.inequality_gap_effect import GapEffect
from analysis.inequality_view import InequalityResult
from analysis.pooling import PooledRows, Pooling, default_choice, pool_periods, pooling_choices
from analysis.site_levels import Level, default_level, site_levels
from analysis.usecases import gap_change_from, inequality_from
from pages._ui import definition as measure_definition
from pages._ui import get_store, measure_picker, store_version
from pages._ui import measure_definition as typed_definition


@st.cache_data(max_entries=16, show_spinner=False)
def site_rows(measure: str, version: tuple[int, int]) -> pd.DataFrame:
    """A measure's unsuppressed rows at every site type (for analysis functions only)."""
    return get_store().panel_rows(measure)


@st.cache_data(max_entries=4, show_spinner=False)
def sites(version: tuple[int, int]) -> pd.DataFrame:
    """The current sites table."""
    return get_store().sites()


def polarity(definition: dict) -> bool | None:
    """A definition's ``higher_is_better`` as True, False or None."""
    value = definition.get("higher_is_better")
    return None if value is None or pd.isna(value) else bool(value)


def unit(definition: dict) -> str:
    """The display unit of a measure ('%', 'per 100,000' or '')."""
    return charts.unit_label(definition.get("kind"), definition.get("multiplier"))


def multiplier(definition: dict) -> float:
    """The display multiplier of a measure (1 when not set)."""
    value = definition.get("multiplier")
    return 1.0 if value is None or pd.isna(value) else float(value)


class MeasureChoice(NamedTuple):
    """The sidebar's measure and what a measure page needs to know about it."""

    measure: str
    version: tuple[int, int]
    definition: dict
    kind: str | None
    scale: float
    unit: str
    higher_is_better: bool | None


def chosen_measure() -> MeasureChoice:
    """The measure picked in the sidebar, with its kind, multiplier, unit and polarity.

    Stops the page (after the picker's own message) when no measure is loaded.
    """
    measure = measure_picker()
    if measure is None:
        st.stop()
    typed = typed_definition(measure)
    return MeasureChoice(
        measure,
        store_version(),
        measure_definition(measure),
        typed.kind,
        typed.multiplier,
        typed.unit,
        typed.higher_is_better,
    )


def level_picker(
    where: st.delta_generator.DeltaGenerator,
    rows: pd.DataFrame,
    sites: pd.DataFrame,
    label: str,
    key: str,
) -> Level:
    """A select box (in ``where``) of the site types the rows can be shown at.

    Defaults to :func:`analysis.site_levels.default_level` (the finest level with counts).
    """
    levels = {level.label: level for level in site_levels(rows, sites)}
    first = default_level(list(levels.values())).label
    return levels[where.selectbox(label, list(levels), index=list(levels).index(first), key=key)]


def pooling_picker(
    where: st.delta_generator.DeltaGenerator, rows: pd.DataFrame, key: str
) -> Pooling:
    """A "Period" select box (in ``where``) of one period or a window of them pooled.

    Options from :func:`analysis.pooling.pooling_choices`; the default is
    :func:`analysis.pooling.default_choice` (the last 12 months for monthly or
    quarterly data, else the latest period).
    """
    choices = pooling_choices(rows)
    return where.selectbox(
        "Period",
        choices,
        index=default_choice(choices),
        format_func=lambda choice: choice.text,
        key=key,
        help="One period, or several pooled: each site's counts summed over them "
        "(Σ numerator ÷ Σ denominator), so that a small site's value rests on more people.",
    )


@st.cache_data(max_entries=16, show_spinner="Computing the slope index…")
def pooled_inequality(
    measure: str,
    version: tuple[int, int],
    site_type: str | None,
    area: str | None,
    quantiles: int | None,
    round_to: int | None,
    pooling: Pooling,
) -> tuple[InequalityResult, PooledRows]:
    """:func:`inequality` on the rows pooled over ``pooling``, with the pooled rows (one a site)."""
    definition = typed_definition(measure)
    pooled = pool_periods(site_rows(measure, version), pooling, definition.multiplier)
    result = inequality_from(
        pooled.rows,
        sites(version),
        definition,
        with_gap=False,
        with_effect=False,
        site_type=site_type,
        area=area,
        quantiles=quantiles,
        rule=DisclosureRule(round_to=round_to),
    ).result
    return result, pooled


@st.cache_data(max_entries=32, show_spinner="Computing the slope index…")
def inequality(
    measure: str,
    version: tuple[int, int],
    site_type: str | None,
    area: str | None,
    quantiles: int | None,
    round_to: int | None,
) -> InequalityResult:
    """:func:`analysis.usecases.inequality_from` for the page's choices (cached)."""
    return inequality_from(
        site_rows(measure, version),
        sites(version),
        typed_definition(measure),
        with_gap=False,
        with_effect=False,
        site_type=site_type,
        area=area,
        quantiles=quantiles,
        rule=DisclosureRule(round_to=round_to),
    ).result


@st.cache_data(max_entries=16, show_spinner="Estimating the programme's effect on the gap…")
def gap_effect(
    measure: str,
    version: tuple[int, int],
    site_type: str | None,
    area: str | None,
    quantiles: int | None,
    method: MethodChoice,
    round_to: int | None,
) -> tuple[GapEffect | None, str | None]:
    """The programme's effect on the gap for the page's choices, or why there is none (cached)."""
    outcome = inequality_from(
        site_rows(measure, version),
        sites(version),
        typed_definition(measure),
        with_gap=False,
        method=method,
        site_type=site_type,
        area=area,
        quantiles=quantiles,
        rule=DisclosureRule(round_to=round_to),
    )
    return outcome.gap_effect, outcome.gap_effect_problem


@st.cache_data(max_entries=16, show_spinner="Estimating the change in the gap…")
def gap_narrowed(measure: str, version: tuple[int, int], round_to: int | None) -> GapChange:
    """:func:`analysis.usecases.gap_change_from` on the measure's rows (cached)."""
    return gap_change_from(
        site_rows(measure, version), typed_definition(measure), DisclosureRule(round_to=round_to)
    )
