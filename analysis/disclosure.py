"""Small-number suppression (DESIGN.md "Disclosure control").

NHS Digital HES/ECDS practice (ISB 1523 anonymisation standard): a count of 0
stays 0; counts from 1 to 7 are suppressed (shown as ``*``), and so is every
value derived from them (rates, percentages, intervals); other counts may be
rounded to the nearest 5 when the setting asks. The store applies this to
every table it hands to pages and exports; estimators read unsuppressed data
and publish only aggregates.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import SupportsFloat

import numpy as np
import pandas as pd

SUPPRESSED = "*"


@dataclass(frozen=True)
class DisclosureRule:
    """Which counts to hide: ``low``–``high`` inclusive; optional rounding to ``round_to``."""

    low: int = 1
    high: int = 7
    round_to: int | None = None
    enabled: bool = True


DEFAULT_RULE = DisclosureRule()


def suppress(
    frame: pd.DataFrame,
    count_columns: Sequence[str] = ("numerator",),
    derived_columns: Sequence[str] = ("value", "lower_ci", "upper_ci"),
    rule: DisclosureRule = DEFAULT_RULE,
) -> pd.DataFrame:
    """Return a copy with small counts and the values derived from them set to NA.

    A row is suppressed when any of ``count_columns`` lies in ``rule.low`` to
    ``rule.high``; then those counts and every ``derived_columns`` cell of the
    row become NA and the boolean column ``suppressed`` is True. Counts not
    suppressed are rounded to the nearest ``rule.round_to`` when set. The input
    is never modified.
    """
    out = frame.copy()
    counts = [c for c in count_columns if c in out.columns]
    flagged = pd.Series(False, index=out.index)
    if rule.enabled:
        for column in counts:
            values = pd.to_numeric(out[column], errors="coerce")
            flagged |= values.between(rule.low, rule.high).fillna(False)
        for column in counts + [c for c in derived_columns if c in out.columns]:
            out[column] = out[column].astype("float64").where(~flagged)
        if rule.round_to:
            for column in counts:
                out[column] = (out[column] / rule.round_to).round() * rule.round_to
    out["suppressed"] = flagged
    return out


def display(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Text version for tables and CSV exports: suppressed cells shown as ``*``."""
    out = frame.copy()
    flagged = (
        out["suppressed"] if "suppressed" in out.columns else pd.Series(False, index=out.index)
    )
    for column in columns:
        if column not in out.columns:
            continue
        text = out[column].map(
            lambda v: (
                "" if pd.isna(v) else f"{v:g}" if isinstance(v, float | np.floating) else str(v)
            )
        )
        out[column] = text.where(~flagged, SUPPRESSED)
    return out


def publishable(
    frame: pd.DataFrame,
    count_columns: tuple[str, ...] = ("numerator", "denominator", "n_pooled"),
    value_columns: tuple[str, ...] = ("value", "lower_ci", "upper_ci", "benchmark"),
    decimals: int = 2,
) -> pd.DataFrame:
    """A table as text for screens and CSV exports: suppressed cells ``*``, numbers rounded.

    In rows flagged ``suppressed``, the numerator and every value column read
    ``*`` (:data:`analysis.disclosure.SUPPRESSED`); the denominator (people
    eligible, not a small count) stays. Whole counts print without decimals,
    values with ``decimals``; missing cells (numbers or text) are empty.
    """
    out = frame.copy()
    hidden = (
        out["suppressed"].fillna(False).astype(bool)
        if "suppressed" in out
        else pd.Series(False, index=out.index)
    )

    def text(value: SupportsFloat | None, places: int | None) -> str:
        if value is None or pd.isna(value):
            return ""
        number = float(value)
        if places is None and number.is_integer():
            return f"{number:.0f}"
        return f"{number:.{decimals if places is None else places}f}"

    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].astype(object).where(out[column].notna(), "")
    for column in count_columns:
        if column in out:
            out[column] = [text(v, None) for v in out[column]]
            if column == "numerator":
                out.loc[hidden, column] = SUPPRESSED
    for column in value_columns:
        if column in out:
            out[column] = [text(v, decimals) for v in out[column]]
            out.loc[hidden, column] = SUPPRESSED
    return out
