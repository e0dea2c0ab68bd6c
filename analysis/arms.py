"""Which rows are intervention, which are comparators, for one measure.

The rule (shown on the pages): intervention sites are those grouped
``intervention``; comparators are sites grouped ``comparator`` or left empty,
**of the same site type** as the intervention sites that report the measure
(districts against districts, practices against practices), so that England,
regions, counties or deprivation pseudo-sites never act as comparators.
When no intervention site reports the measure, nothing is a comparator.
"""

from __future__ import annotations

import pandas as pd

from analysis.panel import COMPARATOR, INTERVENTION, PANEL_COLUMNS

EXCLUDED = "not compared"


def assign_arms(rows: pd.DataFrame) -> pd.Series:
    """Label each row ``intervention``, ``comparator`` or ``not compared`` (rule above)."""
    group = rows["group"].fillna("")
    intervention = group.eq(INTERVENTION)
    types = set(rows.loc[intervention, "site_type"].dropna())
    comparator = ~intervention & rows["site_type"].isin(types) & group.isin(["", COMPARATOR])
    arm = pd.Series(EXCLUDED, index=rows.index, dtype="str")
    arm[intervention] = INTERVENTION
    arm[comparator] = COMPARATOR
    return arm


def build_panel(
    rows: pd.DataFrame,
    intervention: list[str] | None = None,
    comparators: list[str] | None = None,
) -> pd.DataFrame:
    """The estimator panel (see :mod:`analysis.panel`) from a measure's rows.

    ``intervention``/``comparators`` override the saved grouping with explicit
    site lists (the Compare page's choices); otherwise :func:`assign_arms`.
    """
    frame = rows.copy()
    if intervention is None and comparators is None:
        frame["group"] = assign_arms(frame)
    else:
        arm = pd.Series(EXCLUDED, index=frame.index, dtype="str")
        arm[frame["site_code"].isin(comparators or [])] = COMPARATOR
        arm[frame["site_code"].isin(intervention or [])] = INTERVENTION
        frame["group"] = arm
    frame = frame[frame["group"] != EXCLUDED]
    frame.loc[frame["group"] != INTERVENTION, "start_date"] = pd.NaT
    for column in ("period_start", "period_end", "start_date"):
        frame[column] = pd.to_datetime(frame[column])
    extra = ["period_label", "site_type"]
    return frame.reindex(columns=[*PANEL_COLUMNS, *extra]).reset_index(drop=True)


def grouping_changes(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Rows of ``after`` whose group or start date differ from ``before`` (same index).

    Missing equals missing: an empty group and no start date on both sides is
    no change.
    """
    group_changed = before["group"].fillna("") != after["group"].fillna("")
    old, new = pd.to_datetime(before["start_date"]), pd.to_datetime(after["start_date"])
    date_changed = ~((old == new) | (old.isna() & new.isna()))
    return after[group_changed | date_changed]


def restrict_window(panel: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    """The panel's rows with ``first <= period_start <= last`` (the analysis window)."""
    keep = (panel["period_start"] >= first) & (panel["period_start"] <= last)
    return panel[keep].reset_index(drop=True)


def default_arms(rows: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Intervention and comparator site codes under the saved grouping (:func:`assign_arms`)."""
    arm = assign_arms(rows)
    intervention = sorted(rows.loc[arm == INTERVENTION, "site_code"].unique())
    comparators = sorted(rows.loc[arm == COMPARATOR, "site_code"].unique())
    return intervention, comparators
