"""Comparator builder: nearest sites first, Austin's SMD, agreement with a published list."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analysis.comparators import (
    agreement_with_published,
    balance_table,
    propose_comparators,
    site_covariates,
    standardised_difference,
)
from analysis.panel import PanelError

START = pd.Timestamp("2022-04-01")


def site_rows(code, group, level, trend, imd, population, *, seed=0, noise=0.0):
    """Quarterly rows 2019-04 to 2023-01 for one site (12 before START, 4 after)."""
    quarters = pd.date_range("2019-04-01", periods=16, freq="QS")
    years = (quarters - quarters[0]).days / 365.25
    rng = np.random.default_rng(seed)
    value = level + trend * years + rng.normal(scale=noise, size=len(quarters))
    return pd.DataFrame(
        {
            "site_code": code,
            "group": group,
            "period_start": quarters,
            "value": value,
            "start_date": START if group == "intervention" else pd.NaT,
            "imd_score": imd,
            "imd_decile": np.nan,
            "population": population,
        }
    )


@pytest.fixture
def panel():
    """Two intervention sites, two exact copies of each, and 30 other sites."""
    profiles = {"I1": (60.0, 2.0, 40.0, 12_000), "I2": (45.0, -1.0, 12.0, 30_000)}
    parts = [site_rows(c, "intervention", *p) for c, p in profiles.items()]
    for code, p in profiles.items():
        parts += [site_rows(f"{code}copy{i}", "comparator", *p) for i in (1, 2)]
    rng = np.random.default_rng(42)
    for j in range(30):
        parts.append(
            site_rows(
                f"S{j:02d}",
                "comparator",
                rng.uniform(30, 80),
                rng.uniform(-3, 3),
                rng.uniform(5, 60),
                rng.uniform(5_000, 60_000),
                seed=j,
                noise=0.5,
            )
        )
    return pd.concat(parts, ignore_index=True)


def test_covariates_are_level_trend_imd_population(panel):
    cov = site_covariates(panel)
    assert list(cov.columns) == [
        "group",
        "pre_level",
        "pre_trend_per_year",
        "imd_score",
        "population",
    ]
    # 12 pre-period quarters of 60 + 2t, t = 0 … 2.75 years
    assert cov.loc["I1", "pre_trend_per_year"] == pytest.approx(2.0, rel=1e-3)
    assert cov.loc["I1", "pre_level"] == pytest.approx(60 + 2 * cov_mean_years(), rel=1e-3)
    assert cov.loc["I2", "imd_score"] == 12.0


def cov_mean_years():
    quarters = pd.date_range("2019-04-01", periods=12, freq="QS")
    return float(((quarters - quarters[0]).days / 365.25).to_numpy().mean())


@pytest.mark.parametrize("metric", ["mahalanobis", "standardised_euclidean"])
def test_copies_of_the_intervention_profile_come_first(panel, metric):
    before = panel.copy(deep=True)
    proposal = propose_comparators(panel, k=6, metric=metric)
    pd.testing.assert_frame_equal(panel, before)
    copies = {"I1copy1", "I1copy2", "I2copy1", "I2copy2"}
    assert set(proposal.proposed[:4]) == copies
    assert len(proposal.proposed) == 6
    assert proposal.metric == metric
    per_site = proposal.per_site()
    assert set(per_site["I1"][:2]) == {"I1copy1", "I1copy2"}
    assert set(per_site["I2"][:2]) == {"I2copy1", "I2copy2"}
    assert proposal.neighbours.loc[proposal.neighbours["rank"] <= 2, "distance"].max() < 1e-9
    assert not set(proposal.proposed) & {"I1", "I2"}


def test_balance_of_proposed_beats_current(panel):
    proposal = propose_comparators(panel, k=4)
    table = proposal.balance()
    assert set(table["comparator_set"]) == {"current", "proposed"}
    proposed = table[table["comparator_set"] == "proposed"].set_index("covariate")
    assert proposed["smd"].abs().max() < 1e-9
    current = table[table["comparator_set"] == "current"].set_index("covariate")
    assert (current["smd"].abs() > 0).all()
    assert current.loc["pre_level", "n_comparator"] == 34


def test_austin_smd_hand_example():
    # treated 1, 2, 3: mean 2, variance 1; control 2, 4, 6, 8: mean 5, variance 20/3
    expected = (2 - 5) / math.sqrt((1 + 20 / 3) / 2)
    assert standardised_difference([1, 2, 3], [2, 4, 6, 8]) == pytest.approx(expected)
    assert expected == pytest.approx(-1.5322, abs=1e-4)
    cov = pd.DataFrame({"x": [1, 2, 3, 2, 4, 6, 8]}, index=list("abcdefg"))
    table = balance_table(cov, ["a", "b", "c"], {"mine": ["d", "e", "f", "g"]})
    row = table.iloc[0]
    assert (row["intervention_mean"], row["comparator_mean"]) == (2.0, 5.0)
    assert row["smd"] == pytest.approx(expected)


def test_smd_edge_cases():
    # one intervention site: the comparators' SD (√2) is the denominator
    assert standardised_difference([3.0], [1.0, 3.0]) == pytest.approx(1 / math.sqrt(2))
    assert standardised_difference([1.0, 1.0], [1.0, 1.0]) == 0.0
    assert math.isnan(standardised_difference([1.0, 1.0], [2.0, 2.0]))
    assert math.isnan(standardised_difference([], [1.0]))


def test_agreement_with_published_pcn_neighbours(shared_dir):
    published = pd.read_csv(shared_dir / "data" / "comparators" / "pcn_nearest_neighbours.csv")
    theirs = [
        "U52546",
        "U44050",
        "U90453",
        "U96434",
        "U62999",
        "U32828",
        "U37262",
        "U52814",
        "U49896",
        "U12920",
    ]
    assert list(published.loc[published["orig"] == "U00070", "dest"]) == theirs
    ours = {"U00070": ["U44050", "U12920", "U00000", "U52546", "U11111"], "U99999": ["U00070"]}
    table = agreement_with_published(published, ours).set_index("site_code")
    row = table.loc["U00070"]
    assert row["theirs"] == tuple(theirs)
    assert (row["n_ours"], row["n_theirs"], row["overlap"]) == (5, 10, 3)
    assert row["shared"] == ("U44050", "U12920", "U52546")
    assert row["jaccard"] == pytest.approx(3 / 12)
    assert math.isnan(table.loc["U99999", "jaccard"])
    top5 = agreement_with_published(published, ours, k=5).set_index("site_code")
    assert top5.loc["U00070", "overlap"] == 2
    assert top5.loc["U00070", "jaccard"] == pytest.approx(2 / 8)


def test_agreement_takes_a_proposal(panel):
    proposal = propose_comparators(panel, k=3)
    published = pd.DataFrame(
        {"orig": ["I1", "I1"], "dest": ["I1copy2", "S01"], "distance": [2.0, 1.0]}
    )
    table = agreement_with_published(published, proposal).set_index("site_code")
    assert table.loc["I1", "theirs"] == ("S01", "I1copy2")
    assert table.loc["I1", "overlap"] == 1
    with pytest.raises(PanelError, match="distance"):
        agreement_with_published(published.drop(columns="distance"), proposal)


def test_sites_frame_fills_missing_attributes(panel):
    bare = panel.assign(imd_score=np.nan, population=np.nan)
    sites = panel.groupby("site_code", as_index=False)[["imd_score", "population"]].first()
    cov = site_covariates(bare, sites)
    assert cov.loc["I1", "imd_score"] == 40.0 and cov.loc["I2", "population"] == 30_000
    no_attributes = propose_comparators(bare, k=4)
    assert no_attributes.used == ("pre_level", "pre_trend_per_year")
    assert any("left out of the distance" in n for n in no_attributes.notes)


def test_errors(panel):
    both = pd.concat([panel, site_rows("I1", "comparator", 1, 1, 1, 1)], ignore_index=True)
    with pytest.raises(PanelError, match=r"both intervention and comparator.*I1"):
        propose_comparators(both)
    with pytest.raises(PanelError, match="no intervention"):
        propose_comparators(panel.assign(group="comparator"))
    with pytest.raises(PanelError, match="no non-intervention"):
        propose_comparators(panel[panel["group"] == "intervention"])
    with pytest.raises(PanelError, match="no pre-period"):
        propose_comparators(panel.assign(start_date=panel["start_date"] - pd.DateOffset(years=9)))
    with pytest.raises(PanelError, match="k must be"):
        propose_comparators(panel, k=0)
