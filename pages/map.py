"""Map: the chosen measure by area (or site), from the bundled boundaries, offline."""

import streamlit as st

from analysis import charts_map
from analysis.area_benchmarks import benchmark_options
from analysis.charts import polarity_text
from analysis.charts_map import ColourBy, area_features, background_features, map_chart
from analysis.errors import HiodError
from analysis.geo_join import EFFECT_METHOD, POINTS_NOTE, no_map_reason
from analysis.site_levels import level_rows, periods, type_phrase
from pages import _map_state as _map
from pages import _ui, _views

st.title("Map")
st.caption(
    "Each area (or practice and PCN) coloured by its value, by how it compares with a "
    "benchmark, or by the programme's estimated effect. Click an area to select it for the "
    "other pages. Drawn from the bundled boundaries: no map tiles, no internet."
)
measure, version, definition, kind, scale, unit, higher_is_better = _views.chosen_measure()
rows = _views.site_rows(measure, version)
sites = _views.sites(version)

top = st.columns([3, 2, 3, 3])
level = _views.level_picker(top[0], rows, sites, "Areas", f"map_level_{measure}")
labels = periods(level_rows(rows, sites, level, scale))
period = top[1].selectbox(
    "Period", labels, index=len(labels) - 1, key=f"map_period_{measure}_{level.label}"
)
colour_options: list[ColourBy] = ["value", "benchmark", "effect"]
colour_by = top[2].radio(
    "Colour by",
    colour_options,
    format_func={
        "value": "Value",
        "benchmark": "Benchmark",
        "effect": "Programme effect",
    }.get,
    horizontal=True,
    key="map_colour_by",
)
in_period = rows[rows["period_label"] == period]
options = benchmark_options(in_period[in_period["site_type"] == level.site_type], in_period, period)
benchmark = top[3].selectbox(
    "Benchmark", list(options), format_func=options.__getitem__, key=f"map_benchmark_{measure}"
)

try:
    data, bench_label, bench_value, notes = _map.view(
        measure,
        version,
        level.site_type,
        level.pooled_from,
        period,
        benchmark,
        0.95,
        (kind, scale, higher_is_better),
        _ui.disclosure_rule().round_to,
    )
except HiodError as exc:
    _ui.show_error(exc)
    st.stop()

reason = no_map_reason(data, type_phrase(level.site_type))
if reason is not None:
    st.warning(f"{reason} Or choose other areas above.")
    for line in data.notes:
        st.info(line)
    st.stop()

overlay = None
has_practices = (in_period["site_type"] == "practice").any()
if (
    data.match is not None
    and has_practices
    and st.toggle(
        "Show practices",
        key="map_show_practices",
        help="Practices as points, sized by denominator.",
    )
):
    overlay = _map.practice_points(
        measure, version, period, (kind, scale, higher_is_better), _ui.disclosure_rule().round_to
    )
    overlay = overlay if len(overlay) else None

selected = st.session_state.get(_map.SELECTED_KEY)
label = definition.get("label") or measure
chart = map_chart(
    areas=area_features(data.match.layer.features, data.values) if data.match else None,
    points=data.points if overlay is None else overlay,
    background=background_features(data.background) if data.background else None,
    colour_by=colour_by,
    colour_points=data.match is None,
    label=label,
    unit=unit,
    benchmark_label=bench_label,
    higher_is_better=higher_is_better,
    selected=selected,
    title=f"{label}, {period}",
)
event = _ui.show_chart(
    chart,
    f"map_{measure}_{period.replace('/', '-')}",
    on_select="rerun",
    selection_mode=[charts_map.SITE_SELECTION]
    if data.match is None
    else [charts_map.AREA_SELECTION, *([charts_map.SITE_SELECTION] if overlay is not None else [])],
    key=f"map_chart_{measure}",
)
if _map.take_click(event, f"map_chart_{measure}"):
    st.rerun()

shown = data.match.summary if data.match else POINTS_NOTE
st.caption(
    f"`{measure}` · {unit or 'value'} · {polarity_text(higher_is_better)} · {shown} "
    "Black outline: intervention areas. Grey: suppressed (count 1–7, shown as *) or no value."
)
if colour_by == "benchmark":
    st.caption(
        f"Compared with {bench_label}"
        + (f" ({bench_value:,.1f})" if bench_value is not None else "")
        + " by whether the 95% interval lies wholly above or below it (Fingertips rule)."
    )
if colour_by == "effect":
    st.caption(
        f"Programme effect per intervention site: {EFFECT_METHOD}. "
        f"In {unit or 'the measure unit'}; negative is a fall."
    )
    if data.effects.table.empty:
        st.info(f"No intervention sites among the {level.label.lower()}: nothing to colour.")
for line in (*notes, *data.notes):
    st.info(line)
if data.match is not None and data.match.unmatched:
    with st.expander(f"Areas not on the map ({len(data.match.unmatched):,})"):
        missing = data.values[data.values["code"].isin(data.match.unmatched)]
        missing = missing[["code", "name", "value_text"]]
        st.dataframe(missing, hide_index=True)
        _ui.download_csv(missing, f"map_unmatched_{measure}.csv")

if selected:
    match = data.values[data.values["code"] == selected]
    st.subheader(f"Selected: {_map.site_name(selected, version)} ({selected})")
    if len(match):
        row = match.iloc[0]
        st.markdown(
            f"**Value** ({unit or 'value'}): {row['value_text'] or '–'} · "
            f"**95% interval**: {row['interval_text']} · "
            f"**compared with {bench_label}**: {row['comparison']} · "
            f"**group**: {row['group'] or 'none'}"
            + (f" · **effect**: {row['effect_text']}" if row["effect_text"] else "")
        )
    else:
        st.caption("The selected site is not at this level or in this period.")
