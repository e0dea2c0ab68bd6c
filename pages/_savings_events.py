"""Savings page: events avoided, from the comparison's effect or from planning assumptions."""

import streamlit as st

from analysis.compare import run_comparison
from analysis.errors import HiodError
from analysis.events_avoided import EventsAvoided, baseline_events, events_avoided_from_effect
from analysis.panel import PanelError
from pages import _ui

FROM_COMPARISON = "From the comparison"
PLANNING = "Planning (projection)"


def events_from_comparison(
    panel, measure: str, label: str, unit: str, multiplier: float, higher_is_better
) -> tuple[EventsAvoided, list[str]]:
    """Events avoided from the comparison's effect, and notes for the assumptions."""
    notes: list[str] = []
    try:
        with st.spinner("Estimating the effect…"):
            comparison = run_comparison(
                panel,
                measure=measure,
                label=label,
                unit=unit,
                multiplier=multiplier,
                higher_is_better=higher_is_better,
            )
    except (PanelError, HiodError, ValueError) as exc:
        st.warning(f"No comparison can be made for this measure: {exc}. Use **{PLANNING}**.")
        st.stop()
    effect = comparison.effect
    st.markdown(comparison.sentence)
    st.caption(f"Method: {effect.method_label}. Why: {comparison.method_reason}.")
    population = None
    if effect.count_scale is None:
        st.info(
            f"`{measure}` has published values but no counts, so the effect ({unit}) must be "
            "applied to a population to give events. Enter the number of people the rate "
            "applies to (e.g. residents aged 65+ in the intervention areas)."
        )
        population = st.number_input(
            "Population the rate applies to",
            min_value=1.0,
            value=None,
            step=1000.0,
            key=f"savings_population_{measure}",
        )
        if population is None:
            st.stop()
    try:
        events = events_avoided_from_effect(
            effect,
            comparison.post_years,
            higher_is_better=bool(higher_is_better),
            population=population,
            multiplier=multiplier,
        )
    except HiodError as exc:
        _ui.show_error(exc)
        st.stop()
    st.caption(
        f"Post period observed: {comparison.post_years:.1f} years. {events.basis}. Events avoided "
        "a year are the total over the post period ÷ its length; years of the horizon beyond the "
        "post period assume the effect continues."
    )
    notes.append(
        f"Events avoided a year = the post-period total ÷ its length from the earliest start "
        f"({comparison.post_years:.1f} years); sites that started later count fewer years in it, "
        "so with staggered starts the annual figure understates a year with every site running."
    )
    return events, notes


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
