"""``python -m analysis savings``: DESIGN.md's JSON keys, equal to the library's numbers."""

from __future__ import annotations

import json

import pytest

from analysis.cli import main
from analysis.store import Store
from analysis.usecases import SavingsSettings, savings_for
from tests.savings_helpers import FALLS, VALUE_ONLY, savings_store

REQUIRED = {"events_avoided", "events_avoided_ci", "savings_gbp", "savings_gbp_ci", "by_item"}


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "cli.duckdb"
    savings_store(path).close()
    return path


def library(db, horizon=3.0, cost=None, measure=FALLS, population=None):
    """The use case the CLI calls, run directly on the same store."""
    store = Store(db, read_only=True)
    try:
        outcome = savings_for(
            store,
            measure,
            settings=SavingsSettings(horizon_years=horizon),
            population=population,
            programme_cost=cost,
        )
    finally:
        store.close()
    return outcome.estimate, outcome.roi


def run_json(capsys, *args: str) -> dict:
    assert main(["savings", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_the_design_keys_and_the_library_numbers(db, capsys):
    out = run_json(capsys, "--measure", FALLS, "--db", str(db))
    assert out.keys() >= REQUIRED
    estimate, _ = library(db)
    assert out["events_avoided"] == pytest.approx(estimate.events_avoided, rel=1e-12)
    assert out["events_avoided_ci"] == pytest.approx(list(estimate.events_avoided_ci), rel=1e-12)
    assert out["savings_gbp"] == pytest.approx(estimate.savings_gbp, rel=1e-12)
    assert out["savings_gbp_ci"] == pytest.approx(list(estimate.savings_gbp_ci), rel=1e-12)
    assert [i["item"] for i in out["by_item"]] == [i.item for i in estimate.by_item]
    assert sum(i["savings_gbp"] for i in out["by_item"]) == pytest.approx(out["savings_gbp"])
    assert out["roi"] is None
    assert out["comparison"]["method"] == "did_staggered"
    assert out["assumptions"]["discount_rate"] == 0.035


def test_programme_cost_and_horizon(db, capsys):
    out = run_json(
        capsys, "--measure", FALLS, "--db", str(db), "--programme-cost", "500000", "--horizon", "5"
    )
    estimate, roi = library(db, horizon=5.0, cost=500_000)
    assert out["assumptions"]["horizon_years"] == 5
    assert out["savings_gbp"] == pytest.approx(estimate.savings_gbp, rel=1e-12)
    assert out["roi"]["net_saving_gbp"] == pytest.approx(roi.net_saving_gbp, rel=1e-12)
    assert out["roi"]["net_saving_gbp_ci"] == pytest.approx(list(roi.net_saving_gbp_ci))
    assert out["roi"]["probability_net_saving"] == roi.probability_net_saving


def test_text_output_names_the_total_and_its_interval(db, capsys):
    assert main(["savings", "--measure", FALLS, "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "Costs avoided (present value):" in text and "95% interval" in text


def test_value_only_measure_needs_population_then_costs(db, capsys):
    assert main(["savings", "--measure", VALUE_ONLY, "--db", str(db)]) == 2
    assert "population" in capsys.readouterr().err
    # With a population, the next missing input is a unit cost for the measure.
    args = ["savings", "--measure", VALUE_ONLY, "--db", str(db), "--population", "200000"]
    assert main(args) == 2
    assert f"no unit costs for measure '{VALUE_ONLY}'" in capsys.readouterr().err


def test_unknown_measure_is_a_message(db, capsys):
    assert main(["savings", "--measure", "nope", "--db", str(db)]) == 2
    assert "no measure 'nope'" in capsys.readouterr().err
