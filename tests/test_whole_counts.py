"""Apportioned (non-whole) counts are kept out of every count-scale method, with a note."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.did import estimate_did
from analysis.did_prep import prepare
from analysis.its import its
from analysis.panel import PanelError
from analysis.synth_inference import estimate_synth


def counts_panel(apportioned: bool) -> pd.DataFrame:
    """One intervention and 20 comparator sites, 36 months of Poisson counts; start at 24."""
    rng = np.random.default_rng(11)
    months = pd.date_range("2021-01-01", periods=36, freq="MS")
    frames = []
    for j in range(21):
        code = "T" if j == 0 else f"C{j:02d}"
        frames.append(
            pd.DataFrame(
                {
                    "site_code": code,
                    "group": "intervention" if j == 0 else "comparator",
                    "start_date": months[24] if j == 0 else pd.NaT,
                    "period_start": months,
                    "period_end": months + pd.offsets.MonthEnd(0),
                    "granularity": "month",
                    "numerator": rng.poisson(200, 36).astype(float),
                    "denominator": 100_000.0,
                }
            )
        )
    panel = pd.concat(frames, ignore_index=True)
    panel["start_date"] = pd.to_datetime(panel["start_date"])
    if apportioned:
        panel.loc[0, "numerator"] += 0.5
    return panel.assign(value=panel["numerator"] / panel["denominator"] * 100_000)


def test_whole_counts_have_a_count_scale_in_every_method():
    panel = counts_panel(apportioned=False)
    for effect in (
        its(panel, "m", "u"),
        estimate_did(panel, "m", "u"),
        estimate_synth(panel, "m", "u"),
    ):
        assert effect.count_scale is not None, effect.method


@pytest.mark.parametrize("method", ["its", "did", "synth"])
def test_a_non_whole_count_skips_the_count_scale_with_a_note(method):
    estimate = {"its": its, "did": estimate_did, "synth": estimate_synth}[method]
    effect = estimate(counts_panel(apportioned=True), "m", "u")
    assert effect.count_scale is None
    assert any("not whole numbers" in n and "count scale" in n.lower() for n in effect.notes)
    assert np.isfinite(effect.estimate)


def test_prepare_refuses_non_whole_counts_but_not_values():
    panel = counts_panel(apportioned=True)
    with pytest.raises(PanelError, match="1 row\\(s\\) have counts that are not whole numbers"):
        prepare(panel, "m", outcome="counts")
    assert prepare(panel, "m").n_sites == 21
