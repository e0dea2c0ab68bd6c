"""Known answers for the SII/RII (PHEindicatormethods testdata_SII) and the inequality DiD.

Point estimates (SII, RII, intercept) must match the sheet to 1e-6. The
intervals are simulated, so they can only match within Monte Carlo error: a
limit at tail probability p estimated from n draws has standard error about
σ √(p(1−p)) / φ(z_p) / √n, with σ the spread of the simulated index (taken
from the reference interval itself). The sheet's limits come from their own
simulation (``Repetitions`` column, 10,000 or 100,000), ours from 100,000
draws with a fixed seed; we allow 5 combined standard errors, i.e. about
±3% of the half-width of a 95% interval with 100,000 draws on both sides.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

from analysis.inequality import (
    deprivation_gap,
    phe_sii,
    quintile_from_decile,
    relative_ranks,
    slope_index,
)
from analysis.inequality_change import inequality_by_period, inequality_change
from analysis.panel import PanelError
from analysis.rates import MethodInputError

OUR_REPS = 100_000
VALUE_TYPES = {0: "normal", 1: "rate", 2: "proportion"}

# Arguments each test description in the sheet stands for (as the package's tests pass them).
CASES = {
    "default (e.g. life expectancy) - default parameters": {},
    "default - testing 99% confidence": {"confidence": 0.99},
    "default - testing 10,000 repetitions": {},
    "default - testing quintiles": {},
    "rate (e.g. infant mortality) - default parameters": {},
    "proportion (e.g. child obesity) - default parameters": {},
    "proportion - testing multiplier (x 100)": {"multiplier": 100},
    "proportion - testing multiplier (x -100)": {"multiplier": -100},
    "default (e.g. life expectancy) - multiple CIs": {"confidence": (0.95, 0.99)},
    "default (e.g. life expectancy) - intercept": {},
    "rate (e.g. infant mortality) - intercept": {},
    "proportion (e.g. child obesity) - intercept": {},
    "rate (e.g. infant mortality) - log transform with intercept": {"transform": True},
    "proportion (e.g. child obesity) - logit transform with intercept": {"transform": True},
    "proportion (e.g. child obesity) - logit transform with negative multiplier": {
        "transform": True,
        "multiplier": -1,
    },
    "rate (e.g. infant mortality) - log transform with multiple Cis (95 and 98)": {
        "transform": True,
        "confidence": (0.95, 0.98),
    },
    "rate (e.g. infant mortality) - log transform with negative multiplier": {
        "transform": True,
        "multiplier": -1,
    },
    "rate (e.g. infant mortality) - log transform with 98% CI": {
        "transform": True,
        "confidence": 0.98,
    },
    "rate (e.g. infant mortality) - log transform without rii": {"transform": True, "rii": False},
    "proportion (e.g. child obesity) - logit transform without rii": {
        "transform": True,
        "rii": False,
    },
    "proportion (e.g. child obesity) - logit transform with 98% cis": {
        "transform": True,
        "confidence": 0.98,
    },
    "proportion (e.g. child obesity) - logit transform with 95% and 98% cis": {
        "transform": True,
        "confidence": (0.95, 0.98),
    },
}


@pytest.fixture(scope="module")
def sii_sheet(reference_dir) -> pd.DataFrame:
    path = reference_dir / "PHEindicatormethods" / "sheets" / "testdata_SII__testdata_SII.csv"
    return pd.read_csv(path)


def mc_tolerance(lower: float, upper: float, level: float, n_ref: int) -> float:
    """5 standard errors of the difference of two simulated limits (see module docstring)."""
    sigma = (upper - lower) / (2 * stats.norm.ppf(0.5 + level / 2))
    p = (1 - level) / 2
    per_draw = sigma * math.sqrt(p * (1 - p)) / stats.norm.pdf(stats.norm.ppf(p))
    return 5 * per_draw * math.sqrt(1 / n_ref + 1 / OUR_REPS)


def groups(sheet: pd.DataFrame, description: str):
    rows = sheet[sheet["TestDescription"] == description]
    assert len(rows) in (10, 20), description
    return list(rows.groupby("Area", sort=True))


@pytest.mark.parametrize("description", list(CASES))
def test_sii_sheet(sii_sheet, description):
    args = dict(CASES[description])
    levels = args.pop("confidence", 0.95)
    levels = (levels,) if np.isscalar(levels) else levels
    for area, rows in groups(sii_sheet, description):
        first = rows.iloc[0]
        result = slope_index(
            rows["Quantile"],
            rows["Population"],
            rows["Value"],
            lower_ci=rows["LowerCL"],
            upper_ci=rows["UpperCL"],
            value_type=VALUE_TYPES[int(first["ValueType"])],
            confidence=levels,
            reps=OUR_REPS,
            seed=20240601,
            **args,
        )
        where = f"{description} / {area}"
        assert result.sii == pytest.approx(first["sii"], abs=1e-6), where
        if pd.notna(first["rii"]):
            assert result.rii == pytest.approx(first["rii"], abs=1e-6), where
        else:
            assert result.rii is None, where
        if pd.notna(first["Intercept"]):
            assert result.intercept == pytest.approx(first["Intercept"], abs=1e-6), where
        for i, level in enumerate(levels, start=1):
            for name, intervals in (("sii", result.sii_ci), ("rii", result.rii_ci)):
                lo_ref, hi_ref = first[f"{name}_lowercl_{i}"], first[f"{name}_uppercl_{i}"]
                if pd.isna(lo_ref):  # quintiles: the sheet has only the SII (from the Excel tool)
                    continue
                tol = mc_tolerance(lo_ref, hi_ref, level, int(first["Repetitions"]))
                got = intervals[i - 1]
                assert got.lower == pytest.approx(lo_ref, abs=tol), f"{where} {name} lower {level}"
                assert got.upper == pytest.approx(hi_ref, abs=tol), f"{where} {name} upper {level}"


def test_standard_error_gives_the_same_as_limits(sii_sheet):
    for description in (
        "default (e.g. life expectancy) - default parameters",
        "rate (e.g. infant mortality) - default parameters",
    ):
        for _, rows in groups(sii_sheet, description):
            kind = VALUE_TYPES[int(rows.iloc[0]["ValueType"])]
            common = {"value_type": kind, "reps": 20_000, "seed": 3}
            from_se = slope_index(
                rows["Quantile"],
                rows["Population"],
                rows["Value"],
                se=rows["StandardError"],
                **common,
            )
            from_cl = slope_index(
                rows["Quantile"],
                rows["Population"],
                rows["Value"],
                lower_ci=rows["LowerCL"],
                upper_ci=rows["UpperCL"],
                **common,
            )
            assert from_se.sii == from_cl.sii
            width = from_cl.sii_ci[0].upper - from_cl.sii_ci[0].lower
            assert abs(from_se.sii_ci[0].lower - from_cl.sii_ci[0].lower) < 0.01 * width


def test_proportion_from_counts(sii_sheet):
    for _, rows in groups(sii_sheet, "proportion (e.g. child obesity) - default parameters"):
        result = slope_index(
            rows["Quantile"],
            rows["Population"],
            numerator=rows["Count"],
            lower_ci=rows["LowerCL"],
            upper_ci=rows["UpperCL"],
            value_type="proportion",
            reps=1000,
            seed=1,
        )
        # Value in the sheet is Count / Population rounded: the SII agrees to ~1e-6
        assert result.sii == pytest.approx(rows.iloc[0]["sii"], abs=1e-5)


ERROR_ROWS = [
    (151, 160, {"se": True}, "zero, negative or missing population"),
    (161, 165, {"se": True}, "negative or missing standard errors"),
    (
        166,
        170,
        {"se": True, "numerator": True, "value_type": "proportion"},
        "zero or negative count",
    ),
    (171, 175, {"value_type": "proportion"}, "confidence limit proportions"),
    (176, 180, {"value_type": "proportion"}, "confidence limit proportions"),
    (181, 190, {}, "missing value"),
    (191, 200, {"se": True}, "negative or missing standard errors"),
    (191, 200, {}, "missing lower or upper confidence limits"),
    (1, 10, {"se": True, "value_type": "proportion"}, "value proportions are not all between"),
    (201, 210, {}, "zero, negative or missing population"),
]


@pytest.mark.parametrize(("first", "last", "how", "message"), ERROR_ROWS)
def test_sii_error_rows(sii_sheet, first, last, how, message):
    rows = sii_sheet[sii_sheet["RecordNo"].between(first, last)]
    kwargs: dict = {"value_type": how.get("value_type", "normal"), "reps": 1000}
    if how.get("se"):
        kwargs["se"] = rows["StandardError"]
    else:
        kwargs |= {"lower_ci": rows["LowerCL"], "upper_ci": rows["UpperCL"]}
    value = None if how.get("numerator") else rows["Value"]
    numerator = rows["Count"] if how.get("numerator") else None
    with pytest.raises(MethodInputError, match=message):
        slope_index(rows["Quantile"], rows["Population"], value, numerator=numerator, **kwargs)


def test_sii_argument_errors(sii_sheet):
    rows = sii_sheet[sii_sheet["RecordNo"].between(1, 10)]
    args = (rows["Quantile"], rows["Population"], rows["Value"])
    limits = {"lower_ci": rows["LowerCL"], "upper_ci": rows["UpperCL"]}
    with pytest.raises(MethodInputError, match="transform is true"):
        slope_index(*args, transform=True, **limits)
    with pytest.raises(MethodInputError, match="se to be missing"):
        slope_index(*args, se=rows["StandardError"], value_type="rate", transform=True)
    with pytest.raises(MethodInputError, match="repetitions must be 1000"):
        slope_index(*args, reps=0, **limits)
    with pytest.raises(MethodInputError, match="confidence level"):
        slope_index(*args, confidence=0.35, **limits)
    with pytest.raises(MethodInputError, match="between 5 and 100"):
        slope_index(
            rows["Quantile"][:3],
            rows["Population"][:3],
            rows["Value"][:3],
            lower_ci=rows["LowerCL"][:3],
            upper_ci=rows["UpperCL"][:3],
        )


def test_sii_warning_rows(sii_sheet):
    many = sii_sheet[sii_sheet["RecordNo"].between(211, 225)]
    with pytest.warns(UserWarning, match="large number of quantiles"):
        slope_index(
            many["Quantile"],
            many["Population"],
            many["Value"],
            lower_ci=many["LowerCL"],
            upper_ci=many["UpperCL"],
            reps=1000,
        )
    # rows 1–15 and 17–20: area2 lacks quantile 6 and is left out with a warning
    rows = sii_sheet[sii_sheet["RecordNo"].between(1, 20) & (sii_sheet["RecordNo"] != 16)]
    with pytest.warns(UserWarning, match="incomplete or invalid data"):
        out = phe_sii(
            rows,
            "Quantile",
            "Population",
            "Value",
            by="Area",
            lower_ci="LowerCL",
            upper_ci="UpperCL",
            reps=1000,
            seed=1,
        )
    assert set(out["Area"]) == {"area1"}
    assert out.loc[out["statistic"] == "sii", "value"].iloc[0] == pytest.approx(6.934616473668819)


def test_phe_sii_frame_and_statsmodels_wls(reference_dir):
    # PHEindicatormethods' DSR_data: rates by deprivation quintile and period (vignette input)
    data = pd.read_csv(reference_dir / "PHEindicatormethods" / "DSR_testdata.csv")
    out = phe_sii(
        data,
        "Quintile",
        "total_pop",
        "value",
        by="Period",
        lower_ci="lowercl",
        upper_ci="uppercl",
        value_type="rate",
        confidence=(0.95, 0.998),
        reps=5000,
        seed=9,
    )
    sii = out[out["statistic"] == "sii"].set_index("Period")
    assert list(sii.index) == list(range(2010, 2016))
    assert {"lower_ci_95", "upper_ci_99_8", "intercept"} <= set(out.columns)
    for period, part in data.groupby("Period"):
        rank = relative_ranks(part["total_pop"])
        fit = sm.WLS(part["value"], sm.add_constant(rank), weights=part["total_pop"]).fit()
        assert sii.loc[period, "value"] == pytest.approx(fit.params.iloc[1], rel=1e-10)
        assert sii.loc[period, "intercept"] == pytest.approx(fit.params.iloc[0], rel=1e-10)
        assert sii.loc[period, "lower_ci_99_8"] < sii.loc[period, "lower_ci_95"]
        assert sii.loc[period, "lower_ci_95"] < sii.loc[period, "value"]


def test_quintile_from_decile():
    got = quintile_from_decile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, np.nan])
    assert list(got[:-1]) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5] and np.isnan(got[-1])
    with pytest.raises(MethodInputError):
        quintile_from_decile([0, 11])
    with pytest.raises(MethodInputError):
        quintile_from_decile([2.5])


def test_gap_newcombe_published_example():
    # Newcombe (1998), Stat Med 17:873-90, example (a): 56/70 − 48/80 = 0.2000,
    # score interval without continuity correction (method 10): 0.0524 to 0.3339.
    gap = deprivation_gap((56, 48), (70, 80), "proportion")
    assert gap.value == pytest.approx(0.2)
    assert gap.lower == pytest.approx(0.0524, abs=5e-5)
    assert gap.upper == pytest.approx(0.3339, abs=5e-5)


def test_gap_for_rates_contains_estimate_and_tends_to_wald():
    gap = deprivation_gap((4000, 2500), (1e6, 1e6), "rate", multiplier=100_000)
    assert gap.value == pytest.approx(150.0)
    wald = 1.959964 * math.sqrt(4000 + 2500) / 1e6 * 100_000
    assert gap.lower == pytest.approx(150 - wald, rel=2e-3)
    assert gap.upper == pytest.approx(150 + wald, rel=2e-3)
    small = deprivation_gap((3, 0), (1000, 1000), "rate", multiplier=1000)
    assert small.lower < small.value < small.upper


# --- did the gap narrow? -----------------------------------------------------------------------

BASE = {1: 180.0, 2: 160.0, 3: 140.0, 4: 120.0, 5: 100.0}  # per 100,000, quintile 1 most deprived


def synthetic_panel(effect_q1: float = -30.0, noise: bool = False, seed: int = 0) -> pd.DataFrame:
    """4 sites per quintile and arm, 4 years; the programme lowers quintile 1 by ``effect_q1``.

    Each site-year has 2,000,000 people (20 × 100,000), so 20 × rate events are expected;
    with ``noise`` the events are Poisson.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for group in ("intervention", "comparator"):
        for q, base in BASE.items():
            for k in range(4):
                site = f"{group[0]}{q}{k}"
                start = pd.Timestamp("2022-01-01") if group == "intervention" else pd.NaT
                for year in (2020, 2021, 2022, 2023):
                    rate = base + (
                        effect_q1 if group == "intervention" and q == 1 and year >= 2022 else 0
                    )
                    count = float(rng.poisson(rate * 20)) if noise else rate * 20
                    rows.append(
                        {
                            "site_code": site,
                            "site_name": site,
                            "group": group,
                            "start_date": start,
                            "period_start": pd.Timestamp(f"{year}-01-01"),
                            "numerator": count,
                            "denominator": 2_000_000.0,
                            "value": count / 20,
                            "imd_decile": 2.0 * q,
                        }
                    )
    return pd.DataFrame(rows)


def test_inequality_change_recovers_a_known_narrowing():
    result = inequality_change(synthetic_panel(), reps=300, seed=5)
    assert result.multiplier == 100_000
    q = {e.measure: e for e in result.by_quintile}
    assert q["IMD quintile 1"].estimate == pytest.approx(-30.0)
    for k in range(2, 6):
        assert q[f"IMD quintile {k}"].estimate == pytest.approx(0.0, abs=1e-9)
    assert result.gap.estimate == pytest.approx(30.0)  # least − most deprived: −80 to −50
    assert result.gap.intervention_before == pytest.approx(-80.0)
    # equal populations: ranks .1 … .9; SII −100 before, −70 after (hand computed)
    assert result.sii.intervention_before == pytest.approx(-100.0)
    assert result.sii.intervention_after == pytest.approx(-70.0)
    assert result.sii.estimate == pytest.approx(30.0)
    assert result.sii.ci_low <= 30.0 <= result.sii.ci_high
    assert result.gap.direction == "narrowed" and result.sii.direction == "narrowed"
    assert result.n_intervention_sites == result.n_comparator_sites == 20


def test_inequality_change_with_noise_covers_truth_and_null_is_unclear():
    effect = inequality_change(synthetic_panel(noise=True, seed=1), reps=500, seed=2)
    assert effect.gap.ci_low <= 30.0 <= effect.gap.ci_high
    assert effect.gap.ci_low > 0
    null = inequality_change(synthetic_panel(effect_q1=0.0, noise=True, seed=3), reps=500, seed=4)
    assert null.gap.ci_low < 0 < null.gap.ci_high
    assert null.gap.direction == "no clear change"


def test_inequality_change_needs_every_quintile():
    panel = synthetic_panel()
    panel = panel[~((panel["group"] == "comparator") & (panel["imd_decile"] == 10))]
    with pytest.raises(PanelError, match="4 of 5 IMD quintiles"):
        inequality_change(panel, reps=100)


def test_inequality_by_period():
    panel = synthetic_panel()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = inequality_by_period(panel, "rate", reps=2000, seed=1)
    comp = out[out["group"] == "comparator"]
    assert len(out) == 8
    assert np.allclose(comp["sii"], -100.0) and np.allclose(comp["gap"], -80.0)
    assert (comp["sii_lower_ci"] < comp["sii"]).all() and (comp["sii"] < comp["sii_upper_ci"]).all()
    late = out[(out["group"] == "intervention") & (out["period_start"].dt.year >= 2022)]
    assert np.allclose(late["sii"], -70.0)
    assert (late["rii"] < 1).all()  # lower rates at the least deprived end


def test_inputs_not_mutated():
    panel = synthetic_panel()
    before = panel.copy()
    inequality_change(panel, reps=50, seed=1)
    inequality_by_period(panel, "rate", reps=1000, seed=1)
    pd.testing.assert_frame_equal(panel, before)


def test_staggered_starts_use_each_sites_own_start():
    panel = synthetic_panel(effect_q1=0.0)
    late = panel["site_code"].isin(["i12", "i13"])
    panel.loc[late, "start_date"] = pd.Timestamp("2023-01-01")
    q1 = (panel["group"] == "intervention") & (panel["imd_decile"] == 2)
    started = panel["period_start"] >= panel["start_date"]
    panel.loc[q1 & started, "numerator"] -= 30 * 20
    result = inequality_change(panel, reps=100, seed=1)
    assert result.programme_start == pd.Timestamp("2022-01-01")
    assert result.by_quintile[0].estimate == pytest.approx(-30.0)
    assert result.by_quintile[0].intervention_after == pytest.approx(150.0)
