"""No suppressed count can be recovered: by difference, as a value, or as a complement.

DESIGN.md: "a drill-down or selection must not reveal a suppressed cell by difference".
The property test generates practices in PCNs with counts around the threshold and forms
the differences a user can form from two downloads (a PCN's total minus its practices
shown; the pooled benchmark × Σ denominators minus every count shown).
"""

from __future__ import annotations

import io

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.disclosure import DisclosureRule, suppress
from analysis.exports import Footer, neutralise_cell, table_csv

RULE = DisclosureRule()

practices = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 40), st.integers(40, 400)),
    min_size=1,
    max_size=14,
)


def frame_of(cells: list[tuple[int, int, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "site_code": [f"P{i:03d}" for i in range(len(cells))],
            "parent_code": [f"PCN{pcn}" for pcn, _, _ in cells],
            "period_start": pd.Timestamp("2024-04-01"),
            "measure": "m",
            "numerator": [n for _, n, _ in cells],
            "denominator": [d for _, _, d in cells],
        }
    )


@settings(max_examples=300, deadline=None)
@given(practices)
def test_no_difference_of_two_downloads_reveals_a_hidden_count(cells):
    raw = frame_of(cells)
    shown = suppress(raw)
    small = raw["numerator"].between(RULE.low, RULE.high)
    assert shown.loc[small, "numerator"].isna().all()
    hidden = shown["suppressed"]
    # a PCN's total minus its practices shown, and (pooled benchmark × Σ denominators)
    # minus every count shown: each reveals the sum of the hidden counts of its group
    groups = [group for _, group in raw.groupby("parent_code")] + [raw]
    for group in groups:
        recovered = group.loc[hidden[group.index], "numerator"].sum()
        total = group["numerator"].sum()
        total_suppressed = RULE.low <= total <= RULE.high  # then the total itself is hidden
        assert not (RULE.low <= recovered <= RULE.high) or total_suppressed, group
        nonzero_hidden = group.loc[hidden[group.index] & (group["numerator"] > 0), "numerator"]
        if len(nonzero_hidden) == 1 and not total_suppressed:
            assert nonzero_hidden.iloc[0] > RULE.high  # a complement cell, not a small count


def test_a_count_measure_given_as_a_value_is_suppressed_and_rounded():
    rows = pd.DataFrame(
        {
            "site_code": ["A", "B", "C"],
            "measure_kind": "count",
            "numerator": [None, None, None],
            "value": [3.0, 12.0, 41.0],
        }
    )
    out = suppress(rows, rule=DisclosureRule(round_to=5))
    assert out["suppressed"].tolist()[0]
    assert pd.isna(out.loc[0, "value"])
    assert out.loc[2, "value"] == 40  # rounded like a count
    rate = rows.assign(measure_kind="rate")
    assert not suppress(rate)["suppressed"].any()  # a rate of 3 per 100,000 is not a count


def test_a_small_complement_is_suppressed():
    rows = pd.DataFrame({"numerator": [95, 50], "denominator": [100, 100], "value": [95.0, 50]})
    out = suppress(rows)
    assert out["suppressed"].tolist()[0]  # 5 people not screened, read off the denominator


def test_csv_exports_neutralise_formulae():
    """OWASP CSV injection: cells starting =, +, -, @, tab or CR are read as text."""
    frame = pd.DataFrame(
        {
            "site_name": ['=HYPERLINK("http://x.example")', "+cmd", "@SUM(1)", "\tx", "Leeds"],
            "value": ["-12.5", "+3", "-", "1e5", "7"],
            "count": [1, 2, 3, 4, 5],
        }
    )
    csv = table_csv(frame, Footer())
    back = pd.read_csv(io.StringIO(csv), comment="#", dtype=str, keep_default_na=False)
    assert back["site_name"].tolist()[:4] == [
        '\'=HYPERLINK("http://x.example")',
        "'+cmd",
        "'@SUM(1)",
        "'\tx",
    ]
    assert back["value"].tolist() == ["-12.5", "+3", "'-", "1e5", "7"]  # numbers stay numbers
    assert neutralise_cell(-3) == -3
