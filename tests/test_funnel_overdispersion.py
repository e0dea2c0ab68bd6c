"""Known answers for overdispersed funnel limits (Spiegelhalter 2005; FunnelPlotR; SHMI).

The published example is FunnelPlotR's README (NHS-R community,
github.com/nhs-r-community/FunnelPlotR, ``README.md`` "Summary of Use"): the
``medpar`` data of Hilbe's R package COUNT (1991 Arizona Medicare length of
stay, 1,495 stays in 54 providers; ``tests/fixtures/medpar.csv``, the columns
used, as Rdatasets publishes ``csv/COUNT/medpar.csv``), expected length of stay
from ``glm(los ~ hmo + died + age80 + factor(type), family = "poisson")``
(the README prints the coefficients), ``funnel_plot(..., data_type = "SR",
sr_method = "SHMI", limit = 99)``: "54 points of which 9 are outliers. Plot is
adjusted for overdispersion." φ and τ² are FunnelPlotR's ``truncation``,
``phi_func`` and ``tau_func`` worked by hand on the same data (the README does
not print them).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

from analysis.funnel import funnel_significance, funnel_z_scores
from analysis.funnel_overdispersion import (
    adjusted_z_scores,
    overdispersed_limits,
    overdispersion,
    significance_from_z,
)

MEDPAR = Path(__file__).parent / "fixtures" / "medpar.csv"


@pytest.fixture(scope="module")
def medpar_providers() -> pd.DataFrame:
    """Observed and expected length of stay per provider, as FunnelPlotR's README builds them."""
    stays = pd.read_csv(MEDPAR, dtype={"provnum": str})
    model = smf.glm(
        "los ~ hmo + died + age80 + C(type)", data=stays, family=sm.families.Poisson()
    ).fit()
    # The README's printed coefficients (R glm), to 5 decimals.
    assert model.params["Intercept"] == pytest.approx(2.26875, abs=5e-6)
    assert model.params["C(type)[T.3]"] == pytest.approx(0.74869, abs=5e-6)
    stays["expected"] = model.fittedvalues
    providers = stays.groupby("provnum").agg(observed=("los", "sum"), expected=("expected", "sum"))
    # FunnelPlotR rounds SHMI expected values to 2 decimals (SHMI_rounding = TRUE).
    providers["expected"] = providers["expected"].round(2)
    return providers.reset_index()


def test_funnelplotr_readme_medpar_shmi(medpar_providers):
    observed, expected = medpar_providers["observed"], medpar_providers["expected"]
    model = overdispersion(observed, expected, statistic="ratio")
    assert (model.transform, model.trimming, model.n_sites, model.n_used) == (
        "log",
        "truncated",
        54,
        44,
    )
    assert model.phi == pytest.approx(8.532851, abs=1e-6)
    assert model.tau2 == pytest.approx(0.0284102, abs=1e-7)
    z = adjusted_z_scores(observed, expected, model)
    # "54 points of which 9 are outliers" at FunnelPlotR's 99.8% (limit = 99) limits.
    assert int((np.abs(z) > 3.090232).sum()) == 9
    labels = significance_from_z(z)
    assert int(np.isin(labels, ["High (0.001)", "Low (0.001)"]).sum()) == 9


def test_truncation_hand_computed():
    # Twelve sites, 100 expected events each (s = 0.1 on the log scale), z = −5.5 … 5.5.
    # FunnelPlotR truncation, k = 10: group ⌊10·rank/13⌋ is 0 for rank 1 and 9 for rank 12,
    # so ±5.5 are dropped; φ = 2(0.5² + 1.5² + 2.5² + 3.5² + 4.5²)/10 = 8.25;
    # τ² = (10φ − 9)/(Σw − Σw²/Σw) = 73.5/(1000 − 100) = 0.081667.
    z = np.arange(-5.5, 6.0, 1.0)
    observed = 100 * np.exp(0.1 * z)
    model = overdispersion(observed, np.full(12, 100.0), statistic="ratio")
    assert (model.trimming, model.n_used) == ("truncated", 10)
    assert model.phi == pytest.approx(8.25, abs=1e-12)
    assert model.tau2 == pytest.approx(73.5 / 900, abs=1e-12)
    adjusted = adjusted_z_scores(observed, np.full(12, 100.0), model)
    assert adjusted[-1] == pytest.approx(0.55 / math.sqrt(0.01 + 73.5 / 900), abs=1e-12)
    limits = overdispersed_limits([100.0], model, multiplier=100)
    assert limits["upper_95"].iloc[0] == pytest.approx(
        100 * math.exp(1.959964 * math.sqrt(0.01 + 73.5 / 900)), rel=1e-6
    )


def test_winsorisation_hand_computed():
    # Five sites, 100 expected events each, CQC sqrt transform (s = 1/(2√100) = 0.05), z = −2…2:
    # Winsorised at the 10th/90th percentiles (±1.6), φ = (2·1.6² + 2·1²)/5 = 1.424;
    # τ² = (5φ − 4)/(Σw − Σw²/Σw) = 3.12/(2000 − 400) = 0.00195 (FunnelPlotR winsorisation).
    z = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    observed = 100 * (1 + 0.05 * z) ** 2
    model = overdispersion(observed, np.full(5, 100.0), statistic="ratio", transform="sqrt")
    assert (model.trimming, model.n_used) == ("winsorised", 5)
    assert model.phi == pytest.approx(1.424, abs=1e-12)
    assert model.tau2 == pytest.approx(0.00195, abs=1e-12)
    assert "10% winsorised" in model.label


def test_no_overdispersion_gives_plain_limits():
    rng = np.random.default_rng(7)
    den = rng.integers(200, 2000, size=60).astype(float)
    num = rng.binomial(den.astype(int), 0.3).astype(float)
    model = overdispersion(num, den, "proportion")
    if model.tau2 == 0:
        assert not model.overdispersed
        limits = overdispersed_limits([400.0], model, confidence=0.95)
        centre = math.asin(math.sqrt(model.average))
        expected = math.sin(centre + 1.959964 / (2 * math.sqrt(400))) ** 2
        assert limits["upper_95"].iloc[0] == pytest.approx(expected, rel=1e-6)
    assert 0.6 < model.phi < 1.4


def test_overdispersion_recovers_between_site_variance():
    rng = np.random.default_rng(11)
    expected = np.full(400, 2000.0)
    true_tau = 0.1
    observed = rng.poisson(expected * np.exp(rng.normal(0, true_tau, 400))).astype(float)
    model = overdispersion(observed, expected, "ratio")
    assert model.overdispersed and model.phi > 5
    # SHMI truncation sets the top and bottom 10% aside, and a normal truncated at its 10th and
    # 90th percentiles keeps about 44% of its variance: τ² comes out below the true spread.
    assert 0.25 * true_tau**2 < model.tau2 < true_tau**2
    z = adjusted_z_scores(observed, expected, model)
    unadjusted = (np.log(observed / expected)) * np.sqrt(expected)
    assert np.mean(np.abs(unadjusted) > 1.96) > 0.6
    assert np.mean(np.abs(z) > 1.96) < 0.25
    labels = significance_from_z([4.0, 2.5, 0.0, -2.5, np.nan])
    assert list(labels) == ["High (0.001)", "High (0.025)", "Not significant", "Low (0.025)", None]


def test_funnel_z_scores_agree_with_the_flags(medpar_providers):
    # The z-score shown and the flag come from one test: |z| beyond 1.960 / 3.090 exactly
    # where funnel_significance (PHEindicatormethods' limits) flags 95% / 99.8%.
    flags = funnel_significance(medpar_providers, "observed", "expected", statistic="ratio")
    z = funnel_z_scores(medpar_providers, "observed", "expected", statistic="ratio")
    assert np.array_equal(np.abs(z) > 3.090232, flags["outside_99_8"].to_numpy(bool))
    assert np.array_equal(np.abs(z) > 1.959964, flags["outside_95"].to_numpy(bool))
    high = flags["direction"].to_numpy(object) == "high"
    assert (z[high] > 0).all() and (z[flags["direction"].to_numpy(object) == "low"] < 0).all()
    rng = np.random.default_rng(3)
    den = rng.integers(50, 3000, size=80).astype(float)
    sites = pd.DataFrame({"x": rng.binomial(den.astype(int), 0.2).astype(float), "n": den})
    sites.loc[0, "x"] = 0.0
    flags = funnel_significance(sites, "x", "n", statistic="proportion")
    z = funnel_z_scores(sites, "x", "n", statistic="proportion")
    assert np.array_equal(np.abs(z) > 1.959964, flags["outside_95"].to_numpy(bool))
    assert np.array_equal(np.abs(z) > 3.090232, flags["outside_99_8"].to_numpy(bool))
