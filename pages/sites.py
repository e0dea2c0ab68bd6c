"""Sites: the sites table, and the intervention / comparator grouping."""

import streamlit as st

from analysis.arms import grouping_changes
from analysis.errors import HiodError, LoadRejected
from pages import _ui

st.title("Sites and grouping")
store = _ui.get_store()
sites = store.sites()

st.info(
    "The bundled grouping is an **example** (programme areas from ORIGINS.md). Mark your own "
    "intervention sites with their start dates, then save: the grouping is kept in the database "
    "as a load (so it can be rolled back on the Data page) and can be exported and re-imported."
)
types = sorted(sites["site_type"].dropna().unique())
default_types = [t for t in ("la",) if t in types] or types[:1]
chosen = st.multiselect("Site types", types, default=default_types, key="site_types")
query = st.text_input("Filter by code or name", key="site_filter")
view = sites[sites["site_type"].isin(chosen)]
if query:
    match = view["site_code"].str.contains(query, case=False) | view["site_name"].str.contains(
        query, case=False, na=False
    )
    view = view[match]
only_grouped = st.toggle("Only sites with a group", key="only_grouped")
if only_grouped:
    view = view[view["group"].notna()]

counts = sites["group"].fillna("(eligible comparator)").value_counts()
st.caption(" · ".join(f"{k}: {v:,}" for k, v in counts.items()))

editable = view[
    ["site_code", "site_name", "site_type", "group", "start_date", "imd_decile", "population"]
].head(2000)
edited = st.data_editor(
    editable,
    hide_index=True,
    width="stretch",
    disabled=["site_code", "site_name", "site_type", "imd_decile", "population"],
    column_config={
        "group": st.column_config.SelectboxColumn(
            "group", options=["intervention", "comparator"], help="empty = eligible comparator"
        ),
        "start_date": st.column_config.DateColumn("start_date", format="YYYY-MM-DD"),
    },
    key="grouping_editor",
)
if len(view) > 2000:
    st.caption(f"{len(view):,} sites match; the first 2,000 are shown. Filter to see others.")

changed = grouping_changes(editable, edited)
if st.button(f"Save grouping ({len(changed)} change(s))", type="primary", disabled=changed.empty):
    try:
        load_id = store.save_grouping(changed)
        st.cache_data.clear()
        st.success(f"Grouping saved as load #{load_id}.")
        st.rerun()
    except LoadRejected as exc:
        st.error("The grouping was not saved:\n\n" + "\n".join(f"- {i}" for i in exc.issues))
    except HiodError as exc:
        _ui.show_error(exc)

st.subheader("Export or import a grouping")
grouping = sites.loc[sites["group"].notna(), ["site_code", "site_name", "group", "start_date"]]
_ui.download_csv(grouping, "grouping.csv", "Download the current grouping", key="dl_grouping")
st.caption("To import, upload a file with columns site_code, group, start_date on the Data page.")
st.subheader("All sites")
_ui.download_csv(sites, "sites.csv", "Download all sites", key="dl_sites")
