"""UI helpers shared by the pages: the store, cached queries, the sidebar.

Caching stays at this edge (Streamlit guidance): the store is a
``cache_resource`` (one connection per server process); query results are
``cache_data`` keyed by the store's version, so a load or roll-back shows at
once. Pages call these and :mod:`analysis`; they hold no SQL or statistics.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from analysis.arms import build_panel
from analysis.charts import AnyChart
from analysis.disclosure import DisclosureRule
from analysis.errors import HiodError
from analysis.exports import ATTRIBUTION as ATTRIBUTION
from analysis.exports import Footer, chart_png, chart_svg, table_csv
from analysis.measure_definition import MeasureDefinition
from analysis.programmes import matching_programme
from analysis.store import Store
from analysis.usecases import (
    POLARITY_WORDS,
    definitions_from_overview,
    definitions_table,
    save_definitions,
    saved_programmes,
    use_programme,
)

# Streamlit (1.67) treats a ``pages/`` folder beside the entry script as a legacy
# multipage app on the first script run of a fresh server, until ``st.navigation``
# is called: a first visit straight to a page would run that page without
# ``app.py`` (no set-up, no navigation). This module is imported by ``app.py`` and
# every page, once per process, so on that first run switch legacy mode off and
# rerun, which goes through ``app.py`` and ``st.navigation``.
if PagesManager.uses_pages_directory:
    PagesManager.uses_pages_directory = False
    st.rerun()


@st.cache_resource(show_spinner=False)
def get_store() -> Store:
    """The process's one store (DuckDB allows one process per file), locked down.

    No query of the server's connection can read or write a file or change a
    setting (:meth:`analysis.store.Store.lock_down`): uploads reach the store as
    data frames, never as paths.
    """
    store = Store()
    store.lock_down()
    return store


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


def measure_definition(measure: str) -> MeasureDefinition:
    """A measure's typed definition (decoded once, in :mod:`analysis.measure_definition`)."""
    return definitions_from_overview(overview(store_version()))[measure]


def ask_polarity(definition: MeasureDefinition) -> MeasureDefinition | None:
    """The definition with a polarity: as stored, or asked of the user and optionally saved.

    A measure loaded without ``higher_is_better`` gets no "better/worse" and no
    "events avoided" until the user says which way is good. Returns None while
    unanswered.
    """
    if definition.higher_is_better is not None:
        return definition
    st.warning(
        f"**{definition.label}** has no stated polarity. Say whether higher is better before "
        "events avoided or better/worse are shown."
    )
    left, right = st.columns([2, 1])
    answer = left.radio(
        "For this measure",
        ["Lower is better", "Higher is better"],
        index=None,
        horizontal=True,
        key=f"polarity_{definition.measure}",
    )
    if answer is None:
        return None
    chosen = replace(definition, higher_is_better=answer == "Higher is better")
    if right.button(
        "Save it as the measure's definition", key=f"save_polarity_{definition.measure}"
    ):
        row = definitions_table(overview(store_version()))
        row = row[row["measure"] == definition.measure].assign(
            polarity=POLARITY_WORDS[answer == "Higher is better"]
        )
        load_id = save_definitions(get_store(), row, f"polarity of {definition.measure}")
        st.cache_data.clear()
        st.success(f"Saved as load #{load_id} (roll it back on the Data page).")
    return chosen


def measure_picker(key: str = "measure") -> str | None:
    """Sidebar measure selector shared across pages (kept in session state)."""
    table = overview(store_version())
    if table.empty:
        st.sidebar.info("No measures loaded yet: use the Data page.")
        st.info("No measures are loaded yet: load your files on the **Data** page.")
        return None
    labels = dict(zip(table["measure"], table["label"].fillna(table["measure"]), strict=True))
    options = list(labels)
    current = st.session_state.get(key, "falls_admissions_65plus")
    index = options.index(current) if current in options else 0
    chosen = st.sidebar.selectbox(
        "Measure",
        options,
        index=index,
        key=key,
        format_func=lambda m: f"{labels[m]} ({m})",
        help="Each measure's name and its id (two measures can share a name); the one chosen "
        "is written out in full below.",
    )
    if chosen is not None:
        # a selectbox cuts a long name to its width: the whole name, as text, under it
        st.sidebar.text(f"{labels[chosen]} ({chosen})")
    return chosen


NO_PROGRAMME = "(the grouping set on Sites)"


def _apply_programme() -> None:
    """The programme picker's ``on_change``: make the chosen programme the saved grouping."""
    name = st.session_state.get("programme_choice")
    if not name or name == NO_PROGRAMME:
        return
    try:
        load_id = use_programme(get_store(), str(name))
    except HiodError as exc:
        st.session_state["programme_flash"] = ("error", str(exc))
        return
    st.cache_data.clear()
    if load_id is not None:
        st.session_state["programme_flash"] = (
            "success",
            f"Programme in use: {name} (its grouping saved as load #{load_id}; roll it back "
            "on the Data page to return to the grouping before it).",
        )


def programme_picker() -> None:
    """Sidebar: which saved programme every page compares (shown only when one is saved)."""
    store = get_store()
    programmes = saved_programmes(store)
    if not programmes:
        return
    current = matching_programme([p for p, _ in programmes], store.sites())
    options = [p.name for p, _ in programmes]
    if current is None:
        options.insert(0, NO_PROGRAMME)
    st.session_state["programme_choice"] = current.name if current else NO_PROGRAMME
    st.sidebar.selectbox(
        "Programme",
        options,
        key="programme_choice",
        on_change=_apply_programme,
        help="Choosing a programme makes its sites, start dates and comparators the saved "
        "grouping that every page, the command line and the report use.",
    )
    if current is not None:
        st.sidebar.caption(current.describe())
    flash = st.session_state.pop("programme_flash", None)
    if flash is not None:
        kind, text = flash
        (st.sidebar.error if kind == "error" else st.sidebar.success)(text)


STATUS_COLOURS = {"green": "green", "amber": "orange", "red": "red", "grey": "gray"}


def badge(status: str, text: str) -> str:
    """Markdown for a coloured badge (Streamlit's built-in, no emoji font needed)."""
    return f":{STATUS_COLOURS.get(status, 'gray')}-badge[{text}]"


MARKDOWN_CHARACTERS = "\\`*_{}[]()#+-.!|<>~$:"
"""What Streamlit's markdown would read as formatting, links, images, HTML or LaTeX."""


def plain(text: str) -> str:
    """``text`` for a markdown element, shown exactly as written (every metacharacter escaped).

    For every string that carries user text (site names, measure labels, file
    names, sentences built from them): Streamlit renders captions, alerts and
    markdown as CommonMark, so ``![x](http://…)`` would make the browser fetch an
    image and ``[a](javascript:…)`` draw a link. A backslash before each
    character in :data:`MARKDOWN_CHARACTERS` makes it literal (CommonMark's
    backslash escapes); ``:`` too, so that ``javascript:`` and ``:emoji:``
    shortcodes stay text.
    """
    return "".join("\\" + c if c in MARKDOWN_CHARACTERS else c for c in str(text))


def show_error(exc: HiodError) -> None:
    """A user-caused error as a message, never a traceback."""
    st.error(str(exc))


def export_footer() -> Footer:
    """The footer line for this run's exports (says whether counts are rounded)."""
    return Footer(rounded_to=disclosure_rule().round_to)


def download_csv(
    frame: pd.DataFrame, name: str, label: str = "Download CSV", key: str | None = None
) -> None:
    """A CSV download button: the table as shown, with the source and date in a footer line."""
    st.download_button(
        label,
        table_csv(frame, export_footer()),
        file_name=name,
        mime="text/csv",
        key=key or f"dl_{name}",
        on_click="ignore",
    )


EXPORT_WIDTH = 800
"""Pixel width of exported charts drawn at the container's width on screen."""


def export_sized(chart: AnyChart, width: int = EXPORT_WIDTH) -> AnyChart:
    """The chart with a fixed width where it has none (or ``container``), for rendering offline.

    Only single and layered charts take a width; concatenated and faceted ones keep theirs.
    """
    if not isinstance(chart, alt.Chart | alt.LayerChart):
        return chart
    if chart.width is alt.Undefined or chart.width == "container":
        return chart.properties(width=width)
    return chart


def _deferred(
    render: Callable[[AnyChart, Footer], str | bytes],
    chart: AnyChart,
    footer: Footer,
) -> Callable[[], str | bytes]:
    """A no-argument callable that renders ``chart`` only when its download is clicked.

    Streamlit runs it on another thread, outside the script run: it must not use ``st``.
    """
    sized = export_sized(chart)
    return lambda: render(sized, footer)


CHART_FORMATS = (
    (chart_png, "png", "image/png", "a PNG image"),
    (chart_svg, "svg", "image/svg+xml", "an SVG image"),
)


def show_chart(chart: AnyChart, name: str, key: str | None = None, **kwargs: Any) -> Any:
    """Draw ``chart`` (``st.altair_chart(chart, **kwargs)``) with PNG and SVG downloads under it.

    ``name`` is the downloaded file's name without extension. ``key``, when given, is the
    chart's own key (for its selection state) and prefixes the buttons' keys; otherwise the
    buttons are keyed by ``name``, which must then be unique on the page. The files are
    rendered offline by :mod:`analysis.exports` when a button is clicked, not on every run,
    and carry the footer line (source, date, disclosure rule). Returns what
    ``st.altair_chart`` returns (the selection state when ``on_select`` is set).

    Selections are activated only when the chart defines them: ``on_select`` on a chart
    with no selection parameter (e.g. a map with nothing to click) draws it without
    selections and returns an empty selection state, and a ``selection_mode`` keeps only
    the names the chart has (Streamlit raises on either otherwise).
    """
    from streamlit.typing import VegaLiteState

    from analysis.charts_map import selection_names

    dropped = False
    if kwargs.get("on_select", "ignore") != "ignore":
        names = selection_names(chart)
        wanted = kwargs.get("selection_mode")
        if wanted is not None:
            wanted = [wanted] if isinstance(wanted, str) else list(wanted)
            names = names.intersection(wanted)
            kwargs["selection_mode"] = [m for m in wanted if m in names]
        if not names:
            kwargs.pop("on_select")
            kwargs.pop("selection_mode", None)
            dropped = True
    shown = st.altair_chart(chart, key=key, **kwargs)
    if dropped:
        shown = VegaLiteState({"selection": {}})
    footer = export_footer()
    key = key or name
    with st.container(horizontal=True, gap="small"):
        for render, extension, mime, kind in CHART_FORMATS:
            st.download_button(
                extension.upper(),
                _deferred(render, chart, footer),
                file_name=f"{name}.{extension}",
                mime=mime,
                key=f"{extension}_{key}",
                on_click="ignore",
                icon=":material/download:",
                help=f"Download the chart as {kind} (with its source line)",
            )
    return shown
