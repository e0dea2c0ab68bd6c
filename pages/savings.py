"""Savings: what did the programme save (or what might it save), with honest uncertainty."""

from dataclasses import fields

import pandas as pd
import streamlit as st

from analysis import charts, charts_savings
from analysis.claims import SEED_CLAIM, check_claim
from analysis.compare import run_comparison
from analysis.costs import COLUMNS as COST_COLUMNS
from analysis.costs import CostInputError, CostTable
from analysis.errors import HiodError, LoadRejected
from analysis.ingest import prepare_batch
from analysis.panel import PanelError
from analysis.readers import ReadFailed, read_table
from analysis.roi import return_on_investment, sensitivity_table
from analysis.savings import (
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    GREEN_BOOK_RATE,
    baseline_events,
    events_avoided_from_effect,
    format_gbp,
    project_savings,
    simulate_savings,
)
from pages import _ui

FROM_COMPARISON = "From the comparison"
PLANNING = "Planning (projection)"
TORNADO_DISCOUNT_RANGE = (0.015, 0.06)


def interval_text(low: float, high: float, fmt, confidence: float = 0.95) -> str:
    """'95% interval a to b' with the figure's own format."""
    return f"{confidence:.0%} interval {fmt(low)} to {fmt(high)}"


def figure(column, label: str, value: float, ci: tuple[float, float], fmt, help=None) -> None:
    """A metric with its interval underneath (every figure on this page has one)."""
    column.metric(label, fmt(value), help=help)
    column.caption(interval_text(*ci, fmt))


def events_text(x: float) -> str:
    """Whole events with thousands separators."""
    return f"{x:,.0f}"


def ratio_text(x: float) -> str:
    """A ratio to two decimals."""
    return f"{x:,.2f}"


def percent_text(x: float) -> str:
    """A fraction as a whole percentage."""
    return f"{x:.0%}"


def payback_text(x: float) -> str:
    """Years to one decimal, or '> horizon' when the cost is not repaid within it."""
    return f"> {horizon:g} years" if x == float("inf") else f"{x:.1f} years"


st.title("What did it save?")
st.caption(
    "Costs avoided by the programme: events avoided × what each event costs the NHS and social "
    "care, over a horizon, discounted. These are **costs avoided** (capacity freed for other "
    "patients), not cash released: budgets fall only if capacity is taken out."
)
measure = _ui.measure_picker()
if measure is None:
    st.stop()
store = _ui.get_store()
version = _ui.store_version()
definition = _ui.definition(measure)
unit = charts.unit_label(definition["kind"], definition["multiplier"])
label = definition["label"] or measure
multiplier = float(definition["multiplier"] or 1)
polarity = definition["higher_is_better"]
higher_is_better = None if pd.isna(polarity) else bool(polarity)
panel = _ui.panel(measure, version)

mode = st.radio("Mode", [FROM_COMPARISON, PLANNING], horizontal=True, key="savings_mode")
if higher_is_better is None:
    st.caption("This measure has no stated polarity: fewer events are counted as the benefit.")

# ---- unit costs ---------------------------------------------------------------------------
st.subheader("Unit costs")
st.caption(
    "What one event avoided costs, item by item (£ per event × the share of events that incur "
    "it), with the price year and source. Edit, add or remove rows; validated as you type."
)
try:
    library = CostTable.from_frame(store.unit_costs(), file="unit costs in the database")
except CostInputError as exc:
    st.error(f"The stored unit costs cannot be used: {exc}")
    library = CostTable(())
own = [c for c in library if c.measure == measure]
upload = st.file_uploader(
    "Start from a unit costs file (CSV, XLSX or Parquet)",
    type=["csv", "xlsx", "parquet"],
    key=f"costs_upload_{measure}",
)
base, base_token = CostTable(tuple(own)).to_frame(), "db"
if upload is not None:
    try:
        uploaded = CostTable.from_frame(
            read_table(upload.name, upload.getvalue()).cells, file=upload.name
        )
        base = CostTable(tuple(c for c in uploaded if c.measure == measure)).to_frame()
        base_token = f"up{upload.file_id}"
        if base.empty:
            st.warning(f"{upload.name} has no rows for `{measure}`.")
    except ReadFailed as exc:
        st.error(str(exc.issue))
    except CostInputError as exc:
        st.error(str(exc))
elif not own:
    others = [m for m in library.measures if m != measure]
    st.info(f"No unit costs are stored for `{measure}`: add rows below, or start from another's.")
    source = st.selectbox(
        "Start from the costs of", ["(empty table)", *others], key=f"costs_from_{measure}"
    )
    if source != "(empty table)":
        base = library.for_measure(source).to_frame().assign(measure=measure)
        base_token = f"from_{source}"
edited = st.data_editor(
    base.reindex(columns=list(COST_COLUMNS)),
    num_rows="dynamic",
    hide_index=True,
    width="stretch",
    disabled=["measure"],
    column_config={
        "measure": st.column_config.TextColumn("measure", help="the measure selected above"),
        "item": st.column_config.TextColumn("item", required=True),
        "cost_gbp": st.column_config.NumberColumn("£ per event", min_value=0, format="£%,.0f"),
        "share": st.column_config.NumberColumn(
            "share", min_value=0.0, max_value=1.0, help="fraction of events that incur the item"
        ),
        "price_year": st.column_config.NumberColumn(
            "price year", format="%d", help="2022 means 2022/23 prices"
        ),
        "source": st.column_config.TextColumn("source", width="large"),
        "cost_low": st.column_config.NumberColumn("low £", min_value=0, format="£%,.0f"),
        "cost_high": st.column_config.NumberColumn("high £", min_value=0, format="£%,.0f"),
    },
    key=f"costs_editor_{measure}_{base_token}",
)
costs = None
try:
    costs = CostTable.from_frame(edited.assign(measure=measure), file="unit cost table")
    if not len(costs):
        st.warning("Add at least one cost item to value the events avoided.")
        costs = None
except CostInputError as exc:
    st.error(f"Check the unit cost table: {exc}")
if costs is not None:
    csv = costs.to_frame().to_csv(index=False)
    left, right = st.columns(2)
    changed = not costs.to_frame().equals(CostTable(tuple(own)).to_frame())
    if left.button("Save these unit costs to the database", disabled=not changed, key="save_costs"):
        try:
            outcome = store.apply(
                prepare_batch([("unit_costs_edited.csv", csv.encode())], store.catalogue())
            )[0]
            st.cache_data.clear()
            st.success(f"Unit costs saved as load #{outcome.load_id} ({outcome.status}).")
        except LoadRejected as exc:
            st.error("Not saved:\n\n" + "\n".join(f"- {i}" for i in exc.issues))
        except HiodError as exc:
            _ui.show_error(exc)
    right.download_button(
        "Download these unit costs (CSV)",
        csv,
        file_name=f"unit_costs_{measure}.csv",
        mime="text/csv",
        key="dl_costs",
    )
    st.caption(
        "Saving adds a load (roll it back on the Data page). A saved row replaces the stored "
        "row with the same item; a row removed here stays stored, so set its share to 0 to drop it."
    )

# ---- assumptions ----------------------------------------------------------------------------
st.subheader("Horizon and discounting")
cols = st.columns(5)
horizon = cols[0].number_input(
    "Horizon (years)", min_value=0.5, max_value=50.0, value=3.0, step=0.5, key="savings_horizon"
)
rate_pct = cols[1].number_input(
    "Discount rate (% a year)",
    min_value=0.0,
    max_value=20.0,
    value=GREEN_BOOK_RATE * 100,
    step=0.5,
    help="HM Treasury Green Book (2022): 3.5% a year",
    key="savings_discount",
)
first_year = cols[2].selectbox(
    "Year 1",
    ["undiscounted", "discounted"],
    help="Undiscounted: year 1 is the Green Book's year 0, factor 1/(1+r)^(t−1). "
    "Discounted: factor 1/(1+r)^t.",
    key="savings_first_year",
)
draws = cols[3].number_input(
    "Simulation draws", min_value=100, max_value=200_000, value=DEFAULT_DRAWS, step=1000,
    key="savings_draws",
)  # fmt: skip
seed = cols[4].number_input("Seed", min_value=0, value=DEFAULT_SEED, step=1, key="savings_seed")
cost_distribution = st.radio(
    "Unit costs with a published range are drawn from a",
    ["triangular", "uniform"],
    horizontal=True,
    key="savings_cost_distribution",
)
discount_rate = rate_pct / 100
convention = (
    "year 1 undiscounted (factor 1), year 2 × 1/(1+r), …"
    if first_year == "undiscounted"
    else "year 1 × 1/(1+r), year 2 × 1/(1+r)², …"
)
st.caption(
    f"Discounting at {rate_pct:.1f}% a year: {convention}. "
    "Costs are in their price years, not inflated."
)

# ---- events avoided --------------------------------------------------------------------------
st.subheader("Events avoided")
events = None
notes: list[str] = []
if mode == FROM_COMPARISON:
    try:
        with st.spinner("Estimating the effect…"):
            comparison = run_comparison(
                panel,
                measure=measure,
                label=label,
                unit=unit,
                multiplier=multiplier,
                higher_is_better=higher_is_better,
            )
    except (PanelError, HiodError, ValueError) as exc:
        st.warning(f"No comparison can be made for this measure: {exc}. Use **{PLANNING}**.")
        st.stop()
    effect = comparison.effect
    st.markdown(comparison.sentence)
    st.caption(f"Method: {effect.method_label}. Why: {comparison.method_reason}.")
    population = None
    if effect.count_scale is None:
        st.info(
            f"`{measure}` has published values but no counts, so the effect ({unit}) must be "
            "applied to a population to give events. Enter the number of people the rate "
            "applies to (e.g. residents aged 65+ in the intervention areas)."
        )
        population = st.number_input(
            "Population the rate applies to",
            min_value=1.0,
            value=None,
            step=1000.0,
            key=f"savings_population_{measure}",
        )
        if population is None:
            st.stop()
    try:
        events = events_avoided_from_effect(
            effect,
            comparison.post_years,
            higher_is_better=bool(higher_is_better),
            population=population,
            multiplier=multiplier,
        )
    except HiodError as exc:
        _ui.show_error(exc)
        st.stop()
    st.caption(
        f"Post period observed: {comparison.post_years:.1f} years. {events.basis}. Events avoided "
        "a year are the total over the post period ÷ its length; years of the horizon beyond the "
        "post period assume the effect continues."
    )
    notes.append(
        f"Events avoided a year = the post-period total ÷ its length from the earliest start "
        f"({comparison.post_years:.1f} years); sites that started later count fewer years in it, "
        "so with staggered starts the annual figure understates a year with every site running."
    )
else:
    st.info(
        "**Projection**: savings if the programme cut events by the range you expect. This is a "
        "planning assumption, not an estimate from data."
    )
    baseline = baseline_events(panel, multiplier)
    left, right = st.columns(2)
    low_pct, high_pct = left.slider(
        "Expected reduction in events (%), low to high",
        0,
        100,
        (5, 15),
        key="savings_reduction",
    )
    base_events = right.number_input(
        "Baseline events a year",
        min_value=0.0,
        value=None if baseline.events_per_year is None else float(round(baseline.events_per_year)),
        step=10.0,
        key=f"savings_baseline_{measure}",
    )
    st.caption(
        f"Baseline from the loaded data: {baseline.basis}."
        if baseline.events_per_year is not None
        else f"No baseline from the data ({baseline.basis}): enter the events a year "
        + (
            f"(latest rate {baseline.rate:,.1f} {unit} × population ÷ {multiplier:,.0f})."
            if baseline.rate is not None
            else "."
        )
    )
    if not base_events:
        st.stop()

if costs is None:
    st.stop()
try:
    if mode == FROM_COMPARISON:
        estimate = simulate_savings(
            events,
            costs,
            horizon,
            discount_rate,
            int(draws),
            int(seed),
            first_year=first_year,
            cost_distribution=cost_distribution,
        )
    else:
        estimate = project_savings(
            base_events,
            low_pct / 100,
            high_pct / 100,
            costs,
            horizon,
            discount_rate,
            int(draws),
            int(seed),
            measure=measure,
            first_year=first_year,
            cost_distribution=cost_distribution,
        )
        events = estimate.events
except HiodError as exc:
    _ui.show_error(exc)
    st.stop()

# ---- results ---------------------------------------------------------------------------------
kind = "Projected" if estimate.kind == "projection" else "Estimated"
st.subheader(f"{kind} costs avoided over {estimate.assumptions.horizon_years:g} years")
cols = st.columns(3)
figure(
    cols[0],
    f"Events avoided over {estimate.assumptions.horizon_years:g} years",
    estimate.events_avoided,
    estimate.events_avoided_ci,
    events_text,
)
figure(
    cols[1],
    "Costs avoided (present value)",
    estimate.savings_gbp,
    estimate.savings_gbp_ci,
    format_gbp,
    help="Σ items Σ years: events a year × £ per event × share × discount factor",
)
figure(
    cols[2],
    "Per event avoided (present value)",
    estimate.saving_per_event_gbp,
    estimate.saving_per_event_gbp_ci,
    format_gbp,
    help="Present value of one event avoided a year over the horizon; the interval comes from "
    "the unit cost ranges (none given: no width)",
)
if estimate.savings_gbp_ci[0] < 0:
    st.warning(
        "The interval includes a cost rather than a saving: the data do not rule out that "
        "events rose. Do not quote the central figure on its own."
    )
by_item = estimate.by_item_frame()
left, right = st.columns(2)
with left:
    _ui.show_chart(
        charts_savings.savings_by_item(by_item, "Costs avoided by item"),
        f"savings_by_item_{measure}",
        width="stretch",
    )
    st.dataframe(
        by_item[["item", "value", "lower_ci", "upper_ci"]],
        hide_index=True,
        width="stretch",
        column_config={
            "value": st.column_config.NumberColumn("costs avoided (£)", format="%,.0f"),
            "lower_ci": st.column_config.NumberColumn("lower (£)", format="%,.0f"),
            "upper_ci": st.column_config.NumberColumn("upper (£)", format="%,.0f"),
        },
    )
    _ui.download_csv(by_item, f"savings_by_item_{measure}.csv", key="dl_savings_by_item")
with right:
    _ui.show_chart(
        charts_savings.savings_fan(
            estimate.cumulative_frame(),
            st.session_state.get("savings_programme_cost") or None,
            "Cumulative costs avoided (50%, 80%, 95% intervals)",
        ),
        f"savings_cumulative_{measure}",
        width="stretch",
    )
    by_year = estimate.by_year_frame()
    st.dataframe(
        by_year[["year", "discount_factor", "value", "lower_ci", "upper_ci"]],
        hide_index=True,
        width="stretch",
        column_config={
            "discount_factor": st.column_config.NumberColumn("discount factor", format="%.4f"),
            "value": st.column_config.NumberColumn("discounted (£)", format="%,.0f"),
            "lower_ci": st.column_config.NumberColumn("lower (£)", format="%,.0f"),
            "upper_ci": st.column_config.NumberColumn("upper (£)", format="%,.0f"),
        },
    )
    _ui.download_csv(by_year, f"savings_by_year_{measure}.csv", key="dl_savings_by_year")

# ---- return on investment --------------------------------------------------------------------
st.subheader("Return on investment")
programme_cost = st.number_input(
    "Programme cost (£, paid up front)",
    min_value=0.0,
    value=0.0,
    step=10_000.0,
    key="savings_programme_cost",
)
if programme_cost > 0:
    roi = return_on_investment(estimate, programme_cost)
    cols = st.columns(3)
    figure(cols[0], "Net saving", roi.net_saving_gbp, roi.net_saving_gbp_ci, format_gbp)
    figure(cols[1], "Return on investment", roi.roi, roi.roi_ci, percent_text)
    figure(
        cols[2], "Benefit–cost ratio", roi.benefit_cost_ratio, roi.benefit_cost_ratio_ci,
        ratio_text,
    )  # fmt: skip
    cols = st.columns(3)
    figure(cols[0], "Payback", roi.payback_years, roi.payback_years_ci, payback_text)
    figure(
        cols[1],
        "Break-even events avoided",
        roi.break_even_events,
        roi.break_even_events_ci,
        events_text,
    )
    cols[2].metric(
        "Probability of a net saving",
        percent_text(roi.probability_net_saving),
        help="Share of the simulation draws in which costs avoided exceed the programme cost",
    )
    cols[2].caption(f"share of {int(draws):,} draws; it already carries the uncertainty")
    if roi.break_even_effect is not None:
        be_unit = roi.break_even_effect_unit
        low, high = roi.break_even_effect_ci
        ends = (
            f" ({interval_text(low, high, lambda x: f'{x:,.3g}')})"
            if None not in (low, high)
            else ""
        )
        st.markdown(
            f"**Break-even effect**: {roi.break_even_effect:,.3g} ({be_unit}){ends}. "
            + (
                "A rate ratio below this (more events avoided) pays for the programme."
                if be_unit == "rate ratio"
                else "An effect larger than this pays for the programme."
            )
        )
    st.caption(
        "Net saving = present value of costs avoided − programme cost; ROI = net saving ÷ cost; "
        "benefit–cost ratio = costs avoided ÷ cost (Drummond et al. 2015). Intervals from the "
        "same simulation draws."
    )
else:
    st.caption("Enter the programme cost to see net saving, ROI, payback and break-even.")

# ---- sensitivity -----------------------------------------------------------------------------
st.subheader("Which assumption matters most?")
tornado = sensitivity_table(
    events,
    costs,
    estimate.assumptions.horizon_years,
    discount_rate,
    first_year=first_year,
    discount_range=TORNADO_DISCOUNT_RANGE,
)
_ui.show_chart(
    charts_savings.tornado(tornado, "One-way sensitivity: total costs avoided"),
    f"savings_sensitivity_{measure}",
    width="stretch",
)
st.caption(
    "Each input moved alone to the ends of its interval or published range, the rest held at "
    "their central values; discount rate 1.5% (Green Book rate for health effects) to 6%. "
    "Items without a published range show no swing: add low/high in the unit cost table."
)

# ---- assumptions -----------------------------------------------------------------------------
with st.expander("Every assumption behind these figures"):
    for line in (*estimate.assumptions.lines(), *notes):
        st.markdown(f"- {line}")
    st.markdown(
        "- Costs avoided are not cash released: fewer admissions free beds and staff time for "
        "other patients unless capacity is taken out."
    )
    a = estimate.assumptions
    rows = [
        {"assumption": f.name, "value": str(getattr(a, f.name))}
        for f in fields(a)
        if f.name != "costs"
    ]
    rows += [
        {"assumption": f"events.{f.name}", "value": str(getattr(events, f.name))}
        for f in fields(events)
    ]
    assumptions = pd.DataFrame(rows)
    st.dataframe(assumptions, hide_index=True, width="stretch")
    _ui.download_csv(assumptions, f"savings_assumptions_{measure}.csv", key="dl_assumptions")
    st.markdown("**Unit costs used**")
    unit_costs = CostTable(a.costs).to_frame()
    st.dataframe(unit_costs, hide_index=True, width="stretch")
    _ui.download_csv(unit_costs, "unit_costs_used.csv", key="dl_unit_costs_used")

# ---- claim check -----------------------------------------------------------------------------
st.subheader("Check a claim")
st.caption(
    "A headline claim set beside what the loaded data and the unit costs above support "
    "(undiscounted, over the claim's years, as headline claims are)."
)
claim_text = st.text_area("Claim", value=SEED_CLAIM, key="savings_claim")
try:
    check = check_claim(claim_text, events, costs, draws=int(draws), seed=int(seed))
except HiodError as exc:
    _ui.show_error(exc)
else:
    implied = check.items_frame()
    st.dataframe(
        implied,
        hide_index=True,
        width="stretch",
        column_config={
            "claimed_gbp": st.column_config.NumberColumn("claimed (£)", format="%,.0f"),
            "implied_cost_per_event": st.column_config.NumberColumn(
                "implied £ per event", format="£%,.0f"
            ),
            "matched_item": st.column_config.TextColumn("table item"),
            "table_cost_per_event": st.column_config.NumberColumn(
                "table £ per event", format="£%,.0f"
            ),
            "supported_gbp": st.column_config.NumberColumn("supported (£)", format="%,.0f"),
            "lower_ci": st.column_config.NumberColumn("lower (£)", format="%,.0f"),
            "upper_ci": st.column_config.NumberColumn("upper (£)", format="%,.0f"),
            "inside": st.column_config.CheckboxColumn("claim inside interval"),
        },
    )
    _ui.download_csv(implied, "claim_check.csv", key="dl_claim_check")
    st.markdown("**What the data say**")
    for line in check.findings:
        st.markdown(f"- {line}")
    st.markdown("**What the claim needs to be true**")
    for line in check.assumptions:
        st.markdown(f"- {line}")
