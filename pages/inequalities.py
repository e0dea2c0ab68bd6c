"""Inequalities: who is left behind? A measure by deprivation, its slope index, and the gap."""

import pandas as pd
import streamlit as st

from analysis import charts_inequality as charts
from analysis.charts import polarity_text
from analysis.disclosure import publishable
from analysis.errors import HiodError
from analysis.inequality_groups import (
    area_options,
    area_rows,
    default_quantiles,
    inequality_site_types,
    quantile_options,
    site_type_label,
)
from analysis.inequality_view import (
    SIGN_CONVENTIONS,
    fitted_line,
    gap_sentence,
    sii_sentence,
    summary_table,
)
from analysis.site_levels import area_labels
from pages import _ui, _views

st.title("Inequalities: who is left behind?")
st.caption(
    "The measure across deprivation groups (IMD 2019; 1 = most deprived), the slope index of "
    "inequality over time, and whether the gap narrowed where the programme ran."
)
measure, version, definition, kind, scale, unit, higher_is_better = _views.chosen_measure()
rule = _ui.disclosure_rule()
if kind not in ("proportion", "rate"):
    st.warning(f"Inequality indices need a proportion or a rate: this measure is a {kind}.")
    st.stop()
rows = _views.site_rows(measure, version)
sites = _views.sites(version)
types = inequality_site_types(rows)
if not types:
    st.warning(
        "No site reporting this measure has an IMD decile or quintile. Add `imd_decile` "
        "(1 = most deprived) to your sites file on the Data page."
    )
    st.stop()

top = st.columns([3, 4, 2])
site_type = top[0].selectbox(
    "Sites", types, format_func=site_type_label, key=f"ineq_type_{measure}"
)
choices = area_options(rows, sites, site_type)
names = area_labels(choices)
area = top[1].selectbox(
    "Area",
    list(names),
    format_func=names.__getitem__,
    key=f"ineq_area_{measure}_{site_type}",
    help="Published deprivation groups are read per area; sites can be pooled for all of "
    "England or within an area they belong to.",
)
allowed = quantile_options(area_rows(rows, sites, site_type, area))
quantiles = top[2].radio(
    "Groups",
    allowed,
    index=allowed.index(default_quantiles(site_type, allowed)),
    format_func=lambda q: "deciles" if q == 10 else "quintiles",
    horizontal=True,
    key=f"ineq_quantiles_{measure}_{site_type}",
)
try:
    result = _views.inequality(measure, version, site_type, area, quantiles, rule.round_to)
except HiodError as exc:
    _ui.show_error(exc)
    st.stop()

label = definition.get("label") or measure
words = "percentage points" if unit == "%" else unit
latest = result.latest()
if latest is not None:
    st.caption(f"Latest period with an index: **{latest['period_label']}**")
cols = st.columns(3)
if latest is not None and latest.notna()["sii"]:
    cols[0].metric(
        f"SII ({words})",
        f"{latest['sii']:,.2f}",
        help="Slope index of inequality: least minus most deprived end of the fitted line.",
    )
    cols[0].caption(f"95% CI {latest['sii_lower_ci']:,.2f} to {latest['sii_upper_ci']:,.2f}")
    cols[1].metric(
        "RII",
        f"{latest['rii']:,.3f}",
        help="Relative index of inequality: least ÷ most deprived end of the fitted line.",
    )
    cols[1].caption(f"95% CI {latest['rii_lower_ci']:,.3f} to {latest['rii_upper_ci']:,.3f}")
else:
    why = result.summary["note"].dropna()
    cols[0].metric("SII", "—")
    cols[0].caption(why.iloc[-1] if len(why) else "not available")
if latest is not None and latest.notna()["gap"]:
    cols[2].metric(
        f"Gap ({words})",
        f"{latest['gap']:,.2f}",
        help="Most deprived fifth minus least deprived fifth.",
    )
    if latest.notna()["gap_lower_ci"]:
        cols[2].caption(f"95% CI {latest['gap_lower_ci']:,.2f} to {latest['gap_upper_ci']:,.2f}")
st.caption(f"`{measure}` · {unit or 'value'} · {polarity_text(higher_is_better)} · {result.method}")
st.caption(f"Sign conventions: {SIGN_CONVENTIONS}")
if latest is not None:
    if latest.notna()["sii"]:
        st.markdown(sii_sentence(latest, unit, higher_is_better))
    if latest.notna()["gap"]:
        st.markdown(gap_sentence(latest, unit, higher_is_better))
gap_notes = result.summary["gap_note"].dropna().unique()
for line in [*result.notes, *(f"Gap (most − least deprived fifth): {n}." for n in gap_notes)]:
    st.info(line)

periods = result.groups.drop_duplicates("period_label")["period_label"].tolist()
period = st.selectbox(
    "Period", periods, index=len(periods) - 1, key=f"ineq_period_{measure}_{site_type}"
)
groups = result.groups[result.groups["period_label"] == period]
row = result.summary[result.summary["period_label"] == period]
fitted = fitted_line(groups, row.iloc[0] if len(row) else None)
word = result.group_word
_ui.show_chart(
    charts.quantile_bars(
        groups,
        fitted,
        unit=unit,
        title=f"{label} by IMD {word}, {result.area_name}, {period}",
        group_word=word,
    ),
    f"inequality_{measure}_{period.replace('/', '-').replace(' ', '_')}",
    key="inequality_bars",
    width="stretch",
)
st.caption("Whiskers: 95% confidence intervals. Red line: the SII's fitted line (when computed).")

starts = pd.Series(result.starts, dtype="datetime64[ns]")
if len(periods) > 1:
    trend = st.columns(2)
    with trend[0]:
        _ui.show_chart(
            charts.quantile_trend(
                result.groups,
                unit=unit,
                title=f"By IMD {word} over time",
                group_word=word,
                starts=starts,
            ),
            f"inequality_trend_{measure}",
            width="stretch",
        )
    statistic = "sii" if result.summary["sii"].notna().any() else "gap"
    with trend[1]:
        _ui.show_chart(
            charts.index_trend(
                result.summary,
                statistic=statistic,
                unit=unit,
                title="SII over time"
                if statistic == "sii"
                else "Gap over time (most − least deprived fifth)",
                starts=starts,
            ),
            f"inequality_{statistic}_trend_{measure}",
            width="stretch",
        )

st.subheader("Per period")
summary = summary_table(result)
st.dataframe(summary, hide_index=True, width="stretch")
_ui.download_csv(summary, f"inequality_{measure}.csv", "Download the indices")
group_table = publishable(
    result.groups.drop(columns=["period_start"]),
    count_columns=("numerator", "denominator", "population", "n_sites"),
    value_columns=("value", "lower_ci", "upper_ci", "se"),
)
_ui.download_csv(group_table, f"inequality_groups_{measure}.csv", "Download the group values")

st.header("Did the gap narrow?")
st.caption(
    "Difference-in-differences for intervention vs comparator areas (sites with counts and an "
    "IMD decile, pooled into quintiles): (intervention after − before) − (comparator after − "
    f"before), for the SII, the gap and each quintile. {SIGN_CONVENTIONS}"
)
change = _views.gap_narrowed(measure, version, rule.round_to)
if change.problem:
    st.warning(change.problem)
else:
    if change.statement:
        st.markdown(change.statement)
    _ui.show_chart(
        charts.change_chart(change.table, unit=unit, title="Change relative to comparator areas"),
        f"inequality_change_{measure}",
        width="stretch",
    )
    if change.change is not None:
        st.caption(change.change.method + f"; {change.change.reps:,} bootstrap resamples.")
    table = publishable(
        change.table,
        count_columns=(),
        value_columns=(
            "estimate",
            "ci_low",
            "ci_high",
            "intervention_before",
            "intervention_after",
            "comparator_before",
            "comparator_after",
        ),
    )
    st.dataframe(table, hide_index=True, width="stretch")
    _ui.download_csv(table, f"inequality_change_{measure}.csv", "Download the change")
if len(change.by_arm):
    _ui.show_chart(
        charts.index_trend(
            change.by_arm,
            statistic="sii",
            unit=unit,
            title="SII by group of areas over time",
            starts=_ui.panel(measure, version)["start_date"],
            by="group",
        ),
        f"inequality_sii_by_group_{measure}",
        width="stretch",
    )
for note in change.notes:
    st.caption(note)
