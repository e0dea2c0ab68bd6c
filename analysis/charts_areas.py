"""Compare areas chart: sites ranked by value, coloured by the comparison with a benchmark.

Conventions as :mod:`analysis.charts`: units in axis titles, colours from
:mod:`analysis.palette` (Okabe & Ito). **Suppressed rows never reach a chart**: the
builder drops rows flagged ``suppressed`` (counts of 1–7 and what derives from
them), so no mark, tooltip or dataset in the spec carries them.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from analysis import palette
from analysis.charts import Layered, axis_title, records, visible

COMPARISON_DOMAIN = ["better", "similar", "worse", "higher", "lower", "not compared"]
COMPARISON_RANGE = [
    palette.BETTER,
    palette.SIMILAR,
    palette.WORSE,
    palette.INTERVENTION,
    palette.COMPARATOR,
    palette.NOT_COMPARED,
]


INTERVENTION_MARK = "▶ "


def ranked_bars(
    table: pd.DataFrame,
    *,
    unit: str,
    title: str,
    benchmark_label: str,
    benchmark_value: float | None,
) -> Layered:
    """Sites ranked by value: bars coloured by the Fingertips comparison, interval whiskers.

    ``table`` rows from :func:`analysis.areas.sites_to_chart`. A single
    benchmark is a vertical rule; per-site benchmarks (parent areas) are
    black ticks on each bar. Intervention sites are marked ▶ in the labels.
    """
    rows = visible(table)
    data = records(
        rows,
        [
            "site_code",
            "site_name",
            "group",
            "value",
            "lower_ci",
            "upper_ci",
            "numerator",
            "denominator",
            "comparison",
            "benchmark",
            "method",
        ],
    )
    marker = np.where(data["group"].eq("intervention"), INTERVENTION_MARK, "")
    data["label"] = (
        marker + data["site_name"].fillna(data["site_code"]) + " (" + data["site_code"] + ")"
    )
    data = data.sort_values("value", ascending=False)
    x_title = axis_title(unit)
    axis = alt.Axis(labelLimit=320, labelOverlap=False, labelFontSize=11)
    y = alt.Y("label:N", sort=data["label"].tolist(), title=None, axis=axis)
    tooltip = [
        alt.Tooltip("site_name:N", title="Site"),
        alt.Tooltip("site_code:N", title="Code"),
        alt.Tooltip("value:Q", title=x_title, format=",.1f"),
        alt.Tooltip("lower_ci:Q", title="Lower limit", format=",.1f"),
        alt.Tooltip("upper_ci:Q", title="Upper limit", format=",.1f"),
        alt.Tooltip("numerator:Q", title="Numerator", format=",.0f"),
        alt.Tooltip("denominator:Q", title="Denominator", format=",.0f"),
        alt.Tooltip("comparison:N", title="Compared with benchmark"),
        alt.Tooltip("benchmark:Q", title="Benchmark", format=",.1f"),
        alt.Tooltip("method:N", title="Interval"),
    ]
    base = alt.Chart(data)
    bars = base.mark_bar().encode(
        y=y,
        x=alt.X("value:Q", title=x_title),
        color=alt.Color(
            "comparison:N",
            title="Compared with benchmark",
            scale=alt.Scale(domain=COMPARISON_DOMAIN, range=COMPARISON_RANGE),
            legend=alt.Legend(orient="top"),
        ),
        tooltip=tooltip,
    )
    whiskers = base.mark_rule(color=palette.START_RULE).encode(
        y=y, x="lower_ci:Q", x2="upper_ci:Q", tooltip=tooltip
    )
    layers = [bars, whiskers]
    if benchmark_value is not None and np.isfinite(benchmark_value):
        rule_data = pd.DataFrame({"benchmark": [benchmark_value], "label": [benchmark_label]})
        layers.append(
            alt.Chart(rule_data)
            .mark_rule(color=palette.START_RULE, strokeDash=[6, 3], size=2)
            .encode(
                x="benchmark:Q",
                tooltip=[
                    alt.Tooltip("label:N", title="Benchmark"),
                    alt.Tooltip("benchmark:Q", title=x_title, format=",.1f"),
                ],
            )
        )
    elif data["benchmark"].notna().any():
        layers.append(
            base.mark_tick(color="black", thickness=2, size=14).encode(
                y=y, x="benchmark:Q", tooltip=tooltip
            )
        )
    return alt.layer(*layers).properties(title=title, height=alt.Step(20))
