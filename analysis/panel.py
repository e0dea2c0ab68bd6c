"""The tidy panel that every estimator takes: one row per site and period.

The store returns it (``Store.panel``); estimators in ``did``, ``its``,
``synth``, ``inequality``, ``spc`` and ``savings`` read it and never touch the
database. Columns:

=================  ==========================================================
``site_code``      str, the site
``site_name``      str, display name
``group``          ``"intervention"`` or ``"comparator"``
``start_date``     Timestamp or NaT: when the programme started at this site
                   (intervention sites only; staggered starts allowed)
``period_start``   Timestamp, first day of the period
``period_end``     Timestamp, last day of the period
``granularity``    ``month``, ``quarter``, ``financial_year``, ``year`` or ``day``
``numerator``      float or NaN: events / people with the outcome
``denominator``    float or NaN: population at risk / people eligible
``value``          float: the measure in its display unit (numerator /
                   denominator × multiplier when counts exist, else the
                   published value)
``lower_ci``       float or NaN (published intervals, when given)
``upper_ci``       float or NaN
``imd_decile``     float or NaN (1 = most deprived tenth … 10 = least)
``imd_score``      float or NaN
``population``     float or NaN
=================  ==========================================================

A period counts as *post* for an intervention site when ``period_start >=
start_date``.
"""

from __future__ import annotations

import pandas as pd

PANEL_COLUMNS: tuple[str, ...] = (
    "site_code",
    "site_name",
    "group",
    "start_date",
    "period_start",
    "period_end",
    "granularity",
    "numerator",
    "denominator",
    "value",
    "lower_ci",
    "upper_ci",
    "imd_decile",
    "imd_score",
    "population",
)

INTERVENTION = "intervention"
COMPARATOR = "comparator"


class PanelError(ValueError):
    """A panel that cannot support the requested analysis (the message says why)."""


def require_columns(panel: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> None:
    """Raise :class:`PanelError` naming any of ``columns`` missing from ``panel``."""
    missing = [c for c in columns if c not in panel.columns]
    if missing:
        raise PanelError(f"panel is missing column(s): {', '.join(missing)}")


def is_post(panel: pd.DataFrame) -> pd.Series:
    """Flag the rows that are an intervention site's period on or after its start date."""
    started = panel["start_date"].notna() & (panel["period_start"] >= panel["start_date"])
    return (panel["group"] == INTERVENTION) & started
