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
    ``rule.high``, and also (by the measure's meaning, not its column):

    * where the measure is a count (``measure_kind == "count"``) and the row has
      no numerator, its ``value`` *is* the count, judged and rounded as one;
    * where a numerator has a denominator, the complement ``denominator −
      numerator`` (e.g. people *not* screened) lying in ``low`` to ``high``:
      the denominator is shown, so the small complement would be read off it.

    and, so that no suppressed count is recovered by difference (a parent's
    total minus the other sites' counts, or a pooled benchmark × the
    denominators minus the counts shown), secondary suppression
    (:func:`secondary_suppression`) within each parent area and period.

    Then those counts and every ``derived_columns`` cell of the row become NA
    and the boolean column ``suppressed`` is True. Counts not suppressed are
    rounded to the nearest ``rule.round_to`` when set. The input is never
    modified.
    """
    out = frame.copy()
    counts = [c for c in count_columns if c in out.columns]
    flagged = pd.Series(False, index=out.index)
    value_counts = _value_is_count(out)
    if rule.enabled:
        for column in counts:
            values = pd.to_numeric(out[column], errors="coerce")
            flagged |= values.between(rule.low, rule.high).fillna(False)
        if "value" in out.columns:
            values = pd.to_numeric(out["value"], errors="coerce")
            flagged |= (value_counts & values.between(rule.low, rule.high)).fillna(False)
        if "numerator" in counts and "denominator" in out.columns:
            complement = pd.to_numeric(out["denominator"], errors="coerce") - pd.to_numeric(
                out["numerator"], errors="coerce"
            )
            flagged |= complement.between(rule.low, rule.high).fillna(False)
        if "numerator" in counts:
            flagged |= pd.Series(secondary_suppression(out, flagged, rule), index=out.index)
        for column in counts + [c for c in derived_columns if c in out.columns]:
            out[column] = out[column].astype("float64").where(~flagged)
        if rule.round_to:
            for column in counts:
                out[column] = (out[column] / rule.round_to).round() * rule.round_to
            if "value" in out.columns and value_counts.any():
                rounded = (out["value"] / rule.round_to).round() * rule.round_to
                out["value"] = rounded.where(value_counts, out["value"])
    out["suppressed"] = flagged
    return out


def secondary_suppression(
    frame: pd.DataFrame, primary: pd.Series, rule: DisclosureRule
) -> np.ndarray:
    """Rows to hide as well, so that the hidden counts cannot be found by difference.

    Complementary suppression (ONS, *Statistical disclosure control*; the
    "differencing" risk of NHS Digital's small-number guidance). The cells of
    one period within one parent area (``parent_code``), and then all the
    cells of one period, are groups whose totals can be published or computed
    (a PCN's row; a pooled benchmark × the denominators). Where a group hides
    any count, more of its cells are hidden, smallest numerator first, until
    at least two are hidden and the hidden counts sum to more than
    ``rule.high``: the group total minus the cells shown then reveals only a
    sum of several cells larger than a small number. A group that cannot
    reach that hides every non-zero count; its total is then itself the
    small number, suppressed wherever it is published. Returns the extra rows
    (a boolean array aligned with ``frame``).
    """
    extra = np.zeros(len(frame), dtype=bool)
    if not primary.any() or "numerator" not in frame.columns:
        return extra
    hidden = primary.to_numpy(bool)
    numerator = pd.to_numeric(frame["numerator"], errors="coerce").fillna(0).to_numpy(float)
    within = [c for c in ("measure", "period_start") if c in frame.columns]
    levels = [["parent_code", *within]] if "parent_code" in frame.columns else []
    for keys in [*levels, within]:
        group = (
            frame[keys].astype(object).fillna("").groupby(keys, sort=False).ngroup().to_numpy()
            if keys
            else np.zeros(len(frame), dtype=np.int64)
        )
        extra |= _complement_cells(group, numerator, hidden | extra, rule)
    return extra


def _complement_cells(
    group: np.ndarray, numerator: np.ndarray, hidden: np.ndarray, rule: DisclosureRule
) -> np.ndarray:
    """Per row: hide it too? The fewest shown cells of each group, smallest first.

    Cell k (k-th smallest shown non-zero count of a group that hides some) is
    hidden when, before it, the group's hidden cells are fewer than two or
    sum to no more than ``rule.high``.
    """
    n_groups = int(group.max()) + 1 if len(group) else 0
    hidden_count = np.bincount(group, hidden, n_groups)
    hidden_sum = np.bincount(group, hidden * numerator, n_groups)
    candidate = ~hidden & (numerator > 0) & (hidden_count[group] > 0)
    rows = np.flatnonzero(candidate)
    order = rows[np.lexsort((numerator[rows], group[rows]))]
    g = group[order]
    starts = np.r_[0, np.flatnonzero(np.diff(g)) + 1] if len(g) else np.array([], int)
    first = np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    rank = np.arange(len(g)) - first  # cells of the group added before this one
    running = np.cumsum(numerator[order])
    before = running - numerator[order] - np.r_[0, running][first]
    safe = (hidden_count[g] + rank >= 2) & (hidden_sum[g] + before > rule.high)
    extra = np.zeros(len(group), dtype=bool)
    extra[order[~safe]] = True
    return extra


def _value_is_count(frame: pd.DataFrame) -> pd.Series:
    """Rows whose ``value`` is itself a count: a count measure given without a numerator."""
    if "measure_kind" not in frame.columns or "value" not in frame.columns:
        return pd.Series(False, index=frame.index)
    no_numerator = (
        frame["numerator"].isna()
        if "numerator" in frame.columns
        else pd.Series(True, index=frame.index)
    )
    return (frame["measure_kind"].astype(object) == "count") & no_numerator


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
