"""Compare areas: intervals, levels, benchmarks, comparison and suppression (analysis.areas).

Known answers first: Fingertips publishes Wilson 95% limits beside the counts of
breast screening and smoking prevalence by practice (``data/default``); our
intervals must reproduce them. Dobson's rescaling is checked against
:func:`analysis.standardised.dsr` computed at both levels.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.area_benchmarks import benchmark_for, benchmark_options
from analysis.areas import compare_areas, sites_to_chart
from analysis.disclosure import DisclosureRule, publishable
from analysis.rates import MethodInputError, proportion_ci, rate_ci
from analysis.site_intervals import rescale_published, site_intervals
from analysis.site_levels import (
    Level,
    ancestors,
    area_choices,
    area_labels,
    default_level,
    is_in,
    level_rows,
    periods,
    site_levels,
)
from analysis.standardised import dsr
from tests.inequality_helpers import DEFAULT, SMALL_COUNT_PRACTICE, inequality_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = inequality_store(tmp_path_factory.mktemp("areas") / "areas.duckdb")
    yield store
    store.close()


@pytest.fixture(scope="module")
def sites(store):
    return store.sites()


def rows_of(store, measure):
    return store.panel_rows(measure)


# --- known answers: Fingertips' own intervals ---------------------------------------------


@pytest.mark.parametrize(
    ("file", "measure"),
    [
        ("breast_screening_coverage.csv", "breast_screening_coverage"),
        ("smoking_prevalence_qof.csv", "smoking_prevalence_qof"),
    ],
)
def test_wilson_intervals_match_fingertips(file, measure):
    published = pd.read_csv(DEFAULT / "measures" / file)
    published = published.dropna(subset=["numerator", "denominator", "lower_ci", "upper_ci"])
    # GP practices and PCNs only: for districts formed in 2019-21 (e.g. BCP, Dorset) Fingertips'
    # earlier years' limits were aggregated from the predecessor districts, not Wilson.
    published = published[published["site_code"].str.match(r"^[A-Z]\d{5}$|^U\d{5}$")]
    ours = site_intervals(published.drop(columns=[]), "proportion", 100, 0.95)
    assert len(ours) > 100
    np.testing.assert_allclose(ours["lower_ci"], published["lower_ci"], atol=2e-4)
    np.testing.assert_allclose(ours["upper_ci"], published["upper_ci"], atol=2e-4)
    assert set(ours["method"]) == {"Wilson score interval"}


def test_dobson_rescaling_reproduces_dsr_at_998():
    rng = np.random.default_rng(1)
    for _ in range(20):
        population = rng.integers(500, 5000, size=19).astype(float)
        counts = rng.poisson(population * 0.02).astype(float)
        at95, at998 = (
            dsr(counts, population, confidence=0.95),
            dsr(counts, population, confidence=0.998),
        )
        lower, upper, method = rescale_published(
            np.array([at95.value]),
            np.array([at95.lower]),
            np.array([at95.upper]),
            np.array([counts.sum()]),
            0.998,
        )
        assert lower[0] == pytest.approx(at998.lower, rel=1e-10)
        assert upper[0] == pytest.approx(at998.upper, rel=1e-10)
        assert method[0] == "published 95% interval rescaled (Dobson)"


def test_rescaling_without_a_count_is_normal_and_95_is_untouched():
    lower, upper, method = rescale_published([10.0], [8.0], [13.0], [np.nan], 0.998)
    ratio = 3.090232 / 1.959964
    assert lower[0] == pytest.approx(10 - 2 * ratio, rel=1e-6)
    assert upper[0] == pytest.approx(10 + 3 * ratio, rel=1e-6)
    assert "normal" in method[0]
    lower, upper, method = rescale_published([10.0], [8.0], [13.0], [50.0], 0.95)
    assert (lower[0], upper[0]) == (8.0, 13.0)
    assert method[0] == "published 95% interval"


# --- intervals per row ----------------------------------------------------------------------


def frame(**columns):
    base = {
        "site_code": ["A", "B", "C"],
        "numerator": [50.0, 5.0, np.nan],
        "denominator": [200.0, 100.0, np.nan],
        "value": [np.nan, np.nan, 30.0],
        "lower_ci": [np.nan, np.nan, np.nan],
        "upper_ci": [np.nan, np.nan, np.nan],
    }
    return pd.DataFrame(base | columns)


def test_site_intervals_by_kind_and_input_unchanged():
    data = frame()
    before = data.copy()
    out = site_intervals(data, "proportion", 100, 0.95)
    pd.testing.assert_frame_equal(data, before)
    ci = proportion_ci([50, 5], [200, 100], 0.95, 100)
    np.testing.assert_allclose(out["lower_ci"][:2], ci.lower)
    np.testing.assert_allclose(out["value"][:2], [25.0, 5.0])
    assert out["method"].tolist()[2] == "published value, no interval"
    rates = site_intervals(frame(), "rate", 100_000, 0.998)
    ci = rate_ci([50, 5], [200, 100], 0.998, 100_000)
    np.testing.assert_allclose(rates["upper_ci"][:2], ci.upper)
    assert rates["method"].tolist()[:2] == ["Byar's method", "exact Poisson interval"]
    assert set(rates["confidence"]) == {"99.8%"}


def test_published_dsr_is_kept_beside_its_crude_counts():
    data = frame(
        value=[2500.0, np.nan, 30.0],
        lower_ci=[2200.0, np.nan, 25.0],
        upper_ci=[2850.0, np.nan, 36.0],
    )
    out = site_intervals(data, "rate", 100_000, 0.95)
    assert out.loc[0, "value"] == 2500.0  # the DSR, not 50/200 × 100,000
    assert (out.loc[0, "lower_ci"], out.loc[0, "upper_ci"]) == (2200.0, 2850.0)
    assert out.loc[1, "method"] == "exact Poisson interval"
    assert out.loc[2, "method"] == "published 95% interval"


# --- levels, periods, areas -----------------------------------------------------------------


def test_levels_offer_pcns_pooled_from_practices_only_without_pcn_rows(store, sites):
    smoking = site_levels(rows_of(store, "smoking_prevalence_qof"), sites)
    assert Level("pcn", "practice") in smoking
    assert Level("country") not in smoking  # England alone is not a level
    assert default_level(smoking) == Level("pcn", "practice")
    breast = site_levels(rows_of(store, "breast_screening_coverage"), sites)
    assert Level("pcn") in breast and Level("pcn", "practice") not in breast
    assert Level("pcn", "practice").label == "PCNs (pooled from GP practices)"


def test_pooled_level_sums_practice_counts(store, sites):
    rows = rows_of(store, "smoking_prevalence_qof")
    pooled = level_rows(rows, sites, Level("pcn", "practice"), 100)
    practices = rows[rows["site_type"] == "practice"]
    expected = practices.groupby(["parent_code", "period_label"])[
        ["numerator", "denominator"]
    ].sum()
    got = pooled.set_index(["site_code", "period_label"])[["numerator", "denominator"]]
    pd.testing.assert_frame_equal(
        got.sort_index(), expected.rename_axis(["site_code", "period_label"]).sort_index()
    )
    assert (pooled["site_type"] == "pcn").all()
    np.testing.assert_allclose(pooled["value"], pooled["numerator"] / pooled["denominator"] * 100)
    assert periods(pooled) == ["2022/23", "2023/24"]


def test_ancestors_and_area_choices(sites):
    pairs = ancestors(sites)
    chain = pairs[pairs["site_code"] == SMALL_COUNT_PRACTICE].sort_values("depth")
    assert chain["ancestor_type"].tolist()[:2] == ["pcn", "icb"]
    choices = area_choices(pd.Series([SMALL_COUNT_PRACTICE]), sites)
    assert choices["area_type"].iloc[0] == "country"  # largest first
    labels = area_labels(choices)
    assert any(label.startswith("ICB · ") for label in labels.values())
    assert is_in(pd.Series(["A", None, "B"]), ["B", None]).tolist() == [False, False, True]


# --- benchmarks -----------------------------------------------------------------------------


def test_benchmarks(store, sites):
    rows = rows_of(store, "breast_screening_coverage")
    period = rows[rows["period_label"] == "2023/24"]
    table = site_intervals(period[period["site_type"] == "practice"], "proportion", 100)
    options = benchmark_options(table, period, "2023/24")
    assert list(options)[:2] == ["england", "pooled"] and list(options)[-1] == "parent"
    assert ("comparator" in options) == table["group"].eq("intervention").any()
    england = benchmark_for("england", table, period, measure_kind="proportion", multiplier=100)
    row = period[period["site_type"] == "country"].iloc[0]
    assert england.value == pytest.approx(row["numerator"] / row["denominator"] * 100)
    pooled = benchmark_for("pooled", table, period, measure_kind="proportion", multiplier=100)
    assert pooled.value == pytest.approx(
        table["numerator"].sum() / table["denominator"].sum() * 100
    )
    parent = benchmark_for("parent", table, period, measure_kind="proportion", multiplier=100)
    own = period.set_index("site_code")
    for code, value in zip(table["parent_code"], parent.values, strict=True):
        if code in own.index:  # the PCN's own row
            assert value == pytest.approx(
                own.loc[code, "numerator"] / own.loc[code, "denominator"] * 100
            )


def test_parent_benchmark_pools_siblings_and_hides_small_counts():
    table = pd.DataFrame(
        {
            "site_code": ["a", "b", "c", "d"],
            "parent_code": ["P", "P", "Q", "Q"],
            "numerator": [10.0, 30.0, 3.0, 2.0],
            "denominator": [100.0, 100.0, 50.0, 50.0],
            "value": [10.0, 30.0, 6.0, 4.0],
            "lower_ci": np.nan,
            "upper_ci": np.nan,
            "population": np.nan,
        }
    )
    bench = benchmark_for(
        "parent", table, table.iloc[:0], measure_kind="proportion", multiplier=100
    )
    assert bench.values[:2].tolist() == [20.0, 20.0]
    assert np.isnan(bench.values[2:]).all()  # pooled count 5 is suppressed


def test_comparator_benchmark_uses_arms(store, sites):
    rows = rows_of(store, "falls_admissions_65plus")
    period = rows[rows["period_label"] == "2023/24"]
    table = site_intervals(period[period["site_type"] == "la"], "rate", 100_000)
    bench = benchmark_for("comparator", table, period, measure_kind="rate", multiplier=100_000)
    comparators = table[table["group"].isna()]
    expected = comparators["numerator"].sum() / comparators["denominator"].sum() * 100_000
    assert bench.value == pytest.approx(expected)
    assert "32" in bench.label


# --- the comparison -------------------------------------------------------------------------


def test_compare_areas_england_falls(store, sites):
    rows = rows_of(store, "falls_admissions_65plus")
    result = compare_areas(
        rows,
        sites,
        level=Level("la"),
        period_label="2023/24",
        measure_kind="rate",
        multiplier=100_000,
        higher_is_better=False,
        benchmark="england",
        confidence=0.95,
    )
    table = result.table.set_index("site_code")
    england = rows[(rows["site_type"] == "country") & (rows["period_label"] == "2023/24")]
    assert result.benchmark.value == pytest.approx(england["value"].iloc[0])
    published = rows[(rows["site_type"] == "la") & (rows["period_label"] == "2023/24")]
    published = published.set_index("site_code")
    for code, row in table.iterrows():
        above = published.loc[code, "lower_ci"] > result.benchmark.value
        below = published.loc[code, "upper_ci"] < result.benchmark.value
        expected = "worse" if above else "better" if below else "similar"
        assert row["comparison"] == expected, code  # lower is better
    assert table["rank"].min() == 1
    assert result.table["value"].is_monotonic_decreasing


def test_compare_areas_suppresses_small_counts(store, sites):
    rows = rows_of(store, "smoking_prevalence_qof")
    before = rows.copy()
    result = compare_areas(
        rows,
        sites,
        level=Level("practice"),
        period_label="2023/24",
        measure_kind="proportion",
        multiplier=100,
        higher_is_better=False,
        benchmark="pooled",
    )
    pd.testing.assert_frame_equal(rows, before)
    hidden = result.table.set_index("site_code").loc[SMALL_COUNT_PRACTICE]
    assert hidden["suppressed"]
    assert hidden["comparison"] == "suppressed"
    assert pd.isna(hidden["value"]) and pd.isna(hidden["lower_ci"]) and pd.isna(hidden["numerator"])
    assert pd.isna(hidden["rank"])
    assert SMALL_COUNT_PRACTICE in set(result.table.tail(2)["site_code"])  # suppressed rows last
    assert any("1–7" in note for note in result.notes)
    # the small count and one more in its PCN, so that the PCN total cannot reveal it
    assert result.counts["suppressed"] == 2
    both = result.table[result.table["suppressed"]]
    assert both["parent_code"].nunique() == 1
    shown, _ = sites_to_chart(result.table, limit=5)
    assert SMALL_COUNT_PRACTICE not in set(shown["site_code"])
    text = publishable(result.table).set_index("site_code").loc[SMALL_COUNT_PRACTICE]
    assert text["value"] == text["numerator"] == text["lower_ci"] == "*"
    assert text["denominator"] != "*"


def test_compare_areas_rounding_rule_and_within(store, sites):
    rows = rows_of(store, "smoking_prevalence_qof")
    result = compare_areas(
        rows,
        sites,
        level=Level("practice"),
        period_label="2023/24",
        measure_kind="proportion",
        multiplier=100,
        higher_is_better=False,
        rule=DisclosureRule(round_to=5),
        within="E54000008",
    )
    shown = result.table.dropna(subset=["numerator"])
    assert (shown["numerator"] % 5 == 0).all()
    with pytest.raises(MethodInputError, match="no GP practices"):
        compare_areas(
            rows,
            sites,
            level=Level("practice"),
            period_label="2023/24",
            measure_kind="proportion",
            multiplier=100,
            higher_is_better=False,
            within="E40000003",  # London: none of the slice's practices
        )


def test_no_polarity_gives_higher_lower_and_value_only_is_not_compared(store, sites):
    rows = rows_of(store, "breast_screening_coverage")
    result = compare_areas(
        rows,
        sites,
        level=Level("pcn"),
        period_label="2023/24",
        measure_kind="proportion",
        multiplier=100,
        higher_is_better=None,
        benchmark="england",
    )
    assert set(result.table["comparison"]) <= {"higher", "similar", "lower"}
    medians = compare_areas(
        rows_of(store, "cervical_screening_qof_25_49"),
        sites,
        level=Level("other"),
        period_label="2023/24",
        measure_kind="proportion",
        multiplier=100,
        higher_is_better=True,
    )
    assert set(medians.table["comparison"]) == {"not compared"}
    assert any("no interval" in note for note in medians.notes)


def test_sites_to_chart_keeps_ends_and_intervention():
    n = 100
    table = pd.DataFrame(
        {
            "site_code": [f"S{i}" for i in range(n)],
            "value": np.arange(n, dtype=float),
            "group": ["intervention" if i == 50 else None for i in range(n)],
            "suppressed": [i == 99 for i in range(n)],
        }
    )
    shown, note = sites_to_chart(table, limit=10)
    assert len(shown) == 21
    assert "S50" in set(shown["site_code"]) and "S99" not in set(shown["site_code"])
    assert "10 highest and 10 lowest of 99" in note
    small, none = sites_to_chart(table.head(15), limit=10)
    assert none is None and len(small) == 15


def test_practices_pool_to_every_level_above_them():
    """Practice counts sum to their PCN and, up the parent chain, to their ICB."""
    from analysis.site_levels import Level, level_rows, site_levels

    sites = pd.DataFrame(
        {
            "site_code": ["P1", "P2", "P3", "P4", "N1", "N2", "ICB1"],
            "site_name": ["p1", "p2", "p3", "p4", "pcn 1", "pcn 2", "an ICB"],
            "site_type": ["practice"] * 4 + ["pcn", "pcn", "icb"],
            "parent_code": ["N1", "N1", "N2", "N2", "ICB1", "ICB1", None],
        }
    )
    for column in ("group", "start_date", "imd_decile", "imd_quintile", "population"):
        sites[column] = None
    rows = sites.iloc[:4].assign(
        measure="m",
        period_start=pd.Timestamp("2024-04-01"),
        period_end=pd.Timestamp("2025-03-31"),
        granularity="financial_year",
        period_label="2024/25",
        numerator=[10.0, 20.0, 30.0, 40.0],
        denominator=[100.0, 200.0, 300.0, 400.0],
    )
    levels = site_levels(rows, sites)
    assert [lv.site_type for lv in levels] == ["practice", "pcn", "icb"]
    pcn = level_rows(rows, sites, Level("pcn", pooled_from="practice"), 100)
    assert pcn.set_index("site_code")["numerator"].to_dict() == {"N1": 30.0, "N2": 70.0}
    icb = level_rows(rows, sites, Level("icb", pooled_from="practice"), 100)
    assert icb[["site_code", "numerator", "denominator", "n_pooled"]].values.tolist() == [
        ["ICB1", 100.0, 1000.0, 4]
    ]
    assert icb["value"].iloc[0] == pytest.approx(10.0)
