"""Funnel view: the funnel modules' limits and flags, reshaped; suppression before output."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.funnel import funnel_limits, funnel_significance
from analysis.funnel_overdispersion import adjusted_z_scores, overdispersion, significance_from_z
from analysis.funnel_view import funnel_view
from analysis.rates import MethodInputError
from analysis.site_levels import Level, level_rows
from tests.inequality_helpers import SMALL_COUNT_PRACTICE, inequality_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = inequality_store(tmp_path_factory.mktemp("funnel") / "funnel.duckdb")
    yield store
    store.close()


def practices(store, period="2023/24"):
    rows = store.panel_rows("smoking_prevalence_qof")
    at = level_rows(rows, store.sites(), Level("practice"), 100)
    return at[at["period_label"] == period].reset_index(drop=True)


def test_proportion_funnel_matches_the_funnel_module(store):
    data = practices(store)
    view = funnel_view(data, measure_kind="proportion", multiplier=100, higher_is_better=False)
    flags = funnel_significance(data, "numerator", "denominator", statistic="proportion")
    points = view.points.set_index("site_code")
    visible = points[~points["suppressed"]]
    expected = flags.set_index("site_code")["significance"].astype(str).reindex(visible.index)
    assert (visible["significance"] == expected).all()
    curves = funnel_limits(data, "numerator", "denominator", statistic="proportion", multiplier=100)
    assert view.baseline == pytest.approx(curves["baseline"].iloc[0])
    upper = view.limits[view.limits["limit"] == "99.8% upper"].set_index("size")["value"]
    expected_upper = curves.set_index("Population")["upper_3s_limit"].reindex(upper.index)
    np.testing.assert_allclose(upper, expected_upper)
    worse = visible[visible["direction"] == "high"]
    assert (worse["verdict"] == "worse").all()  # lower is better: high values are worse
    assert view.method.startswith("Wilson")


def test_small_counts_are_suppressed_and_never_labelled(store):
    view = funnel_view(practices(store), measure_kind="proportion", multiplier=100)
    hidden = view.points.set_index("site_code").loc[SMALL_COUNT_PRACTICE]
    assert hidden["suppressed"] and hidden["significance"] == "suppressed"
    assert np.isnan(hidden["value"]) and np.isnan(hidden["z"]) and np.isnan(hidden["numerator"])
    assert not hidden["label"] and not hidden["outside_95"]
    assert SMALL_COUNT_PRACTICE not in set(view.outliers["site_code"])
    assert any("1–7" in note for note in view.notes)


def test_overdispersion_flags_by_adjusted_z(store):
    data = practices(store)
    view = funnel_view(data, measure_kind="proportion", multiplier=100, adjust_overdispersion=True)
    model = overdispersion(data["numerator"], data["denominator"], "proportion")
    assert view.overdispersion.tau2 == pytest.approx(model.tau2)
    z = adjusted_z_scores(data["numerator"], data["denominator"], model)
    expected = pd.Series(significance_from_z(z), index=data["site_code"])
    visible = view.points[~view.points["suppressed"]].set_index("site_code")
    assert (visible["significance"] == expected.reindex(visible.index)).all()
    assert "Spiegelhalter" in view.method
    assert (
        view.points["outside_99_8"].sum()
        <= funnel_view(data, measure_kind="proportion", multiplier=100).points["outside_99_8"].sum()
    )


def test_dsr_funnel_uses_the_published_rates(store):
    rows = store.panel_rows("falls_admissions_65plus")
    data = level_rows(rows, store.sites(), Level("la"), 100_000)
    data = data[data["period_label"] == "2023/24"]
    view = funnel_view(data, measure_kind="rate", multiplier=100_000, higher_is_better=False)
    points = view.points.set_index("site_code")
    published = data.set_index("site_code")["value"]
    np.testing.assert_allclose(points["value"], published.reindex(points.index))
    assert "directly standardised" in view.method
    assert view.size_title.startswith("Population")
    assert (view.limits["size"] >= 0.5 * points["size"].min()).all()
    intervention = points[points["group"] == "intervention"]
    assert len(intervention) == 3


def test_crude_rate_and_refusals():
    data = pd.DataFrame(
        {
            "site_code": list("abcdef"),
            "site_name": list("abcdef"),
            "site_type": "la",
            "group": None,
            "numerator": [30.0, 50.0, 80.0, 12.0, 0.0, 200.0],
            "denominator": [1e4, 2e4, 2e4, 9e3, 5e3, 5e4],
        }
    )
    data["value"] = data["numerator"] / data["denominator"] * 1e5
    view = funnel_view(data, measure_kind="rate", multiplier=100_000)
    assert view.method.startswith("exact Poisson") and "standardised" not in view.method
    np.testing.assert_allclose(view.points["size"], data["denominator"])
    with pytest.raises(MethodInputError, match="at least 3"):
        funnel_view(data.head(2), measure_kind="rate", multiplier=100_000)
    with pytest.raises(MethodInputError, match="proportion or a rate"):
        funnel_view(data, measure_kind="value", multiplier=1)
