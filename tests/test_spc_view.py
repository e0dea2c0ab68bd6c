"""SPC view: series from a site or an arm, XmR chart, short-series and suppression rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.arms import build_panel
from analysis.spc import xmr_chart
from analysis.spc_view import (
    MIN_POINTS,
    SeriesTooShort,
    arm_series,
    improvement_direction,
    missing_periods,
    site_choices,
    site_series,
    spc_view,
)
from analysis.trends import group_series
from tests.inequality_helpers import SMALL_COUNT_PRACTICE, inequality_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = inequality_store(tmp_path_factory.mktemp("spc") / "spc.duckdb")
    yield store
    store.close()


def series(values, start=2010):
    starts = pd.to_datetime([f"{start + i}-04-01" for i in range(len(values))])
    return pd.DataFrame(
        {
            "period_start": starts,
            "period_end": starts + pd.DateOffset(years=1) - pd.Timedelta(days=1),
            "period_label": [
                f"{start + i}/{(start + i + 1) % 100:02d}" for i in range(len(values))
            ],
            "value": values,
            "numerator": np.nan,
            "suppressed": False,
        }
    )


def test_site_view_is_the_xmr_chart(store):
    rows = store.panel_rows("falls_admissions_65plus")
    wirral = site_series(rows, "E08000015")
    view = spc_view(wirral, improvement="decrease", label="Wirral")
    expected = xmr_chart(wirral["value"], wirral["period_start"], improvement="decrease")
    np.testing.assert_allclose(view.chart["upper_limit"], expected["upper_limit"])
    assert view.chart["period_label"].tolist() == wirral["period_label"].tolist()
    assert view.summary.n_points == 6
    assert any("Short series: 6 points" in n for n in view.notes)
    assert any("fewer than 7 points" in n for n in view.notes)


def test_arm_series_is_the_pooled_group_series(store):
    panel = build_panel(store.panel_rows("falls_admissions_65plus"))
    arm = arm_series(panel, "comparator", 100_000)
    expected = group_series(panel[panel["group"] == "comparator"], 100_000)
    np.testing.assert_allclose(arm["value"], expected["value"])
    assert arm["period_end"].notna().all()
    assert spc_view(arm, improvement="decrease").summary.n_points == len(arm)


def test_suppressed_periods_refuse_the_chart(store):
    rows = store.panel_rows("smoking_prevalence_qof")
    small = site_series(rows, SMALL_COUNT_PRACTICE)
    assert small["suppressed"].all() and small["value"].isna().all()
    with pytest.raises(SeriesTooShort, match="suppressed"):
        spc_view(small, improvement="decrease")


def test_minimum_points_and_rebase_checks():
    with pytest.raises(SeriesTooShort, match=f"at least {MIN_POINTS}"):
        spc_view(series([1.0, 2.0]), improvement=None)
    data = series([5.0, 6, 5, 7, 6, 9, 10, 9, 11, 10])
    view = spc_view(data, improvement="increase", rebase_at="2015-04-01", target=8.0)
    assert view.chart["rebase_group"].tolist() == [0] * 5 + [1] * 5
    assert view.summary.assurance in {"consistently_hit", "hit_and_miss", "consistently_fail"}
    assert view.rebase_at == pd.Timestamp("2015-04-01")
    with pytest.raises(SeriesTooShort, match="each baseline needs"):
        spc_view(data, improvement=None, rebase_at="2018-04-01")
    long = spc_view(series(list(np.sin(np.arange(20)))), improvement=None)
    assert not any("Short series" in n for n in long.notes)


def test_gaps_polarity_and_site_choices(store):
    data = series([1.0, 2.0, 3.0, 4.0]).drop(index=2).reset_index(drop=True)
    assert missing_periods(data) == ["2011/12"]
    assert any("missing after 2011/12" in n for n in spc_view(data, improvement=None).notes)
    assert improvement_direction(True) == "increase"
    assert improvement_direction(False) == "decrease"
    assert improvement_direction(pd.NA) is None
    choices = site_choices(store.panel_rows("falls_admissions_65plus"))
    assert choices["group"].iloc[0] == "intervention"
    assert (choices["periods"] >= MIN_POINTS).all()
    assert site_choices(store.panel_rows("smoking_prevalence_qof")).empty  # two years only
