"""Staggered DiD against R's ``did`` package README example (Callaway & Sant'Anna 2021).

``mpdta`` (county teen employment, 500 counties 2003–2007, minimum-wage rises
in 2004, 2006 or 2007; shipped as ``data/mpdta.rda`` in github.com/bcallaway11/did,
here ``tests/fixtures/mpdta.csv``, the columns used) and
``att_gt(yname = "lemp", gname = "first.treat", idname = "countyreal",
tname = "year", xformla = ~1, data = mpdta, est_method = "reg")``, whose
README prints the ATT(g, t) to 4 decimals and "P-value for pre-test of parallel
trends assumption: 0.16812" (the Wald pre-test of ``R/att_gt.R``). Its standard
errors there are from the multiplier bootstrap, so they are not compared.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.credibility import pre_period_check
from analysis.did import did_staggered

MPDTA = Path(__file__).parent / "fixtures" / "mpdta.csv"

# (group, time, ATT(g,t)) as the did README prints them.
README_ATT = [
    (2004, 2004, -0.0105),
    (2004, 2005, -0.0704),
    (2004, 2006, -0.1373),
    (2004, 2007, -0.1008),
    (2006, 2004, 0.0065),
    (2006, 2005, -0.0028),
    (2006, 2006, -0.0046),
    (2006, 2007, -0.0412),
    (2007, 2004, 0.0305),
    (2007, 2005, -0.0027),
    (2007, 2006, -0.0311),
    (2007, 2007, -0.0261),
]


@pytest.fixture(scope="module")
def mpdta() -> pd.DataFrame:
    raw = pd.read_csv(MPDTA)
    treated = raw["first.treat"] > 0
    return pd.DataFrame(
        {
            "site_code": raw["countyreal"].astype(str),
            "group": np.where(treated, "intervention", "comparator"),
            "start_date": pd.to_datetime(
                np.where(treated, raw["first.treat"].astype(str) + "-01-01", None)
            ),
            "period_start": pd.to_datetime(raw["year"].astype(str) + "-01-01"),
            "granularity": "year",
            "numerator": np.nan,
            "denominator": np.nan,
            "value": raw["lemp"],
        }
    )


def test_did_readme_group_time_effects_and_wald_pre_test(mpdta):
    effect = did_staggered(mpdta, "lemp", "log employment")
    cells = pd.DataFrame(effect.extra["group_time"])
    for group, time, att in README_ATT:
        row = cells[(cells["cohort"] == f"{group}-01-01") & (cells["period"] == f"{time}-01-01")]
        assert float(row["att"].iloc[0]) == pytest.approx(att, abs=5e-5)
    assert effect.diagnostics["pre_trend_p"] == pytest.approx(0.16812, abs=5e-6)
    assert "R did::att_gt" in effect.diagnostics["pre_trend_test"]
    assert "χ²(5)" in effect.diagnostics["pre_trend_test"]
    # aggte(type = "group"), the README's overall summary: −0.031.
    assert effect.estimate == pytest.approx(-0.0310, abs=5e-5)


def test_periods_before_start_counts_each_cohort(mpdta):
    # Cohorts 2004, 2006, 2007 have 1, 3 and 4 years before their start; the pre-test ran.
    effect = did_staggered(mpdta, "lemp", "log employment")
    check = pre_period_check(mpdta, effect)
    assert check.status == "amber"
    assert "1–4 period(s) before the start across 3 start cohorts" in check.explanation
    only_earliest = pre_period_check(
        mpdta[mpdta["start_date"].isna() | (mpdta["start_date"].dt.year == 2004)]
    )
    assert only_earliest.status == "red"
