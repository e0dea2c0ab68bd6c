"""Savings page: events avoided, from the comparison's effect or from planning assumptions."""

import streamlit as st

from analysis.compare import Comparison
from analysis.errors import HiodError
from analysis.events_avoided import baseline_events
from analysis.measure_definition import MeasureDefinition
from analysis.panel import PanelError
from analysis.usecases import comparison_from_rows, events_figure
from pages import _ui

FROM_COMPARISON = "From the comparison"
PLANNING = "Planning (projection)"


def events_from_comparison(
    rows, definition: MeasureDefinition
) -> tuple[Comparison, float | None, list[str]]:
    """The comparison, the population a value-only rate applies to, and notes for the assumptions.

    Shows the events (:func:`analysis.usecases.events_figure`) as the CLI and report give them.
    """
    notes: list[str] = []
    try:
        with st.spinner("Estimating the effect…"):
            comparison = comparison_from_rows(rows, definition)
    except (PanelError, HiodError, ValueError) as exc:
        st.warning(f"No comparison can be made for this measure: {exc}. Use **{PLANNING}**.")
        st.stop()
    effect = comparison.effect
    st.markdown(_ui.plain(comparison.sentence))
    st.caption(f"Method and why: {comparison.method_reason}.")
    population = None
    if effect.count_scale is None:
        st.info(
            f"`{definition.measure}` has published values but no counts, so the effect "
            f"({effect.unit}) must be applied to a population to give events. Enter the number "
            f"of people the rate applies to in each {definition.period_word} (e.g. residents "
            "aged 65+ in the intervention areas)."
        )
        population = st.number_input(
            f"People at risk in each {definition.period_word}",
            min_value=1.0,
            value=None,
            step=1000.0,
            key=f"savings_population_{definition.measure}",
        )
        if population is None:
            st.stop()
    try:
        figure = events_figure(comparison, population)
    except HiodError as exc:
        _ui.show_error(exc)
        st.stop()
    st.metric(
        f"Observed: {figure.words} a year",
        f"{figure.per_year:,.0f}",
        help=figure.text(),
    )
    st.caption(
        f"{figure.text()}. {figure.basis}. Years of the horizon beyond the post period assume "
        "the effect continues."
    )
    notes.append(
        f"Events a year = the post-period total ÷ its length from the earliest start "
        f"({comparison.post_years:.1f} years); sites that started later count fewer years in it, "
        "so with staggered starts the annual figure understates a year with every site running."
    )
    return comparison, population, notes


def planning_inputs(panel, measure: str, unit: str, multiplier: float) -> tuple[float, int, int]:
    """Baseline events a year and the expected reduction (low %, high %) for a projection."""
    st.info(
        "**Projection**: savings if the programme cut events by the range you expect. This is a "
        "planning assumption, not an estimate from data."
    )
    baseline = baseline_events(panel, multiplier)
    left, right = st.columns(2)
    low_pct, high_pct = left.slider(
        "Expected reduction in events (%), low to high",
        0,
        100,
        (5, 15),
        key="savings_reduction",
    )
    base_events = right.number_input(
        "Baseline events a year",
        min_value=0.0,
        value=None if baseline.events_per_year is None else float(round(baseline.events_per_year)),
        step=10.0,
        key=f"savings_baseline_{measure}",
    )
    st.caption(
        f"Baseline from the loaded data: {baseline.basis}."
        if baseline.events_per_year is not None
        else f"No baseline from the data ({baseline.basis}): enter the events a year "
        + (
            f"(latest rate {baseline.rate:,.1f} {unit} × population ÷ {multiplier:,.0f})."
            if baseline.rate is not None
            else "."
        )
    )
    if not base_events:
        st.stop()
    return base_events, low_pct, high_pct
