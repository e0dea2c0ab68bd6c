"""Altair builders for the Savings page: fan, costs avoided by item, and tornado.

Same conventions as :mod:`analysis.charts`: compute elsewhere
(:mod:`analysis.savings`, :mod:`analysis.roi`), draw here; units in axis
titles (£); colours from :mod:`analysis.palette` (Okabe & Ito, colour-blind
safe); every figure drawn with its interval. Savings are costs avoided, not
cash released, and the titles say so.

Sizes: Streamlit fits a chart's title, legend and axes inside its height, so
the fan's height is the whole element's; rows of the item and tornado charts
are sized by step (a fixed height per row), which keeps every label.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from analysis import palette
from analysis.charts import Layered

GBP_AXIS = "(datum.value < 0 ? '-£' : '£') + format(abs(datum.value), '~s')"
"""Vega label expression for £ axes: £500, £20k, £1.5M, -£2M."""
ROW = alt.Step(36)
LABEL_LIMIT = 260


def _gbp_axis(title: str) -> alt.Axis:
    return alt.Axis(title=title, labelExpr=GBP_AXIS)


def savings_fan(
    cumulative: pd.DataFrame, programme_cost_gbp: float | None = None, title: str = ""
) -> Layered:
    """Cumulative costs avoided (£, present value) over the horizon, with nested bands.

    ``cumulative`` is :meth:`analysis.savings.SavingsEstimate.cumulative_frame`:
    one row per (``years``, ``confidence``). Wider intervals are paler; the
    central line is the point estimate; a dashed rule marks the programme
    cost when given (where the line crosses it is the payback time).
    """
    frame = cumulative.assign(
        band=lambda f: (f["confidence"] * 100).round().astype(int).astype(str) + "% interval"
    )
    levels = sorted(frame["confidence"].unique(), reverse=True)
    order = [f"{round(c * 100)}% interval" for c in levels]
    opacity = [0.15 + 0.2 * i for i in range(len(order))]
    x = alt.X("years:Q", title="Years from the start", axis=alt.Axis(tickMinStep=1))
    bands = (
        alt.Chart(frame)
        .mark_area(color=palette.INTERVENTION)
        .encode(
            x=x,
            y=alt.Y("lower_ci:Q", axis=_gbp_axis("Cumulative £ (present value)")),
            y2="upper_ci:Q",
            opacity=alt.Opacity(
                "band:N",
                scale=alt.Scale(domain=order, range=opacity),
                legend=alt.Legend(title="Interval", orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("years:Q", title="Years", format=".1f"),
                alt.Tooltip("band:N", title="Interval"),
                alt.Tooltip("lower_ci:Q", title="Lower (£)", format=",.0f"),
                alt.Tooltip("upper_ci:Q", title="Upper (£)", format=",.0f"),
            ],
        )
    )
    central = frame[frame["confidence"] == levels[0]]
    line = (
        alt.Chart(central)
        .mark_line(point=True, color=palette.INTERVENTION)
        .encode(
            x=x,
            y="value:Q",
            tooltip=[
                alt.Tooltip("years:Q", title="Years", format=".1f"),
                alt.Tooltip("value:Q", title="Costs avoided (£)", format=",.0f"),
            ],
        )
    )
    layers = [bands, line]
    if programme_cost_gbp:
        cost = pd.DataFrame(
            {"cost": [programme_cost_gbp], "label": [f"programme cost £{programme_cost_gbp:,.0f}"]}
        )
        rule = alt.Chart(cost).mark_rule(strokeDash=[6, 4], color=palette.WORSE)
        text = alt.Chart(cost).mark_text(
            align="left", dx=4, dy=-6, x=4, baseline="bottom", fontSize=11, color=palette.WORSE
        )
        layers += [
            rule.encode(y="cost:Q", tooltip=[alt.Tooltip("label:N", title="")]),
            text.encode(y="cost:Q", text="label:N"),
        ]
    return alt.layer(*layers).properties(height=440, title=title)


def savings_by_item(by_item: pd.DataFrame, title: str = "") -> Layered:
    """Costs avoided by item (£, present value): a point with its interval per item.

    ``by_item`` is :meth:`analysis.savings.SavingsEstimate.by_item_frame`
    (``item, value, lower_ci, upper_ci, confidence``).
    """
    confidence = float(by_item["confidence"].iloc[0]) if len(by_item) else 0.95
    y = alt.Y(
        "item:N",
        title=None,
        sort=alt.EncodingSortField("value", order="descending"),
        axis=alt.Axis(labelLimit=LABEL_LIMIT),
    )
    x_title = f"Costs avoided (£, present value; {confidence:.0%} interval)"
    tooltip = [
        alt.Tooltip("item:N", title="Item"),
        alt.Tooltip("value:Q", title="Costs avoided (£)", format=",.0f"),
        alt.Tooltip("lower_ci:Q", title="Lower (£)", format=",.0f"),
        alt.Tooltip("upper_ci:Q", title="Upper (£)", format=",.0f"),
    ]
    base = alt.Chart(by_item)
    interval = base.mark_rule(strokeWidth=2, color=palette.INTERVENTION).encode(
        x=alt.X("lower_ci:Q", axis=_gbp_axis(x_title)), x2="upper_ci:Q", y=y, tooltip=tooltip
    )
    point = base.mark_point(filled=True, size=90, color=palette.INTERVENTION).encode(
        x="value:Q", y=y, tooltip=tooltip
    )
    return alt.layer(interval, point).properties(height=ROW, title=title)


def tornado(sensitivity: pd.DataFrame, title: str = "") -> Layered:
    """One-way sensitivity (:func:`analysis.roi.sensitivity_table`) as a tornado chart.

    Each input is a row, largest swing on top: a bar from the base case to
    the total costs avoided with the input at its low value, and one to its
    high value; the base case is a vertical rule.
    """
    base_value = float(sensitivity["base_savings"].iloc[0])
    rows = []
    for order, r in enumerate(sensitivity.itertuples()):
        for end, value, saving in (
            ("input at its low value", r.low_value, r.savings_at_low),
            ("input at its high value", r.high_value, r.savings_at_high),
        ):
            rows.append(
                {
                    "input": r.input,
                    "order": order,
                    "end": end,
                    "input_value": value,
                    "savings": saving,
                    "base": base_value,
                    "note": r.note,
                }
            )
    frame = pd.DataFrame(rows)
    y = alt.Y(
        "input:N",
        title=None,
        sort=alt.EncodingSortField("order", order="ascending"),
        axis=alt.Axis(labelLimit=LABEL_LIMIT),
    )
    bars = (
        alt.Chart(frame)
        .mark_bar(height=18)
        .encode(
            x=alt.X("savings:Q", axis=_gbp_axis("Total costs avoided (£, present value)")),
            x2="base:Q",
            y=y,
            color=alt.Color(
                "end:N",
                title=None,
                scale=alt.Scale(
                    domain=["input at its low value", "input at its high value"],
                    range=[palette.COMPARATOR, palette.INTERVENTION],
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("input:N", title="Input"),
                alt.Tooltip("end:N", title="Setting"),
                alt.Tooltip("input_value:Q", title="Input value", format=",.3~f"),
                alt.Tooltip("savings:Q", title="Costs avoided (£)", format=",.0f"),
                alt.Tooltip("note:N", title="Note"),
            ],
        )
    )
    rule = (
        alt.Chart(pd.DataFrame({"base": [base_value]}))
        .mark_rule(color=palette.START_RULE, strokeDash=[6, 4])
        .encode(x="base:Q", tooltip=[alt.Tooltip("base:Q", title="Base case (£)", format=",.0f")])
    )
    return alt.layer(bars, rule).properties(height=ROW, title=title)
