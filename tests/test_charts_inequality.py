"""Chart builders for the inequality pages: valid specs, units in titles, no suppressed data.

The suppression tests look for the suppressed practice's code, its count and the
value computed from that count anywhere in the chart spec (marks, tooltips and
inline datasets) and in the CSV a user downloads.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from analysis import charts_areas, charts_funnel, charts_spc
from analysis import charts_inequality as charts
from analysis.areas import compare_areas, sites_to_chart
from analysis.arms import build_panel
from analysis.disclosure import publishable
from analysis.funnel_view import funnel_view
from analysis.inequality_change_view import gap_change
from analysis.inequality_view import fitted_line, inequality_result
from analysis.site_levels import Level, level_rows
from analysis.spc_view import site_series, spc_view
from tests.inequality_helpers import SMALL_COUNT_PRACTICE, inequality_store


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    store = inequality_store(tmp_path_factory.mktemp("charts") / "charts.duckdb")
    yield store
    store.close()


@pytest.fixture(scope="module")
def small(store):
    """The suppressed practice's raw 2023/24 row (count 1–7) as the store holds it."""
    rows = store.panel_rows("smoking_prevalence_qof")
    row = rows[(rows["site_code"] == SMALL_COUNT_PRACTICE) & (rows["period_label"] == "2023/24")]
    return row.iloc[0]


def spec_text(chart) -> str:
    return json.dumps(chart.to_dict())


def assert_absent(text: str, row: pd.Series) -> None:
    assert SMALL_COUNT_PRACTICE not in text
    value = row["numerator"] / row["denominator"] * 100
    for number in (value, round(value, 6), round(value, 2)):
        assert repr(float(number)) not in text
    assert f'"numerator": {row["numerator"]}' not in text


def comparison(store):
    return compare_areas(
        store.panel_rows("smoking_prevalence_qof"),
        store.sites(),
        level=Level("practice"),
        period_label="2023/24",
        measure_kind="proportion",
        multiplier=100,
        higher_is_better=False,
    )


def test_ranked_bars_never_carry_a_suppressed_site(store, small):
    result = comparison(store)
    text = spec_text(
        charts_areas.ranked_bars(
            result.table,  # even when handed every row, suppressed ones are dropped
            unit="%",
            title="Smoking",
            benchmark_label=result.benchmark.label,
            benchmark_value=result.benchmark.value,
        )
    )
    assert_absent(text, small)
    assert '"title": "value (%)"' in text
    shown, _ = sites_to_chart(result.table, 5)
    assert len(
        json.loads(
            spec_text(
                charts_areas.ranked_bars(
                    shown, unit="%", title="t", benchmark_label="b", benchmark_value=None
                )
            )
        )["datasets"]
    )


def test_download_shows_a_star_not_the_value(store, small):
    csv = publishable(comparison(store).table).to_csv(index=False)
    line = next(x for x in csv.splitlines() if f",{SMALL_COUNT_PRACTICE}," in x)
    fields = line.split(",")
    assert fields.count("*") >= 4  # numerator, value, lower and upper limit
    assert f"{small['numerator'] / small['denominator'] * 100:.2f}" not in line


def test_funnel_plot_never_carries_a_suppressed_site(store, small):
    rows = store.panel_rows("smoking_prevalence_qof")
    at = level_rows(rows, store.sites(), Level("practice"), 100)
    view = funnel_view(
        at[at["period_label"] == "2023/24"], measure_kind="proportion", multiplier=100
    )
    text = spec_text(charts_funnel.funnel_plot(view, unit="%", title="Funnel"))
    assert_absent(text, small)
    assert "Denominator (people eligible)" in text and "value (%)" in text


def test_quantile_charts_drop_suppressed_groups():
    groups = pd.DataFrame(
        {
            "period_start": pd.to_datetime(["2023-04-01"] * 5),
            "period_label": "2023/24",
            "quantile": [1.0, 2, 3, 4, 5],
            "value": [None, 12.5, 13.0, 14.0, 15.0],
            "lower_ci": [None, 12.0, 12.5, 13.5, 14.5],
            "upper_ci": [None, 13.0, 13.5, 14.5, 15.5],
            "n_sites": [2, 5, 5, 5, 5],
            "numerator": [None, 50, 60, 70, 80],
            "denominator": [90, 400, 460, 500, 530],
            "population": [90, 400, 460, 500, 530],
            "suppressed": [True, False, False, False, False],
        }
    )
    bars = spec_text(charts.quantile_bars(groups, None, unit="%", title="t", group_word="quintile"))
    trend = spec_text(
        charts.quantile_trend(
            groups, unit="%", title="t", group_word="quintile", starts=pd.Series(dtype="object")
        )
    )
    for text in (bars, trend):
        assert '"quantile": 1.0' not in text and '"denominator": 90' not in text
    assert "IMD quintile (1 = most deprived)" in bars


def test_other_builders_make_valid_specs(store):
    sites = store.sites()
    falls = store.panel_rows("falls_admissions_65plus")
    result = inequality_result(falls, sites, kind="rate", multiplier=100_000)
    latest = result.groups[result.groups["period_label"] == "2023/24"]
    line = fitted_line(latest, result.summary.iloc[-1])
    starts = build_panel(falls)["start_date"]
    for chart in (
        charts.quantile_bars(latest, line, unit="per 100,000", title="t", group_word="decile"),
        charts.index_trend(
            result.summary, statistic="sii", unit="per 100,000", title="t", starts=starts
        ),
        charts.index_trend(
            result.summary,
            statistic="rii",
            unit="per 100,000",
            title="t",
            starts=pd.Series(dtype="object"),
        ),
        charts_spc.spc_chart(
            spc_view(site_series(falls, "E08000015"), improvement="decrease", target=2400.0),
            unit="per 100,000",
            title="Wirral",
            starts=starts,
        ),
    ):
        text = spec_text(chart)
        assert "per 100,000" in text or "RII" in text
    assert "SII (per 100,000)" in spec_text(
        charts.index_trend(
            result.summary, statistic="sii", unit="per 100,000", title="t", starts=starts
        )
    )
    panel = build_panel(store.panel_rows("smoking_prevalence_qof"))
    change = gap_change(
        panel, kind="proportion", multiplier=100, unit="%", higher_is_better=False, reps=200
    )
    text = spec_text(charts.change_chart(change.table, unit="%", title="Change"))
    assert "difference-in-differences (percentage points)" in text
    arms = spec_text(
        charts.index_trend(
            change.by_arm, statistic="sii", unit="%", title="t", starts=starts, by="group"
        )
    )
    assert "intervention" in arms and "SII (percentage points)" in arms
