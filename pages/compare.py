"""Compare: the intervention areas against comparable areas, with its checks."""

import json
from dataclasses import replace

import pandas as pd
import streamlit as st

from analysis import charts_compare
from analysis.arms import build_panel, default_arms
from analysis.comparators import agreement_with_published, propose_comparators
from analysis.compare import MethodChoice
from analysis.defaults import published_neighbours
from analysis.errors import HiodError
from analysis.panel import PanelError
from analysis.savings_numbers import SavingsInputError
from analysis.synth_prep import OUTCOME, SITE_ATTRIBUTES, resolve_predictors
from analysis.usecases import comparison_from_rows, comparison_json, events_figure, format_p
from pages import _ui

st.title("Did it work?")
st.caption(
    "The intervention areas' change compared with what comparable areas suggest would have "
    "happened without the programme."
)
measure = _ui.measure_picker()
if measure is None:
    st.stop()
version = _ui.store_version()
definition = _ui.measure_definition(measure)
rows = _ui.panel_rows(measure, version)
names = dict(zip(rows["site_code"], rows["site_name"].fillna(rows["site_code"]), strict=False))
saved_intervention, saved_comparators = default_arms(rows)
if not saved_intervention:
    st.warning(
        "No intervention site reports this measure. Mark intervention sites on the Sites page."
    )
    st.stop()

codes = sorted(rows["site_code"].unique())
st.session_state.setdefault(f"comparators_{measure}", saved_comparators)
left, right = st.columns(2)
intervention = left.multiselect(
    "Intervention sites (from the saved grouping)",
    codes,
    default=saved_intervention,
    format_func=lambda c: f"{names.get(c, c)} ({c})",
    key=f"intervention_{measure}",
)
comparators = right.multiselect(
    "Comparator sites",
    [c for c in codes if c not in intervention],
    format_func=lambda c: f"{names.get(c, c)} ({c})",
    key=f"comparators_{measure}",
)
periods = sorted(rows["period_start"].unique())
first, last = st.select_slider(
    "Analysis window (period start)",
    options=periods,
    value=(periods[0], periods[-1]),
    format_func=lambda d: pd.Timestamp(d).strftime("%b %Y"),
    key=f"window_{measure}",
)
methods: list[MethodChoice] = ["auto", "did", "its", "synth"]
method = st.radio(
    "Method",
    methods,
    horizontal=True,
    key="method",
    format_func={
        "auto": "Automatic",
        "did": "Difference-in-differences",
        "its": "Interrupted time series",
        "synth": "Synthetic control",
    }.get,
)
starts = (
    rows.loc[rows["site_code"].isin(intervention), ["site_code", "start_date"]]
    .drop_duplicates()
    .dropna()
)
predictor_texts: list[str] = []
if method == "synth" and len(starts):
    st.markdown(
        "**Predictors** (optional): the synthetic control matches the intervention sites on "
        "these as well as on the outcome, each as its mean over the window, with weights V "
        "chosen so that the outcome before the start is tracked best (Abadie & Gardeazabal "
        "2003). With none, it matches the outcome in every period before the start."
    )
    measure_labels = _ui.overview(version).set_index("measure")["label"]
    attributes = [a for a in SITE_ATTRIBUTES if a in rows and rows[a].notna().any()]
    others = [m for m in measure_labels.index if m != measure]
    picked = st.multiselect(
        "Predictors",
        [OUTCOME, *attributes, *others],
        format_func=lambda p: (
            f"{definition.label} (this measure)" if p == OUTCOME else str(measure_labels.get(p, p))
        ),
        key=f"predictors_{measure}",
    )
    pre_periods = [p for p in periods if pd.Timestamp(p) < starts["start_date"].min()]
    if pre_periods:
        low, high = st.select_slider(
            "Window of the predictor means (period start)",
            options=pre_periods,
            value=(pre_periods[0], pre_periods[-1]),
            format_func=lambda d: pd.Timestamp(d).strftime("%b %Y"),
            key=f"predictor_window_{measure}",
        )
        window_text = f"{pd.Timestamp(low):%Y-%m-%d}..{pd.Timestamp(high):%Y-%m-%d}"
        predictor_texts = [p if p in attributes else f"{p}:{window_text}" for p in picked]
    extra_windows = st.text_input(
        "More outcome windows (optional, FROM..TO separated by commas)",
        placeholder="2019-01..2019-06, 2019-07..2019-12",
        key=f"outcome_windows_{measure}",
    )
    predictor_texts += [f"{OUTCOME}:{w.strip()}" for w in extra_windows.split(",") if w.strip()]
st.caption(
    "Start dates (change them on the Sites page): "
    + _ui.plain(
        "; ".join(
            f"{names.get(c, c)} {pd.Timestamp(d):%b %Y}" for c, d in starts.itertuples(index=False)
        )
    )
)

with st.expander("Comparator builder: propose the most similar sites"):
    k = st.slider("How many comparators to propose", 3, 30, 10, key="k_comparators")
    try:
        proposal = propose_comparators(
            build_panel(rows, intervention, [c for c in codes if c not in intervention]), k=k
        )
        st.markdown(
            f"Similarity on {', '.join(proposal.used)} "
            f"({proposal.metric.replace('_', ' ')} distance)."
        )
        proposed = pd.DataFrame({"site_code": proposal.proposed})
        proposed["site_name"] = proposed["site_code"].map(names)
        st.dataframe(proposed, hide_index=True, width="stretch")
        _ui.download_csv(proposed, f"proposed_comparators_{measure}.csv", key="dl_proposed")
        balance = proposal.balance()
        st.markdown("**Balance** (standardised mean difference, Austin 2009: |SMD| < 0.1 is good)")
        st.dataframe(balance, hide_index=True, width="stretch")
        _ui.download_csv(balance, "balance.csv", key="dl_balance")
        site_type = rows.loc[rows["site_code"].isin(intervention), "site_type"].mode()
        published = published_neighbours(site_type.iloc[0]) if len(site_type) else None
        if published is not None:
            st.markdown("**Agreement with the published nearest neighbours** (Blackwell, 2023)")
            agreement = agreement_with_published(published, proposal.per_site())
            st.dataframe(agreement, hide_index=True)
            _ui.download_csv(agreement, "agreement_with_published.csv", key="dl_agreement")
        use, save = st.columns(2)
        if use.button("Use the proposed comparators", key="use_proposed"):
            st.session_state[f"comparators_{measure}"] = list(proposal.proposed)
            st.rerun()
        if save.button("Save them as the grouping's comparators", key="save_proposed"):
            grouping = pd.DataFrame(
                {"site_code": proposal.proposed, "group": "comparator", "start_date": pd.NaT}
            )
            load_id = _ui.get_store().save_grouping(grouping, "comparators proposed on Compare")
            st.cache_data.clear()
            st.success(f"Saved as load #{load_id}.")
    except (PanelError, HiodError) as exc:
        st.info(f"No proposal: {exc}")

try:
    with st.spinner("Estimating…"):
        chosen = resolve_predictors(
            predictor_texts, measure, lambda other: _ui.panel_rows(other, version)
        )
        result = comparison_from_rows(
            rows,
            definition,
            method,
            intervention=intervention,
            comparators=comparators,
            window=(pd.Timestamp(first), pd.Timestamp(last)),
            predictors=chosen,
        )
except (PanelError, HiodError, ValueError) as exc:
    st.error(f"This comparison cannot be made: {exc}")
    st.stop()

effect = result.effect
st.subheader("Result")
cols = st.columns([2, 2, 1, 1])
cols[0].metric(f"Effect ({effect.unit})" if effect.unit else "Effect", f"{effect.estimate:,.1f}")
cols[1].metric(
    f"{effect.confidence:.0%} interval", f"{effect.ci_low:,.1f} to {effect.ci_high:,.1f}"
)
cols[2].metric("p-value", format_p(effect.p_value))
cols[3].metric(
    "Sites",
    f"{effect.n_intervention} vs {effect.n_comparator}",
    help=f"{effect.n_periods_pre} periods before, {effect.n_periods_post} after the start",
)
st.info(_ui.plain(result.sentence))
st.markdown(f"**Method and why**: {result.method_reason}.")
if effect.count_scale is not None:
    cs = effect.count_scale
    st.markdown(
        f"**On the count scale** ({cs.model}): rate ratio {cs.rate_ratio:.3f} "
        f"(95% CI {cs.rate_ratio_ci[0]:.3f} to {cs.rate_ratio_ci[1]:.3f}); "
        f"{cs.observed_events:,.0f} events observed against {cs.expected_events:,.0f} expected "
        "without the programme."
    )
polarised = _ui.ask_polarity(definition)
if polarised is not None:
    try:
        events = events_figure(replace(result, definition=polarised))
        st.metric(
            f"{events.words.capitalize()} over {events.years:.1f} years",
            f"{events.total:,.0f}",
            help=events.basis,
        )
        st.caption(events.text() + ".")
    except SavingsInputError:
        st.caption(
            "This measure has published values but no counts: events need the population the "
            "rate applies to (enter it on the Savings page)."
        )
_ui.show_chart(
    charts_compare.effect_chart(
        result.series,
        definition.label,
        definition.unit,
        rows.loc[rows["site_code"].isin(intervention), "start_date"],
    ),
    f"compare_{measure}",
    width="stretch",
)

st.subheader("Credibility scorecard")
for check in result.checks:
    st.markdown(
        f"{_ui.badge(check.status, check.status.upper())} **{check.name}**: {check.explanation}"
    )

if effect.extra.get("event_time"):
    _ui.show_chart(
        charts_compare.event_study_chart(pd.DataFrame(effect.extra["event_time"]), effect.unit),
        f"event_study_{measure}",
        width="stretch",
    )
if effect.extra.get("weights"):
    balance = effect.extra.get("predictor_balance")
    donors_col, predictors_col = st.columns(2) if balance else (st.container(), None)
    with donors_col:
        _ui.show_chart(
            charts_compare.weights_chart(effect.extra["weights"], names),
            f"synthetic_control_weights_{measure}",
            width="stretch",
        )
    if predictors_col is not None:
        with predictors_col:
            st.markdown(
                "**Predictor weights (V)**: how much each predictor counts in choosing the "
                "donor weights, with the intervention sites', the synthetic control's and "
                "the donors' average value."
            )
            table = pd.DataFrame(balance).sort_values("v_weight", ascending=False)
            st.dataframe(table, hide_index=True, width="stretch")
            _ui.download_csv(table, f"synthetic_control_predictors_{measure}.csv", key="dl_v")
for note in effect.notes:
    st.caption(_ui.plain(note))
st.download_button(
    "Download the result (JSON)",
    json.dumps({"measure": measure, **comparison_json(result)}, default=str, indent=2),
    file_name=f"compare_{measure}.json",
    mime="application/json",
)
