"""Known answers for funnel plot limits and flags (PHEindicatormethods test tables).

Tolerance: 1e-6 absolute, or 1e-8 relative where the CSVs print large values
with fewer decimals (e.g. 116108.569). Every row of the funnel CSVs in
``shared/data/reference/PHEindicatormethods`` is compared. Not available
there, so not tested against known answers: ``*_outputs_with_axis_variation``,
``testdata_funnel_rate_outputs_2/_3`` (crude-rate funnels); those scenarios are
covered below by invariants only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.funnel import (
    DSR_NOT_APPLICABLE,
    funnel_limits,
    funnel_points,
    funnel_significance,
    poisson_funnel,
)
from analysis.rates import MethodInputError


def ref(reference_dir, name: str) -> pd.DataFrame:
    return pd.read_csv(reference_dir / "PHEindicatormethods" / f"{name}.csv", encoding="utf-8-sig")


def assert_close(actual: pd.Series, expected: pd.Series, what: str) -> None:
    a, e = actual.to_numpy(float), expected.to_numpy(float)
    assert a.shape == e.shape, what
    both_nan = np.isnan(a) & np.isnan(e)
    ok = both_nan | (np.abs(a - e) <= np.maximum(1e-6, 1e-8 * np.abs(e)))
    bad = np.flatnonzero(~ok)
    assert bad.size == 0, f"{what}: rows {bad[:5]} differ, e.g. {a[bad[0]]!r} vs {e[bad[0]]!r}"


# --- proportions ------------------------------------------------------------------------------


def test_proportion_limits_sheet(reference_dir):
    inputs = ref(reference_dir, "testdata_funnel_prop_inputs")
    expected = ref(reference_dir, "testdata_funnel_prop_outputs")
    out = funnel_limits(inputs, "numerator", "denominator", statistic="proportion", multiplier=100)
    assert len(out) == len(expected) == 100
    mapping = {
        "Population": "Population",
        "lower_2s_limit": "Lower2s0025limit",
        "upper_2s_limit": "Upper2s0025limit",
        "lower_3s_limit": "Lower3s0001limit",
        "upper_3s_limit": "Upper3s0001limit",
        "baseline": "Baseline",
    }
    for ours, theirs in mapping.items():
        assert_close(out[ours], expected[theirs], ours)
    assert set(out["method"]) == {"Wilson"}


def test_proportion_significance_sheet(reference_dir):
    inputs = ref(reference_dir, "testdata_funnel_prop_inputs")
    out = funnel_significance(
        inputs.drop(columns="significance"), "numerator", "denominator", statistic="proportion"
    )
    assert len(out) == 303
    assert list(out["significance"].astype(str)) == list(inputs["significance"])
    high = out["significance"].astype(str).str.startswith("High")
    assert (out.loc[high, "direction"] == "high").all()
    outer = out["significance"].astype(str).str.endswith("(0.001)")
    assert (out["outside_99_8"] == outer).all()
    assert (out.loc[outer, "outside_95"]).all()


# --- ratios -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ratio_type", ["count", "isr"])
def test_ratio_limits_sheet(reference_dir, ratio_type):
    inputs = ref(reference_dir, "testdata_funnel_ratio_inputs")
    expected = ref(reference_dir, "testdata_funnel_ratio_outputs")
    expected = expected.rename(columns={expected.columns[0]: "Observed_events"})
    out = funnel_limits(
        inputs, "obs", "expected", statistic="ratio", ratio_type=ratio_type, multiplier=100
    )
    assert len(out) == len(expected) == 100
    assert_close(out["Observed_events"], expected["Observed_events"], "Observed_events")
    for tag in ("lower_2s", "upper_2s", "lower_3s", "upper_3s"):
        assert_close(out[f"{tag}_exp_events"], expected[f"{tag}_exp_events"], tag)
        assert_close(out[f"{tag}_limit"], expected[f"{tag}_{ratio_type}"], tag)
    assert set(out["statistic"]) == {f"ratio ({ratio_type})"}


def test_ratio_significance_sheet(reference_dir):
    inputs = ref(reference_dir, "testdata_funnel_ratio_inputs")
    out = funnel_significance(
        inputs.drop(columns="significance"), "obs", "expected", statistic="ratio"
    )
    assert list(out["significance"].astype(str)) == list(inputs["significance"])


# --- rates ------------------------------------------------------------------------------------


def test_dsr_rate_limits_sheet(reference_dir):
    inputs = ref(reference_dir, "testdata_funnel_rate_input_funnels")
    expected = ref(reference_dir, "testdata_funnel_rate_outputs")
    out = funnel_limits(
        inputs,
        "ev",
        rate="rate",
        statistic="rate",
        rate_type="dsr",
        multiplier=100_000,
        years_of_data=3,
    )
    assert list(out.columns) == list(expected.columns)
    for column in expected.columns:
        if not pd.api.types.is_numeric_dtype(expected[column]):
            assert list(out[column]) == list(expected[column]), column
        else:
            assert_close(out[column], expected[column], column)


SIGNIFICANCE_CASES = [
    ("rate_dsr", "dsr", 100_000, "dsr_per_100000"),
    ("rate_dsr", "dsr", 100, "dsr_per_100"),
    ("rate_crude_per_100000", "crude", 100_000, "crude_per_100000"),
    ("rate_crude_per_100", "crude", 100, "crude_per_100"),
]


@pytest.mark.parametrize(("rate", "rate_type", "multiplier", "prefix"), SIGNIFICANCE_CASES)
@pytest.mark.parametrize("zero_events", ["with_0", "without_0"])
def test_rate_significance_sheet(reference_dir, rate, rate_type, multiplier, prefix, zero_events):
    table = ref(reference_dir, "testdata_funnel_rate_dsr_inputs")
    if zero_events == "without_0":
        table = table[table["count"] != 0].reset_index(drop=True)
    out = funnel_significance(
        table[["count", rate, "pop"]],
        "count",
        "pop",
        rate=rate,
        statistic="rate",
        rate_type=rate_type,
        multiplier=multiplier,
    )
    assert list(out["significance"].astype(str)) == list(table[f"{prefix}_{zero_events}"])


def test_dsr_sites_with_few_events_are_not_assessed(reference_dir):
    table = ref(reference_dir, "testdata_funnel_rate_dsr_inputs")
    out = funnel_significance(
        table,
        "count",
        "pop",
        rate="rate_dsr",
        statistic="rate",
        rate_type="dsr",
        multiplier=100_000,
    )
    few = out["count"] < 10
    assert few.any()
    assert (out.loc[few, "significance"] == DSR_NOT_APPLICABLE).all()
    assert out.loc[few, "direction"].isna().all() and not out.loc[few, "outside_95"].any()


@pytest.mark.parametrize(
    ("rate_type", "events", "years", "denominator", "rate_col", "den_col"),
    [
        ("dsr", 5, 3, None, "rate_chart", "denominator_derived"),
        ("crude", None, 3, None, "rate_chart_crude", "denominator_derived_crude"),
        (
            "crude",
            0,
            5,
            "pop",
            "rate_chart_crude_with_denom",
            "denominator_derived_crude_with_denom",
        ),
    ],
)
def test_funnel_points_sheet(
    reference_dir, rate_type, events, years, denominator, rate_col, den_col
):
    table = ref(reference_dir, "testdata_funnel_rate_input_funnels")
    if events is not None:  # as the package's tests: the largest count replaced
        table.loc[table["ev"] == table["ev"].max(), "ev"] = events
    cols = ["ev", "rate"] + ([denominator] if denominator else [])
    out = funnel_points(
        table[cols],
        "ev",
        "rate",
        rate_type=rate_type,
        years_of_data=years,
        multiplier=100_000,
        denominator=denominator,
    )
    assert_close(out["rate_chart"], table[rate_col], "rate_chart")
    assert_close(out["denominator_derived"], table[den_col], "denominator_derived")


def test_crude_rate_limits_are_ordered(reference_dir):
    # The package's crude-rate funnel outputs (_2, _3) are not in the shared references:
    # check the shape of the curves instead.
    inputs = ref(reference_dir, "testdata_funnel_rate_input_funnels")
    out = funnel_limits(
        inputs,
        "ev",
        rate="rate",
        statistic="rate",
        rate_type="crude",
        multiplier=100_000,
        years_of_data=3,
    )
    assert (out["lower_3s_limit"] < out["lower_2s_limit"]).all()
    assert (out["lower_2s_limit"] < out["baseline"]).all()
    assert (out["baseline"] < out["upper_2s_limit"]).all()
    assert (out["upper_2s_limit"] < out["upper_3s_limit"]).all()
    assert out["upper_2s_limit"].is_monotonic_decreasing
    assert out["statistic"].iloc[0] == "rate (crude per 100,000)"


# --- errors -----------------------------------------------------------------------------------


def test_funnel_input_errors():
    frame = pd.DataFrame({"obs": [65.0, 80.0, 30.0], "pop": [100.0, 100.0, 0.0]})
    with pytest.raises(MethodInputError, match="denominators must be greater than zero"):
        funnel_significance(frame, "obs", "pop", statistic="proportion")
    frame = pd.DataFrame({"obs": [65.0, -80.0, 30.0], "pop": [100.0, 100.0, 200.0]})
    with pytest.raises(MethodInputError, match="numerators must be greater than or equal"):
        funnel_significance(frame, "obs", "pop", statistic="proportion")
    frame = pd.DataFrame({"obs": [65.0, 80.0, 30.0], "pop": [100.0, 100.0, 20.0]})
    with pytest.raises(MethodInputError, match="less than or equal to denominator"):
        funnel_significance(frame, "obs", "pop", statistic="proportion")
    with pytest.raises(MethodInputError, match="statistic must be"):
        funnel_limits(frame, "obs", "pop", statistic="pop", multiplier=100)  # type: ignore[arg-type]
    with pytest.raises(MethodInputError, match="rate, rate_type and years_of_data"):
        funnel_limits(frame, "obs", statistic="rate", multiplier=100)
    zero = pd.DataFrame({"ev": [0.0, 12.0], "rate": [0.0, 50.0]})
    with pytest.raises(MethodInputError, match="denominator field needs to be provided"):
        funnel_limits(
            zero,
            "ev",
            rate="rate",
            statistic="rate",
            rate_type="crude",
            multiplier=100_000,
            years_of_data=1,
        )


def test_poisson_funnel_brackets_the_exact_limit():
    # expected count at which 20 observed events sit on the upper 95% limit: P(K ≥ 20) = 0.025
    expected = poisson_funnel(np.array([20.0]), 0.025, "low")[0]
    from scipy import stats

    assert stats.poisson.sf(19, expected) == pytest.approx(0.025, rel=1e-4)
