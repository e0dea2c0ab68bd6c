"""Savings page: return on investment against a programme cost (net saving, ROI, payback)."""

import streamlit as st

from analysis.roi import return_on_investment
from analysis.savings import SavingsEstimate
from analysis.savings_numbers import format_gbp
from pages._savings_figures import events_text, figure, interval_text, percent_text, ratio_text


def payback_text(x: float, horizon: float) -> str:
    """Years to one decimal, or '> horizon' when the cost is not repaid within it."""
    return f"> {horizon:g} years" if x == float("inf") else f"{x:.1f} years"


def show_roi(estimate: SavingsEstimate, draws: int, horizon: float) -> None:
    """Net saving, ROI, benefit–cost ratio, payback and break-even for the programme cost."""
    st.subheader("Return on investment")
    programme_cost = st.number_input(
        "Programme cost (£, paid up front)",
        min_value=0.0,
        value=0.0,
        step=10_000.0,
        key="savings_programme_cost",
    )
    if programme_cost > 0:
        roi = return_on_investment(estimate, programme_cost)
        cols = st.columns(3)
        figure(cols[0], "Net saving", roi.net_saving_gbp, roi.net_saving_gbp_ci, format_gbp)
        figure(cols[1], "Return on investment", roi.roi, roi.roi_ci, percent_text)
        figure(
            cols[2], "Benefit–cost ratio", roi.benefit_cost_ratio, roi.benefit_cost_ratio_ci,
            ratio_text,
        )  # fmt: skip
        cols = st.columns(3)
        figure(
            cols[0],
            "Payback",
            roi.payback_years,
            roi.payback_years_ci,
            lambda x: payback_text(x, horizon),
        )
        figure(
            cols[1],
            "Break-even events avoided",
            roi.break_even_events,
            roi.break_even_events_ci,
            events_text,
        )
        cols[2].metric(
            "Probability of a net saving",
            percent_text(roi.probability_net_saving),
            help="Share of the simulation draws in which costs avoided exceed the programme cost",
        )
        cols[2].caption(f"share of {int(draws):,} draws; it already carries the uncertainty")
        if roi.break_even_effect is not None:
            be_unit = roi.break_even_effect_unit
            low, high = roi.break_even_effect_ci
            ends = (
                f" ({interval_text(low, high, lambda x: f'{x:,.3g}')})"
                if low is not None and high is not None
                else ""
            )
            st.markdown(
                f"**Break-even effect**: {roi.break_even_effect:,.3g} ({be_unit}){ends}. "
                + (
                    "A rate ratio below this (more events avoided) pays for the programme."
                    if be_unit == "rate ratio"
                    else "An effect larger than this pays for the programme."
                )
            )
        st.caption(
            "Net saving = present value of costs avoided − programme cost; ROI = net saving ÷ "
            "cost; benefit–cost ratio = costs avoided ÷ cost (Drummond et al. 2015). Intervals "
            "from the same simulation draws."
        )
    else:
        st.caption("Enter the programme cost to see net saving, ROI, payback and break-even.")
