"""Savings: what did the programme save (or what might it save), with honest uncertainty."""

import streamlit as st

from analysis.discounting import GREEN_BOOK_RATE, FirstYear
from analysis.errors import HiodError
from analysis.savings import DEFAULT_DRAWS, DEFAULT_SEED, CostDistribution, project_savings
from analysis.usecases import SavingsSettings, savings_from
from pages import _ui
from pages._savings_assumptions import show_assumptions
from pages._savings_claims import show_claim_check
from pages._savings_costs import unit_cost_editor
from pages._savings_events import (
    FROM_COMPARISON,
    PLANNING,
    events_from_comparison,
    planning_inputs,
)
from pages._savings_results import show_results
from pages._savings_roi import show_roi
from pages._savings_sensitivity import show_sensitivity

st.title("What did it save?")
st.caption(
    "Costs avoided by the programme: events avoided × what each event costs the NHS and social "
    "care, over a horizon, discounted. These are **costs avoided** (capacity freed for other "
    "patients), not cash released: budgets fall only if capacity is taken out."
)
measure = _ui.measure_picker()
if measure is None:
    st.stop()
store = _ui.get_store()
version = _ui.store_version()
definition = _ui.ask_polarity(_ui.measure_definition(measure))
if definition is None:
    st.stop()
unit, multiplier = definition.unit, definition.multiplier
panel = _ui.panel(measure, version)

mode = st.radio("Mode", [FROM_COMPARISON, PLANNING], horizontal=True, key="savings_mode")

# ---- unit costs ---------------------------------------------------------------------------
costs = unit_cost_editor(store, measure)

# ---- assumptions ----------------------------------------------------------------------------
st.subheader("Horizon and discounting")
cols = st.columns(5)
horizon = cols[0].number_input(
    "Horizon (years)", min_value=0.5, max_value=50.0, value=3.0, step=0.5, key="savings_horizon"
)
rate_pct = cols[1].number_input(
    "Discount rate (% a year)",
    min_value=0.0,
    max_value=20.0,
    value=GREEN_BOOK_RATE * 100,
    step=0.5,
    help="HM Treasury Green Book (2022): 3.5% a year",
    key="savings_discount",
)
first_years: list[FirstYear] = ["undiscounted", "discounted"]
first_year = cols[2].selectbox(
    "Year 1",
    first_years,
    help="Undiscounted: year 1 is the Green Book's year 0, factor 1/(1+r)^(t−1). "
    "Discounted: factor 1/(1+r)^t.",
    key="savings_first_year",
)
draws = cols[3].number_input(
    "Simulation draws", min_value=100, max_value=200_000, value=DEFAULT_DRAWS, step=1000,
    key="savings_draws",
)  # fmt: skip
seed = cols[4].number_input("Seed", min_value=0, value=DEFAULT_SEED, step=1, key="savings_seed")
cost_distributions: list[CostDistribution] = ["triangular", "uniform"]
cost_distribution = st.radio(
    "Unit costs with a published range are drawn from a",
    cost_distributions,
    horizontal=True,
    key="savings_cost_distribution",
)
discount_rate = rate_pct / 100
convention = (
    "year 1 undiscounted (factor 1), year 2 × 1/(1+r), …"
    if first_year == "undiscounted"
    else "year 1 × 1/(1+r), year 2 × 1/(1+r)², …"
)
st.caption(
    f"Discounting at {rate_pct:.1f}% a year: {convention}. "
    "Costs are in their price years, not inflated."
)

# ---- events avoided --------------------------------------------------------------------------
st.subheader(definition.benefit_words.capitalize())
notes: list[str] = []
if mode == FROM_COMPARISON:
    comparison, population, notes = events_from_comparison(
        _ui.panel_rows(measure, version), definition
    )
else:
    base_events, low_pct, high_pct = planning_inputs(panel, measure, unit, multiplier)

if costs is None:
    st.stop()
try:
    if mode == FROM_COMPARISON:
        settings = SavingsSettings(
            horizon, discount_rate, int(draws), int(seed), first_year, cost_distribution
        )
        estimate = savings_from(comparison, costs, settings, population=population).estimate
        events = estimate.events
    else:
        estimate = project_savings(
            base_events,
            low_pct / 100,
            high_pct / 100,
            costs,
            horizon,
            discount_rate,
            int(draws),
            int(seed),
            measure=measure,
            first_year=first_year,
            cost_distribution=cost_distribution,
        )
        events = estimate.events
except HiodError as exc:
    _ui.show_error(exc)
    st.stop()

# ---- results ---------------------------------------------------------------------------------
show_results(estimate, measure, definition.benefit_words)

# ---- return on investment --------------------------------------------------------------------
show_roi(estimate, draws, horizon)

# ---- sensitivity -----------------------------------------------------------------------------
show_sensitivity(events, costs, estimate, discount_rate, first_year, measure)

# ---- assumptions -----------------------------------------------------------------------------
show_assumptions(estimate, events, notes, measure)

# ---- claim check -----------------------------------------------------------------------------
show_claim_check(events, costs, draws, seed)
