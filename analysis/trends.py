"""Group series over time: intervention vs comparator areas, per period.

Pooled rate (when every row has counts): Σ numerator ÷ Σ denominator ×
multiplier, i.e. the rate of the group as one population. Value-only rows:
the mean of the sites' values weighted by population when known (else the
plain mean), labelled as such. Pooled counts of 1–7 are suppressed
(:mod:`analysis.disclosure`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.disclosure import DEFAULT_RULE, DisclosureRule, suppress


def group_series(
    panel: pd.DataFrame, multiplier: float, rule: DisclosureRule = DEFAULT_RULE
) -> pd.DataFrame:
    """One row per group and period: value, numerator, denominator, sites, method."""
    out = []
    for (group, start), part in panel.groupby(["group", "period_start"], sort=True):
        counts = part["numerator"].notna() & part["denominator"].notna()
        if counts.all():
            num, den = part["numerator"].sum(), part["denominator"].sum()
            value, method = num / den * multiplier, "pooled rate (Σ numerator ÷ Σ denominator)"
        else:
            weights = part["population"].where(part["population"] > 0)
            valid = part["value"].notna()
            if weights[valid].notna().all() and valid.any():
                value = np.average(part.loc[valid, "value"], weights=weights[valid])
                method = "population-weighted mean of site values"
            else:
                value, method = part["value"].mean(), "mean of site values"
            num = den = np.nan
        out.append(
            {
                "group": group,
                "period_start": start,
                "period_label": part["period_label"].iloc[0] if "period_label" in part else None,
                "value": value,
                "numerator": num,
                "denominator": den,
                "sites": part["site_code"].nunique(),
                "method": method,
            }
        )
    frame = pd.DataFrame(
        out,
        columns=[
            "group",
            "period_start",
            "period_label",
            "value",
            "numerator",
            "denominator",
            "sites",
            "method",
        ],
    )
    return suppress(frame, rule=rule)


def headline(series: pd.DataFrame) -> pd.DataFrame:
    """Latest period per group, with the change since the first period."""
    rows = []
    for group, part in series.groupby("group"):
        part = part.sort_values("period_start")
        last, first = part.iloc[-1], part.iloc[0]
        rows.append(
            {
                "group": group,
                "period_label": last["period_label"],
                "value": last["value"],
                "change": last["value"] - first["value"],
                "since": first["period_label"],
                "sites": int(last["sites"]),
            }
        )
    return pd.DataFrame(rows)
