"""Savings page: the unit-cost library editor (start from stored or uploaded costs, edit, save)."""

import streamlit as st

from analysis.costs import COLUMNS as COST_COLUMNS
from analysis.costs import CostInputError, CostTable
from analysis.errors import HiodError, LoadRejected
from analysis.exports import safe_csv
from analysis.readers import ReadFailed, read_table
from analysis.usecases import load_files
from pages import _ui


def unit_cost_editor(store, measure: str) -> CostTable | None:
    """The unit costs of ``measure`` as edited on the page, or None when they cannot be used."""
    st.subheader("Unit costs")
    st.caption(
        "What one event avoided costs, item by item (£ per event × the share of events that incur "
        "it), with the price year and source. Edit, add or remove rows; validated as you type."
    )
    try:
        library = CostTable.from_frame(store.unit_costs(), file="unit costs in the database")
    except CostInputError as exc:
        st.error(f"The stored unit costs cannot be used: {exc}")
        library = CostTable(())
    own = [c for c in library if c.measure == measure]
    upload = st.file_uploader(
        "Start from a unit costs file (CSV, XLSX or Parquet)",
        type=["csv", "xlsx", "parquet"],
        key=f"costs_upload_{measure}",
    )
    base, base_token = CostTable(tuple(own)).to_frame(), "db"
    if upload is not None:
        try:
            uploaded = CostTable.from_frame(
                read_table(upload.name, upload.getvalue()).cells, file=upload.name
            )
            base = CostTable(tuple(c for c in uploaded if c.measure == measure)).to_frame()
            base_token = f"up{upload.file_id}"
            if base.empty:
                st.warning(f"{upload.name} has no rows for `{measure}`.")
        except ReadFailed as exc:
            st.error(str(exc.issue))
        except CostInputError as exc:
            st.error(str(exc))
    elif not own:
        others = [m for m in library.measures if m != measure]
        st.info(
            f"No unit costs are stored for `{measure}`: add rows below, or start from another's."
        )
        source = st.selectbox(
            "Start from the costs of", ["(empty table)", *others], key=f"costs_from_{measure}"
        )
        if source != "(empty table)":
            base = library.for_measure(source).to_frame().assign(measure=measure)
            base_token = f"from_{source}"
    edited = st.data_editor(
        base.reindex(columns=list(COST_COLUMNS)),
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        disabled=["measure"],
        column_config={
            "measure": st.column_config.TextColumn("measure", help="the measure selected above"),
            "item": st.column_config.TextColumn("item", required=True),
            "cost_gbp": st.column_config.NumberColumn("£ per event", min_value=0, format="£%,.0f"),
            "share": st.column_config.NumberColumn(
                "share", min_value=0.0, max_value=1.0, help="fraction of events that incur the item"
            ),
            "price_year": st.column_config.NumberColumn(
                "price year", format="%d", help="2022 means 2022/23 prices"
            ),
            "source": st.column_config.TextColumn("source", width="large"),
            "cost_low": st.column_config.NumberColumn("low £", min_value=0, format="£%,.0f"),
            "cost_high": st.column_config.NumberColumn("high £", min_value=0, format="£%,.0f"),
        },
        key=f"costs_editor_{measure}_{base_token}",
    )
    costs = None
    try:
        costs = CostTable.from_frame(edited.assign(measure=measure), file="unit cost table")
        if not len(costs):
            st.warning("Add at least one cost item to value the events avoided.")
            costs = None
    except CostInputError as exc:
        st.error(f"Check the unit cost table: {exc}")
    if costs is not None:
        csv = costs.to_frame().to_csv(index=False)
        left, right = st.columns(2)
        changed = not costs.to_frame().equals(CostTable(tuple(own)).to_frame())
        if left.button(
            "Save these unit costs to the database", disabled=not changed, key="save_costs"
        ):
            try:
                outcome = load_files(store, [("unit_costs_edited.csv", csv.encode())]).outcomes[0]
                st.cache_data.clear()
                st.success(f"Unit costs saved as load #{outcome.load_id} ({outcome.status}).")
            except LoadRejected as exc:
                st.error("Not saved:\n\n" + "\n".join(f"- {i}" for i in exc.issues))
            except HiodError as exc:
                _ui.show_error(exc)
        right.download_button(
            "Download these unit costs (CSV)",
            safe_csv(costs.to_frame()),
            file_name=f"unit_costs_{measure}.csv",
            mime="text/csv",
            key="dl_costs",
        )
        st.caption(
            "Saving adds a load (roll it back on the Data page). A saved row replaces the stored "
            "row with the same item; a row removed here stays stored, so set its share to 0 to "
            "drop it."
        )
    return costs
