"""Period axes (analysis.charts.time_axis): monthly series labelled once a year, in every chart."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import charts, charts_compare, charts_inequality, charts_spc
from analysis.spc_view import spc_view

MONTHS = pd.Series(pd.date_range("2020-01-01", periods=48, freq="MS"))
JANUARIES = [{"year": y, "month": 1, "date": 1} for y in (2020, 2021, 2022, 2023)]


def x_axes(spec: dict) -> list[dict]:
    """Every x axis of a chart spec (layers included) whose field is a time."""
    found = []
    for layer in [spec, *spec.get("layer", [])]:
        x = layer.get("encoding", {}).get("x", {})
        if x.get("type") == "temporal" and "axis" in x:
            found.append(x["axis"])
    return found


def test_a_monthly_axis_has_one_tick_a_year():
    axis = charts.time_axis(MONTHS).to_dict()
    assert axis["values"] == JANUARIES
    assert axis["format"] == "%Y"


def test_a_monthly_series_starting_mid_year_ticks_at_the_next_january():
    axis = charts.time_axis(pd.Series(pd.date_range("2022-04-01", periods=24, freq="MS")))
    assert axis.to_dict()["values"] == [
        {"year": 2023, "month": 1, "date": 1},
        {"year": 2024, "month": 1, "date": 1},
    ]


def test_quarters_tick_yearly_and_financial_years_at_each_period():
    quarters = pd.Series(pd.date_range("2021-01-01", periods=12, freq="QS"))
    assert len(charts.time_axis(quarters).to_dict()["values"]) == 3
    years = pd.Series(pd.to_datetime([f"{y}-04-01" for y in range(2018, 2024)]))
    axis = charts.time_axis(years).to_dict()
    assert axis["values"] == [{"year": y, "month": 4, "date": 1} for y in range(2018, 2024)]
    assert axis["format"] == "%b %Y"


def test_short_monthly_series_without_a_january_ticks_each_month():
    months = pd.Series(pd.date_range("2023-04-01", periods=6, freq="MS"))
    axis = charts.time_axis(months).to_dict()
    assert len(axis["values"]) == 6 and axis["format"] == "%b %Y"


def monthly_groups() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "group": np.repeat(["intervention", "comparator"], 48),
            "period_start": pd.concat([MONTHS, MONTHS], ignore_index=True),
            "period_label": pd.concat([MONTHS, MONTHS], ignore_index=True).dt.strftime("%Y-%m"),
            "value": np.linspace(60, 70, 96),
            "sites": 5,
            "method": "pooled",
            "line": "observed",
        }
    )


def test_every_time_series_chart_labels_a_monthly_axis_once_a_year():
    series = monthly_groups()
    starts = pd.Series(pd.to_datetime(["2022-04-01"]))
    spc = spc_view(
        pd.DataFrame(
            {
                "period_start": MONTHS,
                "period_label": MONTHS.dt.strftime("%Y-%m"),
                "value": np.sin(np.arange(48)) + 50,
                "suppressed": False,
            }
        ),
        improvement="increase",
    )
    groups = series.rename(columns={"group": "quantile"}).assign(
        quantile=lambda f: np.where(f["quantile"] == "intervention", 1, 5), suppressed=False
    )
    summary = pd.DataFrame(
        {
            "period_start": MONTHS,
            "period_label": MONTHS.dt.strftime("%Y-%m"),
            "sii": 3.0,
            "sii_lower_ci": 2.0,
            "sii_upper_ci": 4.0,
        }
    )
    built = {
        "group_trend": charts.group_trend(series, "t", "%", starts),
        "effect_chart": charts_compare.effect_chart(series, "t", "%", starts),
        "spc_chart": charts_spc.spc_chart(spc, unit="%", title="t", starts=starts),
        "quantile_trend": charts_inequality.quantile_trend(
            groups, unit="%", title="t", group_word="quintile", starts=starts
        ),
        "index_trend": charts_inequality.index_trend(
            summary, statistic="sii", unit="%", title="t", starts=starts
        ),
    }
    for name, chart in built.items():
        axes = x_axes(chart.to_dict())
        assert axes, name
        for axis in axes:
            assert axis["values"] == JANUARIES, name
            assert axis["format"] == "%Y", name
