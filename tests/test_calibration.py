"""A small run of bench/calibrate.py: intervals and checks with 3 intervention sites.

The full figures (200 planted panels for 3 and 8 intervention sites) are printed by
``python -m bench.calibrate`` and recorded in bench/README.md; this runs 6 seeds so that a
change that breaks calibration badly fails here.
"""

from __future__ import annotations

import pytest

from bench.calibrate import simulate, summarise


@pytest.mark.slow
def test_few_site_intervals_and_checks_hold_on_a_small_simulation():
    summary = summarise(simulate(panels=6, sizes=[3], workers=1)).set_index("method")
    assert summary.loc["did", "pre-trend alarms"] <= 2 / 6
    for method in ("did", "its", "synth"):
        assert summary.loc[method, "effect CI covers 0"] >= 4 / 6, method
        assert summary.loc[method, "events CI covers (cut)"] >= 4 / 6, method
        assert summary.loc[method, "no red check (null)"] >= 4 / 6, method
