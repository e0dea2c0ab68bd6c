"""Overview: what is loaded, and each measure for intervention vs comparator areas."""

import pandas as pd
import streamlit as st

from analysis import charts
from analysis.defaults import bundled_grouping_in_use
from analysis.trends import group_series, headline
from pages import _map_state, _ui

BETTER_WHEN = {"higher is better": "higher", "lower is better": "lower"}
GRANULARITY_WORDS = {
    "month": "months",
    "quarter": "quarters",
    "financial_year": "financial years",
    "year": "years",
    "date": "dates",
    "multi_year": "multi-year periods",
}


def number_text(value: float | None) -> str:
    """A group value to one decimal place, or a dash when there is none (suppressed)."""
    return "—" if value is None or pd.isna(value) else f"{float(value):,.1f}"


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
    f"{last_load:%d %b %Y}" if pd.notna(last_load) else "—",
    help=f"{last_load:%d %B %Y %H:%M}" if pd.notna(last_load) else None,
)

if bundled_grouping_in_use(_ui.get_store().loads()):
    st.info(
        "The intervention grouping bundled with the app is an **example** (community "
        "programme areas chosen to show the methods: a first cohort from April 2021, a second "
        "from April 2023), not a real programme's. Replace it with your own on the **Sites** "
        "page. Comparators are the other sites of the same type that report the measure."
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
            "Measure": m.label or m.measure,
            "Unit": unit or "value",
            "Better when": BETTER_WHEN.get(charts.polarity_text(m.higher_is_better), "not stated"),
            "Latest period": top["period_label"].get("intervention"),
            "Intervention": top["value"].get("intervention"),
            "Comparator": top["value"].get("comparator"),
            "Intervention sites": top["sites"].get("intervention"),
            "Comparator sites": top["sites"].get("comparator"),
        }
    )

st.subheader("Headline: intervention vs comparator areas, latest period")
if rows:
    table = pd.DataFrame(rows)
    # a static table: long measure names wrap instead of pushing columns off the right
    st.table(
        table.assign(
            Intervention=table["Intervention"].map(number_text),
            Comparator=table["Comparator"].map(number_text),
            **{
                c: table[c].map(lambda n: "—" if pd.isna(n) else f"{int(n):,}")
                for c in ("Intervention sites", "Comparator sites")
            },
        ).set_index("Measure")
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
        st.caption(f"{unit or 'value'} · {charts.polarity_text(m.higher_is_better)}")

st.subheader("Measures loaded")
loaded = pd.DataFrame(
    {
        "Measure": measures["label"].fillna(measures["measure"]),
        "Id": measures["measure"],
        "Unit": [
            charts.unit_label(k, x) or "value"
            for k, x in zip(measures["kind"], measures["multiplier"], strict=True)
        ],
        "Better when": [
            BETTER_WHEN.get(charts.polarity_text(v), "not stated")
            for v in measures["higher_is_better"]
        ],
        "Rows": measures["rows"].map("{:,}".format),
        "Sites": measures["sites"].map("{:,}".format),
        "First period": measures["first_period"],
        "Last period": measures["last_period"],
        "Periods are": measures["granularity"]
        .map(GRANULARITY_WORDS)
        .fillna(measures["granularity"]),
        "Counts": measures["has_counts"].map({True: "yes", False: "published values only"}),
    }
)
st.table(loaded.set_index("Measure"))  # static: long names wrap, nothing is cut off
_ui.download_csv(loaded, "measures.csv", key="dl_measures_overview")
