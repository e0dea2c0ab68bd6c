"""The Savings page with AppTest: the figures shown are the library's for the same inputs.

Fixture: the North West falls slice (tests/helpers.py) plus the bundled unit costs.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis.claims import SEED_CLAIM
from analysis.costs import CostTable
from analysis.roi import return_on_investment
from analysis.savings import project_savings, simulate_savings
from analysis.savings_numbers import format_gbp
from analysis.store import Store
from analysis.usecases import comparison_for, events_for
from tests.helpers import FIXTURES, app_on
from tests.savings_helpers import FALLS, VALUE_ONLY, savings_store

TIMEOUT = 120


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "app.duckdb"
    savings_store(path).close()
    return path


@pytest.fixture
def app(db, monkeypatch):
    with app_on(db, monkeypatch) as at:
        yield at


@pytest.fixture
def library(db):
    """What the analysis functions see for the same database."""
    store = Store(db)
    try:
        panels = {m: comparison_for(store, m) for m in (FALLS, VALUE_ONLY)}
        costs = CostTable.from_frame(store.unit_costs())
    finally:
        store.close()
    return panels, costs


def savings_page(at: AppTest, measure: str = FALLS) -> AppTest:
    at.run()
    at.switch_page("pages/savings.py")
    at.run()
    if measure != FALLS:
        at.selectbox(key="measure").set_value(measure).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metric(at: AppTest, label_start: str):
    return next(m for m in at.metric if m.label.startswith(label_start))


def interval_caption(low: float, high: float, fmt) -> str:
    return f"95% interval {fmt(low)} to {fmt(high)}"


def frame_with(at: AppTest, *columns: str) -> pd.DataFrame:
    """The first table shown with ``columns`` (AppTest does not expose dataframe keys)."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def comparison_events(comparisons, measure=FALLS, population=None, **_):
    """The use case's events for the comparison the page makes."""
    return events_for(comparisons[measure], population)


def test_comparison_mode_shows_the_library_total_with_its_interval(app, library):
    panels, costs = library
    at = savings_page(app)
    expected = simulate_savings(comparison_events(panels), costs.for_measure(FALLS), 3.0)
    total = metric(at, "Costs avoided")
    assert total.value == format_gbp(expected.savings_gbp)
    assert interval_caption(*expected.savings_gbp_ci, format_gbp) in captions(at)
    events = metric(at, "Events avoided")
    assert events.value == f"{expected.events_avoided:,.0f}"
    assert interval_caption(*expected.events_avoided_ci, lambda x: f"{x:,.0f}") in captions(at)
    by_item = frame_with(at, "item", "value")
    pd.testing.assert_series_equal(
        by_item["value"], expected.by_item_frame()["value"], check_names=False
    )
    by_year = frame_with(at, "discount_factor")
    assert by_year["value"].tolist() == pytest.approx([y.savings_gbp for y in expected.by_year])
    # This slice's count-scale rate ratio is above 1: the page must not present a saving alone.
    assert any("includes a cost rather than a saving" in w.value for w in at.warning)
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    specs = [json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in charts]
    assert any("Cumulative £ (present value)" in s for s in specs)
    assert any("Total costs avoided (£, present value)" in s for s in specs)  # tornado


def test_roi_figures_match_the_library(app, library):
    panels, costs = library
    at = savings_page(app)
    at.number_input(key="savings_programme_cost").set_value(500_000.0).run()
    assert not at.exception
    expected = return_on_investment(
        simulate_savings(comparison_events(panels), costs.for_measure(FALLS), 3.0), 500_000
    )
    assert metric(at, "Net saving").value == format_gbp(expected.net_saving_gbp)
    assert interval_caption(*expected.net_saving_gbp_ci, format_gbp) in captions(at)
    assert metric(at, "Return on investment").value == f"{expected.roi:.0%}"
    assert metric(at, "Benefit–cost ratio").value == f"{expected.benefit_cost_ratio:,.2f}"
    assert (
        metric(at, "Probability of a net saving").value == f"{expected.probability_net_saving:.0%}"
    )
    payback = (
        "> 3 years" if math.isinf(expected.payback_years) else f"{expected.payback_years:.1f} years"
    )
    assert metric(at, "Payback").value == payback
    assert any(m.value.startswith("**Break-even effect**") for m in at.markdown)


def test_planning_mode_projects_from_the_data_baseline(app, library):
    _, costs = library
    at = savings_page(app)
    at.radio(key="savings_mode").set_value("Planning (projection)").run()
    assert not at.exception
    assert any("Projection" in i.value for i in at.info)
    # 2023/24 falls admissions at Wirral, St Helens and Cheshire East (fixture counts).
    rows = pd.read_csv(FIXTURES / "falls_nw_slice.csv")
    mine = rows[
        rows["site_code"].isin(["E08000015", "E08000013", "E06000049"])
        & (rows["period"] == "2023/24")
    ]
    baseline = mine["numerator"].sum()
    assert at.number_input(key=f"savings_baseline_{FALLS}").value == baseline
    expected = project_savings(baseline, 0.05, 0.15, costs, 3.0, measure=FALLS)
    assert metric(at, "Costs avoided").value == format_gbp(expected.savings_gbp)
    assert interval_caption(*expected.savings_gbp_ci, format_gbp) in captions(at)
    assert any(h.value.startswith("Projected costs avoided") for h in at.subheader)


def test_claim_check_shows_the_implied_unit_costs(app):
    at = savings_page(app)
    assert at.text_area(key=f"savings_claim_{FALLS}").value == SEED_CLAIM
    implied = frame_with(at, "implied_cost_per_event").set_index("item")
    assert implied["implied_cost_per_event"].round().to_dict() == {
        "hospital": 1644,
        "ambulance": 164,
        "residential care": 3767,
    }
    text = " ".join(m.value for m in at.markdown)
    for amount in ("£1,644", "£164", "£3,767"):
        assert f"{amount} per event avoided" in text
    assert "capacity rather than release cash" in text
    at.text_area(key=f"savings_claim_{FALLS}").set_value("It saved £4m.").run()
    assert not at.exception
    assert any("no event count" in e.value for e in at.error)


def test_value_only_measure_asks_for_the_population(app, library):
    panels, costs = library
    at = savings_page(app, VALUE_ONLY)
    assert any("no counts" in i.value for i in at.info)
    assert not [m for m in at.metric if m.label.startswith("Costs avoided")]
    at.number_input(key=f"savings_population_{VALUE_ONLY}").set_value(200_000.0).run()
    assert not at.exception
    # No unit costs are stored for this measure: start from the falls ones.
    at.selectbox(key=f"costs_from_{VALUE_ONLY}").set_value(FALLS).run()
    assert not at.exception
    events = comparison_events(panels, VALUE_ONLY, population=200_000, multiplier=100_000)
    table = CostTable(tuple(replace(c, measure=VALUE_ONLY) for c in costs.for_measure(FALLS)))
    expected = simulate_savings(events, table.for_measure(VALUE_ONLY), 3.0)
    assert metric(at, "Costs avoided").value == format_gbp(expected.savings_gbp)
    assert interval_caption(*expected.savings_gbp_ci, format_gbp) in captions(at)


def test_bad_unit_cost_is_a_message_and_a_good_edit_saves(app, db):
    at = savings_page(app)
    editor_key = f"costs_editor_{FALLS}_db"
    table = at.data_editor(key=editor_key).value
    hospital = int((table["item"] == "hospital admission").to_numpy().nonzero()[0][0])
    at.session_state[editor_key] = {
        "edited_rows": {hospital: {"share": 1.5}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    assert any("share 1.5 is outside 0–1" in e.value for e in at.error)
    at.session_state[editor_key] = {
        "edited_rows": {hospital: {"cost_gbp": 4000.0}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    save = at.button(key="save_costs")
    assert not save.disabled
    save.click().run()
    assert not at.exception
    assert any("Unit costs saved as load #" in s.value for s in at.success)
    store = Store(db)  # same process and settings as the app's connection: allowed
    try:
        saved = CostTable.from_frame(store.unit_costs()).for_measure(FALLS)
    finally:
        store.close()
    assert {c.item: c.cost_gbp for c in saved}["hospital admission"] == 4000


def test_planning_on_a_value_only_measure_asks_for_baseline_events(app, library):
    _, costs = library
    at = savings_page(app, VALUE_ONLY)
    at.radio(key="savings_mode").set_value("Planning (projection)").run()
    assert not at.exception
    assert any(c.value.startswith("No baseline from the data") for c in at.caption)
    assert not [m for m in at.metric if m.label.startswith("Costs avoided")]
    at.selectbox(key=f"costs_from_{VALUE_ONLY}").set_value(FALLS).run()
    at.number_input(key=f"savings_baseline_{VALUE_ONLY}").set_value(1000.0).run()
    assert not at.exception
    table = CostTable(tuple(replace(c, measure=VALUE_ONLY) for c in costs.for_measure(FALLS)))
    expected = project_savings(1000, 0.05, 0.15, table, 3.0, measure=VALUE_ONLY)
    assert metric(at, "Costs avoided").value == format_gbp(expected.savings_gbp)


def test_uploaded_unit_costs_replace_the_table_and_bad_ones_are_located(app, library):
    panels, costs = library
    at = savings_page(app)
    mine = costs.for_measure(FALLS).to_frame()
    mine.loc[mine["item"] == "hospital admission", "cost_gbp"] = 2000
    at.file_uploader(key=f"costs_upload_{FALLS}").set_value(
        ("my_costs.csv", mine.to_csv(index=False).encode(), "text/csv")
    )
    at.run()
    assert not at.exception
    expected = simulate_savings(
        comparison_events(panels), CostTable.from_frame(mine).for_measure(FALLS), 3.0
    )
    assert metric(at, "Costs avoided").value == format_gbp(expected.savings_gbp)
    bad = mine.assign(share=[1, 1, 2])
    at.file_uploader(key=f"costs_upload_{FALLS}").set_value(
        ("bad_costs.csv", bad.to_csv(index=False).encode(), "text/csv")
    )
    at.run()
    assert not at.exception
    assert any(e.value.startswith("bad_costs.csv:4:share:") for e in at.error)
