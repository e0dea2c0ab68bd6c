"""Inequality view: groups from sites, SII/RII and gap per period, did the gap narrow.

Point estimates are checked against an independent weighted least-squares fit
(numpy's ``polyfit`` with √population weights, the Low & Low regression) and
against :func:`analysis.inequality.phe_sii`; the gap against
:func:`analysis.inequality.deprivation_gap`. Intervals are simulated and are
checked for containing the point and for their sign conventions.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.arms import build_panel
from analysis.disclosure import DisclosureRule
from analysis.inequality import deprivation_gap, phe_sii, relative_ranks
from analysis.inequality_change_view import change_statement, gap_change, small_cells
from analysis.inequality_groups import (
    ALL_AREAS,
    area_options,
    area_rows,
    choose_basis,
    inequality_site_types,
    quantile_options,
    site_quantile,
)
from analysis.inequality_view import (
    fitted_line,
    gap_sentence,
    inequality_result,
    quantile_table,
    result_records,
    sii_sentence,
)
from analysis.rates import MethodInputError
from tests.inequality_helpers import ICB, inequality_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = inequality_store(tmp_path_factory.mktemp("ineq") / "ineq.duckdb")
    yield store
    store.close()


@pytest.fixture(scope="module")
def sites(store):
    return store.sites()


def wls_slope(rank, value, population):
    """Independent check: weighted least squares of value on rank (weights = population)."""
    slope, intercept = np.polyfit(rank, value, 1, w=np.sqrt(population))
    return slope, intercept


def test_site_quantile_and_options(store):
    rows = store.panel_rows("falls_admissions_65plus")
    deciles = rows[rows["site_code"].str.contains("DLAD")]
    assert site_quantile(deciles, 10).tolist() == deciles["imd_decile"].tolist()
    np.testing.assert_array_equal(site_quantile(deciles, 5), np.ceil(deciles["imd_decile"] / 2))
    assert inequality_site_types(rows) == ["other", "la"]
    assert quantile_options(deciles) == [10, 5]
    heec = store.panel_rows("cervical_screening_qof_25_49")
    assert quantile_options(heec) == [5]  # quintiles only
    with pytest.raises(MethodInputError):
        site_quantile(rows, 4)


def test_area_options_read_pseudo_sites_per_parent(store, sites):
    heec = store.panel_rows("cervical_screening_qof_25_49")
    options = area_options(heec, sites, "other")
    assert options["area_code"].tolist() == ["E92000001", ICB]  # England first
    assert len(area_rows(heec, sites, "other", ICB)) == 4 * 5  # PQ1-2, PQ3, PQ4, PQ5
    with pytest.raises(MethodInputError, match="choose an area"):
        area_rows(heec, sites, "other", ALL_AREAS)
    smoking = store.panel_rows("smoking_prevalence_qof")
    options = area_options(smoking, sites, "practice")
    assert options["area_code"].iloc[0] == ALL_AREAS
    assert ICB in set(options["area_code"]) and "pcn" not in set(options["area_type"])


def test_choose_basis(store):
    falls = store.panel_rows("falls_admissions_65plus")
    deciles = falls[falls["site_code"].str.contains("DLAD")]
    assert choose_basis(deciles, 10, 100_000) == "published"  # one DSR per decile
    districts = falls[falls["site_type"] == "la"].dropna(subset=["imd_decile"])
    assert choose_basis(districts, 5, 100_000) == "counts"  # DSRs cannot pool: crude counts
    smoking = store.panel_rows("smoking_prevalence_qof")
    assert choose_basis(smoking[smoking["site_type"] == "practice"], 5, 100) == "counts"
    heec = store.panel_rows("cervical_screening_qof_25_49")
    assert choose_basis(heec[heec["parent_code"] == "E92000001"], 5, 100) == "published"
    assert choose_basis(heec, 5, 100) == "values"  # several areas' groups: means of values


def test_published_deciles_sii_matches_phe_sii(store, sites):
    rows = store.panel_rows("falls_admissions_65plus")
    result = inequality_result(rows, sites, kind="rate", multiplier=100_000)
    assert (result.site_type, result.area_code, result.quantiles) == ("other", "E92000001", 10)
    assert result.basis == "published"
    groups = result.groups
    reference = phe_sii(
        groups.assign(
            v=groups["value"] / 1e5, lo=groups["lower_ci"] / 1e5, hi=groups["upper_ci"] / 1e5
        ),
        "quantile",
        "population",
        "v",
        by="period_label",
        lower_ci="lo",
        upper_ci="hi",
        value_type="rate",
        multiplier=100_000,
        reps=1000,
        seed=1,
    )
    sii = reference[reference["statistic"] == "sii"].set_index("period_label")["value"]
    rii = reference[reference["statistic"] == "rii"].set_index("period_label")["value"]
    summary = result.summary.set_index("period_label")
    np.testing.assert_allclose(summary["sii"], sii.reindex(summary.index), rtol=1e-10)
    np.testing.assert_allclose(summary["rii"], rii.reindex(summary.index), rtol=1e-10)
    assert (summary["sii"] < 0).all()  # falls are higher in more deprived areas
    assert (summary["gap"] < 0).all()  # and the least-minus-most gap has the SII's sign
    assert (summary["sii_lower_ci"] <= summary["sii"]).all()
    assert (summary["sii"] <= summary["sii_upper_ci"]).all()
    fifths = result.fifths[result.fifths["period_label"] == "2023/24"].set_index("quantile")
    deciles = groups[groups["period_label"] == "2023/24"].set_index("quantile")
    pair = deciles.loc[[1, 2]]
    weighted = (pair["value"] * pair["population"]).sum() / pair["population"].sum()
    assert fifths.loc[1, "value"] == pytest.approx(weighted)
    assert summary.loc["2023/24", "gap"] == pytest.approx(
        fifths.loc[5, "value"] - fifths.loc[1, "value"]
    )


def test_pooled_counts_sii_and_gap(store, sites):
    rows = store.panel_rows("smoking_prevalence_qof")
    result = inequality_result(
        rows, sites, kind="proportion", multiplier=100, site_type="practice", area=ICB
    )
    assert result.basis == "counts" and result.quantiles == 5
    data = area_rows(rows, sites, "practice", ICB)
    latest = data[data["period_label"] == "2023/24"].assign(q=site_quantile(data, 5))
    pooled = latest.groupby("q")[["numerator", "denominator"]].sum()
    value = pooled["numerator"] / pooled["denominator"]
    groups = result.groups[result.groups["period_label"] == "2023/24"].set_index("quantile")
    np.testing.assert_allclose(groups["value"], value * 100)
    slope, intercept = wls_slope(
        relative_ranks(pooled["denominator"]), value, pooled["denominator"]
    )
    summary = result.summary.set_index("period_label").loc["2023/24"]
    assert summary["sii"] == pytest.approx(slope * 100, rel=1e-9)
    assert summary["rii"] == pytest.approx((intercept + slope) / intercept, rel=1e-9)
    assert summary["fitted_most"] == pytest.approx(intercept * 100, rel=1e-9)
    gap = deprivation_gap(
        tuple(pooled["numerator"].iloc[[-1, 0]]),
        tuple(pooled["denominator"].iloc[[-1, 0]]),
        "proportion",
        0.95,
        100,
    )
    assert summary["gap"] == pytest.approx(gap.value)
    assert summary["gap_lower_ci"] == pytest.approx(gap.lower)
    line = fitted_line(result.groups[result.groups["period_label"] == "2023/24"], summary)
    assert line["fitted"].iloc[0] > line["fitted"].iloc[-1]  # smoking falls with affluence


def test_value_only_medians_give_a_gap_but_no_sii(store, sites):
    heec = store.panel_rows("cervical_screening_qof_25_49")
    england = inequality_result(heec, sites, kind="proportion", multiplier=100)
    assert england.summary["sii"].isna().all()
    assert england.summary["note"].str.contains("without intervals").all()
    assert england.summary["gap"].notna().all()
    assert (england.summary["gap"] > 0).all()  # screening is lower in the most deprived fifth
    icb = inequality_result(heec, sites, kind="proportion", multiplier=100, area=ICB)
    assert icb.summary["note"].str.contains("at least 5 deprivation groups").all()
    assert icb.summary["gap_note"].str.contains("understated").all()


def test_suppressed_group_hides_its_value_and_the_sii():
    rows = pd.DataFrame(
        {
            "site_code": [f"s{q}" for q in range(1, 6)],
            "period_start": pd.Timestamp("2023-04-01"),
            "period_label": "2023/24",
            "imd_decile": [1.0, 3.0, 5.0, 7.0, 9.0],
            "imd_quintile": np.nan,
            "numerator": [5.0, 40.0, 50.0, 60.0, 70.0],
            "denominator": [100.0, 400.0, 500.0, 600.0, 700.0],
            "value": np.nan,
            "lower_ci": np.nan,
            "upper_ci": np.nan,
            "population": np.nan,
        }
    )
    groups = quantile_table(rows, quantiles=5, kind="proportion", multiplier=100, basis="counts")
    # the fifth with 5, and the next smallest (40), so the total minus the rest cannot give 5
    assert groups["suppressed"].tolist() == [True, True, False, False, False]
    assert np.isnan(groups["value"].iloc[0]) and np.isnan(groups["numerator"].iloc[0])
    sites = pd.DataFrame(
        {
            "site_code": rows["site_code"],
            "site_type": "la",
            "parent_code": None,
            "site_name": rows["site_code"],
        }
    )
    result = inequality_result(
        rows.assign(site_type="la", parent_code=None),
        sites,
        kind="proportion",
        multiplier=100,
    )
    assert result.summary["sii"].isna().all()
    assert "suppressed" in result.summary["note"].iloc[0]
    records = result_records(result, "m", "%")
    assert records[0]["quintile_values"][0]["value"] is None
    unsuppressed = quantile_table(
        rows,
        quantiles=5,
        kind="proportion",
        multiplier=100,
        basis="counts",
        rule=DisclosureRule(enabled=False),
    )
    assert not unsuppressed["suppressed"].any()


def test_sentences_state_the_sign_conventions():
    row = pd.Series(
        {
            "period_label": "2023/24",
            "sii": -11.5,
            "sii_lower_ci": -11.6,
            "sii_upper_ci": -11.4,
            "gap": -9.7,
            "gap_lower_ci": -9.8,
            "gap_upper_ci": -9.6,
            "most_deprived": 20.1,
            "least_deprived": 10.4,
        }
    )
    text = sii_sentence(row, "%", higher_is_better=False)
    assert "11.5 percentage points lower at the least deprived end" in text
    assert "most deprived fare worse" in text
    gap = gap_sentence(row, "%", higher_is_better=False)
    assert "(least minus most deprived) of -9.70 percentage points" in gap
    assert "most deprived fare worse" in gap
    flat = sii_sentence(
        pd.concat([row, pd.Series({"sii_lower_ci": -1.0, "sii_upper_ci": 1.0})])
        .groupby(level=0)
        .last(),
        "%",
        None,
    )
    assert "includes zero" in flat


def test_gap_change_explains_when_it_cannot_be_estimated(store):
    falls = build_panel(store.panel_rows("falls_admissions_65plus"))
    result = gap_change(
        falls, kind="rate", multiplier=100_000, unit="per 100,000", higher_is_better=False
    )
    assert result.change is None and "every IMD quintile" in result.problem
    heec = build_panel(store.panel_rows("cervical_screening_qof_25_49"))
    result = gap_change(heec, kind="proportion", multiplier=100, unit="%", higher_is_better=True)
    assert "No intervention site" in result.problem


def test_gap_change_with_intervention_practices_in_every_quintile(store):
    panel = build_panel(store.panel_rows("smoking_prevalence_qof"))
    result = gap_change(
        panel, kind="proportion", multiplier=100, unit="%", higher_is_better=False, reps=300
    )
    assert result.problem is None
    table = result.table.set_index("measure")
    gap = result.change.gap
    assert table.loc["gap (least − most deprived fifth)", "estimate"] == pytest.approx(gap.estimate)
    expected = (gap.intervention_after - gap.intervention_before) - (
        gap.comparator_after - gap.comparator_before
    )
    assert gap.estimate == pytest.approx(expected)
    assert "least minus most deprived" in result.statement
    assert "parallel trends" in result.statement
    assert gap.direction in result.statement
    assert len(table) == 7
    assert not result.by_arm.empty
    again = change_statement(result.change, "%", False)
    assert again == result.statement


def test_small_cells_flags_quintiles():
    panel = pd.DataFrame(
        {
            "site_code": ["a", "a", "b", "b"],
            "group": ["intervention", "intervention", "comparator", "comparator"],
            "start_date": [pd.Timestamp("2023-04-01")] * 2 + [pd.NaT] * 2,
            "period_start": pd.to_datetime(["2022-04-01", "2023-04-01"] * 2),
            "numerator": [3.0, 50.0, 40.0, 60.0],
            "denominator": [100.0] * 4,
            "imd_decile": [1.0, 1.0, 9.0, 9.0],
        }
    )
    assert small_cells(panel, pd.Timestamp("2023-04-01")) == frozenset({1})
    assert small_cells(panel, pd.Timestamp("2023-04-01"), DisclosureRule(enabled=False)) == set()


def test_records_are_json(store, sites):
    rows = store.panel_rows("falls_admissions_65plus")
    result = inequality_result(rows, sites, kind="rate", multiplier=100_000, quantiles=5)
    records = result_records(result, "falls_admissions_65plus", "per 100,000")
    text = json.dumps(records)
    assert len(records) == 6 and "NaN" not in text
    first = records[0]
    assert {"period", "sii", "sii_ci", "rii", "rii_ci", "gap", "gap_ci", "quintile_values"} <= set(
        first
    )
    assert [g["quantile"] for g in first["quintile_values"]] == [1, 2, 3, 4, 5]
