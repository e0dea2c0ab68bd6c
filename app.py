"""Health inequalities outcomes dashboard: the entry point and router.

``streamlit run app.py`` opens the dashboard on the database at ``$HIOD_DB``
(default ``data/hiod.duckdb``), loading the bundled default data on first start.
"""

from __future__ import annotations

import streamlit as st

from analysis.defaults import load_defaults
from analysis.errors import HiodError
from pages._map_state import show_selection_in_sidebar
from pages._ui import get_store

st.set_page_config(page_title="Health inequalities outcomes", page_icon="📊", layout="wide")

store = get_store()
if store.is_empty():
    bar = st.progress(0.0, text="First start: loading the bundled public data…")

    def report(fraction: float, message: str) -> None:
        """Move the bar (the loader's ``progress`` callback)."""
        bar.progress(min(fraction, 1.0), text=message)

    try:
        load_defaults(store, progress=report)
    except HiodError as exc:
        st.error(f"The bundled data could not be loaded: {exc}")
    bar.empty()
    st.cache_data.clear()

pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/home:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
    st.Page("pages/sites.py", title="Sites", icon=":material/location_on:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("pages/savings.py", title="Savings", icon=":material/savings:"),
    st.Page("pages/areas.py", title="Compare areas", icon=":material/bar_chart:"),
    st.Page("pages/map.py", title="Map", icon=":material/map:"),
    st.Page("pages/funnel.py", title="Funnel plot", icon=":material/filter_alt:"),
    st.Page("pages/spc.py", title="SPC", icon=":material/monitoring:"),
    st.Page("pages/inequalities.py", title="Inequalities", icon=":material/stacked_bar_chart:"),
    st.Page("pages/report.py", title="Report", icon=":material/description:"),
    st.Page("pages/about.py", title="About", icon=":material/info:"),
]
st.sidebar.toggle(
    "Round counts to the nearest 5",
    key="round_to_5",
    help="Counts of 1–7 are always suppressed (shown as *); this also rounds other counts.",
)
show_selection_in_sidebar()
st.navigation(pages).run()
