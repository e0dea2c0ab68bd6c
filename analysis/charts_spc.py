"""SPC chart: one site's XmR series with its mean and process limits (Making Data Count).

Conventions as :mod:`analysis.charts`: units in axis titles, colours from
:mod:`analysis.palette`, the programme start drawn by
:func:`analysis.charts.start_rules`. The series comes from
:class:`analysis.spc_view.SPCView`, built from published (suppressed) rows.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from analysis import palette
from analysis.charts import Layered, axis_title, records, start_layers, time_x
from analysis.spc_view import SPCView

SPC_SHORT = {
    "common_cause": "Common cause",
    "special_cause_improvement": "Special cause: improvement",
    "special_cause_concern": "Special cause: concern",
    "special_cause_neither_high": "Special cause: neither (high)",
    "special_cause_neither_low": "Special cause: neither (low)",
}
SPC_COLOURS = {
    "common_cause": palette.COUNTERFACTUAL,
    "special_cause_improvement": palette.INTERVENTION,
    "special_cause_concern": palette.COMPARATOR,
    "special_cause_neither_high": palette.START_RULE,
    "special_cause_neither_low": palette.START_RULE,
}
"""Making Data Count's colours: grey common cause, blue improvement, orange concern."""


def spc_chart(view: SPCView, *, unit: str, title: str, starts: pd.Series) -> Layered:
    """XmR chart: the series, mean (solid) and process limits (dashed) per baseline.

    Points are coloured as Making Data Count does (grey common cause, blue
    improvement, orange concern; near-black special cause without a polarity); a
    target line and the programme start are drawn when given.
    """
    chart = view.chart.copy()
    chart["variation"] = chart["point_type"].map(SPC_SHORT)
    chart["x"] = pd.to_datetime(chart["x"])
    y_title = axis_title(unit)
    x = time_x(chart["x"], "x")
    lines = chart.melt(
        id_vars=["x", "rebase_group"],
        value_vars=["mean", "lower_limit", "upper_limit"],
        var_name="line",
        value_name="level",
    )
    lines["line"] = lines["line"].map(
        {"mean": "mean", "lower_limit": "lower process limit", "upper_limit": "upper process limit"}
    )
    lines["style"] = np.where(lines["line"] == "mean", "mean", "process limits")
    limit_layer = (
        alt.Chart(records(lines, ["x", "rebase_group", "line", "level", "style"]))
        .mark_line(color=palette.START_RULE)
        .encode(
            x=x,
            y=alt.Y("level:Q", title=y_title, scale=alt.Scale(zero=False)),
            detail=alt.Detail(["line:N", "rebase_group:N"]),
            strokeDash=alt.StrokeDash(
                "style:N",
                scale=alt.Scale(domain=["mean", "process limits"], range=[[1, 0], [6, 4]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("line:N", title=""),
                alt.Tooltip("level:Q", title=y_title, format=",.2f"),
            ],
        )
    )
    kinds = (
        ["common_cause", "special_cause_neither_high", "special_cause_neither_low"]
        if view.improvement is None
        else ["common_cause", "special_cause_improvement", "special_cause_concern"]
    )
    data = records(chart, ["x", "y", "period_label", "variation", "moving_range"])
    series = alt.Chart(data).mark_line(color=palette.COUNTERFACTUAL).encode(x=x, y="y:Q")
    dots = (
        alt.Chart(data)
        .mark_circle(size=80, opacity=1)
        .encode(
            x=x,
            y="y:Q",
            color=alt.Color(
                "variation:N",
                title="",
                scale=alt.Scale(
                    domain=[SPC_SHORT[k] for k in kinds], range=[SPC_COLOURS[k] for k in kinds]
                ),
                legend=alt.Legend(orient="top", labelLimit=300),
            ),
            tooltip=[
                alt.Tooltip("period_label:N", title="Period"),
                alt.Tooltip("y:Q", title=y_title, format=",.2f"),
                alt.Tooltip("moving_range:Q", title="Moving range", format=",.2f"),
                alt.Tooltip("variation:N", title="Variation"),
            ],
        )
    )
    layers = [limit_layer, series, dots]
    target = view.summary.target
    if target is not None and np.isfinite(target):
        layers.append(
            alt.Chart(pd.DataFrame({"target": [target]}))
            .mark_rule(color=palette.WORSE, strokeDash=[2, 2])
            .encode(y="target:Q", tooltip=[alt.Tooltip("target:Q", title="Target")])
        )
    layers += start_layers(starts)
    return alt.layer(*layers).properties(title=title, height=380)
