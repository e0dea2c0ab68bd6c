"""Inequalities: who is left behind? A measure by deprivation, its slope index, and the gap."""

import pandas as pd
import streamlit as st

from analysis import charts_inequality as charts
from analysis.charts import polarity_text
from analysis.compare import MethodChoice
from analysis.disclosure import publishable
from analysis.errors import HiodError
from analysis.inequality_groups import (
    area_options,
    area_rows,
    default_quantiles,
    inequality_site_types,
    is_breakdown,
    quantile_options,
    site_type_label,
)
from analysis.inequality_view import (
    GLOSSARY,
    SIGN_CONVENTIONS,
    fitted_line,
    gap_sentence,
    sii_sentence,
    summary_display,
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

top = st.columns([3, 4, 2, 3])
site_type = top[0].selectbox(
    "Sites",
    types,
    format_func=lambda t: site_type_label(t, is_breakdown(rows, t)),
    key=f"ineq_type_{measure}",
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
in_area = area_rows(rows, sites, site_type, area)
allowed = quantile_options(in_area)
quantiles = top[2].radio(
    "Groups",
    allowed,
    index=allowed.index(default_quantiles(rows, site_type, allowed)),
    format_func=lambda q: "deciles" if q == 10 else "quintiles",
    horizontal=True,
    key=f"ineq_quantiles_{measure}_{site_type}",
)
pooling = _views.pooling_picker(top[3], in_area, f"ineq_period_{measure}_{site_type}")
pool_notes: tuple[str, ...] = ()
try:
    result = _views.inequality(measure, version, site_type, area, quantiles, rule.round_to)
    if pooling.kind == "period":
        shown, period = result, str(pooling.period_label)
    else:
        shown, pooled = _views.pooled_inequality(
            measure, version, site_type, area, quantiles, rule.round_to, pooling
        )
        period, pool_notes = pooled.label, (f"Pooled: {pooled.method}.", *pooled.notes)
except HiodError as exc:
    _ui.show_error(exc)
    st.stop()

label = definition.get("label") or measure
words = "percentage points" if unit == "%" else unit
chosen = shown.summary[shown.summary["period_label"] == period]
latest = chosen.iloc[0] if len(chosen) else None
st.caption(f"Period: {period}")
cols = st.columns(3)
if latest is not None and latest.notna()["sii"]:
    cols[0].metric(
        f"SII ({words})",
        f"{latest['sii']:,.2f}",
        help="Slope index of inequality: least minus most deprived end of the fitted line "
        "(positive: higher in less deprived areas).",
    )
    cols[0].caption(f"95% CI {latest['sii_lower_ci']:,.2f} to {latest['sii_upper_ci']:,.2f}")
    cols[1].metric(
        "RII",
        f"{latest['rii']:,.3f}",
        help="Relative index of inequality: least ÷ most deprived end of the fitted line.",
    )
    cols[1].caption(f"95% CI {latest['rii_lower_ci']:,.3f} to {latest['rii_upper_ci']:,.3f}")
else:
    why = chosen["note"].dropna()
    cols[0].metric("SII", "—")
    cols[0].caption(why.iloc[-1] if len(why) else "not available")
if latest is not None and latest.notna()["gap"]:
    cols[2].metric(
        f"Gap ({words})",
        f"{latest['gap']:,.2f}",
        help="Least deprived fifth minus most deprived fifth (positive: higher in less "
        "deprived areas).",
    )
    if latest.notna()["gap_lower_ci"]:
        cols[2].caption(f"95% CI {latest['gap_lower_ci']:,.2f} to {latest['gap_upper_ci']:,.2f}")
st.caption(f"`{measure}` · {unit or 'value'} · {polarity_text(higher_is_better)} · {shown.method}")
st.caption(f"Sign conventions: {SIGN_CONVENTIONS}")
with st.expander("What these numbers mean"):
    for term, meaning in GLOSSARY:
        st.text(f"{term}: {meaning}")
if latest is not None:
    if latest.notna()["sii"]:
        st.text(sii_sentence(latest, unit, higher_is_better))
    if latest.notna()["gap"]:
        st.text(gap_sentence(latest, unit, higher_is_better))
gap_notes = shown.summary["gap_note"].dropna().unique()
for line in [
    *shown.notes,
    *(f"Gap (least − most deprived fifth): {n}." for n in gap_notes),
    *pool_notes,
]:
    st.text(line)

periods = result.groups.drop_duplicates("period_label")["period_label"].tolist()
groups = shown.groups[shown.groups["period_label"] == period]
fitted = fitted_line(groups, latest)
word = result.group_word
_ui.show_chart(
    charts.quantile_bars(
        groups,
        fitted,
        unit=unit,
        title=f"{label} by IMD {word}, {result.area_name}, {period}",
        group_word=word,
    ),
    f"inequality_{measure}_{pooling.file_label}",
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
                else "Gap over time (least − most deprived fifth)",
                starts=starts,
            ),
            f"inequality_{statistic}_trend_{measure}",
            width="stretch",
        )

st.subheader("Per period")
summary = summary_table(result)
st.dataframe(summary_display(result, unit), hide_index=True, width="stretch")
_ui.download_csv(summary, f"inequality_{measure}.csv", "Download the indices")
group_table = publishable(
    result.groups.drop(columns=["period_start"]),
    count_columns=("numerator", "denominator", "population", "n_sites"),
    value_columns=("value", "lower_ci", "upper_ci", "se"),
)
_ui.download_csv(group_table, f"inequality_groups_{measure}.csv", "Download the group values")

st.header("Did the programme narrow the gap?")
st.caption(
    "The SII after the start as observed, against the same index with each intervention "
    "site's values replaced by its counterfactual from the comparison (as on Compare). Works "
    "for a programme aimed at one deprivation group."
)
methods: list[MethodChoice] = ["auto", "did", "its", "synth"]
counterfactual_from = st.radio(
    "Counterfactual from",
    methods,
    index=methods.index(st.session_state.get("method", "auto")),
    format_func={
        "auto": "Automatic (as Compare)",
        "did": "Difference-in-differences",
        "its": "Interrupted time series",
        "synth": "Synthetic control",
    }.__getitem__,
    horizontal=True,
    key=f"ineq_method_{measure}",
)
gap_effect, gap_effect_problem = _views.gap_effect(
    measure, version, site_type, area, quantiles, counterfactual_from, rule.round_to
)
if gap_effect is None:
    st.warning(f"Not available: {gap_effect_problem}")
else:
    st.text(gap_effect.sentence(result.sites_phrase))
    effect_cols = st.columns(3)
    low, high = gap_effect.sii_change_ci
    effect_cols[0].metric(f"Change in the SII ({words})", f"{gap_effect.sii_change:,.2f}")
    effect_cols[0].caption(f"95% interval {low:,.2f} to {high:,.2f}")
    effect_cols[1].metric(
        f"SII: counterfactual → observed ({words})",
        f"{gap_effect.sii_counterfactual:,.1f} → {gap_effect.sii_observed:,.1f}",
    )
    if gap_effect.share_closed is not None and gap_effect.share_closed_ci is not None:
        s_low, s_high = gap_effect.share_closed_ci
        effect_cols[2].metric("Share of the gap closed", f"{gap_effect.share_closed:.0%}")
        effect_cols[2].caption(f"95% interval {s_low:.0%} to {s_high:.0%}")
    by_quintile = pd.DataFrame([q.__dict__ for q in gap_effect.by_quintile])
    if len(by_quintile):
        st.caption(f"The effect at the intervention sites of each IMD quintile ({words})")
        st.dataframe(by_quintile, hide_index=True, width="stretch")
    st.caption("What this assumes:")
    for line in gap_effect.assumptions:
        st.text(f"- {line}")

st.header("Did the gap narrow more than in comparator areas?")
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
        st.text(change.statement)
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
