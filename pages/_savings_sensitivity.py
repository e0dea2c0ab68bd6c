"""Savings page: one-way sensitivity (tornado) of total costs avoided."""

import streamlit as st

from analysis import charts_savings
from analysis.costs import CostTable
from analysis.discounting import FirstYear
from analysis.events_avoided import EventsAvoided
from analysis.roi import sensitivity_table
from analysis.savings import SavingsEstimate
from pages import _ui

TORNADO_DISCOUNT_RANGE = (0.015, 0.06)


def show_sensitivity(
    events: EventsAvoided,
    costs: CostTable,
    estimate: SavingsEstimate,
    discount_rate: float,
    first_year: FirstYear,
    measure: str,
) -> None:
    """Which assumption matters most: each input moved alone to the ends of its range."""
    st.subheader("Which assumption matters most?")
    tornado = sensitivity_table(
        events,
        costs,
        estimate.assumptions.horizon_years,
        discount_rate,
        first_year=first_year,
        discount_range=TORNADO_DISCOUNT_RANGE,
    )
    _ui.show_chart(
        charts_savings.tornado(tornado, "One-way sensitivity: total costs avoided"),
        f"savings_sensitivity_{measure}",
        width="stretch",
    )
    st.caption(
        "Each input moved alone to the ends of its interval or published range, the rest held at "
        "their central values; discount rate 1.5% (Green Book rate for health effects) to 6%. "
        "Items without a published range show no swing: add low/high in the unit cost table."
    )
