"""Overview: what is loaded, and each measure for intervention vs comparator areas."""

import pandas as pd
import streamlit as st

from analysis import charts
from analysis.defaults import bundled_grouping_in_use
from analysis.trends import group_series, headline
from pages import _map_state, _ui

st.title("Health inequalities outcomes")
store = _ui.get_store()
version = _ui.store_version()
summary = store.summary()

cols = st.columns(5)
cols[0].metric("Sites", f"{summary['sites']:,}")
cols[1].metric("Measures", f"{summary['measures']:,}")
cols[2].metric("Rows", f"{summary['rows']:,}")
first, last = summary["first_period"], summary["last_period"]
cols[3].metric(
    "Periods",
    f"{summary['periods']:,}",
    help=f"{first:%b %Y} to {last:%b %Y}" if pd.notna(first) else None,
)
last_load = summary["last_load"]
cols[4].metric(
    "Last load",
    f"{last_load:%d %b}" if pd.notna(last_load) else "—",
    help=f"{last_load:%d %B %Y %H:%M}" if pd.notna(last_load) else None,
)

if bundled_grouping_in_use(_ui.get_store().loads()):
    st.info(
        "The intervention grouping bundled with the app is an **example** (the community "
        "programme areas in ORIGINS.md: first cohort from April 2021, second from April 2023). "
        "Replace it with your own on the **Sites** page. Comparators are the other sites of "
        "the same type that report the measure."
    )

measures = _ui.overview(version)
rows = []
series_by_measure = {}
for m in measures.itertuples():
    panel = _ui.panel(m.measure, version)
    if not (panel["group"] == "intervention").any():
        continue
    series = group_series(panel, m.multiplier or 1, _ui.disclosure_rule())
    series_by_measure[m.measure] = (m, series, panel["start_date"])
    top = headline(series).set_index("group")
    unit = charts.unit_label(m.kind, m.multiplier)
    rows.append(
        {
            "measure": m.label or m.measure,
            "unit": unit,
            "polarity": charts.polarity_text(m.higher_is_better),
            "latest period": top["period_label"].get("intervention"),
            "intervention": top["value"].get("intervention"),
            "comparator": top["value"].get("comparator"),
            "intervention sites": top["sites"].get("intervention"),
            "comparator sites": top["sites"].get("comparator"),
        }
    )

st.subheader("Headline: intervention vs comparator areas, latest period")
if rows:
    table = pd.DataFrame(rows)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "intervention": st.column_config.NumberColumn(format="%.1f"),
            "comparator": st.column_config.NumberColumn(format="%.1f"),
        },
    )
    _ui.download_csv(table, "headline.csv")
    st.caption(
        "Group values are pooled rates (Σ numerator ÷ Σ denominator) where counts exist, "
        "otherwise population-weighted means of the sites' published values. "
        "This is a description, not an effect estimate: see Compare."
    )
elif measures.empty:
    st.info("No measures loaded yet: use the Data page.")
else:
    st.warning("No measure is reported by any intervention site: set a grouping on the Sites page.")

st.subheader("Map")
_map_state.small_map(next(iter(series_by_measure), next(iter(measures["measure"]), None)))

st.subheader("Trends")
grid = st.columns(2)
for i, (measure, (m, series, starts)) in enumerate(series_by_measure.items()):
    unit = charts.unit_label(m.kind, m.multiplier)
    with grid[i % 2]:
        chart = charts.group_trend(series, m.label or measure, unit, starts)
        _ui.show_chart(chart, f"trend_{measure}", width="stretch")
        st.caption(f"`{measure}` · {unit or 'value'} · {charts.polarity_text(m.higher_is_better)}")

st.subheader("Measures loaded")
st.dataframe(measures, hide_index=True, width="stretch")
_ui.download_csv(measures, "measures.csv", key="dl_measures_overview")
