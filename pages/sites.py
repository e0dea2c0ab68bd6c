"""Sites: the sites table, and the intervention / comparator grouping."""

import pandas as pd
import streamlit as st

from analysis.arms import grouping_changes
from analysis.defaults import bundled_grouping_in_use
from analysis.errors import HiodError, LoadRejected
from analysis.site_selection import (
    GROUP_CHOICES,
    SiteFilter,
    bulk_grouping,
    filter_sites,
    parse_codes,
    unknown_codes,
)
from analysis.usecases import save_grouping_as_programme
from pages import _ui

ELIGIBLE = "eligible comparator"
SITE_TYPE_WORDS = {
    "practice": "GP practice",
    "pcn": "PCN",
    "la": "local authority",
    "sub_icb": "sub-ICB location",
    "icb": "ICB",
    "region": "region",
    "country": "country",
    "other": "other",
}

st.title("Sites and grouping")
store = _ui.get_store()
sites = store.sites()

flash_slot = st.container()  # always there, so the elements below keep their place
if flash := st.session_state.pop("sites_flash", None):
    flash_slot.success(flash)
if bundled_grouping_in_use(store.loads()):
    st.info(
        "The bundled grouping is an **example** (programme areas chosen to show the methods, not "
        "a real programme's). Mark your own intervention sites with their start dates, then save: "
        "the grouping is kept in the database as a load (so it can be rolled back on the Data "
        "page) and can be exported and re-imported."
    )
with st.expander("Programmes: name this grouping, or start a new one", expanded=False):
    st.caption(
        "A programme is its intervention sites with their start dates and its comparators, "
        "saved under a name (as a load: in the history, rolled back like any other). Choose "
        "the programme in use in the sidebar; every page, the command line and the report "
        "then compare its sites."
    )
    name_col, save_col = st.columns([3, 1], vertical_alignment="bottom")
    programme_name = name_col.text_input(
        "Name", key="programme_name", placeholder="e.g. Bowel screening outreach 2024"
    )
    if save_col.button(
        "Save as a programme",
        key="save_programme",
        width="stretch",
        help="The intervention sites, start dates and comparators as they are now.",
    ):
        try:
            outcome = save_grouping_as_programme(store, programme_name)
            st.session_state["sites_flash"] = (
                f"Programme {outcome.file_name} saved as load #{outcome.load_id}: "
                + ("nothing changed." if outcome.status == "unchanged" else "it is now in use.")
            )
            st.rerun()
        except HiodError as exc:
            _ui.show_error(exc)
    grouped = sites[sites["group"].notna()]
    if st.button(
        f"Start a new programme: clear every group ({len(grouped):,} site(s))",
        key="clear_groups",
        disabled=grouped.empty,
        help="Every site becomes an eligible comparator (the example's too); then mark your "
        "programme's sites below. Roll it back on the Data page.",
    ):
        load_id = store.save_grouping(
            bulk_grouping(grouped, "eligible comparator"), "every group cleared"
        )
        st.cache_data.clear()
        st.session_state["sites_flash"] = f"Every group cleared as load #{load_id}."
        st.rerun()

types = sorted(sites["site_type"].dropna().unique())
programme_types = sorted(
    sites.loc[sites["group"].eq("intervention"), "site_type"].dropna().unique()
)
default_types = programme_types or [t for t in ("la",) if t in types] or types[:1]
chosen = st.multiselect(
    "Site types",
    types,
    default=default_types,
    format_func=lambda t: SITE_TYPE_WORDS.get(t, t),
    key="site_types",
)
of_type = sites[sites["site_type"].isin(chosen)]
names = dict(zip(sites["site_code"], sites["site_name"], strict=True))
parent_codes = sorted(of_type["parent_code"].dropna().unique())
left, middle, right = st.columns(3)
parents = left.multiselect(
    "Parent (e.g. PCN)",
    parent_codes,
    format_func=lambda c: f"{names.get(c, c)} ({c})",
    key="site_parents",
    disabled=not parent_codes,
    help="Only sites whose parent is one of these." if parent_codes else "No site has a parent.",
)
known_deciles = of_type["imd_decile"].dropna()
deciles = middle.slider(
    "IMD decile (1 = most deprived)",
    1,
    10,
    (1, 10),
    key="site_deciles",
    disabled=known_deciles.empty,
    help="At the full range, sites with no decile are shown too.",
)
known_population = of_type["population"].dropna()
top = int(known_population.max()) if len(known_population) else 0
population = right.slider(
    "Population (list size)",
    0,
    max(top, 1),
    (0, max(top, 1)),
    key="site_population",
    disabled=known_population.empty,
    help="At the full range, sites with no population are shown too.",
)
query = st.text_input("Filter by code or name", key="site_filter")
pasted = parse_codes(
    st.text_area(
        "Or paste a list of site codes",
        key="site_codes",
        height=80,
        placeholder="e.g. Y02747, Y00492 or one code a line",
    )
)
only_grouped = st.toggle("Only sites with a group", key="only_grouped")
view = filter_sites(
    sites,
    SiteFilter(
        types=tuple(chosen),
        parents=tuple(parents),
        deciles=None if deciles == (1, 10) else (int(deciles[0]), int(deciles[1])),
        population=None if population == (0, max(top, 1)) else population,
        codes=pasted,
        query=query,
        only_grouped=only_grouped,
    ),
)
missing = unknown_codes(sites, pasted)
if missing:
    st.warning(f"{len(missing)} pasted code(s) are not in the sites table:")
    st.text(", ".join(missing))
elif pasted and len(view) < len(pasted):
    st.caption(
        f"{len(pasted) - len(view)} pasted code(s) are sites of another type: add the type "
        "above to show them."
    )

with st.container(border=True):
    st.markdown(f"**Mark all {len(view):,} site(s) shown at once**")
    action, when, apply_col = st.columns([2, 2, 1], vertical_alignment="bottom")
    bulk_group = action.selectbox("as", GROUP_CHOICES, key="bulk_group")
    bulk_start = when.date_input(
        "programme start (intervention)",
        value=None,
        key="bulk_start",
        format="DD/MM/YYYY",
        disabled=bulk_group != "intervention",
    )
    if apply_col.button(
        f"Mark {len(view):,}", key="bulk_apply", disabled=view.empty, width="stretch"
    ):
        try:
            grouping = bulk_grouping(view, bulk_group, bulk_start)
            load_id = store.save_grouping(grouping, f"{len(view)} sites marked {bulk_group}")
            st.cache_data.clear()
            st.session_state["sites_flash"] = (
                f"{len(view):,} site(s) marked {bulk_group}: saved as load #{load_id} "
                "(roll it back on the Data page)."
            )
            st.rerun()
        except ValueError as exc:
            st.error(str(exc))
        except LoadRejected as exc:
            st.error("The grouping was not saved: " + "; ".join(str(i) for i in exc.issues))
        except HiodError as exc:
            _ui.show_error(exc)

counts = sites["group"].fillna(ELIGIBLE).value_counts()
st.caption(" · ".join(f"{k}: {v:,}" for k, v in counts.items()))

editable = view[
    [
        "site_code",
        "site_name",
        "site_type",
        "parent_code",
        "group",
        "start_date",
        "imd_decile",
        "population",
    ]
].head(2000)
shown = editable.assign(
    group=editable["group"].fillna(ELIGIBLE),
    site_type=editable["site_type"].map(lambda t: SITE_TYPE_WORDS.get(t, t)),
    parent_code=editable["parent_code"].fillna("—"),
    imd_decile=editable["imd_decile"].map(lambda d: "—" if pd.isna(d) else f"{d:.0f}"),
    population=editable["population"].map(lambda n: "—" if pd.isna(n) else f"{n:,.0f}"),
)
edited = st.data_editor(
    shown,
    hide_index=True,
    width="stretch",
    disabled=["site_code", "site_name", "site_type", "parent_code", "imd_decile", "population"],
    column_config={
        "site_code": st.column_config.TextColumn("Code"),
        "site_name": st.column_config.TextColumn("Name", width="medium"),
        "site_type": st.column_config.TextColumn("Type"),
        "parent_code": st.column_config.TextColumn("Parent", help="e.g. the PCN of a practice"),
        "group": st.column_config.SelectboxColumn(
            "Group",
            options=["intervention", "comparator", ELIGIBLE],
            required=True,
            help=f"{ELIGIBLE}: not marked, used as a comparator where it reports the measure",
        ),
        "start_date": st.column_config.DateColumn("Programme start", format="D MMM YYYY"),
        "imd_decile": st.column_config.TextColumn(
            "IMD decile", help="1 = most deprived tenth of England, 10 = least"
        ),
        "population": st.column_config.TextColumn("Population"),
    },
    key="grouping_editor",
)
if len(view) > 2000:
    st.caption(f"{len(view):,} sites match; the first 2,000 are shown. Filter to see others.")

edited = edited.assign(group=edited["group"].replace(ELIGIBLE, None))
changed = grouping_changes(editable, edited)
if st.button(f"Save grouping ({len(changed)} change(s))", type="primary", disabled=changed.empty):
    try:
        load_id = store.save_grouping(changed)
        st.cache_data.clear()
        st.session_state["sites_flash"] = f"Grouping saved as load #{load_id}."
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
