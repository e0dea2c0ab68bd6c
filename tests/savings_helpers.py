"""Shared inputs for the savings, ROI and claims tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from scipy.stats import norm

from analysis.costs import CostTable, UnitCost
from analysis.effect import CountScaleEffect, Effect
from analysis.events_avoided import EventsAvoided
from analysis.store import Store
from tests.helpers import FIXTURES, fixture_store, load

FALLS = "falls_admissions_65plus"
SEED_CLAIM = (
    "730 fewer falls over two years, saving £1.2m hospital, £120k ambulance and "
    "£2.75m residential care"
)
Z95 = norm.ppf(0.975)


def fixed_events(events: float, years: float = 1.0, measure: str = FALLS) -> EventsAvoided:
    """Events known exactly (no sampling uncertainty)."""
    return EventsAvoided(events, (events, events), years, "normal", 0.0, measure=measure)


def one_item(cost: float, share: float = 1.0, **kw) -> CostTable:
    return CostTable((UnitCost(FALLS, "hospital admission", cost, share, 2022, "test", **kw),))


def effect_with_rate_ratio(rr: float, ci: tuple[float, float], observed: float) -> Effect:
    counterfactual = observed / rr
    count_scale = CountScaleEffect(
        rate_ratio=rr,
        rate_ratio_ci=ci,
        observed_events=observed,
        expected_events=counterfactual,
        events_avoided=counterfactual - observed,
        events_avoided_ci=(observed / ci[1] - observed, observed / ci[0] - observed),
        person_time=400_000,
        model="Poisson GLM",
    )
    return Effect(FALLS, "did", "Difference in differences", -100, -150, -30, 0.01,
                  "per 100,000", 3, 30, 4, 2, count_scale=count_scale)  # fmt: skip


UNIT_COSTS = Path(__file__).resolve().parents[1] / "data" / "unit_costs.csv"
VALUE_ONLY = "falls_value_only"


def savings_store(path: Path) -> Store:
    """The falls fixture, the bundled unit costs and a value-only copy of the falls rates."""
    store = fixture_store(path)
    rows = pd.read_csv(FIXTURES / "falls_nw_slice.csv")
    value_only = rows.drop(columns=["numerator", "denominator"]).assign(measure=VALUE_ONLY)
    definition = (
        "measure,label,kind,multiplier,higher_is_better\n"
        f"{VALUE_ONLY},Falls (published rates only),rate,100000,false\n"
    )
    load(
        store,
        ("unit_costs.csv", UNIT_COSTS.read_bytes()),
        ("value_only_definition.csv", definition.encode()),
        ("falls_value_only.csv", value_only.to_csv(index=False).encode()),
    )
    return store
