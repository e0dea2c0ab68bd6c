"""Altair chart builders: compute elsewhere, draw here (pages never style charts).

Conventions: units in axis titles; the programme start drawn the same way
everywhere (a dashed vertical rule labelled "programme start"); colours from
:mod:`analysis.palette`; suppressed points are absent and tooltips say so.
Shared helpers for the page-family modules: :func:`visible` (drops suppressed
rows), :func:`records` (only the columns a chart uses), :func:`axis_title`,
:func:`time_x` / :func:`time_axis` (period axes labelled once a year) and
:func:`start_layers`.
"""

from __future__ import annotations

from typing import TypeAlias

import altair as alt
import pandas as pd
from altair.typing import ChartType

from analysis import palette

AnyChart: TypeAlias = ChartType
"""Any top-level Altair chart: what ``st.altair_chart`` and :mod:`analysis.exports` take."""

Layered: TypeAlias = alt.LayerChart | alt.FacetChart
"""What ``alt.layer`` returns: a facet chart when every layer has the same facet encoding."""


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


def group_trend(series: pd.DataFrame, title: str, unit: str, starts: pd.Series) -> Layered:
    """Lines of each group's value over time with the programme start marked."""
    y_title = unit or "value"
    lines = (
        alt.Chart(series)
        .mark_line(point=True)
        .encode(
            x=time_x(series["period_start"]),
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


def visible(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows a chart may show: never a suppressed one."""
    if "suppressed" in frame.columns:
        frame = frame[~frame["suppressed"].fillna(False).astype(bool)]
    return frame


def start_layers(starts: pd.Series) -> list[alt.Chart]:
    """The programme start rules, or nothing when no site has a start date."""
    known = pd.to_datetime(pd.Series(starts), errors="coerce").dropna()
    return [start_rules(known)] if len(known) else []


def time_axis(dates: pd.Series) -> alt.Axis:
    """A period-start axis labelled once a year, whatever the period length.

    Monthly, quarterly or daily series (the closest two period starts under
    300 days apart) get a tick at each 1 January in their span, labelled
    ``%Y``; a yearly series a tick at each period, labelled ``%Y`` (more than
    12 periods) or ``%b %Y`` (so that April starts of financial years show). A
    short sub-annual series with no 1 January in its span falls back to a tick
    per period.
    """
    ticks = [pd.Timestamp(t) for t in sorted(pd.to_datetime(pd.Series(dates)).dropna().unique())]
    gaps = pd.Series(ticks).diff().dropna()
    if len(gaps) and gaps.min() < pd.Timedelta(days=300):
        first = ticks[0].year + (ticks[0] > pd.Timestamp(ticks[0].year, 1, 1))
        years = range(first, ticks[-1].year + 1)
        if len(years):
            values = [alt.DateTime(year=y, month=1, date=1) for y in years]
            return alt.Axis(values=values, format="%Y", labelAngle=0)
    values = [alt.DateTime(year=t.year, month=t.month, date=t.day) for t in ticks]
    return alt.Axis(values=values, format="%b %Y" if len(ticks) <= 12 else "%Y", labelAngle=0)


def time_x(dates: pd.Series, field: str = "period_start") -> alt.X:
    """The x encoding of a period axis: ``field`` as time, ticks from :func:`time_axis`."""
    return alt.X(f"{field}:T", title="Period start", axis=time_axis(dates))


def axis_title(unit: str, what: str = "value") -> str:
    """An axis title with its unit in brackets: ``"value (%)"``, or ``what`` alone."""
    return f"{what} ({unit})" if unit else what


def records(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Only the columns a chart uses (keeps the spec small and free of other fields)."""
    out = frame.reindex(columns=columns).copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out
