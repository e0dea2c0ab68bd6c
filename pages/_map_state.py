"""Cached inputs for the Map page, and the map selection shared with the other pages.

Caching stays at this UI edge (as :mod:`pages._ui`), keyed by the store version. The
selected site lives in ``st.session_state["selected_site"]`` (a site code), set by a
click on the map, shown in the sidebar on every page (``app.py``), and taken up as the
default by pages that show one site (:func:`adopt_selection`).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analysis import charts_map
from analysis.area_benchmarks import BenchmarkKind
from analysis.areas import compare_areas
from analysis.disclosure import DisclosureRule
from analysis.errors import HiodError
from analysis.geo import BoundaryLayer, bundled_layers
from analysis.geo_join import (
    AREA_TYPES,
    MapData,
    area_values,
    map_data,
    no_map_reason,
    site_points,
)
from analysis.site_levels import (
    Level,
    default_level,
    level_rows,
    periods,
    site_levels,
    type_phrase,
)
from pages import _ui, _views

SELECTED_KEY = "selected_site"


@st.cache_data(max_entries=4, show_spinner=False)
def user_layers(version: tuple[int, int]) -> tuple[BoundaryLayer, ...]:
    """The boundary layers the user loaded (``Store.boundary_layers``, when the store has it)."""
    own = getattr(_ui.get_store(), "boundary_layers", None)
    return tuple(own()) if callable(own) else ()


def layers(version: tuple[int, int]) -> tuple[BoundaryLayer, ...]:
    """Every layer a measure can be matched to: the bundled ones, then the user's."""
    return (*bundled_layers(), *user_layers(version))


@st.cache_data(max_entries=16, show_spinner="Joining the map…")
def view(
    measure: str,
    version: tuple[int, int],
    site_type: str,
    pooled_from: str | None,
    period: str,
    benchmark: BenchmarkKind,
    confidence: float,
    definition: tuple[str | None, float, bool | None],
    round_to: int | None,
) -> tuple[MapData, str, float | None, tuple[str, ...]]:
    """The map's data (:func:`analysis.geo_join.map_data`) and the benchmark's label/value."""
    kind, scale, higher_is_better = definition
    level = Level(site_type, pooled_from)
    rows = _views.site_rows(measure, version)
    sites = _views.sites(version)
    rule = DisclosureRule(round_to=round_to)
    result = compare_areas(
        rows,
        sites,
        level=level,
        period_label=period,
        measure_kind=kind,
        multiplier=scale,
        higher_is_better=higher_is_better,
        benchmark=benchmark,
        confidence=confidence,
        rule=rule,
    )
    shown = _ui.measure_rows(measure, version, round_to)
    at_level = shown[shown["site_type"] == level.site_type]
    start = rows.loc[rows["period_label"] == period, "period_start"].min()
    data = map_data(result.table, at_level, sites, layers(version), level.site_type, start)
    return data, result.benchmark.label, result.benchmark.value, result.notes


@st.cache_data(max_entries=8, show_spinner="Placing the practices…")
def practice_points(
    measure: str,
    version: tuple[int, int],
    period: str,
    definition: tuple[str | None, float, bool | None],
    round_to: int | None,
) -> pd.DataFrame:
    """The measure's practices in ``period`` as map points (suppressed), for an overlay."""
    kind, scale, higher_is_better = definition
    result = compare_areas(
        _views.site_rows(measure, version),
        _views.sites(version),
        level=Level("practice"),
        period_label=period,
        measure_kind=kind,
        multiplier=scale,
        higher_is_better=higher_is_better,
        rule=DisclosureRule(round_to=round_to),
    )
    return site_points(area_values(result.table), _views.sites(version))


def selection_from(event: object) -> str | None:
    """The code clicked on the map, from ``st.altair_chart``'s selection state, if any."""
    selection = getattr(event, "selection", None) or (
        event.get("selection") if isinstance(event, dict) else None
    )
    if not selection:
        return None
    for name in (charts_map.AREA_SELECTION, charts_map.SITE_SELECTION):
        picked = selection.get(name) or []
        for item in picked:
            if isinstance(item, dict) and item.get("code"):
                return str(item["code"])
    return None


def take_click(event: object, chart_key: str) -> bool:
    """Store a new click on the map as the selected site; True when the selection changed.

    A click is taken once: the same selection state seen again on a later run (e.g. after
    the selection was cleared) does not select the site again.
    """
    clicked = selection_from(event)
    seen_key = f"{chart_key}_last_click"
    if clicked is None or clicked == st.session_state.get(seen_key):
        st.session_state[seen_key] = clicked
        return False
    st.session_state[seen_key] = clicked
    changed = st.session_state.get(SELECTED_KEY) != clicked
    st.session_state[SELECTED_KEY] = clicked
    return changed


def site_name(code: str, version: tuple[int, int]) -> str:
    """A site's name from the sites table (its code when unknown)."""
    sites = _views.sites(version)
    names = sites.loc[sites["site_code"] == code, "site_name"]
    return str(names.iloc[0]) if len(names) and pd.notna(names.iloc[0]) else code


def show_selection_in_sidebar() -> str | None:
    """Show the selected site (if any) in the sidebar with a button to clear it."""
    code = st.session_state.get(SELECTED_KEY)
    if not code:
        return None
    name = site_name(code, _ui.store_version())
    st.sidebar.markdown(f"**Selected on the map:** {name} (`{code}`)")
    if st.sidebar.button("Clear selection", key="clear_selected_site"):
        st.session_state.pop(SELECTED_KEY, None)
        st.rerun()
    return code


def adopt_selection(widget_key: str, options: list[str]) -> bool:
    """Make a newly selected map site the value of a site picker, once per selection.

    If the selected site is among ``options`` and this picker has not yet taken it up,
    set the widget's state to it (before the widget is drawn) and return True; the user
    can still pick another site afterwards.
    """
    code = st.session_state.get(SELECTED_KEY)
    adopted_key = f"{widget_key}__adopted_selection"
    if not code or code not in options or st.session_state.get(adopted_key) == code:
        return False
    st.session_state[widget_key] = code
    st.session_state[adopted_key] = code
    return True


def small_map(measure: str | None, width: int = 520, height: int = 420) -> None:
    """A small map of ``measure`` (latest period, coloured by value) for the Overview page.

    Drawn at the measure's first area level with boundaries (else its default level, as
    points); a click selects the site, as on the Map page. With nothing to draw, the
    space says why.
    """
    if measure is None:
        st.info("No map: no measure is loaded.")
        return
    version = _ui.store_version()
    definition = _ui.definition(measure)
    kind, scale = definition.get("kind"), _views.multiplier(definition)
    unit, higher_is_better = _views.unit(definition), _views.polarity(definition)
    rows, sites = _views.site_rows(measure, version), _views.sites(version)
    levels = site_levels(rows, sites)
    areas = [lv for lv in levels if lv.site_type in AREA_TYPES and lv.pooled_from is None]
    level = areas[0] if areas else default_level(levels) if levels else None
    labels = periods(level_rows(rows, sites, level, scale)) if level else []
    if level is None or not labels:
        st.info("No map: this measure has no rows to draw.")
        return
    period = labels[-1]
    try:
        data, bench_label, _, _ = view(
            measure,
            version,
            level.site_type,
            level.pooled_from,
            period,
            "pooled",
            0.95,
            (kind, scale, higher_is_better),
            _ui.disclosure_rule().round_to,
        )
    except HiodError as exc:
        _ui.show_error(exc)
        return
    reason = no_map_reason(data, type_phrase(level.site_type))
    if reason is not None:
        st.info(reason)
        return
    label = definition.get("label") or measure
    chart = charts_map.map_chart(
        areas=charts_map.area_features(data.match.layer.features, data.values)
        if data.match
        else None,
        points=data.points,
        background=charts_map.background_features(data.background) if data.background else None,
        colour_by="value",
        colour_points=data.match is None,
        label=label,
        unit=unit,
        benchmark_label=bench_label,
        higher_is_better=higher_is_better,
        selected=st.session_state.get(SELECTED_KEY),
        width=width,
        height=height,
    )
    key = f"overview_map_{measure}"
    event = _ui.show_chart(chart, f"map_{measure}", on_select="rerun", key=key)
    if take_click(event, key):
        st.rerun()
    where = data.match.layer.name if data.match else "points at each site's position"
    st.caption(
        _ui.plain(f"{label}, {period} · {unit or 'value'} · {where}")
        + " · black outline: intervention areas; grey: suppressed or no value. More on the "
        "Map page."
    )
