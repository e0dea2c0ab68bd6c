"""Periods pooled (analysis.pooling): known sums by hand, and pooled pages equal summed counts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.areas import compare_areas
from analysis.funnel_view import funnel_view
from analysis.inequality_view import inequality_result
from analysis.pooling import (
    ROLLING_NOTE,
    Pooling,
    default_choice,
    pool_periods,
    pooled_series,
    pooling_choices,
    series_choices,
)
from analysis.site_levels import Level
from analysis.spc_view import arm_series


def site_rows(
    code: str,
    numerators: list[float | None],
    denominators: list[float | None],
    *,
    first: str = "2023-01",
    freq: str = "M",
    values: list[float] | None = None,
    site_type: str = "practice",
    parent: str | None = None,
    group: str | None = None,
    multiplier: float = 100,
) -> pd.DataFrame:
    """One site's rows, one period each from ``first`` (value = n ÷ d × multiplier)."""
    periods = pd.period_range(first, periods=len(numerators), freq=freq)
    granularity = {"M": "month", "Q": "quarter", "Y-MAR": "financial_year"}[freq]
    labels = {
        "M": [str(p) for p in periods],
        "Q": [f"{p.year} Q{p.quarter}" for p in periods],
        "Y-MAR": [f"{p.year - 1}/{p.year % 100:02d}" for p in periods],
    }[freq]
    num = pd.array(numerators, dtype="Float64").astype(float)
    den = pd.array(denominators, dtype="Float64").astype(float)
    frame = pd.DataFrame(
        {
            "site_code": code,
            "measure": "m",
            "period_start": [p.start_time for p in periods],
            "period_end": [p.end_time.normalize() for p in periods],
            "granularity": granularity,
            "period_label": labels,
            "numerator": num,
            "denominator": den,
            "value": values if values is not None else num / den * multiplier,
            "lower_ci": np.nan,
            "upper_ci": np.nan,
            "site_name": f"Site {code}",
            "site_type": site_type,
            "parent_code": parent,
            "group": group,
            "start_date": pd.NaT,
            "imd_decile": np.nan,
            "imd_quintile": np.nan,
            "population": np.nan,
        }
    )
    frame["period_start"] = frame["period_start"].astype("datetime64[us]")
    frame["period_end"] = frame["period_end"].astype("datetime64[us]")
    return frame


def choice(rows: pd.DataFrame, kind: str, label: str | None = None) -> Pooling:
    found = [c for c in pooling_choices(rows) if c.kind == kind and label in (None, c.period_label)]
    assert found, [c.text for c in pooling_choices(rows)]
    return found[0]


@pytest.fixture
def monthly() -> pd.DataFrame:
    """A: Jan 2023 – Mar 2024, numerator = month number (1…15) of 100; B lacks Jun and Jul 2023."""
    a = site_rows("A", list(range(1, 16)), [100] * 15)
    b = site_rows("B", [10] * 15, [50] * 15)
    b = b[~b["period_label"].isin(["2023-06", "2023-07"])]
    return pd.concat([a, b], ignore_index=True)


def test_last_12_months_sums_each_sites_counts(monthly):
    pooled = pool_periods(monthly, choice(monthly, "last_12_months"), 100)
    assert pooled.label == "Apr 2023 – Mar 2024, 12 months pooled"
    assert pooled.n_periods == 12
    rows = pooled.rows.set_index("site_code")
    # A: 4 + 5 + … + 15 = 114 of 12 × 100; B: 10 of 50 in 10 months
    assert rows.loc["A", "numerator"] == 114
    assert rows.loc["A", "denominator"] == 1200
    assert rows.loc["A", "value"] == pytest.approx(9.5)
    assert rows.loc["B", ["numerator", "denominator", "n_periods"]].tolist() == [100, 500, 10]
    assert rows.loc["B", "value"] == pytest.approx(20.0)
    assert rows.loc["A", "n_periods"] == 12
    assert (rows["period_label"] == pooled.label).all()
    assert (rows["period_start"] == pd.Timestamp("2023-04-01")).all()
    assert (rows["period_end"] == pd.Timestamp("2024-03-31")).all()
    assert pooled.notes == (
        "1 of 2 GP practices report fewer than the 12 months pooled (fewest: 10): each one's "
        "value covers the periods it reports.",
    )
    assert pooled.method.startswith("Σ numerator ÷ Σ denominator × 100")


def test_financial_year_and_all_periods(monthly):
    fy = pool_periods(monthly, choice(monthly, "financial_year", "2022/23"), 100)
    assert fy.label == "2022/23: Jan 2023 – Mar 2023, 3 months pooled"
    a = fy.rows.set_index("site_code").loc["A"]
    assert (a["numerator"], a["denominator"]) == (1 + 2 + 3, 300)
    every = pool_periods(monthly, choice(monthly, "all"), 100)
    a = every.rows.set_index("site_code").loc["A"]
    assert (a["numerator"], a["denominator"], a["value"]) == (120, 1500, pytest.approx(8.0))
    assert every.label == "Jan 2023 – Mar 2024, 15 months pooled"


def test_one_period_keeps_the_rows_as_they_are(monthly):
    one = pool_periods(monthly, choice(monthly, "period", "2023-05"), 100)
    expected = monthly[monthly["period_label"] == "2023-05"].reset_index(drop=True)
    pd.testing.assert_frame_equal(one.rows.drop(columns="n_periods"), expected)
    assert one.label == "2023-05" and one.notes == () and (one.rows["n_periods"] == 1).all()


def test_the_input_is_not_modified(monthly):
    before = monthly.copy()
    pool_periods(monthly, choice(monthly, "last_12_months"), 100)
    pooled_series(monthly, "rolling_12_months", 100)
    pd.testing.assert_frame_equal(monthly, before)


def test_choices_and_the_default_by_granularity(monthly):
    choices = pooling_choices(monthly)
    assert [c.kind for c in choices[:4]] == [
        "last_12_months",
        "financial_year",
        "financial_year",
        "all",
    ]
    assert [c.period_label for c in choices[1:3]] == ["2023/24", "2022/23"]
    assert choices[4].period_label == "2024-03"  # then each period, latest first
    assert choices[default_choice(choices)].kind == "last_12_months"
    assert choices[0].text == "Last 12 months (Apr 2023 – Mar 2024)"
    assert choices[0].file_label == "2023-04_to_2024-03"
    quarterly = site_rows("Q", [5] * 8, [100] * 8, first="2022Q1", freq="Q")
    assert pooling_choices(quarterly)[default_choice(pooling_choices(quarterly))].kind == (
        "last_12_months"
    )
    last = pool_periods(quarterly, choice(quarterly, "last_12_months"), 100)
    assert last.label == "Jan 2023 – Dec 2023, 4 quarters pooled"
    assert last.rows["numerator"].tolist() == [20]
    yearly = site_rows("Y", [5, 6, 7], [100] * 3, first="2022", freq="Y-MAR")
    options = pooling_choices(yearly)
    assert [c.kind for c in options] == ["all", "period", "period", "period"]
    assert options[default_choice(options)].period_label == "2023/24"
    assert options[default_choice(options)].file_label == "2023-24"
    single = yearly[yearly["period_label"] == "2023/24"]
    assert [c.kind for c in pooling_choices(single)] == ["period"]


def test_value_only_sites_are_a_weighted_or_plain_mean():
    weighted = site_rows("W", [None, None], [100, 300], values=[10.0, 20.0])
    plain = site_rows("P", [None, None], [None, None], values=[10.0, 20.0])
    rows = pd.concat([weighted, plain], ignore_index=True)
    pooled = pool_periods(rows, choice(rows, "all"), 100)
    values = pooled.rows.set_index("site_code")["value"]
    assert values["W"] == pytest.approx((10 * 100 + 20 * 300) / 400)  # 17.5
    assert values["P"] == pytest.approx(15.0)
    assert pooled.rows["numerator"].isna().all()
    assert "denominator-weighted mean" in pooled.method and "mean of the periods'" in pooled.method
    assert any("published intervals do not pool" in n for n in pooled.notes)


def test_standardised_published_values_are_replaced_by_the_crude_rate_and_said_so():
    dsr = site_rows("D", [20, 30], [10_000, 10_000], values=[250.0, 310.0], multiplier=100_000)
    pooled = pool_periods(dsr, choice(dsr, "all"), 100_000)
    assert pooled.rows["value"].iloc[0] == pytest.approx(50 / 20_000 * 100_000)
    assert any("directly standardised" in n for n in pooled.notes)


def random_practices(n: int = 12, months: int = 18, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for i in range(n):
        den = rng.integers(30, 130, months).astype(float)
        num = rng.binomial(den.astype(int), rng.uniform(0.4, 0.8)).astype(float)
        frames.append(
            site_rows(
                f"P{i:02d}",
                list(num),
                list(den),
                first="2022-10",
                parent=f"U{i % 3}",
                group="intervention" if i < 4 else "comparator",
            )
        )
    return pd.concat(frames, ignore_index=True)


def summed_by_hand(rows: pd.DataFrame, first: str, last: str) -> pd.DataFrame:
    """Σ numerator and Σ denominator per site over the labels first…last (a plain groupby)."""
    inside = rows[(rows["period_label"] >= first) & (rows["period_label"] <= last)]
    sums = inside.groupby("site_code", as_index=False)[["numerator", "denominator"]].sum()
    details = inside.drop_duplicates("site_code")[["site_code", "site_name", "site_type", "group"]]
    out = sums.merge(details, on="site_code")
    out["value"] = out["numerator"] / out["denominator"] * 100
    return out


def test_a_pooled_funnel_equals_the_funnel_of_summed_counts():
    rows = random_practices()
    pooled = pool_periods(rows, choice(rows, "last_12_months"), 100)
    assert pooled.label == "Apr 2023 – Mar 2024, 12 months pooled"
    view = funnel_view(pooled.rows, measure_kind="proportion", multiplier=100)
    expected = funnel_view(
        summed_by_hand(rows, "2023-04", "2024-03"), measure_kind="proportion", multiplier=100
    )
    columns = ["site_code", "numerator", "denominator", "value", "z", "outside_95", "outside_99_8"]
    pd.testing.assert_frame_equal(
        view.points[columns].sort_values("site_code").reset_index(drop=True),
        expected.points[columns].sort_values("site_code").reset_index(drop=True),
    )
    assert view.baseline == pytest.approx(expected.baseline)
    pd.testing.assert_frame_equal(view.limits, expected.limits)


def pooled_funnel_points(*sites: pd.DataFrame) -> pd.DataFrame:
    big = [site_rows(f"B{i}", [20 + i] * 12, [60] * 12, first="2023-04") for i in range(3)]
    rows = pd.concat([*sites, *big], ignore_index=True)
    pooled = pool_periods(rows, choice(rows, "last_12_months"), 100)
    points = funnel_view(pooled.rows, measure_kind="proportion", multiplier=100).points
    return points.set_index("site_code")


def test_pooled_counts_of_1_to_7_are_suppressed_and_larger_ones_shown():
    small = site_rows("S", [1, 2, 1, 1] + [0] * 8, [40] * 12, first="2023-04")  # Σ = 5
    points = pooled_funnel_points(small)
    assert bool(points.loc["S", "suppressed"]) and np.isnan(points.loc["S", "value"])
    many_small = site_rows("M", [3, 4] * 6, [40] * 12, first="2023-04")  # each 1–7, Σ = 42
    points = pooled_funnel_points(many_small)
    assert not points["suppressed"].any()
    assert points.loc["M", "numerator"] == 42


def test_compare_areas_on_pooled_rows_pools_pcns_from_practice_months():
    rows = random_practices()
    pcns = pd.DataFrame(
        {
            "site_code": ["U0", "U1", "U2"],
            "site_name": ["PCN 0", "PCN 1", "PCN 2"],
            "site_type": "pcn",
            "parent_code": None,
            "group": None,
            "start_date": pd.NaT,
            "imd_decile": np.nan,
            "imd_quintile": np.nan,
            "population": np.nan,
        }
    )
    sites = pd.concat(
        [rows.drop_duplicates("site_code").reindex(columns=pcns.columns), pcns], ignore_index=True
    )
    pooled = pool_periods(rows, choice(rows, "last_12_months"), 100)
    result = compare_areas(
        pooled.rows,
        sites,
        level=Level("pcn", "practice"),
        period_label=pooled.label,
        measure_kind="proportion",
        multiplier=100,
        higher_is_better=True,
    )
    inside = rows[(rows["period_label"] >= "2023-04") & (rows["period_label"] <= "2024-03")]
    expected = inside.groupby("parent_code")[["numerator", "denominator"]].sum()
    table = result.table.set_index("site_code")
    for code in expected.index:
        assert table.loc[code, "numerator"] == expected.loc[code, "numerator"]
        assert table.loc[code, "denominator"] == expected.loc[code, "denominator"]
        assert table.loc[code, "n_pooled"] == 4  # practices 0, 3, 6, 9 … of each PCN


def test_rolling_12_months_and_financial_year_series(monthly):
    assert list(series_choices(monthly)) == ["period", "rolling_12_months", "financial_years"]
    assert series_choices(monthly)["period"] == "Monthly points"
    rolling = pooled_series(monthly, "rolling_12_months", 100)
    a = rolling.rows[rolling.rows["site_code"] == "A"]
    assert a["period_label"].tolist() == [
        "12 months to Dec 2023",
        "12 months to Jan 2024",
        "12 months to Feb 2024",
        "12 months to Mar 2024",
    ]
    assert a["numerator"].tolist() == [78, 90, 102, 114]  # 1+…+12, 2+…+13, …
    assert (a["denominator"] == 1200).all()
    assert a["period_start"].tolist() == list(
        pd.to_datetime(["2023-12-01", "2024-01-01", "2024-02-01", "2024-03-01"])
    )
    assert rolling.notes == (ROLLING_NOTE,)
    years = pooled_series(monthly, "financial_years", 100)
    a = years.rows[years.rows["site_code"] == "A"]
    assert a["period_label"].tolist() == ["2023/24"]  # 2022/23 is not whole in the data
    assert a["numerator"].tolist() == [114]
    assert pooled_series(monthly, "period", 100).rows is monthly
    yearly = site_rows("Y", [5, 6, 7], [100] * 3, first="2022", freq="Y-MAR")
    assert series_choices(yearly) == {}


def test_an_arms_rolling_series_is_the_rolling_sum_of_its_totals():
    rows = random_practices()
    arm = rows[rows["group"] == "intervention"]
    series = arm_series(pooled_series(arm, "rolling_12_months", 100).rows, "intervention", 100)
    totals = arm.groupby("period_start")[["numerator", "denominator"]].sum().rolling(12).sum()
    totals = totals.dropna()
    assert series["numerator"].tolist() == totals["numerator"].tolist()
    expected = (totals["numerator"] / totals["denominator"] * 100).to_numpy()
    np.testing.assert_allclose(series["value"].to_numpy(float), expected)


def test_a_yearly_row_beside_monthly_ones_is_pooled_on_its_own(monthly):
    england = site_rows("E", [5_000], [20_000], first="2024", freq="Y-MAR", site_type="country")
    rows = pd.concat([monthly, england], ignore_index=True)
    pooled = pool_periods(rows, choice(rows, "last_12_months"), 100)
    assert pooled.label == "Apr 2023 – Mar 2024, 12 months pooled"
    e = pooled.rows.set_index("site_code").loc["E"]
    assert (e["numerator"], e["n_periods"]) == (5_000, 1)
    assert len(pooled.notes) == 1 and "GP practices" in pooled.notes[0]


def test_a_pooled_sii_equals_the_sii_of_summed_counts():
    rows = random_practices(n=20).assign(
        imd_decile=lambda f: f["site_code"].str[1:].astype(int) // 2 + 1
    )
    sites = rows.drop_duplicates("site_code").reindex(
        columns=["site_code", "site_name", "site_type", "parent_code", "imd_decile", "imd_quintile"]
    )
    pooled = pool_periods(rows, choice(rows, "last_12_months"), 100)
    inside = rows[(rows["period_label"] >= "2023-04") & (rows["period_label"] <= "2024-03")]
    summed = inside.groupby("site_code", as_index=False)[["numerator", "denominator"]].sum()
    by_hand = pooled.rows.drop(columns=["numerator", "denominator"]).merge(summed, on="site_code")
    by_hand["value"] = by_hand["numerator"] / by_hand["denominator"] * 100
    options = {"kind": "proportion", "multiplier": 100, "reps": 2_000}
    result = inequality_result(pooled.rows, sites, **options)
    expected = inequality_result(by_hand, sites, **options)
    assert len(result.summary) == 1
    assert result.summary["sii"].iloc[0] == pytest.approx(expected.summary["sii"].iloc[0])
    assert result.groups["numerator"].tolist() == expected.groups["numerator"].tolist()
