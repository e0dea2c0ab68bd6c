"""Savings page: check a headline claim against the data and the unit costs."""

import streamlit as st

from analysis.claims import SEED_CLAIM, check_claim
from analysis.costs import CostTable
from analysis.errors import HiodError
from analysis.events_avoided import EventsAvoided
from pages import _ui


def show_claim_check(events: EventsAvoided, costs: CostTable, draws: int, seed: int) -> None:
    """The claim's implied £ per event beside what the data and unit costs support."""
    st.subheader("Check a claim")
    st.caption(
        "A headline claim set beside what the loaded data and the unit costs above support "
        "(undiscounted, over the claim's years, as headline claims are)."
    )
    # the example claim is about falls: other measures start with an empty box
    measure = str(st.session_state.get("measure", ""))
    claim_text = st.text_area(
        "Claim",
        value=SEED_CLAIM if measure.startswith("falls_") else "",
        key=f"savings_claim_{measure}",
        placeholder="e.g. 120 fewer admissions over two years, saving £300k hospital costs",
    )
    if not claim_text.strip():
        st.caption("Paste a claim (events over years and the £ it says were saved) to check it.")
        return
    try:
        check = check_claim(claim_text, events, costs, draws=int(draws), seed=int(seed))
    except HiodError as exc:
        _ui.show_error(exc)
    else:
        implied = check.items_frame()
        st.dataframe(
            implied,
            hide_index=True,
            width="stretch",
            column_config={
                "claimed_gbp": st.column_config.NumberColumn("claimed (£)", format="%,.0f"),
                "implied_cost_per_event": st.column_config.NumberColumn(
                    "implied £ per event", format="£%,.0f"
                ),
                "matched_item": st.column_config.TextColumn("table item"),
                "table_cost_per_event": st.column_config.NumberColumn(
                    "table £ per event", format="£%,.0f"
                ),
                "supported_gbp": st.column_config.NumberColumn("supported (£)", format="%,.0f"),
                "lower_ci": st.column_config.NumberColumn("lower (£)", format="%,.0f"),
                "upper_ci": st.column_config.NumberColumn("upper (£)", format="%,.0f"),
                "inside": st.column_config.CheckboxColumn("claim inside interval"),
            },
        )
        _ui.download_csv(implied, "claim_check.csv", key="dl_claim_check")
        st.markdown("**What the data say**")
        for line in check.findings:
            st.markdown(f"- {line}")
        st.markdown("**What the claim needs to be true**")
        for line in check.assumptions:
            st.markdown(f"- {line}")
