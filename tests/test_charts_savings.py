"""Savings chart builders: specs carry £ units, intervals, the palette, and never touch inputs."""

from __future__ import annotations

import json

from analysis import charts_savings, palette
from analysis.costs import load_default_costs
from analysis.events_avoided import EventsAvoided
from analysis.roi import sensitivity_table
from analysis.savings import simulate_savings
from tests.savings_helpers import FALLS, Z95


def estimate():
    ev = EventsAvoided(500, (500 - Z95 * 100, 500 + Z95 * 100), 2, "normal", 100.0, measure=FALLS)
    return ev, simulate_savings(ev, load_default_costs(), 3, draws=1000, seed=1)


def spec(chart) -> str:
    return json.dumps(chart.to_dict(), ensure_ascii=False)


def test_fan_has_nested_bands_a_central_line_and_the_programme_cost():
    _, est = estimate()
    frame = est.cumulative_frame()
    before = frame.copy()
    chart = charts_savings.savings_fan(frame, 1_000_000, "Cumulative")
    d = chart.to_dict()
    assert [layer["mark"]["type"] for layer in d["layer"]] == ["area", "line", "rule", "text"]
    area = d["layer"][0]["encoding"]
    assert area["y"]["field"] == "lower_ci" and area["y2"]["field"] == "upper_ci"
    assert area["opacity"]["scale"]["domain"] == ["95% interval", "80% interval", "50% interval"]
    assert "Cumulative £ (present value)" in spec(chart)
    assert "programme cost £1,000,000" in spec(chart)
    assert frame.equals(before)
    no_cost = charts_savings.savings_fan(frame).to_dict()
    assert len(no_cost["layer"]) == 2


def test_by_item_draws_each_interval_in_pounds():
    _, est = estimate()
    chart = charts_savings.savings_by_item(est.by_item_frame())
    d = chart.to_dict()
    rule = d["layer"][0]
    assert (rule["encoding"]["x"]["field"], rule["encoding"]["x2"]["field"]) == (
        "lower_ci",
        "upper_ci",
    )
    assert rule["encoding"]["x"]["axis"]["title"].startswith("Costs avoided (£, present value")
    assert rule["mark"]["color"] == palette.INTERVENTION
    assert "'-£' : '£') + format(abs(datum.value)" in rule["encoding"]["x"]["axis"]["labelExpr"]


def test_tornado_one_row_per_input_sorted_by_swing():
    ev, _ = estimate()
    table = sensitivity_table(ev, load_default_costs(), 3, discount_range=(0.015, 0.06))
    chart = charts_savings.tornado(table, "Tornado")
    d = chart.to_dict()
    bars = d["layer"][0]
    assert bars["encoding"]["x2"]["field"] == "base"
    assert bars["encoding"]["color"]["scale"]["range"] == [palette.COMPARATOR, palette.INTERVENTION]
    data = d["datasets"][d["layer"][0]["data"]["name"]]
    inputs = list(dict.fromkeys(r["input"] for r in data))
    assert inputs == table["input"].tolist()
    assert inputs[0] == "events avoided"  # the widest swing here
    assert "Total costs avoided (£, present value)" in spec(chart)
