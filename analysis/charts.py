"""Altair chart builders: compute elsewhere, draw here (pages never style charts).

Conventions: units in axis titles; the programme start drawn the same way
everywhere (a dashed vertical rule labelled "programme start"); colours from
:mod:`analysis.palette`; suppressed points are absent and tooltips say so.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from analysis import palette


def unit_label(kind: str | None, multiplier: float | None) -> str:
    """Axis unit from a measure definition: '%', 'per 100,000', or ''."""
    if kind == "proportion" and multiplier == 100:
        return "%"
    if kind == "rate" and multiplier:
        return f"per {multiplier:,.0f}"
    return ""


def polarity_text(higher_is_better: object) -> str:
    """Plain words for a measure's polarity (True, False, or missing)."""
    if higher_is_better is None or pd.isna(higher_is_better):
        return "no judgement of better or worse"
    return "higher is better" if bool(higher_is_better) else "lower is better"


def start_rules(starts: pd.Series) -> alt.Chart:
    """Dashed rules at each distinct programme start date."""
    frame = pd.DataFrame(
        {"start": pd.to_datetime(sorted(pd.to_datetime(starts.dropna()).unique()))}
    )
    frame["label"] = "start " + frame["start"].dt.strftime("%b %Y")
    frame["offset"] = 12 + 14 * (frame.index % 2)  # alternate so labels never overlap
    rule = (
        alt.Chart(frame)
        .mark_rule(strokeDash=[6, 4], color=palette.START_RULE)
        .encode(x="start:T", tooltip=[alt.Tooltip("label:N", title="")])
    )
    text = (
        alt.Chart(frame)
        .mark_text(
            align="left", dx=4, dy=-4, baseline="bottom", fontSize=11, color=palette.START_RULE
        )
        .encode(x="start:T", y=alt.Y("offset:Q", scale=None), text="label:N")
    )
    return rule + text


def group_trend(series: pd.DataFrame, title: str, unit: str, starts: pd.Series) -> alt.LayerChart:
    """Lines of each group's value over time with the programme start marked."""
    y_title = unit or "value"
    lines = (
        alt.Chart(series)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "period_start:T", title="Period start", axis=alt.Axis(format="%Y", tickCount="year")
            ),
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=alt.Color(
                "group:N",
                title="Group",
                legend=alt.Legend(orient="bottom"),
                scale=alt.Scale(domain=palette.GROUP_DOMAIN, range=palette.GROUP_RANGE),
            ),
            tooltip=[
                alt.Tooltip("group:N", title="Group"),
                alt.Tooltip("period_label:N", title="Period"),
                alt.Tooltip("value:Q", title=y_title, format=",.1f"),
                alt.Tooltip("sites:Q", title="Sites"),
                alt.Tooltip("method:N", title="Method"),
            ],
        )
    )
    return alt.layer(lines, start_rules(starts)).properties(height=340, title=title)
