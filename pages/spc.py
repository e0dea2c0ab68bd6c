"""SPC: an XmR chart of a site, or of intervention or comparator areas pooled."""

from typing import Literal

import pandas as pd
import streamlit as st

from analysis import charts_spc
from analysis.charts import polarity_text
from analysis.disclosure import publishable
from analysis.errors import HiodError
from analysis.pooling import SeriesKind, pooled_series, series_choices
from analysis.spc_view import (
    MIN_POINTS,
    arm_series,
    improvement_direction,
    site_choices,
    site_series,
    spc_view,
)
from pages import _map_state, _ui, _views

# The st.badge colours the variation and assurance badges use (a bare string here would be
# drawn on the page by Streamlit's magic).
BadgeColour = Literal["blue", "orange", "violet", "gray"]

BADGE_COLOURS: dict[str, BadgeColour] = {
    "common_cause": "gray",
    "special_cause_improvement": "blue",
    "special_cause_concern": "orange",
    "special_cause_neither_high": "violet",
    "special_cause_neither_low": "violet",
    "consistently_hit": "blue",
    "consistently_fail": "orange",
    "hit_and_miss": "gray",
}

st.title("Statistical process control")
st.caption(
    "Is the variation in a series routine (common cause) or a signal (special cause)? "
    "XmR chart as NHS England's Making Data Count."
)
measure, version, definition, _, scale, unit, higher_is_better = _views.chosen_measure()
improvement = improvement_direction(higher_is_better)
rule = _ui.disclosure_rule()
rows = _views.site_rows(measure, version)
panel = _ui.panel(measure, version)

choices = []
if (panel["group"] == "intervention").any():
    choices += ["intervention", "comparator"]
choices.append("site")
words = {
    "intervention": "Intervention areas (pooled)",
    "comparator": "Comparator areas (pooled)",
    "site": "One site",
}
eligible = site_choices(rows)
if _map_state.adopt_selection("spc_site", list(eligible["site_code"])):
    st.session_state["spc_series"] = "site"
top = st.columns([2, 3, 2])
kind = top[0].radio("Series", choices, format_func=words.get, key="spc_series")
points = series_choices(rows)
how: SeriesKind = "period"
if points:
    how = top[2].selectbox(
        "Points",
        list(points),
        format_func=points.__getitem__,
        key="spc_points",
        help="Each period, or counts pooled over rolling 12 months or whole financial years "
        "(Σ numerator ÷ Σ denominator) when single periods are too small to read.",
    )
if kind == "site":
    if eligible.empty:
        st.warning(
            f"No site has {MIN_POINTS} or more periods of this measure: an XmR chart needs a "
            "series. Try a measure with yearly data (e.g. falls or smoking by local authority)."
        )
        st.stop()
    names = dict(zip(eligible["site_code"], eligible["label"], strict=True))
    code = top[1].selectbox("Site", list(names), format_func=names.__getitem__, key="spc_site")
    pooled = pooled_series(rows[rows["site_code"] == code], how, scale)
    series = site_series(pooled.rows, code, rule)
    label = names[code]
    starts = rows.loc[rows["site_code"] == code, "start_date"]
else:
    pooled = pooled_series(panel[panel["group"] == kind], how, scale)
    series = arm_series(pooled.rows, kind, scale, rule)
    label = words[kind]
    starts = panel.loc[panel["group"] == "intervention", "start_date"]

options = st.columns([2, 1, 2])
period_starts = pd.to_datetime(series["period_start"])
labels = dict(zip(period_starts, series["period_label"], strict=True))
rebase = options[0].selectbox(
    "Rebase the limits from",
    [None, *labels],
    format_func=lambda d: "no rebase" if d is None else labels[d],
    key="spc_rebase",
    help="Recalculate the mean and limits from a period on, e.g. when a change was made "
    "(the programme start). Each baseline needs at least "
    f"{MIN_POINTS} points.",
)
use_target = options[1].checkbox("Target", key="spc_use_target")
target = None
if use_target:
    values = series["value"].dropna()
    target = options[2].number_input(
        f"Target ({unit or 'value'})",
        value=float(values.iloc[-1]) if len(values) else 0.0,
        key="spc_target",
    )

try:
    view = spc_view(series, improvement=improvement, rebase_at=rebase, target=target, label=label)
except HiodError as exc:
    _ui.show_error(exc)
    st.stop()

summary = view.summary
badges = st.columns([3, 3, 2])
with badges[0]:
    st.markdown("**Variation**")
    st.badge(summary.variation_label, color=BADGE_COLOURS[summary.variation])
with badges[1]:
    st.markdown("**Assurance**")
    if summary.assurance is None or summary.assurance_label is None:
        reason = "no target set" if target is None else "the measure has no better direction"
        st.badge(f"Not assessed ({reason})", color="gray")
    else:
        st.badge(summary.assurance_label, color=BADGE_COLOURS[summary.assurance])
badges[2].metric(
    f"Mean ({unit or 'value'})",
    f"{summary.mean:,.2f}",
    help=f"Latest process limits {summary.lower_limit:,.2f} to {summary.upper_limit:,.2f}",
)
st.caption(
    f"`{measure}` · {unit or 'value'} · {polarity_text(higher_is_better)} · {summary.n_points} "
    f"points · {view.method}."
)
title = f"{definition.get('label') or measure}: {label}"
_ui.show_chart(
    charts_spc.spc_chart(view, unit=unit, title=title, starts=starts),
    f"spc_{measure}",
    width="stretch",
)
for note in (*view.notes, *pooled.notes):
    st.info(note)
if "method" in series:
    st.caption(f"Pooled series: {series['method'].dropna().iloc[0]}.")

st.subheader("Chart data")
columns = [
    "period_label",
    "y",
    "mean",
    "lower_limit",
    "upper_limit",
    "moving_range",
    "point_type",
    "rule_outside_limits",
    "rule_trend",
    "rule_two_in_three",
    "rule_shift",
]
table = publishable(
    view.chart[columns].rename(columns={"y": "value"}),
    value_columns=("value", "mean", "lower_limit", "upper_limit", "moving_range"),
    decimals=3,
)
st.dataframe(table, hide_index=True, width="stretch")
_ui.download_csv(table, f"spc_{measure}.csv")
