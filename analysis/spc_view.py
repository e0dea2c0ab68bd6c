"""An SPC (XmR) chart of one series for the SPC page: a site, or an arm's pooled series.

Compute first, draw second (NHSRplotthedots): the series comes from a site's
rows (its value per period) or from :func:`analysis.trends.group_series`
(intervention or comparator sites pooled: Σ numerator ÷ Σ denominator); the
chart from :func:`analysis.spc.xmr_chart` (NHS England, *Making Data Count*:
mean ± 2.66 × mean moving range, moving ranges ≥ 3.267 × their mean screened
out; special cause on a point beyond the limits, 7 points one side of the
mean, a trend of 7, 2 of 3 points close to a limit). The variation and
assurance icons come from :func:`analysis.spc.spc_summary`.

Short series: a chart needs at least :data:`MIN_POINTS` points (each baseline
too); Making Data Count advises at least 15, ideally 20, before the limits are
relied on, and the run and trend rules need 7. The view says so in ``notes``.
Suppressed periods (counts of 1–7) cannot be charted: an XmR chart needs every
period, and the limits would otherwise carry the hidden value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.disclosure import DEFAULT_RULE, DisclosureRule, suppress
from analysis.errors import HiodError
from analysis.spc import RUN, Improvement, SPCSummary, spc_summary, xmr_chart
from analysis.trends import group_series

MIN_POINTS = 3
"""Fewest points (per baseline) an XmR chart is drawn from: a mean and two moving ranges."""
RECOMMENDED_POINTS = 15
"""Making Data Count: at least 15 points (ideally 20) before the limits are relied on."""

SERIES_COLUMNS = ("period_start", "period_end", "period_label", "value", "numerator", "suppressed")
METHOD = (
    "XmR chart (NHS England, Making Data Count): mean ± 2.66 × mean moving range, moving ranges "
    "≥ 3.267 × their mean screened out; special cause: a point beyond the limits, 7 points on "
    "one side of the mean, 7 points rising or falling, 2 of 3 points close to a limit"
)


class SeriesTooShort(HiodError):
    """A series an XmR chart cannot be drawn from; the message says why and what to do."""


def improvement_direction(higher_is_better: object) -> Improvement | None:
    """``"increase"`` / ``"decrease"`` from a measure's polarity; None without one."""
    if higher_is_better is None or pd.isna(higher_is_better):
        return None
    return "increase" if bool(higher_is_better) else "decrease"


def site_series(
    rows: pd.DataFrame, site_code: str, rule: DisclosureRule = DEFAULT_RULE
) -> pd.DataFrame:
    """One site's value per period (its published or computed value), small counts suppressed."""
    part = rows[rows["site_code"] == site_code].sort_values("period_start")
    frame = part.reindex(
        columns=["period_start", "period_end", "period_label", "value", "numerator"]
    )
    out = suppress(frame, ("numerator",), ("value",), rule)
    return out.reindex(columns=list(SERIES_COLUMNS)).reset_index(drop=True)


def arm_series(
    panel: pd.DataFrame, group: str, multiplier: float, rule: DisclosureRule = DEFAULT_RULE
) -> pd.DataFrame:
    """An arm's pooled value per period (:func:`analysis.trends.group_series`), suppressed."""
    series = group_series(panel[panel["group"] == group], multiplier, rule)
    ends = panel.drop_duplicates("period_start").set_index("period_start")["period_end"]
    series["period_end"] = series["period_start"].map(ends)
    return series.reindex(columns=[*SERIES_COLUMNS, "method"]).reset_index(drop=True)


def site_choices(rows: pd.DataFrame, min_points: int = MIN_POINTS) -> pd.DataFrame:
    """Sites with at least ``min_points`` periods: ``site_code``, ``label``, ``group``, ``periods``.

    Intervention sites first (the likely interest), then by name.
    """
    counts = rows.groupby("site_code")["period_start"].nunique().rename("periods")
    first = rows.drop_duplicates("site_code").set_index("site_code")
    out = first[["site_name", "group"]].join(counts, how="inner").reset_index()
    out = out[out["periods"] >= min_points]
    out["label"] = out["site_name"].fillna(out["site_code"]) + " (" + out["site_code"] + ")"
    out["_first"] = out["group"].ne("intervention")
    out = out.sort_values(["_first", "site_name"]).drop(columns="_first")
    return out[["site_code", "label", "group", "periods"]].reset_index(drop=True)


def missing_periods(series: pd.DataFrame) -> list[str]:
    """Labels of periods followed by a gap (the next period does not start the day after)."""
    if "period_end" not in series or series["period_end"].isna().any():
        return []
    starts = pd.to_datetime(series["period_start"]).to_numpy()
    ends = pd.to_datetime(series["period_end"]).to_numpy()
    gaps = starts[1:] > ends[:-1] + np.timedelta64(1, "D")
    return series["period_label"].iloc[:-1][gaps].tolist()


@dataclass(frozen=True)
class SPCView:
    """An XmR chart with its icons, ready to draw.

    ``chart`` is :func:`analysis.spc.xmr_chart`'s frame with ``period_label``
    added (``x`` is the period start); ``summary`` the Making Data Count icons;
    ``notes`` plain warnings (short series, gaps, rebasing).
    """

    chart: pd.DataFrame
    summary: SPCSummary
    label: str
    improvement: Improvement | None
    rebase_at: pd.Timestamp | None
    notes: tuple[str, ...]
    method: str = METHOD


def spc_view(
    series: pd.DataFrame,
    *,
    improvement: Improvement | None,
    rebase_at: pd.Timestamp | str | None = None,
    target: float | None = None,
    label: str = "",
) -> SPCView:
    """XmR chart and icons of ``series`` (from :func:`site_series` or :func:`arm_series`).

    Parameters
    ----------
    series:
        ``period_start``, ``period_label``, ``value`` and ``suppressed`` per period.
    improvement:
        ``"increase"``, ``"decrease"`` or None (from :func:`improvement_direction`).
    rebase_at:
        A period start from which the limits are recalculated (e.g. the
        programme start), or None.
    target:
        Optional target in the measure's unit, for the assurance icon.
    label:
        What the series is (shown in titles).

    Raises :class:`SeriesTooShort` when a period is suppressed or missing its
    value, when there are fewer than :data:`MIN_POINTS` points, or when a
    rebase leaves a baseline with fewer.
    """
    data = series.sort_values("period_start").reset_index(drop=True)
    hidden = data["suppressed"].fillna(False).astype(bool) | data["value"].isna()
    if hidden.any():
        periods = ", ".join(data.loc[hidden, "period_label"].astype(str))
        raise SeriesTooShort(
            f"{label or 'this series'} has no value for {periods} (suppressed: a count of 1–7, "
            "or missing). An XmR chart needs every period: choose a larger site or a group."
        )
    n = len(data)
    if n < MIN_POINTS:
        raise SeriesTooShort(
            f"{label or 'this series'} has {n} period(s); an XmR chart needs at least {MIN_POINTS}."
        )
    starts = pd.to_datetime(data["period_start"])
    rebase = None if rebase_at is None else pd.Timestamp(rebase_at)
    notes = []
    if rebase is not None:
        before, after = int((starts < rebase).sum()), int((starts >= rebase).sum())
        if min(before, after) < MIN_POINTS:
            raise SeriesTooShort(
                f"rebasing at {rebase:%b %Y} leaves {before} point(s) before and {after} from it; "
                f"each baseline needs at least {MIN_POINTS}. Choose another date or no rebase."
            )
        notes.append(
            f"Limits recalculated from {rebase:%b %Y}: {before} points before, {after} from then."
        )
    chart = xmr_chart(
        data["value"].to_numpy(float),
        starts.to_numpy(),
        improvement=improvement,
        rebase_at=[] if rebase is None else [np.datetime64(rebase, "ns")],
        target=target,
    )
    chart["period_label"] = data["period_label"].to_numpy()
    if n < RECOMMENDED_POINTS:
        notes.append(
            f"Short series: {n} points. Making Data Count advises at least {RECOMMENDED_POINTS} "
            "(ideally 20) before relying on the limits: treat them as provisional."
        )
    if n < RUN:
        notes.append(
            f"With fewer than {RUN} points the run (7 on one side of the mean) and trend "
            "(7 rising or falling) rules cannot fire: only points beyond the limits and 2 of 3 "
            "close to a limit are tested."
        )
    gaps = missing_periods(data)
    if gaps:
        notes.append(
            "Periods are missing after " + ", ".join(gaps) + ": the chart joins the points "
            "either side, so moving ranges span the gap."
        )
    return SPCView(
        chart=chart,
        summary=spc_summary(chart, improvement, target),
        label=label,
        improvement=improvement,
        rebase_at=rebase,
        notes=tuple(notes),
    )
