"""Savings engine: known answers first (Green Book, events avoided), then simulation and inputs."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from analysis.costs import CostInputError, CostTable, UnitCost, load_default_costs
from analysis.discounting import discount_factors, present_value
from analysis.effect import Effect
from analysis.events_avoided import (
    EventsAvoided,
    baseline_events,
    events_avoided_from_effect,
    events_avoided_from_rate,
)
from analysis.savings import project_savings, simulate_savings
from analysis.savings_numbers import SavingsInputError, format_gbp
from tests.savings_helpers import FALLS, Z95, effect_with_rate_ratio, fixed_events, one_item

# --- known answers ----------------------------------------------------------------------------


def test_green_book_discounting_hand_worked():
    # £1,000,000 in each of years 1–3 at 3.5%: 1.035⁻¹ = 0.966183575…, 1.035⁻² = 0.933510700…
    flows = [1_000_000] * 3
    assert present_value(flows, 0.035, "undiscounted") == pytest.approx(2_899_694.28, abs=0.01)
    # 966,183.57 + 933,510.70 + 901,942.71 = 2,801,636.98
    assert present_value(flows, 0.035, "discounted") == pytest.approx(2_801_636.98, abs=0.01)
    assert discount_factors(3) * 1e6 == pytest.approx([1e6, 966_183.57, 933_510.70], abs=0.01)


@pytest.mark.parametrize(
    ("first_year", "expected"), [("undiscounted", 2_899_694.28), ("discounted", 2_801_636.98)]
)
def test_simulated_savings_use_the_pinned_convention(first_year, expected):
    # 1,000 events a year × £1,000 = £1m a year for 3 years.
    est = simulate_savings(fixed_events(1000), one_item(1000), 3, first_year=first_year)
    assert est.savings_gbp == pytest.approx(expected, abs=0.01)
    assert est.assumptions.first_year == first_year
    assert [round(y.savings_gbp, 2) for y in est.by_year][1] == (
        966_183.57 if first_year == "undiscounted" else 933_510.70
    )


def test_partial_final_year_counts_in_part():
    est = simulate_savings(fixed_events(100), one_item(10), 2.5, discount_rate=0)
    assert [y.savings_gbp for y in est.by_year] == pytest.approx([1000, 1000, 500])
    assert est.events_avoided == pytest.approx(250)


def test_events_from_rate_ratio_known_answer():
    ev = events_avoided_from_effect(effect_with_rate_ratio(0.8, (0.7, 0.92), 3000), years=2)
    # counterfactual 3000 / 0.8 = 3750, so 750 avoided; ends 3000/0.92 − 3000 and 3000/0.7 − 3000.
    assert ev.events == pytest.approx(750)
    assert ev.ci == pytest.approx((260.8696, 1285.7143), abs=1e-4)
    assert ev.spread == pytest.approx((math.log(0.92) - math.log(0.7)) / (2 * Z95))


def test_more_is_better_flips_the_sign():
    # 1,100 screened against a counterfactual of 1,000 (RR 1.1): 100 extra people screened.
    ev = events_avoided_from_effect(
        effect_with_rate_ratio(1.1, (1.05, 1.15), 1100), years=1, higher_is_better=True
    )
    assert ev.events == pytest.approx(100)
    assert ev.direction == "more"


def test_events_from_a_value_only_rate_known_answer():
    # −50 per 100,000 a year (−80 to −20) in 200,000 people over 2 years → 200 (80 to 320).
    ev = events_avoided_from_rate(-50, (-80, -20), population=200_000, years=2)
    assert (ev.events, ev.ci) == (pytest.approx(200), pytest.approx((80, 320)))
    assert ev.spread == pytest.approx(240 / (2 * Z95))
    assert ev.effect_for(200) == pytest.approx(-50)


def test_value_only_effect_needs_population_and_multiplier():
    value_only = Effect(FALLS, "its", "ITS", -50, -80, -20, 0.01, "per 100,000", 3, 0, 4, 2)
    with pytest.raises(SavingsInputError, match="population"):
        events_avoided_from_effect(value_only, years=2)
    ev = events_avoided_from_effect(value_only, 2, population=200_000, multiplier=100_000)
    assert ev.events == pytest.approx(200) and ev.measure == FALLS


def test_breast_screening_default_known_answer():
    # 1,000 extra women screened a year × £2,446 × 0.0088 = £21,524.80 a year.
    est = simulate_savings(
        fixed_events(1000, measure="breast_screening_coverage"),
        load_default_costs(),
        1,
    )
    assert est.savings_gbp == pytest.approx(21_524.80, abs=0.01)
    assert est.savings_gbp_ci[1] > est.savings_gbp  # stage IIIA upper range carried


# --- simulation -------------------------------------------------------------------------------


def test_zero_uncertainty_collapses_every_interval_to_the_point():
    ev = events_avoided_from_effect(effect_with_rate_ratio(0.8, (0.8, 0.8), 3000), years=2)
    est = simulate_savings(ev, load_default_costs(), 3)
    assert est.savings_gbp_ci == pytest.approx((est.savings_gbp,) * 2, rel=1e-12)
    for part in (*est.by_item, *est.by_year):
        assert part.savings_gbp_ci == pytest.approx((part.savings_gbp,) * 2, rel=1e-12)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_normal_effect_matches_the_analytic_interval(seed):
    # Events ~ N(1000, 200), £100 × share 0.5 → savings ~ N(50,000, 10,000); 95% CI ±1.96 σ.
    # With n = 10,000 draws the SE of a 2.5% quantile is √(p(1−p)/n) / φ(z) · σ ≈ 0.0267 σ;
    # the tolerance is 4 SE ≈ 0.107 σ = £1,068.
    sigma = 10_000
    ev = EventsAvoided(1000, (1000 - Z95 * 200, 1000 + Z95 * 200), 1, "normal", 200.0)
    est = simulate_savings(ev, one_item(100, 0.5), 1, draws=10_000, seed=seed)
    se_q = math.sqrt(0.025 * 0.975 / 10_000) / norm.pdf(Z95) * sigma
    analytic = (50_000 - Z95 * sigma, 50_000 + Z95 * sigma)
    assert est.savings_gbp == pytest.approx(50_000)
    assert est.savings_gbp_ci == pytest.approx(analytic, abs=4 * se_q)


def test_log_rate_ratio_draws_match_the_analytic_interval():
    # Quantiles of observed × (1/RR − 1) are the transformed quantiles of log RR; tolerance is
    # 4 quantile SEs on the log scale carried through dE/dlogRR = observed / RR.
    ev = events_avoided_from_effect(effect_with_rate_ratio(0.8, (0.7, 0.92), 3000), years=1)
    est = simulate_savings(ev, one_item(1.0), 1)
    se_log = math.sqrt(0.025 * 0.975 / 10_000) / norm.pdf(Z95) * ev.spread
    for got, rr in zip(est.savings_gbp_ci, (0.92, 0.7), strict=True):
        assert got == pytest.approx(3000 / rr - 3000, abs=4 * se_log * 3000 / rr)


def test_uniform_cost_range_and_reproducible_seed():
    table = one_item(1000, cost_low=500, cost_high=1500)
    a = simulate_savings(fixed_events(10), table, 1, cost_distribution="uniform", seed=7)
    b = simulate_savings(fixed_events(10), table, 1, cost_distribution="uniform", seed=7)
    assert a.savings_gbp_ci == b.savings_gbp_ci
    # Uniform(5,000, 15,000): 2.5% and 97.5% points are 5,250 and 14,750 (SE ≈ £16 each).
    assert a.savings_gbp_ci == pytest.approx((5250, 14750), abs=100)


def test_triangular_cost_range_known_quantiles():
    # Triangular(500, 1000, 1500): F(x) = (x − 500)² / (1000 × 500) below the mode, so the
    # 2.5% point is 500 + √12,500 = 611.80 and the 97.5% point 1,388.20; × 10 events.
    # Quantile SE = √(p(1−p)/n) / f(x) ≈ 3.49 per event → 4 SE × 10 ≈ £140.
    est = simulate_savings(fixed_events(10), one_item(1000, cost_low=500, cost_high=1500), 1)
    assert est.savings_gbp == 10_000
    assert est.savings_gbp_ci == pytest.approx((6118.0, 13882.0), abs=140)


def test_projection_is_labelled_and_matches_uniform_quantiles():
    est = project_savings(1000, 0.1, 0.3, one_item(100), 1, measure=FALLS)
    assert est.kind == "projection"
    assert "Projection" in est.assumptions.lines()[-1]
    assert est.events_avoided == pytest.approx(200)
    assert est.events_avoided_ci == pytest.approx((105, 295))
    # Savings = £100 × events; quantile SE for a uniform is √(p(1−p)/n) × width ≈ £31.
    assert est.savings_gbp_ci == pytest.approx((10_500, 29_500), abs=4 * 31.3)


def test_mixed_price_years_are_flagged_and_assumptions_list_every_input():
    est = simulate_savings(fixed_events(100, years=2), load_default_costs(), 2, seed=11)
    a = est.assumptions
    assert a.costs == load_default_costs().for_measure(FALLS).items
    assert (a.discount_rate, a.horizon_years, a.draws, a.seed) == (0.035, 2, 10_000, 11)
    assert set(a.price_years) == {2022, 2013}
    text = " ".join(a.lines())
    assert "different price years" in text and "3.5%" in text and "2013/14" in text


def test_result_is_frozen_json_ready_and_its_draws_read_only():
    est = simulate_savings(fixed_events(100), load_default_costs(), 2)
    out = json.loads(json.dumps(est.to_json_dict(), allow_nan=False))
    assert {"events_avoided", "events_avoided_ci", "savings_gbp", "savings_gbp_ci", "by_item"} <= (
        out.keys()
    )
    assert [i["item"] for i in out["by_item"]] == [i.item for i in est.by_item]
    assert list(est.by_item_frame().columns[:4]) == ["item", "value", "cost_gbp", "share"]
    assert {"lower_ci", "upper_ci", "confidence"} <= set(est.by_year_frame().columns)
    with pytest.raises(ValueError, match="read-only"):
        est.year_draws[0, 0] = 1.0


# --- bad inputs -------------------------------------------------------------------------------

BAD_CALLS = [
    (lambda: simulate_savings(fixed_events(1), one_item(1), 0), "horizon_years"),
    (lambda: simulate_savings(fixed_events(1), one_item(1), 1, -0.01), "discount_rate"),
    (lambda: simulate_savings(fixed_events(1), one_item(1), 1, draws=10), "draws"),
    (lambda: simulate_savings(fixed_events(1), one_item(1), 1, confidence=1.5), "confidence"),
    (lambda: project_savings(100, 0.3, 0.1, one_item(1), 1), "expected_reduction_low"),
    (lambda: project_savings(-1, 0.1, 0.3, one_item(1), 1), "baseline_events_per_year"),
    (lambda: events_avoided_from_rate(-5, (-8, -2), 0, 1), "population"),
    (lambda: events_avoided_from_rate(-5, (-8, -2), 100, 0), "years"),
    (lambda: events_avoided_from_rate(-5, (-8, -2), 100, 1, multiplier=0), "multiplier"),
    (lambda: events_avoided_from_rate(-5, (-2, -8), 100, 1), "ci"),
    (lambda: EventsAvoided(5, (6, 4), 1, "normal"), "ci lower end 6"),
    (lambda: simulate_savings(fixed_events(1, measure="smoking"), one_item(1), 1),
     "no unit costs for measure 'smoking'"),
    (lambda: simulate_savings(fixed_events(1, measure=""), load_default_costs(), 1),
     "cost_table holds 2 measures"),
    (lambda: one_item(-1), "cost_gbp -1 is negative"),
    (lambda: one_item(1, share=1.01), "share 1.01 is outside 0–1"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "names"), BAD_CALLS)
def test_bad_input_raises_our_error_naming_the_input(call, names):
    with pytest.raises((SavingsInputError, CostInputError)) as err:
        call()
    assert names in str(err.value)


# --- properties -------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    events=st.floats(1, 1e5),
    k=st.floats(0.01, 100),
    rel_spread=st.floats(0, 0.5),
    horizon=st.floats(0.5, 10),
)
def test_savings_scale_linearly_with_events(events, k, rel_spread, horizon):
    table = CostTable(
        (
            UnitCost(FALLS, "a", 4088, 1, 2022, "t", 3000, 5000),
            UnitCost(FALLS, "b", 216, 0.4, 2013, "t"),
        )
    )
    before = table.to_frame()

    def run(e: float) -> tuple[float, ...]:
        spread = rel_spread * e
        ev = EventsAvoided(e, (e - Z95 * spread, e + Z95 * spread), 2, "normal", spread)
        est = simulate_savings(ev, table, horizon, draws=500, seed=3)
        return (est.savings_gbp, *est.savings_gbp_ci, est.events_avoided)

    assert run(k * events) == pytest.approx([k * x for x in run(events)], rel=1e-9)
    assert table.to_frame().equals(before)  # the input table is never changed


@settings(max_examples=60, deadline=None)
@given(
    flows=st.lists(st.floats(0, 1e7), min_size=1, max_size=40),
    rate=st.floats(0, 0.2),
)
def test_discounting_never_adds_value_and_falls_with_the_rate(flows, rate):
    pv = present_value(flows, rate)
    assert pv <= sum(flows) * (1 + 1e-12)
    assert present_value(flows, rate + 0.01) <= pv * (1 + 1e-12)
    assert present_value(flows, rate, "discounted") == pytest.approx(pv / (1 + rate), rel=1e-9)


def test_draw_arrays_are_consistent_with_the_totals():
    est = simulate_savings(fixed_events(10, years=2), load_default_costs(), 2)
    assert np.allclose(est.year_draws.sum(axis=1), est.savings_gbp)


# --- what the Savings page reads --------------------------------------------------------------


def test_cumulative_frame_bands_nest_and_end_at_the_totals():
    ev = EventsAvoided(1000, (1000 - Z95 * 200, 1000 + Z95 * 200), 1, "normal", 200.0)
    est = simulate_savings(ev, one_item(100), 2.5, seed=5)
    frame = est.cumulative_frame((0.5, 0.95))
    assert frame["years"].unique().tolist() == [0, 1, 2, 2.5]
    last = frame[frame["years"] == 2.5].set_index("confidence")
    assert last["value"].iloc[0] == pytest.approx(est.savings_gbp)
    assert (last.loc[0.95, "lower_ci"], last.loc[0.95, "upper_ci"]) == pytest.approx(
        est.savings_gbp_ci
    )
    assert last.loc[0.95, "lower_ci"] < last.loc[0.5, "lower_ci"] < last.loc[0.5, "upper_ci"]
    assert frame[frame["years"] == 0][["value", "lower_ci", "upper_ci"]].eq(0).all().all()


def test_saving_per_event_interval_comes_from_the_cost_range():
    est = simulate_savings(fixed_events(10), one_item(1000, cost_low=500, cost_high=1500), 1)
    low, high = est.saving_per_event_gbp_ci
    assert low < est.saving_per_event_gbp == 1000 < high
    fixed = simulate_savings(fixed_events(10), one_item(1000), 1)
    assert fixed.saving_per_event_gbp_ci == (1000, 1000)


def panel_rows(numerators, denominators, group="intervention", periods=("2022/23", "2023/24")):
    starts = [pd.Timestamp(f"{p[:4]}-04-01") for p in periods]
    rows = []
    for site, (nums, dens) in enumerate(zip(numerators, denominators, strict=True)):
        for start, label, num, den in zip(starts, periods, nums, dens, strict=True):
            rows.append(
                {
                    "site_code": f"S{site}",
                    "group": group,
                    "period_start": start,
                    "period_end": start + pd.DateOffset(years=1) - pd.Timedelta(days=1),
                    "period_label": label,
                    "numerator": num,
                    "denominator": den,
                    "value": None if num is None else num / den * 100_000,
                }
            )
    return pd.DataFrame(rows)


def test_baseline_events_sum_the_latest_year():
    panel = panel_rows([(100, 120), (50, 60)], [(1000, 1000), (500, 500)])
    base = baseline_events(panel, 100_000)
    assert (base.events_per_year, base.period, base.sites) == (180, "2023/24", 2)
    assert base.rate == pytest.approx(180 / 1500 * 100_000)


def test_baseline_events_monthly_window_is_annualised():
    starts = pd.date_range("2023-01-01", "2024-06-01", freq="MS")
    panel = pd.DataFrame(
        {
            "site_code": "S0",
            "group": "intervention",
            "period_start": starts,
            "period_end": starts + pd.offsets.MonthEnd(0),
            "numerator": 10.0,
            "denominator": 100.0,
            "value": 10.0,
        }
    )
    base = baseline_events(panel)
    assert base.events_per_year == 120
    assert base.period == "Jul 2023 to Jun 2024"


def test_baseline_events_without_counts_or_when_small_give_none():
    value_only = panel_rows([(None, None)], [(None, None)]).assign(value=[2000.0, 2100.0])
    base = baseline_events(value_only)
    assert base.events_per_year is None and base.rate == 2100 and "no counts" in base.basis
    small = baseline_events(panel_rows([(3, 5)], [(100, 100)]))
    assert small.events_per_year is None and "suppressed" in small.basis
    none = baseline_events(panel_rows([(3, 5)], [(100, 100)], group="comparator"))
    assert none.events_per_year is None and none.sites == 0


@pytest.mark.parametrize(
    ("amount", "text"),
    [(1.2e6, "£1.2m"), (120_000, "£120k"), (1643.8, "£1,644"), (-36_000, "-£36k"), (-0.4, "£0")],
)
def test_format_gbp(amount, text):
    assert format_gbp(amount) == text
