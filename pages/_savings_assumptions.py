"""Savings page: every assumption behind the figures, with the unit costs used."""

from dataclasses import fields

import pandas as pd
import streamlit as st

from analysis.costs import CostTable
from analysis.events_avoided import EventsAvoided
from analysis.savings import SavingsEstimate
from pages import _ui


def show_assumptions(
    estimate: SavingsEstimate, events: EventsAvoided, notes: list[str], measure: str
) -> None:
    """The assumptions as sentences and a table (downloadable), and the unit costs used."""
    with st.expander("Every assumption behind these figures"):
        for line in (*estimate.assumptions.lines(), *notes):
            st.markdown(f"- {line}")
        st.markdown(
            "- Costs avoided are not cash released: fewer admissions free beds and staff time for "
            "other patients unless capacity is taken out."
        )
        a = estimate.assumptions
        rows = [
            {"assumption": f.name, "value": str(getattr(a, f.name))}
            for f in fields(a)
            if f.name != "costs"
        ]
        rows += [
            {"assumption": f"events.{f.name}", "value": str(getattr(events, f.name))}
            for f in fields(events)
        ]
        assumptions = pd.DataFrame(rows)
        st.dataframe(assumptions, hide_index=True, width="stretch")
        _ui.download_csv(assumptions, f"savings_assumptions_{measure}.csv", key="dl_assumptions")
        st.markdown("**Unit costs used**")
        unit_costs = CostTable(a.costs).to_frame()
        st.dataframe(unit_costs, hide_index=True, width="stretch")
        _ui.download_csv(unit_costs, "unit_costs_used.csv", key="dl_unit_costs_used")
