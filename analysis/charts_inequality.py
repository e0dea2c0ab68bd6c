"""Charts for Compare areas, Funnel plot, SPC and Inequalities (compute elsewhere, draw here).

Conventions as :mod:`analysis.charts`: units in axis titles, colours from
:mod:`analysis.palette` (Okabe & Ito; deprivation groups use the viridis
scheme, which is colour-blind safe and ordered), the programme start drawn by
:func:`analysis.charts.start_rules`. **Suppressed rows never reach a chart**:
every builder drops rows flagged ``suppressed`` (counts of 1–7 and what
derives from them), so no mark, tooltip or dataset in the spec carries them.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from analysis import palette
from analysis.charts import start_rules
from analysis.funnel_view import FunnelView
from analysis.spc_view import SPCView

COMPARISON_DOMAIN = ["better", "similar", "worse", "higher", "lower", "not compared"]
COMPARISON_RANGE = [
    palette.BETTER,
    palette.SIMILAR,
    palette.WORSE,
    palette.INTERVENTION,
    palette.COMPARATOR,
    palette.NOT_COMPARED,
]
VERDICT_DOMAIN = ["better", "worse", "higher", "lower", "within limits"]
VERDICT_RANGE = [
    palette.BETTER,
    palette.WORSE,
    palette.INTERVENTION,
    palette.COMPARATOR,
    palette.NOT_COMPARED,
]
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
INTERVENTION_MARK = "▶ "


def _visible(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows a chart may show: never a suppressed one."""
    if "suppressed" in frame.columns:
        frame = frame[~frame["suppressed"].fillna(False).astype(bool)]
    return frame


def _start_layers(starts: pd.Series) -> list[alt.Chart]:
    """The programme start rules, or nothing when no site has a start date."""
    known = pd.to_datetime(pd.Series(starts), errors="coerce").dropna()
    return [start_rules(known)] if len(known) else []


def _time_x(dates: pd.Series, field: str = "period_start") -> alt.X:
    """A period-start axis with a tick at each period (not every month of a yearly series)."""
    ticks = sorted(pd.to_datetime(pd.Series(dates)).dropna().unique())
    values = [alt.DateTime(year=t.year, month=t.month, date=t.day) for t in ticks]
    label = "%b %Y" if len(ticks) <= 12 else "%Y"
    return alt.X(
        f"{field}:T", title="Period start", axis=alt.Axis(values=values, format=label, labelAngle=0)
    )


def _axis_title(unit: str, what: str = "value") -> str:
    return f"{what} ({unit})" if unit else what


def _records(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Only the columns a chart uses (keeps the spec small and free of other fields)."""
    out = frame.reindex(columns=columns).copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%Y-%m-%d")
    return out


def ranked_bars(
    table: pd.DataFrame,
    *,
    unit: str,
    title: str,
    benchmark_label: str,
    benchmark_value: float | None,
) -> alt.LayerChart:
    """Sites ranked by value: bars coloured by the Fingertips comparison, interval whiskers.

    ``table`` rows from :func:`analysis.areas.sites_to_chart`. A single
    benchmark is a vertical rule; per-site benchmarks (parent areas) are
    black ticks on each bar. Intervention sites are marked ▶ in the labels.
    """
    rows = _visible(table)
    data = _records(
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
    x_title = _axis_title(unit)
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


def funnel_plot(view: FunnelView, *, unit: str, title: str) -> alt.LayerChart:
    """Value against size with the 95% (dashed) and 99.8% (solid) limits and the overall value.

    Points are coloured by verdict, intervention sites drawn as larger
    diamonds, and the outliers the view marks are labelled by name.
    """
    points = _visible(view.points)
    data = _records(
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
    y_title = _axis_title(unit)
    values = np.concatenate([data["value"].to_numpy(float), [view.baseline]])
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    pad = 0.08 * (high - low or abs(high) or 1.0)
    y_scale = alt.Scale(domain=[max(low - pad, 0.0), high + pad], zero=False)
    x = alt.X("size:Q", title=view.size_title, scale=alt.Scale(zero=False))
    limits = (
        alt.Chart(_records(view.limits, ["size", "value", "limit", "level"]))
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


def spc_chart(view: SPCView, *, unit: str, title: str, starts: pd.Series) -> alt.LayerChart:
    """XmR chart: the series, mean (solid) and process limits (dashed) per baseline.

    Points are coloured as Making Data Count does (grey common cause, blue
    improvement, orange concern; near-black special cause without a polarity); a
    target line and the programme start are drawn when given.
    """
    chart = view.chart.copy()
    chart["variation"] = chart["point_type"].map(SPC_SHORT)
    chart["x"] = pd.to_datetime(chart["x"])
    y_title = _axis_title(unit)
    x = _time_x(chart["x"], "x")
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
        alt.Chart(_records(lines, ["x", "rebase_group", "line", "level", "style"]))
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
    data = _records(chart, ["x", "y", "period_label", "variation", "moving_range"])
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
    layers += _start_layers(starts)
    return alt.layer(*layers).properties(title=title, height=380)


def quantile_bars(
    groups: pd.DataFrame, fitted: pd.DataFrame | None, *, unit: str, title: str, group_word: str
) -> alt.LayerChart:
    """One period's value per deprivation group with intervals, and the SII's fitted line."""
    data = _records(
        _visible(groups),
        ["quantile", "value", "lower_ci", "upper_ci", "n_sites", "numerator", "denominator"],
    )
    x = alt.X(
        "quantile:O", title=f"IMD {group_word} (1 = most deprived)", axis=alt.Axis(labelAngle=0)
    )
    y_title = _axis_title(unit)
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
            alt.Chart(_records(fitted, ["quantile", "fitted"]))
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
) -> alt.LayerChart:
    """Each deprivation group's value over time (viridis: dark = most deprived)."""
    data = _records(_visible(groups), ["period_start", "period_label", "quantile", "value"])
    y_title = _axis_title(unit)
    lines = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=_time_x(groups["period_start"]),
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
    return alt.layer(lines, *_start_layers(starts)).properties(title=title, height=340)


def index_trend(
    summary: pd.DataFrame,
    *,
    statistic: str,
    unit: str,
    title: str,
    starts: pd.Series,
    by: str | None = None,
) -> alt.LayerChart:
    """An index (``sii``, ``rii`` or ``gap``) per period with its interval, and its zero line.

    ``by`` colours one series per group (e.g. ``"group"`` for intervention /
    comparator areas). The reference line is 0 (1 for the RII): no inequality.
    """
    lo, hi = f"{statistic}_lower_ci", f"{statistic}_upper_ci"
    columns = ["period_start", "period_label", statistic, lo, hi] + ([by] if by else [])
    data = _records(summary.dropna(subset=[statistic]), columns)
    names = {"sii": "SII", "rii": "RII", "gap": "Gap (most − least deprived fifth)"}
    short = {"sii": "SII", "rii": "RII", "gap": "Gap"}[statistic]
    y_title = (
        short
        if statistic == "rii"
        else _axis_title("percentage points" if unit == "%" else unit, short)
    )
    x = _time_x(summary["period_start"])
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
    return alt.layer(reference, whiskers, line, *_start_layers(starts)).properties(
        title=title, height=340
    )


def change_chart(table: pd.DataFrame, *, unit: str, title: str) -> alt.LayerChart:
    """Difference-in-differences estimates (SII, gap, each quintile) with intervals, and zero."""
    data = _records(_visible(table), ["measure", "estimate", "ci_low", "ci_high", "direction"])
    words = "percentage points" if unit == "%" else unit
    x_title = _axis_title(words, "difference-in-differences")
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
