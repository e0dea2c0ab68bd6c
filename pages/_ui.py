"""UI helpers shared by the pages: the store, cached queries, the sidebar.

Caching stays at this edge (Streamlit guidance): the store is a
``cache_resource`` (one connection per server process); query results are
``cache_data`` keyed by the store's version, so a load or roll-back shows at
once. Pages call these and :mod:`analysis`; they hold no SQL or statistics.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from analysis.arms import build_panel
from analysis.disclosure import DisclosureRule
from analysis.errors import HiodError
from analysis.store import Store

# Streamlit (1.67) treats a ``pages/`` folder beside the entry script as a legacy
# multipage app on the first script run of a fresh server, until ``st.navigation``
# is called: a first visit straight to a page would run that page without
# ``app.py`` (no set-up, no navigation). This module is imported by ``app.py`` and
# every page, once per process, so on that first run switch legacy mode off and
# rerun, which goes through ``app.py`` and ``st.navigation``.
if PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False
    st.rerun()

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(OHID Fingertips; NHS England; MHCLG; ONS). Boundaries contain OS data © Crown copyright "
    "and database right."
)


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    """The process's one store (DuckDB allows one process per file)."""
    return Store()


def store_version() -> tuple[int, int]:
    """Changes whenever a load is made or rolled back: the cache key for queries."""
    loads = get_store().loads()
    return int(loads["load_id"].max() if len(loads) else 0), int(
        (loads["status"] != "active").sum()
    )


def disclosure_rule() -> DisclosureRule:
    """The sidebar's disclosure setting (suppression always on; rounding optional)."""
    return DisclosureRule(round_to=5 if st.session_state.get("round_to_5") else None)


@st.cache_data(max_entries=64, show_spinner=False)
def measure_rows(measure: str, version: tuple[int, int], round_to: int | None) -> pd.DataFrame:
    """A measure's current rows, small counts suppressed (cached per store version)."""
    return get_store().measure_rows(measure, DisclosureRule(round_to=round_to))


@st.cache_data(max_entries=16, show_spinner=False)
def panel_rows(measure: str, version: tuple[int, int]) -> pd.DataFrame:
    """A measure's unsuppressed rows with site details (estimators only publish aggregates)."""
    return get_store().panel_rows(measure)


@st.cache_data(max_entries=32, show_spinner=False)
def panel(measure: str, version: tuple[int, int]) -> pd.DataFrame:
    """The estimator panel for a measure, under the saved grouping."""
    return build_panel(panel_rows(measure, version))


@st.cache_data(max_entries=8, show_spinner=False)
def overview(version: tuple[int, int]) -> pd.DataFrame:
    """One row per measure with its definition."""
    return get_store().measures_overview()


def definition(measure: str) -> dict:
    """A measure's overview row as a dict (label, kind, multiplier, polarity…)."""
    table = overview(store_version())
    return table.set_index("measure").loc[measure].to_dict()


def measure_picker(key: str = "measure") -> str | None:
    """Sidebar measure selector shared across pages (kept in session state)."""
    table = overview(store_version())
    if table.empty:
        st.sidebar.info("No measures loaded yet: use the Data page.")
        return None
    labels = dict(zip(table["measure"], table["label"].fillna(table["measure"]), strict=True))
    options = list(labels)
    current = st.session_state.get(key, "falls_admissions_65plus")
    index = options.index(current) if current in options else 0
    return st.sidebar.selectbox(
        "Measure", options, index=index, key=key, format_func=lambda m: f"{labels[m]} ({m})"
    )


STATUS_COLOURS = {"green": "green", "amber": "orange", "red": "red", "grey": "gray"}


def badge(status: str, text: str) -> str:
    """Markdown for a coloured badge (Streamlit's built-in, no emoji font needed)."""
    return f":{STATUS_COLOURS.get(status, 'gray')}-badge[{text}]"


def show_error(exc: HiodError) -> None:
    """A user-caused error as a message, never a traceback."""
    st.error(str(exc))


def download_csv(
    frame: pd.DataFrame, name: str, label: str = "Download CSV", key: str | None = None
):
    """A CSV download button with the source line in a footer row."""
    data = (
        frame.to_csv(index=False)
        + f"\n# Source: health inequalities outcomes dashboard. {ATTRIBUTION}\n"
    )
    st.download_button(label, data, file_name=name, mime="text/csv", key=key or f"dl_{name}")
