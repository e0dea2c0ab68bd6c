"""Unit-cost library: the bundled defaults, validation messages, and round trips."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.costs import (
    COLUMNS,
    DEFAULT_COSTS_PATH,
    CostInputError,
    CostTable,
    UnitCost,
    load_default_costs,
)
from analysis.ingest import Catalogue, prepare_batch

FALLS = "falls_admissions_65plus"
GOOD_ROW = {
    "measure": FALLS,
    "item": "hospital admission",
    "cost_gbp": "4088",
    "share": "1",
    "price_year": "2022",
    "source": "test",
    "cost_low": "",
    "cost_high": "",
}


def frame(*rows: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame([{**GOOD_ROW, **r} for r in rows], columns=list(COLUMNS))


# --- the bundled defaults -------------------------------------------------------------------


def test_default_costs_known_values():
    table = load_default_costs()
    falls = {c.item: c for c in table.for_measure(FALLS)}
    assert set(falls) == {"hospital admission", "ambulance call-out", "residential care"}
    # North Tyneside JSNA: average hospital stay for a fall admission about £4,088.
    assert falls["hospital admission"].cost_gbp == 4088
    assert falls["hospital admission"].share == 1
    # Scuffham, Chaplin & Legood 2003: long-term care 41% vs inpatient 49.4% of fall costs.
    assert falls["residential care"].cost_gbp == round(4088 * 41.0 / 49.4)
    # NHS Reference Costs 2013-14, ASS01/ASS02 weighted average, £216 (2013/14 prices).
    assert (falls["ambulance call-out"].cost_gbp, falls["ambulance call-out"].price_year) == (
        216,
        2013,
    )
    (breast,) = table.for_measure("breast_screening_coverage")
    # Sun et al. 2020: £5,167 stage I, £7,613 stage II, £13,330 stage IIIA.
    assert breast.cost_gbp == 7613 - 5167
    assert breast.cost_high == 13330 - 5167
    assert breast.cost_low is None
    assert breast.share == pytest.approx(8.8 / 1000)


def test_every_default_row_cites_a_source_and_unverified_figures_say_so():
    table = load_default_costs()
    assert all(len(c.source) > 40 for c in table)
    ambulance = next(c for c in table if c.item == "ambulance call-out")
    assert "TO VERIFY" in ambulance.source


def test_bundled_file_is_accepted_by_the_app_loader():
    prepared = prepare_batch([("unit_costs.csv", DEFAULT_COSTS_PATH.read_bytes())], Catalogue())
    assert [p.kind for p in prepared] == ["unit_costs"]
    rows = prepared[0].rows
    assert len(rows) == len(load_default_costs())
    pd.testing.assert_series_equal(
        rows["cost_gbp"].reset_index(drop=True),
        load_default_costs().to_frame()["cost_gbp"],
        check_names=False,
    )


# --- validation -------------------------------------------------------------------------------

BAD_CELLS = [
    ("cost_gbp", "-5", "negative"),
    ("cost_gbp", "lots", "not a number"),
    ("cost_gbp", "", "blank"),
    ("share", "1.4", "outside 0–1"),
    ("share", "-0.1", "outside 0–1"),
    ("cost_low", "5000", "above cost_gbp"),
    ("cost_high", "100", "below cost_gbp"),
    ("cost_low", "-1", "negative"),
    ("measure", "", "measure is missing"),
    ("item", " ", "item is missing"),
    ("price_year", "20222", "not a year"),
    ("price_year", "2022.5", "not a year"),
]


@pytest.mark.parametrize(("column", "value", "fragment"), BAD_CELLS)
def test_bad_cell_names_file_row_and_column(column, value, fragment):
    bad = frame({}, {"item": "ambulance call-out", column: value})
    with pytest.raises(CostInputError) as err:
        CostTable.from_frame(bad, file="costs.csv")
    assert str(err.value).startswith(f"costs.csv:3:{column}: ")
    assert fragment in str(err.value)
    assert (err.value.row, err.value.column) == (3, column)


def test_missing_required_column_is_named():
    with pytest.raises(CostInputError, match="column 'cost_gbp' is missing"):
        CostTable.from_frame(frame({}).drop(columns="cost_gbp"))


def test_duplicate_item_is_reported_on_its_row():
    with pytest.raises(CostInputError, match=r"x\.csv:3:item: item 'Hospital admission' appears"):
        CostTable.from_frame(frame({}, {"item": "Hospital admission"}), file="x.csv")


def test_measure_without_cost_items_raises_and_lists_known_measures():
    with pytest.raises(CostInputError, match=r"no unit costs for measure 'smoking'.*falls_"):
        load_default_costs().for_measure("smoking")


def test_unit_cost_checks_itself_without_a_file():
    with pytest.raises(CostInputError, match=r"^unit costs:share: share 2 is outside"):
        UnitCost(FALLS, "x", 10, share=2)
    with pytest.raises(CostInputError, match="cost_gbp -1 is negative"):
        UnitCost(FALLS, "x", -1)


def test_unit_cost_is_frozen_and_gives_expected_cost_per_event():
    cost = UnitCost(FALLS, "care", 3767.0, share=0.25, cost_low=3000, cost_high=5000)
    assert cost.cost_per_event == pytest.approx(941.75)
    assert (cost.low, cost.high, cost.has_range) == (3000, 5000, True)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cost.cost_gbp = 1.0  # type: ignore[misc]


def test_blank_optional_cells_take_documented_defaults():
    table = CostTable.from_frame(frame({"share": "", "price_year": "", "source": ""}))
    (cost,) = table
    assert (cost.share, cost.price_year, cost.source, cost.cost_low) == (1.0, None, "", None)


def test_store_shaped_frame_with_floats_and_nans_is_read():
    store_like = pd.DataFrame(
        {
            "measure": [FALLS],
            "item": ["hospital admission"],
            "cost_gbp": [4088.0],
            "share": [1.0],
            "price_year": [2022.0],
            "source": [None],
            "cost_low": [math.nan],
            "cost_high": [math.nan],
        }
    )
    (cost,) = CostTable.from_frame(store_like)
    assert cost.price_year == 2022 and cost.cost_high is None and cost.source == ""


def test_round_trip_through_a_frame():
    table = load_default_costs()
    assert CostTable.from_frame(table.to_frame()) == table


# --- properties -------------------------------------------------------------------------------

money = st.floats(0, 1e6, allow_nan=False)


@st.composite
def cost_rows(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 5))
    rows = []
    for i in range(n):
        cost = draw(money)
        rows.append(
            {
                "measure": FALLS,
                "item": f"item {i}",
                "cost_gbp": cost,
                "share": draw(st.floats(0, 1)),
                "price_year": draw(st.sampled_from([2019, 2022, None])),
                "source": "generated",
                "cost_low": draw(st.one_of(st.none(), st.floats(0, 1).map(cost.__mul__))),
                "cost_high": draw(st.one_of(st.none(), st.floats(1, 3).map(cost.__mul__))),
            }
        )
    return pd.DataFrame(rows, columns=list(COLUMNS))


@settings(max_examples=60, deadline=None)
@given(cost_rows())
def test_reading_a_frame_never_changes_it_and_round_trips(rows):
    before = rows.copy(deep=True)
    table = CostTable.from_frame(rows)
    pd.testing.assert_frame_equal(rows, before)
    assert CostTable.from_frame(table.to_frame()) == table
    assert all(c.low <= c.cost_gbp <= c.high for c in table)
