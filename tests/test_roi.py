"""Return on investment, payback, break-even and the tornado table: known answers."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from analysis.costs import CostTable, UnitCost
from analysis.events_avoided import (
    EventsAvoided,
    events_avoided_from_effect,
    events_avoided_from_rate,
)
from analysis.roi import return_on_investment, sensitivity_table
from analysis.savings import simulate_savings
from analysis.savings_numbers import SavingsInputError
from tests.savings_helpers import FALLS, effect_with_rate_ratio, fixed_events, one_item


def test_roi_known_answers():
    # £1m a year for 3 years, undiscounted: PV £3m against £1.5m.
    ev = events_avoided_from_rate(-1000, (-1000, -1000), population=100_000, years=1)
    est = simulate_savings(replace(ev, measure=FALLS), one_item(1000), 3, discount_rate=0)
    roi = return_on_investment(est, 1_500_000)
    assert (roi.net_saving_gbp, roi.roi, roi.benefit_cost_ratio) == pytest.approx((1.5e6, 1, 2))
    assert roi.payback_years == pytest.approx(1.5)
    assert roi.break_even_events == pytest.approx(1500)  # over the 3 years: 500 a year
    assert roi.break_even_effect == pytest.approx(-500)  # per 100,000 a year
    assert roi.probability_net_saving == 1.0
    assert roi.roi_ci == pytest.approx((1, 1))


def test_payback_with_discounting_and_never():
    est = simulate_savings(fixed_events(1000), one_item(1000), 3)  # £1m, £966,184, £933,511
    assert return_on_investment(est, 1_500_000).payback_years == pytest.approx(
        1 + 500_000 / 966_183.5749
    )
    never = return_on_investment(est, 5_000_000)
    assert never.payback_years == math.inf
    assert never.to_json_dict()["payback_years"] is None
    assert never.probability_net_saving == 0.0


def test_payback_inside_a_partial_final_year():
    # £1,000, £1,000 and (half a year) £500, undiscounted; £2,250 is reached halfway through
    # the last half-year: 2 + 0.5 × 250/500 = 2.25 years.
    est = simulate_savings(fixed_events(100), one_item(10), 2.5, discount_rate=0)
    assert return_on_investment(est, 2250).payback_years == pytest.approx(2.25)


def test_break_even_rate_ratio():
    ev = events_avoided_from_effect(effect_with_rate_ratio(0.8, (0.7, 0.92), 3000), years=1)
    est = simulate_savings(ev, one_item(1000), 1)
    roi = return_on_investment(est, 300_000)
    # 300 events at £1,000 break even: RR = 3000 / (3000 + 300).
    assert roi.break_even_events == pytest.approx(300)
    assert roi.break_even_effect == pytest.approx(3000 / 3300)
    assert roi.break_even_effect_unit == "rate ratio"
    # With a cost range the break-even interval comes from the cost draws, ordered low–high.
    ranged = return_on_investment(
        simulate_savings(ev, one_item(1000, cost_low=800, cost_high=1250), 1), 300_000
    )
    low_events, high_events = ranged.break_even_events_ci
    assert 240 <= low_events < 300 < high_events <= 375
    assert ranged.break_even_effect_ci == pytest.approx(
        (3000 / (3000 + high_events), 3000 / (3000 + low_events))
    )


def test_tornado_known_answers_and_order():
    table = CostTable(
        (
            UnitCost(FALLS, "hospital admission", 1000, 1, 2022, "t", 800, 1500),
            UnitCost(FALLS, "ambulance call-out", 200, 0.5, 2022, "t"),
        )
    )
    ev = EventsAvoided(100, (50, 150), 1, "normal", 25.5)
    frame = sensitivity_table(ev, table, 1, discount_range=(0.0, 0.05))
    assert list(frame["input"]) == [
        "events avoided",
        "hospital admission: cost (£)",
        "ambulance call-out: cost (£)",
        "discount rate",
    ]
    base = 100 * (1000 + 100)
    assert frame["base_savings"].iloc[0] == pytest.approx(base)
    events_row = frame.iloc[0]
    assert (events_row.savings_at_low, events_row.savings_at_high) == (55_000, 165_000)
    hospital = frame.iloc[1]
    assert (hospital.savings_at_low, hospital.savings_at_high) == (90_000, 160_000)
    assert frame.iloc[2].swing == 0 and "no range" in frame.iloc[2].note
    assert frame.iloc[3].swing == 0  # one year, first year undiscounted


def test_programme_cost_must_be_positive():
    est = simulate_savings(fixed_events(1), one_item(1), 1)
    with pytest.raises(SavingsInputError, match="programme_cost_gbp"):
        return_on_investment(est, 0)
