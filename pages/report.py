"""Report: one self-contained HTML file for a funder or a board, and the same as a PDF."""

import datetime as dt
from collections.abc import Callable

import streamlit as st

from analysis.errors import HiodError
from analysis.report import SECTIONS, ReportOptions, build_report, default_measures
from analysis.report_pdf import PdfFailed, html_to_pdf
from analysis.usecases import programme_in_use
from pages import _ui


@st.cache_data(max_entries=4, show_spinner=False)
def measures_with_arms(version: tuple[int, int]) -> tuple[str, ...]:
    """Measures with intervention and comparator sites (the report's default choice)."""
    return default_measures(_ui.get_store())


@st.cache_data(max_entries=4, show_spinner=False)
def report_html(options: ReportOptions, version: tuple[int, int]) -> str:
    """The report for these choices (cached per store version)."""
    return build_report(_ui.get_store(), options)


def pdf_maker(html: str) -> Callable[[], bytes]:
    """The PDF, made only when its button is clicked (on another thread: no ``st`` here)."""

    def make() -> bytes:
        try:
            return html_to_pdf(html)
        except PdfFailed as exc:  # the download then holds the reason, as text
            return f"The PDF could not be made: {exc}".encode()

    return make


st.title("Impact report")
st.caption(
    "A report to forward: a one-page summary first (did it work, by how much, with what "
    "certainty, what it saved, the main caveat), then the programme, the effect with its "
    "checks, the savings, the inequality picture, caveats and methods, and the data's "
    "provenance at the end. Download it as one HTML file (charts inside, no request to the "
    "internet) or as a PDF."
)
version = _ui.store_version()
overview = _ui.overview(version)
if overview.empty:
    st.info("No measures loaded yet: use the Data page.")
    st.stop()
labels = dict(zip(overview["measure"], overview["label"].fillna(overview["measure"]), strict=True))
in_use = programme_in_use(_ui.get_store())
programme_measures = [m for m in (in_use.measures if in_use else ()) if m in labels]
measures = st.multiselect(
    "Measures",
    list(labels),
    default=programme_measures or list(measures_with_arms(version)),
    format_func=lambda m: f"{labels[m]} ({m})",
    key="report_measures",
    help="By default, every measure with intervention and comparator sites.",
)
st.markdown("**Sections**")
columns = st.columns(4)
sections = tuple(
    key
    for i, (key, title) in enumerate(SECTIONS.items())
    if columns[i % 4].checkbox(title, value=True, key=f"report_section_{key}")
)
left, right = st.columns(2)
title = left.text_input(
    "Title",
    value=f"{in_use.name}: impact report" if in_use else ReportOptions.title,
    key="report_title",
)
cost = right.number_input(
    "Programme cost (£, paid up front; 0 for none)",
    min_value=0.0,
    value=0.0,
    step=10_000.0,
    format="%.0f",
    key="report_programme_cost",
    help="With a cost, the savings section adds net saving, ROI and the chance of a net saving.",
)
try:
    options = ReportOptions(
        measures=tuple(measures),
        sections=sections,
        programme_cost=cost or None,
        title=title or ReportOptions.title,
    )
except HiodError as exc:
    _ui.show_error(exc)
    st.stop()
if not measures:
    st.caption(
        "No measure chosen: the report uses every measure with intervention and comparator sites."
    )

if st.button("Build report", type="primary", key="build_report"):
    st.session_state["report_options"] = options
if st.session_state.get("report_options") != options:
    st.info("Choose the measures and sections, then **Build report**.")
    st.stop()
try:
    with st.spinner("Building the report (each effect, savings and inequality estimate)…"):
        html = report_html(options, version)
except HiodError as exc:
    _ui.show_error(exc)
    st.stop()
html_col, pdf_col = st.columns(2)
html_col.download_button(
    "Download the report (HTML)",
    html,
    file_name=f"impact_report_{dt.date.today():%Y-%m-%d}.html",
    mime="text/html",
    key="dl_report",
    width="stretch",
)
pdf_col.download_button(
    "Download the report (PDF)",
    pdf_maker(html),
    file_name=f"impact_report_{dt.date.today():%Y-%m-%d}.pdf",
    mime="application/pdf",
    key="dl_report_pdf",
    on_click="ignore",
    width="stretch",
    help="Printed from the same HTML by Chromium when you click (a few seconds): page 1 is "
    "the summary, provenance is at the end.",
)
st.caption(f"{len(html.encode()) / 1024:,.0f} KB. Preview:")
st.iframe(html, height=1200)  # the report's text is escaped: no script can run
