"""Compare areas: every site against a benchmark, with intervals, the Fingertips way."""

import streamlit as st

from analysis import charts_areas
from analysis.area_benchmarks import benchmark_options
from analysis.areas import compare_areas, sites_to_chart
from analysis.charts import polarity_text
from analysis.disclosure import publishable
from analysis.errors import HiodError
from analysis.pooling import pool_periods
from analysis.site_levels import area_choices, area_labels, level_rows
from pages import _ui, _views

st.title("Compare areas")
st.caption(
    "Each site's value with its confidence interval, compared with a benchmark: better, similar "
    "or worse (higher, similar or lower when the measure has no better direction)."
)
measure, version, definition, kind, scale, unit, higher_is_better = _views.chosen_measure()
rows = _views.site_rows(measure, version)
sites = _views.sites(version)

top = st.columns([3, 3, 3, 2])
level = _views.level_picker(top[0], rows, sites, "Site type", f"areas_level_{measure}")
at_level = level_rows(rows, sites, level, scale)
pooling = _views.pooling_picker(top[1], at_level, f"areas_period_{measure}_{level.label}")
pooled = pool_periods(rows, pooling, scale)
period = pooled.label
in_period = level_rows(pooled.rows, sites, level, scale)
options = benchmark_options(in_period, pooled.rows, period)
benchmark = top[2].selectbox(
    "Benchmark",
    list(options),
    format_func=options.__getitem__,
    key=f"areas_benchmark_{measure}",
    help="England's own value; all the sites shown pooled; the comparator sites pooled; or "
    "each site's parent area (its own value, else its sites here pooled, when 2 or more).",
)
confidence = top[3].radio(
    "Confidence",
    [0.95, 0.998],
    format_func=lambda c: f"{c:.1%}".replace(".0%", "%"),
    horizontal=True,
    key="areas_confidence",
    help="95% for the usual comparison; 99.8% for the stricter one Fingertips also shows.",
)
areas = area_choices(in_period["site_code"], sites)
within = None
if len(areas):
    names = area_labels(areas)
    choice = st.selectbox(
        "Within",
        ["all", *names],
        format_func=lambda c: "All areas" if c == "all" else names[c],
        key=f"areas_within_{measure}",
        help="Only the sites inside one area (e.g. the practices of an ICB).",
    )
    within = None if choice == "all" else choice

try:
    result = compare_areas(
        pooled.rows,
        sites,
        level=level,
        period_label=period,
        measure_kind=kind,
        multiplier=scale,
        higher_is_better=higher_is_better,
        benchmark=benchmark,
        confidence=confidence,
        rule=_ui.disclosure_rule(),
        within=within,
    )
except HiodError as exc:
    _ui.show_error(exc)
    st.stop()

counts = result.counts
verdicts = (
    ["better", "similar", "worse"]
    if higher_is_better is not None
    else [
        "higher",
        "similar",
        "lower",
    ]
)
cols = st.columns(5)
cols[0].metric("Sites", f"{len(result.table):,}")
for col, verdict in zip(cols[1:4], verdicts, strict=True):
    col.metric(verdict.capitalize(), f"{counts.get(verdict, 0):,}")
bench = result.benchmark
cols[4].metric(
    "Benchmark",
    "per site" if bench.value is None else f"{bench.value:,.1f}",
    help=f"{bench.label}: {bench.method}",
)
level_text = f"{result.confidence:.1%}".replace(".0%", "%")
st.caption(
    f"`{measure}` · {unit or 'value'} · {polarity_text(higher_is_better)} · intervals: "
    f"{result.methods or 'none'} · compared with {bench.label} by whether the {level_text} "
    "interval lies wholly above or below it (Fingertips rule; a screening rule, not a test: "
    f"at {level_text} about {1 - result.confidence:.1%} of sites differ by chance)."
    + ("" if pooling.kind == "period" else f" Pooled: {pooled.method}.")
)

limit = st.slider(
    "Sites shown at each end of the ranking",
    5,
    50,
    20,
    key="areas_limit",
    help="With many sites the chart shows the highest and lowest; the table has them all.",
)
shown, note = sites_to_chart(result.table, limit)
title = f"{definition.get('label') or measure}, {period}"
_ui.show_chart(
    charts_areas.ranked_bars(
        shown, unit=unit, title=title, benchmark_label=bench.label, benchmark_value=bench.value
    ),
    f"compare_areas_{measure}_{pooling.file_label}",
    width="stretch",
)
if note:
    st.caption(note)
st.caption("▶ marks intervention sites. Whiskers: the confidence interval.")
for line in (*result.notes, *pooled.notes):
    st.info(line)

st.subheader("All sites")
table = publishable(result.table)
picked = table[table["site_code"] == st.session_state.get("selected_site")]
if len(picked):
    row = picked.iloc[0]
    interval = f" ({row['lower_ci']} to {row['upper_ci']})" if row["lower_ci"] else ""
    st.info(
        f"Selected on the map: **{row['site_name']}** ({row['site_code']}): {row['value']} "
        f"{unit}{interval}, {row['comparison'] or 'not compared'}; rank {row['rank']} of "
        f"{len(table):,}."
    )
st.dataframe(table, hide_index=True, width="stretch")
_ui.download_csv(table, f"compare_areas_{measure}_{pooling.file_label}.csv")
