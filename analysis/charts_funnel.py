"""Funnel plot chart: each site's value against its size, inside 95% and 99.8% control limits.

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
from analysis.funnel_view import FunnelView

VERDICT_DOMAIN = ["better", "worse", "higher", "lower", "within limits"]
VERDICT_RANGE = [
    palette.BETTER,
    palette.WORSE,
    palette.INTERVENTION,
    palette.COMPARATOR,
    palette.NOT_COMPARED,
]


def funnel_plot(view: FunnelView, *, unit: str, title: str) -> Layered:
    """Value against size with the 95% (dashed) and 99.8% (solid) limits and the overall value.

    Points are coloured by verdict, intervention sites drawn as larger
    diamonds, and the outliers the view marks are labelled by name.
    """
    points = visible(view.points)
    data = records(
        points,
        [
            "site_code",
            "site_name",
            "group",
            "numerator",
            "denominator",
            "size",
            "value",
            "significance",
            "verdict",
            "label",
        ],
    ).dropna(subset=["size", "value"])
    data["arm"] = np.where(data["group"].eq("intervention"), "intervention site", "other site")
    y_title = axis_title(unit)
    values = np.concatenate([data["value"].to_numpy(float), [view.baseline]])
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    pad = 0.08 * (high - low or abs(high) or 1.0)
    y_scale = alt.Scale(domain=[max(low - pad, 0.0), high + pad], zero=False)
    x = alt.X("size:Q", title=view.size_title, scale=alt.Scale(zero=False))
    limits = (
        alt.Chart(records(view.limits, ["size", "value", "limit", "level"]))
        .mark_line(clip=True, color=palette.START_RULE)
        .encode(
            x=x,
            y=alt.Y("value:Q", title=y_title, scale=y_scale),
            detail="limit:N",
            strokeDash=alt.StrokeDash(
                "level:N",
                title="Control limits",
                scale=alt.Scale(domain=["95%", "99.8%"], range=[[5, 4], [1, 0]]),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[alt.Tooltip("limit:N", title="Limit")],
        )
    )
    baseline = (
        alt.Chart(pd.DataFrame({"baseline": [view.baseline]}))
        .mark_rule(color=palette.START_RULE, size=1.5)
        .encode(
            y=alt.Y("baseline:Q", scale=y_scale),
            tooltip=[alt.Tooltip("baseline:Q", title=f"Overall {y_title}", format=",.1f")],
        )
    )
    dots = (
        alt.Chart(data)
        .mark_point(filled=True, opacity=0.8)
        .encode(
            x=x,
            y=alt.Y("value:Q", scale=y_scale),
            color=alt.Color(
                "verdict:N",
                title="Outside the limits",
                scale=alt.Scale(domain=VERDICT_DOMAIN, range=VERDICT_RANGE),
                legend=alt.Legend(orient="top"),
            ),
            shape=alt.Shape(
                "arm:N",
                title="",
                scale=alt.Scale(
                    domain=["intervention site", "other site"], range=["diamond", "circle"]
                ),
                legend=alt.Legend(orient="top"),
            ),
            size=alt.Size(
                "arm:N",
                scale=alt.Scale(domain=["intervention site", "other site"], range=[140, 30]),
                legend=None,
            ),
            stroke=alt.condition(
                alt.datum.arm == "intervention site", alt.value("black"), alt.value(None)
            ),
            tooltip=[
                alt.Tooltip("site_name:N", title="Site"),
                alt.Tooltip("site_code:N", title="Code"),
                alt.Tooltip("value:Q", title=y_title, format=",.1f"),
                alt.Tooltip("numerator:Q", title="Numerator", format=",.0f"),
                alt.Tooltip("denominator:Q", title="Denominator", format=",.0f"),
                alt.Tooltip("significance:N", title="Funnel"),
                alt.Tooltip("verdict:N", title="Verdict"),
                alt.Tooltip("arm:N", title="Group"),
            ],
        )
    )
    labels = (
        alt.Chart(data[data["label"].astype(bool)])
        .mark_text(align="left", dx=6, dy=-6, fontSize=11, color=palette.START_RULE)
        .encode(x=x, y=alt.Y("value:Q", scale=y_scale), text="site_name:N")
    )
    return alt.layer(limits, baseline, dots, labels).properties(title=title, height=420)
