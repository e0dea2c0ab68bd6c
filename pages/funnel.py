"""Funnel plot: each site's value against its size, with 95% and 99.8% control limits."""

import streamlit as st

from analysis import charts_funnel
from analysis.charts import polarity_text
from analysis.disclosure import publishable
from analysis.errors import HiodError
from analysis.funnel_view import funnel_view
from analysis.pooling import pool_periods
from analysis.site_levels import level_rows
from pages import _ui, _views

st.title("Funnel plot")
st.caption(
    "Sites far from the overall value for their size lie outside the funnel. Smaller sites "
    "vary more by chance, so their limits are wider."
)
measure, version, definition, kind, scale, unit, higher_is_better = _views.chosen_measure()
rows = _views.site_rows(measure, version)
sites = _views.sites(version)
counted = rows[rows["numerator"].notna() & rows["denominator"].notna()]
if counted.empty:
    st.warning(
        "A funnel plot needs counts (numerator and denominator) per site: this measure has "
        "published values only. Try Compare areas, which uses published intervals."
    )
    st.stop()

top = st.columns([3, 3, 2])
level = _views.level_picker(top[0], counted, sites, "Site type", f"funnel_level_{measure}")
at_level = level_rows(counted, sites, level, scale)
pooling = _views.pooling_picker(top[1], at_level, f"funnel_period_{measure}_{level.label}")
pooled = pool_periods(counted, pooling, scale)
period = pooled.label
adjust = top[2].toggle(
    "Allow for overdispersion",
    key="funnel_overdispersion",
    help="Spiegelhalter (2005): widen the limits by the spread between sites beyond chance, "
    "so that only sites unusual even allowing for it are flagged.",
)

try:
    view = funnel_view(
        level_rows(pooled.rows, sites, level, scale),
        measure_kind=kind,
        multiplier=scale,
        higher_is_better=higher_is_better,
        adjust_overdispersion=adjust,
        rule=_ui.disclosure_rule(),
    )
except HiodError as exc:
    _ui.show_error(exc)
    st.stop()

points = view.points
cols = st.columns(4)
cols[0].metric("Sites", f"{len(points):,}")
cols[1].metric("Outside 95% limits", f"{int(points['outside_95'].sum()):,}")
cols[2].metric("Outside 99.8% limits", f"{int(points['outside_99_8'].sum()):,}")
cols[3].metric(f"Overall ({unit or 'value'})", f"{view.baseline:,.1f}")
st.caption(
    f"`{measure}` · {unit or 'value'} · {polarity_text(higher_is_better)} · {view.method}"
    + ("" if pooling.kind == "period" else f" · pooled: {pooled.method}")
)
title = f"{definition.get('label') or measure}, {period}"
_ui.show_chart(
    charts_funnel.funnel_plot(view, unit=unit, title=title),
    f"funnel_{measure}_{pooling.file_label}",
    width="stretch",
)
st.caption(
    "Dashed lines: 95% limits; solid: 99.8%; the horizontal line is the overall value. "
    "Diamonds are intervention sites; the furthest outliers are named."
)
for line in (*view.notes, *pooled.notes):
    st.info(line)

st.subheader("Outliers")
columns = [
    "site_code",
    "site_name",
    "group",
    "numerator",
    "denominator",
    "value",
    "significance",
    "verdict",
    "suppressed",
]
outliers = publishable(view.outliers[columns])
st.dataframe(outliers, hide_index=True, width="stretch")
safe = pooling.file_label
_ui.download_csv(outliers, f"funnel_outliers_{measure}_{safe}.csv", "Download outliers")
_ui.download_csv(
    publishable(view.points[[*columns, "z"]], value_columns=("value", "z")),
    f"funnel_all_sites_{measure}_{safe}.csv",
    "Download every site",
)
