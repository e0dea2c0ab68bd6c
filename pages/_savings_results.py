"""Savings page: the headline figures, and costs avoided by item and by year."""

import streamlit as st

from analysis import charts_savings
from analysis.savings import SavingsEstimate
from analysis.savings_numbers import format_gbp
from pages import _ui
from pages._savings_figures import events_text, figure


def show_results(estimate: SavingsEstimate, measure: str, words: str = "events avoided") -> None:
    """Events avoided (or ``words``), costs avoided and per event, by item and year."""
    kind = "Projected" if estimate.kind == "projection" else "Estimated"
    st.subheader(f"{kind} costs avoided over {estimate.assumptions.horizon_years:g} years")
    cols = st.columns(3)
    figure(
        cols[0],
        f"{words.capitalize()} over {estimate.assumptions.horizon_years:g} years",
        estimate.events_avoided,
        estimate.events_avoided_ci,
        events_text,
    )
    figure(
        cols[1],
        "Costs avoided (present value)",
        estimate.savings_gbp,
        estimate.savings_gbp_ci,
        format_gbp,
        help="Σ items Σ years: events a year × £ per event × share × discount factor",
    )
    figure(
        cols[2],
        "Per event avoided (present value)",
        estimate.saving_per_event_gbp,
        estimate.saving_per_event_gbp_ci,
        format_gbp,
        help="Present value of one event avoided a year over the horizon; the interval comes from "
        "the unit cost ranges (none given: no width)",
    )
    if estimate.savings_gbp_ci[0] < 0:
        st.warning(
            "The interval includes a cost rather than a saving: the data do not rule out that "
            "events rose. Do not quote the central figure on its own."
        )
    by_item = estimate.by_item_frame()
    left, right = st.columns(2)
    with left:
        _ui.show_chart(
            charts_savings.savings_by_item(by_item, "Costs avoided by item"),
            f"savings_by_item_{measure}",
            width="stretch",
        )
        st.dataframe(
            by_item[["item", "value", "lower_ci", "upper_ci"]],
            hide_index=True,
            width="stretch",
            column_config={
                "value": st.column_config.NumberColumn("costs avoided (£)", format="%,.0f"),
                "lower_ci": st.column_config.NumberColumn("lower (£)", format="%,.0f"),
                "upper_ci": st.column_config.NumberColumn("upper (£)", format="%,.0f"),
            },
        )
        _ui.download_csv(by_item, f"savings_by_item_{measure}.csv", key="dl_savings_by_item")
    with right:
        _ui.show_chart(
            charts_savings.savings_fan(
                estimate.cumulative_frame(),
                st.session_state.get("savings_programme_cost") or None,
                "Cumulative costs avoided (50%, 80%, 95% intervals)",
            ),
            f"savings_cumulative_{measure}",
            width="stretch",
        )
        by_year = estimate.by_year_frame()
        st.dataframe(
            by_year[["year", "discount_factor", "value", "lower_ci", "upper_ci"]],
            hide_index=True,
            width="stretch",
            column_config={
                "discount_factor": st.column_config.NumberColumn("discount factor", format="%.4f"),
                "value": st.column_config.NumberColumn("discounted (£)", format="%,.0f"),
                "lower_ci": st.column_config.NumberColumn("lower (£)", format="%,.0f"),
                "upper_ci": st.column_config.NumberColumn("upper (£)", format="%,.0f"),
            },
        )
        _ui.download_csv(by_year, f"savings_by_year_{measure}.csv", key="dl_savings_by_year")
