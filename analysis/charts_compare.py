"""Charts for the comparison: groups with the counterfactual, event study, synth weights."""

from __future__ import annotations

import altair as alt
import pandas as pd

from analysis import palette
from analysis.charts import Layered, start_rules, time_x

LINE_DOMAIN = ["intervention", "comparator", "counterfactual"]
LINE_RANGE = [palette.INTERVENTION, palette.COMPARATOR, palette.COUNTERFACTUAL]


def effect_chart(series: pd.DataFrame, title: str, unit: str, starts: pd.Series) -> Layered:
    """Both groups over time, the intervention counterfactual dashed, the start marked."""
    y_title = unit or "value"
    lines = (
        alt.Chart(series)
        .mark_line(point=True)
        .encode(
            x=time_x(series["period_start"]),
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=alt.Color(
                "group:N",
                title="Series",
                legend=alt.Legend(orient="bottom"),
                scale=alt.Scale(domain=LINE_DOMAIN, range=LINE_RANGE),
            ),
            strokeDash=alt.StrokeDash(
                "line:N",
                title="",
                scale=alt.Scale(domain=["observed", "counterfactual"], range=[[1, 0], [6, 4]]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("group:N", title="Series"),
                alt.Tooltip("period_start:T", title="Period start", format="%b %Y"),
                alt.Tooltip("value:Q", title=y_title, format=",.1f"),
            ],
        )
    )
    return alt.layer(lines, start_rules(starts)).properties(height=380, title=title)


def event_study_chart(table: pd.DataFrame, unit: str) -> Layered:
    """Effect by period relative to the start, with intervals; leads should sit on zero."""
    frame = table.assign(
        phase=lambda t: t["event_time"].map(lambda e: "before" if e < 0 else "after")
    )
    base = alt.Chart(frame).encode(x=alt.X("event_time:O", title="Periods relative to the start"))
    bars = base.mark_rule(color=palette.INTERVENTION).encode(
        y=alt.Y("lower_ci:Q", title=f"Effect ({unit})" if unit else "Effect"), y2="upper_ci:Q"
    )
    points = base.mark_point(filled=True, size=60).encode(
        y="value:Q",
        color=alt.Color(
            "phase:N",
            title="",
            scale=alt.Scale(
                domain=["before", "after"], range=[palette.COMPARATOR, palette.INTERVENTION]
            ),
            legend=alt.Legend(orient="bottom"),
        ),
        tooltip=[
            alt.Tooltip("event_time:O", title="Period"),
            alt.Tooltip("value:Q", title="Effect", format=",.1f"),
            alt.Tooltip("lower_ci:Q", title="Lower 95%", format=",.1f"),
            alt.Tooltip("upper_ci:Q", title="Upper 95%", format=",.1f"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"y": [0]})).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
    return alt.layer(bars, points, zero).properties(
        height=260, title="Event study: leads (before) should sit on zero"
    )


def weights_chart(weights: dict[str, float], names: dict[str, str]) -> alt.Chart:
    """Synthetic-control donor weights, largest first (weights under 0.001 left out)."""
    frame = pd.DataFrame(
        [{"site": names.get(k, k), "weight": v} for k, v in weights.items() if v >= 0.001]
    )
    return (
        alt.Chart(frame)
        .mark_bar(color=palette.INTERVENTION)
        .encode(
            x=alt.X("weight:Q", title="Donor weight (sums to 1)"),
            y=alt.Y("site:N", sort="-x", title=""),
            tooltip=["site:N", alt.Tooltip("weight:Q", format=".3f")],
        )
        .properties(title="Synthetic control: who the counterfactual is made of")
    )
