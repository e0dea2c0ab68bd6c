"""Every period form in DESIGN.md, normalised to start, end and granularity."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.periods import parse_period, parse_periods

CASES = [
    ("2023-04", "2023-04-01", "2023-04-30", "month"),
    ("2024-02", "2024-02-01", "2024-02-29", "month"),
    ("2023-04-01", "2023-04-01", "2023-04-01", "date"),
    ("2023 Q2", "2023-04-01", "2023-06-30", "quarter"),
    ("2023-Q4", "2023-10-01", "2023-12-31", "quarter"),
    ("2023/24", "2023-04-01", "2024-03-31", "financial_year"),
    ("1999/00", "1999-04-01", "2000-03-31", "financial_year"),
    ("2023", "2023-01-01", "2023-12-31", "year"),
    ("2018 - 20", "2018-01-01", "2020-12-31", "multi_year"),
]


@pytest.mark.parametrize(("label", "start", "end", "grain"), CASES)
def test_period_forms(label, start, end, grain):
    p = parse_period(label)
    assert (p.start, p.end, p.granularity) == (pd.Timestamp(start), pd.Timestamp(end), grain)


@pytest.mark.parametrize("label", ["2023/25", "2023-13", "2023 Q5", "23/24", "April 2023", ""])
def test_bad_periods_say_why(label):
    with pytest.raises(ValueError, match="period"):
        parse_period(label)


def test_parse_periods_aligns_and_reports_bad_labels():
    frame, bad = parse_periods(pd.Series(["2023/24", "nope", "2023/24"], index=[5, 6, 7]))
    assert list(frame.index) == [5, 6, 7]
    assert frame.loc[7, "granularity"] == "financial_year"
    assert pd.isna(frame.loc[6, "period_start"])
    assert list(bad) == ["nope"]
