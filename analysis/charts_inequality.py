"""Charts for Inequalities: values by deprivation group, SII / RII / gap over time, and change.

Conventions as :mod:`analysis.charts`: units in axis titles, colours from
:mod:`analysis.palette` (deprivation groups use the viridis scheme, which is
colour-blind safe and ordered), the programme start drawn by
:func:`analysis.charts.start_rules`. **Suppressed rows never reach a chart**:
every builder drops rows flagged ``suppressed`` (counts of 1–7 and what
derives from them), so no mark, tooltip or dataset in the spec carries them.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from analysis import palette
from analysis.charts import Layered, axis_title, records, start_layers, time_x, visible


def quantile_bars(
    groups: pd.DataFrame, fitted: pd.DataFrame | None, *, unit: str, title: str, group_word: str
) -> Layered:
    """One period's value per deprivation group with intervals, and the SII's fitted line."""
    data = records(
        visible(groups),
        ["quantile", "value", "lower_ci", "upper_ci", "n_sites", "numerator", "denominator"],
    )
    x = alt.X(
        "quantile:O", title=f"IMD {group_word} (1 = most deprived)", axis=alt.Axis(labelAngle=0)
    )
    y_title = axis_title(unit)
    tooltip = [
        alt.Tooltip("quantile:O", title=f"IMD {group_word}"),
        alt.Tooltip("value:Q", title=y_title, format=",.1f"),
        alt.Tooltip("lower_ci:Q", title="Lower limit", format=",.1f"),
        alt.Tooltip("upper_ci:Q", title="Upper limit", format=",.1f"),
        alt.Tooltip("n_sites:Q", title="Sites"),
    ]
    base = alt.Chart(data)
    bars = base.mark_bar(color=palette.COUNTERFACTUAL).encode(
        x=x, y=alt.Y("value:Q", title=y_title), tooltip=tooltip
    )
    whiskers = base.mark_rule(color=palette.START_RULE).encode(
        x=x, y="lower_ci:Q", y2="upper_ci:Q", tooltip=tooltip
    )
    layers = [bars, whiskers]
    if fitted is not None and len(fitted):
        layers.append(
            alt.Chart(records(fitted, ["quantile", "fitted"]))
            .mark_line(color=palette.WORSE, strokeWidth=2, point=True)
            .encode(
                x=x,
                y="fitted:Q",
                tooltip=[alt.Tooltip("fitted:Q", title="SII line", format=",.1f")],
            )
        )
    return alt.layer(*layers).properties(title=title, height=300)


def quantile_trend(
    groups: pd.DataFrame, *, unit: str, title: str, group_word: str, starts: pd.Series
) -> Layered:
    """Each deprivation group's value over time (viridis: dark = most deprived)."""
    data = records(visible(groups), ["period_start", "period_label", "quantile", "value"])
    y_title = axis_title(unit)
    lines = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=time_x(groups["period_start"]),
            y=alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False)),
            color=alt.Color(
                "quantile:O",
                title=f"IMD {group_word} (1 = most deprived)",
                scale=alt.Scale(scheme="viridis"),
                legend=alt.Legend(
                    orient="bottom", direction="horizontal", columns=5, titleLimit=320
                ),
            ),
            tooltip=[
                alt.Tooltip("period_label:N", title="Period"),
                alt.Tooltip("quantile:O", title=f"IMD {group_word}"),
                alt.Tooltip("value:Q", title=y_title, format=",.1f"),
            ],
        )
    )
    return alt.layer(lines, *start_layers(starts)).properties(title=title, height=340)


def index_trend(
    summary: pd.DataFrame,
    *,
    statistic: str,
    unit: str,
    title: str,
    starts: pd.Series,
    by: str | None = None,
) -> Layered:
    """An index (``sii``, ``rii`` or ``gap``) per period with its interval, and its zero line.

    ``by`` colours one series per group (e.g. ``"group"`` for intervention /
    comparator areas). The reference line is 0 (1 for the RII): no inequality.
    """
    lo, hi = f"{statistic}_lower_ci", f"{statistic}_upper_ci"
    columns = ["period_start", "period_label", statistic, lo, hi] + ([by] if by else [])
    data = records(summary.dropna(subset=[statistic]), columns)
    names = {"sii": "SII", "rii": "RII", "gap": "Gap (most − least deprived fifth)"}
    short = {"sii": "SII", "rii": "RII", "gap": "Gap"}[statistic]
    y_title = (
        short
        if statistic == "rii"
        else axis_title("percentage points" if unit == "%" else unit, short)
    )
    x = time_x(summary["period_start"])
    color = (
        alt.Color(
            f"{by}:N",
            title="Group",
            scale=alt.Scale(domain=palette.GROUP_DOMAIN, range=palette.GROUP_RANGE),
            legend=alt.Legend(orient="bottom"),
        )
        if by
        else alt.value(palette.INTERVENTION)
    )
    tooltip = [
        alt.Tooltip("period_label:N", title="Period"),
        alt.Tooltip(f"{statistic}:Q", title=names[statistic], format=",.2f"),
        alt.Tooltip(f"{lo}:Q", title="Lower limit", format=",.2f"),
        alt.Tooltip(f"{hi}:Q", title="Upper limit", format=",.2f"),
    ] + ([alt.Tooltip(f"{by}:N", title="Group")] if by else [])
    base = alt.Chart(data)
    line = base.mark_line(point=True).encode(
        x=x, y=alt.Y(f"{statistic}:Q", title=y_title), color=color, tooltip=tooltip
    )
    whiskers = base.mark_rule().encode(x=x, y=f"{lo}:Q", y2=f"{hi}:Q", color=color)
    reference = (
        alt.Chart(pd.DataFrame({"ref": [1.0 if statistic == "rii" else 0.0]}))
        .mark_rule(color=palette.START_RULE, strokeDash=[2, 2])
        .encode(y="ref:Q")
    )
    return alt.layer(reference, whiskers, line, *start_layers(starts)).properties(
        title=title, height=340
    )


def change_chart(table: pd.DataFrame, *, unit: str, title: str) -> Layered:
    """Difference-in-differences estimates (SII, gap, each quintile) with intervals, and zero."""
    data = records(visible(table), ["measure", "estimate", "ci_low", "ci_high", "direction"])
    words = "percentage points" if unit == "%" else unit
    x_title = axis_title(words, "difference-in-differences")
    y = alt.Y("measure:N", sort=list(data["measure"]), title=None, axis=alt.Axis(labelLimit=280))
    tooltip = [
        alt.Tooltip("measure:N", title=""),
        alt.Tooltip("estimate:Q", title=x_title, format=",.2f"),
        alt.Tooltip("ci_low:Q", title="Lower limit", format=",.2f"),
        alt.Tooltip("ci_high:Q", title="Upper limit", format=",.2f"),
        alt.Tooltip("direction:N", title="Reading"),
    ]
    base = alt.Chart(data)
    zero = (
        alt.Chart(pd.DataFrame({"zero": [0.0]}))
        .mark_rule(color=palette.START_RULE, strokeDash=[2, 2])
        .encode(x="zero:Q")
    )
    whiskers = base.mark_rule(color=palette.INTERVENTION, size=2).encode(
        y=y, x=alt.X("ci_low:Q", title=x_title), x2="ci_high:Q", tooltip=tooltip
    )
    dots = base.mark_point(filled=True, size=90, color=palette.INTERVENTION).encode(
        y=y, x="estimate:Q", tooltip=tooltip
    )
    return alt.layer(zero, whiskers, dots).properties(title=title, height=40 * len(data) + 40)
