"""Health inequalities outcomes dashboard: the entry point and router.

``streamlit run app.py`` opens the dashboard on the database at ``$HIOD_DB``
(default ``data/hiod.duckdb``), loading the bundled default data on first start.
"""

from __future__ import annotations

import streamlit as st

from analysis.defaults import load_defaults
from analysis.errors import HiodError
from pages._map_state import show_selection_in_sidebar
from pages._ui import get_store, programme_picker

st.set_page_config(page_title="Health inequalities outcomes", page_icon="📊", layout="wide")

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
# the navigation first, so that the sidebar lists the pages, never the modules of pages/
navigation = st.navigation(pages)

store = get_store()
if store.is_empty():
    st.title("Health inequalities outcomes")
    bar = st.progress(0.0, text="First start: loading the bundled public data…")

    def report(fraction: float, message: str) -> None:
        """Move the bar (the loader's ``progress`` callback; its file names are not shown)."""
        bar.progress(
            min(fraction, 1.0),
            text=f"First start: loading the bundled public data ({min(fraction, 1.0):.0%})…",
        )

    try:
        load_defaults(store, progress=report)
    except HiodError as exc:
        bar.empty()
        st.error(f"The bundled data could not be loaded: {exc}")
        st.stop()
    st.cache_data.clear()
    st.rerun()  # start again with the data in place (and the page the visitor asked for)
st.sidebar.toggle(
    "Round counts to the nearest 5",
    key="round_to_5",
    help="Counts of 1–7 are always suppressed (shown as *); this also rounds other counts.",
)
programme_picker()
show_selection_in_sidebar()
navigation.run()
