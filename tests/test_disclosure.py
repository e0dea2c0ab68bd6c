"""Small-number suppression: counts 1–7 and what derives from them never appear."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from analysis.disclosure import DisclosureRule, display, suppress


@given(st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=50))
def test_suppressed_counts_never_appear(counts):
    frame = pd.DataFrame({"numerator": counts, "value": [c / 10 for c in counts]})
    out = suppress(frame)
    shown = out["numerator"].dropna()
    assert not shown.between(1, 7).any()
    assert out.loc[out["suppressed"], "value"].isna().all()
    assert (out.loc[frame["numerator"] == 0, "numerator"] == 0).all()  # 0 stays 0
    assert frame["numerator"].tolist() == counts  # input untouched


def test_rounding_to_five_and_star_display():
    frame = pd.DataFrame({"numerator": [0, 3, 8, 12, 13], "value": [0.0, 1, 2, 3, 4]})
    out = suppress(frame, rule=DisclosureRule(round_to=5))
    assert out["numerator"].tolist()[0] == 0
    assert pd.isna(out["numerator"].iloc[1])
    assert pd.isna(out["numerator"].iloc[2])  # hidden too: 13 + 12 + 0 would reveal the 3
    assert out["numerator"].tolist()[3:] == [10, 15]
    text = display(out, ["numerator", "value"])
    assert text.loc[1, "numerator"] == "*" and text.loc[1, "value"] == "*"
