"""Controlled ITS, pooled model: Linden (2015) California example, statsmodels, default rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis.its import its
from tests.test_its import series_panel

FIXTURES = Path(__file__).parent / "fixtures"


def california() -> pd.DataFrame:
    """Cigarette sales per head, 39 states 1970-2000; California treated from 1989."""
    raw = pd.read_csv(FIXTURES / "prop99_smoking.csv")
    start = pd.to_datetime(raw["year"].astype(int).astype(str) + "-01-01")
    treated = raw["state"] == "California"
    return pd.DataFrame(
        {
            "site_code": raw["state"],
            "group": np.where(treated, "intervention", "comparator"),
            "start_date": pd.Series(pd.Timestamp("1989-01-01"), index=raw.index).where(treated),
            "period_start": start,
            "period_end": start + pd.offsets.YearEnd(0),
            "granularity": "year",
            "value": raw["cigsale"],
            "numerator": np.nan,
            "denominator": np.nan,
        }
    )


def linden_design(raw: pd.DataFrame) -> np.ndarray:
    """itsa's regressors: _t, _z, _z_t, _x1989, _x_t1989, _z_x1989, _z_x_t1989 (and a constant)."""
    t = raw["year"] - 1970
    z = (raw["state"] == "California").astype(float)
    x = (raw["year"] >= 1989).astype(float)
    xt = (raw["year"] - 1989) * x
    return np.column_stack([np.ones(len(raw)), t, z, z * t, x, xt, z * x, z * xt])


def test_pooled_model_reproduces_linden_2015_california():
    """``itsa cigsale, treatid(3) trperiod(1989) lag(1)``: Linden's multiple-group example.

    Published (Linden 2015, *Stata Journal* 15:480-500; the numbers as quoted in
    the ``power itsa`` help file of the same author, SSC package ``itsa``):
    treated pre-trend -1.779474, post-trend -3.274126, step -20.0581; controls
    pre-trend -0.5477701, post-trend -1.051279, step -17.25168; the difference
    in level change (_z_x1989) -2.806417 with P = 0.631, the difference in slope
    change (_z_x_t1989) P = 0.136.

    The published P = 0.136 comes from Newey–West on the stacked series, whose
    lag products also cross from one state to the next (reproduced below with
    statsmodels ``HAC``); ours keeps the lag products within each state
    (statsmodels ``hac-panel``, the trusted implementation matched exactly),
    which gives 0.137.
    """
    effect = its(california(), "cigsale", "packs per head", control="pooled", maxlags=1)
    slope = effect.diagnostics["slope_change"]
    assert effect.estimate == pytest.approx(-2.806417, abs=5e-7)
    assert slope == pytest.approx((-3.274126 + 1.779474) - (-1.051279 + 0.5477701), abs=5e-6)
    assert effect.p_value == pytest.approx(0.631, abs=0.001)
    assert effect.diagnostics["slope_change_p"] == pytest.approx(0.136, abs=0.001)
    assert effect.n_intervention == 1 and effect.n_comparator == 38
    assert effect.diagnostics["n_obs"] == 39 * 31

    raw = pd.read_csv(FIXTURES / "prop99_smoking.csv").sort_values(["state", "year"])
    x, y = linden_design(raw), raw["cigsale"].to_numpy()
    n, k = x.shape
    groups = pd.factorize(raw["state"])[0]
    within = sm.OLS(y, x).fit(
        cov_type="hac-panel", cov_kwds={"groups": groups, "maxlags": 1, "use_correction": "hac"}
    )
    assert effect.standard_error == pytest.approx(within.bse[6], rel=1e-9)
    p_slope = 2 * stats.t.sf(abs(within.params[7] / within.bse[7]), n - k)
    assert effect.diagnostics["slope_change_p"] == pytest.approx(p_slope, rel=1e-9)

    stacked = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": 1, "use_correction": True})
    assert round(2 * stats.t.sf(abs(stacked.tvalues[7]), n - k), 3) == 0.136
    assert round(2 * stats.t.sf(abs(stacked.tvalues[6]), n - k), 3) == 0.631


def test_the_difference_series_of_the_same_data_is_far_more_certain_and_says_so():
    """Same slope change, but the comparator mean taken as known: p 0.003 against 0.137."""
    panel = california()
    pooled = its(panel, "cigsale", "u", control="pooled", maxlags=1)
    difference = its(panel, "cigsale", "u", control="difference", maxlags=1)
    assert difference.diagnostics["slope_change"] == pytest.approx(
        pooled.diagnostics["slope_change"], rel=1e-9
    )
    assert difference.diagnostics["slope_change_p"] < 0.01 < 0.1 < pooled.p_value
    assert "pooled model of every site" in pooled.method_label
    assert "comparator mean is treated as known" in difference.method_label
    assert pooled.diagnostics["design"].startswith("pooled units")
    assert "within each site" in pooled.diagnostics["standard_errors"]
    assert difference.diagnostics["design"].startswith("difference series")


def test_pooled_counterfactual_is_the_treated_line_without_the_group_changes():
    effect = its(california(), "cigsale", "u", control="pooled", maxlags=1)
    series = pd.DataFrame(effect.extra["series"])
    raw = pd.read_csv(FIXTURES / "prop99_smoking.csv").query("state == 'California'")
    assert series["observed"].to_numpy() == pytest.approx(raw["cigsale"].to_numpy())
    since = np.maximum(np.arange(31) - 19, 0)
    post = np.arange(31) >= 19
    gap = (series["fitted"] - series["counterfactual"]).to_numpy()
    expected = post * (effect.estimate + effect.diagnostics["slope_change"] * since)
    assert gap == pytest.approx(expected, abs=1e-9)
    average = effect.estimate + effect.diagnostics["slope_change"] * since[post].mean()
    assert effect.diagnostics["average_post_effect"] == pytest.approx(average)


def comparators(count: int) -> pd.DataFrame:
    """One intervention site and ``count`` comparators with their own noise."""
    base = series_panel(5, 3.0)
    frames = [base]
    for j in range(count):
        other = series_panel(100 + j, 0.0).assign(
            site_code=f"C{j}", group="comparator", start_date=pd.NaT
        )
        frames.append(other)
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize(("count", "design"), [(4, "difference series"), (5, "pooled units")])
def test_auto_uses_the_pooled_model_from_five_comparators(count, design):
    effect = its(comparators(count), "m", "u")
    assert effect.diagnostics["design"].startswith(design)
    assert effect.n_comparator == count
    assert effect.estimate == pytest.approx(3.0, abs=2.0)
