"""Known answers for XmR charts and the Making Data Count rules (``spc_cases.md``).

The limits table and the rule vectors are read from
``shared/data/reference/spc_cases.md``. Tolerances as that file states: 1e-6
against the R snapshot values; 1e-9 for the Python port's vectors (1e-7 for its
near limits, which it prints to seven decimals).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.rates import MethodInputError
from analysis.spc import (
    assurance_icon,
    part_of_run,
    part_of_two_in_three,
    rebase,
    seven_point_trend,
    seven_points_one_side_of_mean,
    spc_summary,
    two_in_three_close_to_limit,
    variation_icon,
    xmr_chart,
)

NUMBER = r"-?\d+(?:\.\d+)?"


def limit_rows(reference_dir) -> list[dict]:
    """Rows of the limits table: input text, mean, lower, upper (+ near limits), source."""
    text = (reference_dir / "spc_cases.md").read_text(encoding="utf-8")
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not re.match(NUMBER, cells[1]):
            continue
        upper = [float(v) for v in re.findall(NUMBER, cells[3])]
        near = upper[1:] if "near limits" in cells[3] else []
        rows.append(
            {
                "input": cells[0],
                "mean": float(cells[1]),
                "lower": float(cells[2]),
                "upper": upper[0],
                "near": near,
                "source": cells[4],
            }
        )
    return rows


RULE_KEYS = ("trend on 1..7", "trend on 2,", "one side", "close =")


def rule_lines(reference_dir) -> dict[str, str]:
    """The rule-check bullets of spc_cases.md, keyed by a phrase each contains."""
    text = (reference_dir / "spc_cases.md").read_text(encoding="utf-8")
    return {key: line for line in text.splitlines() for key in RULE_KEYS if key in line}


def numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(NUMBER, text)]


def snapshot_input(row: dict, first_values: list[float]) -> tuple[list[float], dict]:
    """Turn the table's input text into values and chart options."""
    text = row["input"]
    if text.startswith("the same with the 15th value set to 10"):
        values = list(first_values)
        values[14] = 10.0
        return values, {"screen_outliers": "screening off" not in text}
    if text.startswith("the same, screening off"):
        values = list(first_values)
        values[14] = 10.0
        return values, {"screen_outliers": False}
    if text.startswith("1, 2, …, 10"):
        return list(range(1, 11)), {}
    if text.startswith("1, 2, …, 8 with the baseline fixed after 3"):
        return list(range(1, 9)), {"fix_after_n_points": 3}
    if "(" in text:
        text = text[: text.index("(")]
    return numbers(text), {}


def test_limits_table(reference_dir):
    rows = limit_rows(reference_dir)
    assert len(rows) == 8
    first_values: list[float] = []
    for row in rows:
        values, options = snapshot_input(row, first_values)
        if not first_values:
            first_values = values
            assert len(values) == 20
        tol = 1e-6 if row["source"].startswith("R") else 1e-9
        chart = xmr_chart(values, **options)
        last = chart.iloc[-1]
        assert last["mean"] == pytest.approx(row["mean"], abs=tol), row["input"]
        assert last["lower_limit"] == pytest.approx(row["lower"], abs=tol), row["input"]
        assert last["upper_limit"] == pytest.approx(row["upper"], abs=tol), row["input"]
        if row["near"]:
            assert last["near_lower_limit"] == pytest.approx(row["near"][0], abs=1e-7)
            assert last["near_upper_limit"] == pytest.approx(row["near"][1], abs=1e-7)
    fixed = xmr_chart(range(1, 9), fix_after_n_points=3)
    assert list(fixed["outside_limits"]) == [False] * 4 + [True] * 4  # "points 5–8 outside"


def test_screening_is_what_moves_the_limits(reference_dir):
    rows = limit_rows(reference_dir)
    screened, unscreened = rows[1], rows[2]
    # same mean, different limits: only the moving range of the outlier differs
    assert screened["mean"] == unscreened["mean"]
    assert screened["upper"] < unscreened["upper"]


def test_rule_vectors(reference_dir):
    lines = rule_lines(reference_dir)
    trend_up = lines["trend on 1..7"]
    expected = numbers(trend_up.split("→")[1].split("(")[0])
    assert list(seven_point_trend(np.arange(1, 8))) == expected
    assert part_of_run(seven_point_trend(np.arange(1, 8))).all()  # "the chart flags all seven"

    trend_down = lines["trend on 2,"]
    left, right = trend_down.split("→")
    series = numbers(left.split("on", 1)[1])
    assert list(seven_point_trend(np.array(series))) == numbers(right)

    shift = lines["one side"]
    left, right = shift.split("→")
    sides = numbers(left.split("sides", 1)[1])
    assert list(seven_points_one_side_of_mean(np.array(sides))) == numbers(right)

    close_line = lines["close ="]
    close = numbers(close_line.split("close =")[1].split("with")[0])
    windows = numbers(close_line.split("→")[1].split("(")[0])
    got = two_in_three_close_to_limit(np.array(close), np.ones(len(close)))
    assert list(got.astype(int)) == windows
    assert list(part_of_two_in_three(got, np.array(close))) == [bool(c) for c in close]
    # "points on opposite sides (1,-1,1) never trigger"
    assert not two_in_three_close_to_limit(np.ones(3), np.array([1, -1, 1])).any()


def test_falling_trend_flags_all_seven_points():
    chart = xmr_chart([5, 5, 5, 9, 8, 7, 6, 5, 4, 3, 5, 5, 5], improvement="increase")
    assert list(chart["rule_trend"]) == [False] * 3 + [True] * 7 + [False] * 3


def test_point_types_follow_polarity():
    values = [*[10.0] * 12, 30.0, 10.0]
    up = xmr_chart(values, improvement="increase")
    down = xmr_chart(values, improvement="decrease")
    neutral = xmr_chart(values)
    assert up["point_type"].iloc[12] == "special_cause_improvement"
    assert down["point_type"].iloc[12] == "special_cause_concern"
    assert neutral["point_type"].iloc[12] == "special_cause_neither_high"


def test_shift_below_mean_is_concern_when_higher_is_better():
    values = [20, 22, 21, 23, 20, 22, 21, 23, 14, 15, 14, 15, 14, 15, 14]
    chart = xmr_chart(values, improvement="increase")
    # both runs (8 above the mean of 18.2, then 7 below) are shifts
    assert chart["rule_shift"].all()
    assert set(chart["point_type"].iloc[:8]) == {"special_cause_improvement"}
    assert set(chart["point_type"].iloc[8:]) == {"special_cause_concern"}
    assert variation_icon(chart) == "special_cause_concern"
    neutral = xmr_chart(values)
    assert neutral["point_type"].iloc[-1] == "special_cause_neither_low"


def test_rebase_recalculates_from_the_given_date():
    dates = pd.date_range("2022-01-01", periods=16, freq="MS")
    values = [10, 11, 9, 10, 12, 10, 11, 9, 20, 21, 19, 20, 22, 20, 21, 19]
    chart = xmr_chart(values, dates, improvement="increase")
    rebased = rebase(chart, [pd.Timestamp("2022-09-01")], improvement="increase")
    assert chart["rebase_group"].nunique() == 1
    assert list(rebased["rebase_group"]) == [0] * 8 + [1] * 8
    assert rebased["mean"].iloc[0] == pytest.approx(np.mean(values[:8]))
    assert rebased["mean"].iloc[-1] == pytest.approx(np.mean(values[8:]))
    assert not rebased["special_cause"].any()
    assert chart["special_cause"].any()


def test_assurance_icon_against_target():
    chart = xmr_chart([50, 52, 49, 51, 50, 48, 52, 51, 49, 50])
    lower, upper = chart["lower_limit"].iloc[-1], chart["upper_limit"].iloc[-1]
    assert assurance_icon(chart, upper + 1, "increase") == "consistently_fail"
    assert assurance_icon(chart, lower - 1, "increase") == "consistently_hit"
    assert assurance_icon(chart, upper + 1, "decrease") == "consistently_hit"
    assert assurance_icon(chart, 50.0, "increase") == "hit_and_miss"
    assert assurance_icon(chart, 50.0, None) is None
    summary = spc_summary(chart, "increase", target=lower - 1)
    assert summary.variation == "common_cause"
    assert summary.assurance_label == "Consistently hit target"
    assert summary.mean == pytest.approx(50.2)


def test_bad_inputs():
    with pytest.raises(MethodInputError, match="no gaps"):
        xmr_chart([1.0, np.nan, 2.0])
    with pytest.raises(MethodInputError, match="improvement"):
        xmr_chart([1.0, 2.0], improvement="up")  # type: ignore[arg-type]
    with pytest.raises(MethodInputError, match="same length"):
        xmr_chart([1.0, 2.0], x=[1])


def test_constant_series_has_zero_width_limits():
    chart = xmr_chart([4.0] * 10)
    assert (chart["lower_limit"] == 4.0).all() and (chart["upper_limit"] == 4.0).all()
    assert not chart["special_cause"].any()


@settings(deadline=None, max_examples=60)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=60))
def test_limits_are_symmetric_and_ordered(values):
    chart = xmr_chart(values)
    mean = chart["mean"].iloc[0]
    assert mean == pytest.approx(np.mean(values), rel=1e-9, abs=1e-6)
    assert (chart["lower_limit"] <= chart["near_lower_limit"] + 1e-9).all()
    assert (chart["near_upper_limit"] <= chart["upper_limit"] + 1e-9).all()
    gap_low = mean - chart["lower_limit"].iloc[0]
    gap_high = chart["upper_limit"].iloc[0] - mean
    assert gap_low == pytest.approx(gap_high, rel=1e-9, abs=1e-6)
    assert (chart["special_cause"] >= chart["outside_limits"]).all()
