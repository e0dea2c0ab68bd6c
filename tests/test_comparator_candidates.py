"""The comparator builder proposes only sites of the intervention sites' type, never an
aggregate (England, a region, a deprivation group), and its "current" comparators are the
ones the comparison uses, so the balance table's counts agree with the result."""

from __future__ import annotations

import pandas as pd

from analysis.arms import build_panel, default_arms
from analysis.comparators import propose_comparators
from analysis.usecases import comparison_for
from tests.helpers import fixture_store

FALLS = "falls_admissions_65plus"


def test_aggregates_are_never_proposed_and_counts_agree(tmp_path):
    store = fixture_store(tmp_path / "c.duckdb")
    try:
        rows = store.panel_rows(FALLS)
        # a deprivation-group row of another type, as published breakdowns are
        extra = rows[rows["site_code"] == "E92000001"].assign(
            site_code="E92000001_D9", site_name="England: decile 9", site_type="other"
        )
        rows = pd.concat([rows, extra], ignore_index=True)
        intervention, comparators = default_arms(rows)
        everyone = sorted(set(rows["site_code"]) - set(intervention))
        # the Compare page passes every other site as a candidate
        proposal = propose_comparators(build_panel(rows, intervention, everyone), k=30)
        assert "E92000001" not in proposal.proposed
        assert "E92000001_D9" not in proposal.proposed
        assert set(proposal.proposed) <= set(comparators)
        assert any("not proposed" in note for note in proposal.notes)
        balance = proposal.balance()
        current = balance[balance["comparator_set"] == "current"]
        assert current["n_comparator"].max() == len(comparators)  # per covariate known
        assert sorted(proposal.current) == sorted(comparators)
        effect = comparison_for(store, FALLS).effect
        assert effect.n_comparator == len(comparators) == len(proposal.current)
    finally:
        store.close()
