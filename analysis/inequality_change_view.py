"""Did the gap narrow? The deprivation gap's change as the Inequalities page shows it.

:func:`gap_change`: the difference-in-differences of
:func:`analysis.inequality_change.inequality_change` for intervention vs
comparator areas (:func:`change_table`), with a plain-English statement
(:func:`change_statement`), and the SII and gap per arm and period either way.
Quintiles pooling a count of 1–7 in an arm before or after the start are
suppressed (:func:`small_cells`). Signs as :mod:`analysis.inequality_view`:
gap = least minus most deprived fifth, SII = least minus most deprived end (both
positive when values are higher in less deprived areas).
What this shows and does not: area-level (ecological) inequality, and an
effect only under parallel trends; see :mod:`analysis.inequality_change`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.disclosure import DEFAULT_RULE, DisclosureRule
from analysis.inequality_change import (
    InequalityChange,
    inequality_by_period,
    inequality_change,
    is_kind,
)
from analysis.inequality_indices import DEFAULT_REPS, DEFAULT_SEED
from analysis.inequality_view import number_text, unit_words
from analysis.panel import PanelError

SUPPRESSED_TEXT = "suppressed"


@dataclass(frozen=True)
class GapChange:
    """The "Did the gap narrow?" answer: the DiD, its table and statement, or why not.

    ``change`` is None when the estimate cannot be made; ``problem`` then says
    why in plain words. ``by_arm`` is the SII and gap per arm and period
    (:func:`analysis.inequality_change.inequality_by_period`), shown either way.
    """

    change: InequalityChange | None
    table: pd.DataFrame | None
    statement: str
    problem: str | None
    by_arm: pd.DataFrame
    notes: tuple[str, ...]


def change_table(change: InequalityChange, hidden: frozenset[int] = frozenset()) -> pd.DataFrame:
    """One row per estimate (SII, gap, each quintile): DiD, interval, the four levels, direction.

    ``hidden`` lists quintiles whose pooled count in an arm and phase is 1–7: their rows
    (and the gap's, when quintile 1 or 5 is among them) are suppressed (NaN, ``suppressed``).
    """
    rows = []
    for estimate in (change.sii, change.gap, *change.by_quintile):
        rows.append(
            {
                "measure": estimate.measure,
                "estimate": estimate.estimate,
                "ci_low": estimate.ci_low,
                "ci_high": estimate.ci_high,
                "intervention_before": estimate.intervention_before,
                "intervention_after": estimate.intervention_after,
                "comparator_before": estimate.comparator_before,
                "comparator_after": estimate.comparator_after,
                "direction": _estimate_direction(estimate, change),
            }
        )
    out = pd.DataFrame(rows)
    flagged = [f"IMD quintile {q}" for q in sorted(hidden)]
    if hidden & {1, 5}:
        flagged.append(change.gap.measure)
    out["suppressed"] = out["measure"].isin(flagged)
    numbers = [c for c in out.columns if c not in ("measure", "direction", "suppressed")]
    out.loc[out["suppressed"], numbers] = np.nan
    out.loc[out["suppressed"], "direction"] = SUPPRESSED_TEXT
    return out


def _estimate_direction(estimate, change: InequalityChange) -> str:
    if estimate is change.sii or estimate is change.gap:
        return estimate.direction
    if estimate.ci_low <= 0 <= estimate.ci_high:
        return "no clear change"
    return "higher" if estimate.estimate > 0 else "lower"


def small_cells(
    panel: pd.DataFrame, programme_start: pd.Timestamp, rule: DisclosureRule = DEFAULT_RULE
) -> frozenset[int]:
    """IMD quintiles whose pooled count in some arm and phase (before/after) is 1–7."""
    if not rule.enabled:
        return frozenset()
    data = panel.dropna(subset=["numerator", "denominator", "imd_decile"])
    start = data["start_date"].where(data["group"] == "intervention", programme_start)
    after = data["period_start"] >= start.fillna(programme_start)
    quintile = np.ceil(data["imd_decile"] / 2)
    sums = data.groupby([data["group"], after.rename("after"), quintile])["numerator"].sum()
    small = sums[(sums >= rule.low) & (sums <= rule.high)]
    return frozenset(int(q) for q in small.index.get_level_values(-1))


def change_statement(change: InequalityChange, unit: str, higher_is_better: bool | None) -> str:
    """A careful plain-English reading of :func:`inequality_change`'s gap and SII estimates."""
    words = unit_words(unit)
    gap, sii = change.gap, change.sii
    start = f"{change.programme_start:%B %Y}"
    lines = [
        f"Before and after {start} (intervention sites from their own start date), comparing "
        f"{change.n_intervention_sites:,} intervention with {change.n_comparator_sites:,} "
        "comparator sites:",
        f"- The gap between the least and most deprived fifth (least minus most deprived) went "
        f"from {number_text(gap.intervention_before)} to "
        f"{number_text(gap.intervention_after)} {words} "
        f"in intervention areas and from {number_text(gap.comparator_before)} to "
        f"{number_text(gap.comparator_after)} in comparator areas. Difference-in-differences: "
        f"{number_text(gap.estimate)} {words} (95% CI {number_text(gap.ci_low)} to "
        f"{number_text(gap.ci_high)}): relative to comparator areas the gap "
        + _direction_words(gap.direction)
        + ".",
        f"- The slope index (least minus most deprived end) changed by {number_text(sii.estimate)} "
        f"{words} more in intervention than comparator areas (95% CI {number_text(sii.ci_low)} to "
        f"{number_text(sii.ci_high)}): the gradient " + _direction_words(sii.direction) + ".",
    ]
    q1 = change.by_quintile[0]
    if not q1.ci_low <= 0 <= q1.ci_high:
        better = (
            (q1.estimate > 0) == bool(higher_is_better) if higher_is_better is not None else None
        )
        judged = "" if better is None else (" (an improvement)" if better else " (a worsening)")
        lines.append(
            f"- In the most deprived fifth, intervention areas moved {number_text(q1.estimate)} "
            f"{words} relative to comparators (95% CI {number_text(q1.ci_low)} to "
            f"{number_text(q1.ci_high)}){judged}."
        )
    lines.append(
        "This is a programme effect only if, without the programme, the gap would have changed "
        "alike in both groups of areas (parallel trends) and nothing else changed at the start. "
        "It describes areas, not individuals. An interval that includes zero means no clear "
        "change, not evidence of no change."
    )
    return "\n".join(lines)


def _direction_words(direction: str) -> str:
    return {
        "narrowed": "narrowed",
        "widened": "widened",
        "no clear change": "showed no clear change (the interval includes zero)",
    }[direction]


def gap_change(
    panel: pd.DataFrame,
    *,
    kind: str,
    multiplier: float,
    unit: str,
    higher_is_better: bool | None,
    reps: int = 2000,
    seed: int = DEFAULT_SEED,
    rule: DisclosureRule = DEFAULT_RULE,
) -> GapChange:
    """Whether the deprivation gap narrowed more in intervention than in comparator areas.

    ``panel`` is the estimator panel (:func:`analysis.arms.build_panel`):
    intervention and comparator sites with counts, IMD deciles and start
    dates. Returns a :class:`GapChange`; when the estimate cannot be made
    (value-only data, no intervention sites, a quintile without sites in an
    arm before or after the start) ``problem`` says so and what would help.
    """
    notes: list[str] = []
    by_arm = pd.DataFrame()
    counted = panel.dropna(subset=["numerator", "denominator", "imd_decile"])
    if is_kind(kind) and not counted.empty:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            by_arm = inequality_by_period(
                counted, kind, multiplier=multiplier, seed=seed, reps=DEFAULT_REPS
            )
        notes += _skipped_arm_periods(counted, by_arm)
    if not (panel["group"] == "intervention").any():
        problem = "No intervention site reports this measure: set a grouping on the Sites page."
        return GapChange(None, None, "", problem, by_arm, tuple(notes))
    if kind not in ("proportion", "rate") or panel["numerator"].isna().all():
        problem = (
            "This needs counts (numerator and denominator) per site: this measure has published "
            "values only."
        )
        return GapChange(None, None, "", problem, by_arm, tuple(notes))
    try:
        change = inequality_change(panel, multiplier=multiplier, reps=reps, seed=seed)
    except PanelError as exc:
        problem = (
            f"The change cannot be estimated: {exc}. It needs intervention and comparator sites "
            "in every IMD quintile, both before and after the programme start (sites with counts "
            "and an IMD decile); with the current grouping there are not enough."
        )
        return GapChange(None, None, "", problem, by_arm, tuple(notes))
    hidden = small_cells(panel, change.programme_start, rule)
    table = change_table(change, hidden)
    notes += list(change.notes)
    if hidden:
        notes.append(
            "Quintile(s) " + ", ".join(map(str, sorted(hidden))) + " pool a count of 1–7 in an "
            "arm before or after the start: their estimates are suppressed."
        )
    if hidden & {1, 5}:
        return GapChange(change, table, "", None, by_arm, tuple(notes))
    return GapChange(
        change, table, change_statement(change, unit, higher_is_better), None, by_arm, tuple(notes)
    )


def _skipped_arm_periods(panel: pd.DataFrame, by_arm: pd.DataFrame) -> list[str]:
    """Plain notes on the arm-periods with no SII (a quintile without sites or events)."""
    labels = panel.drop_duplicates("period_start").set_index("period_start")["period_label"]
    notes = []
    for group, part in panel.groupby("group", sort=True):
        done = set(by_arm.loc[by_arm["group"] == group, "period_start"]) if len(by_arm) else set()
        missing = [labels[p] for p in sorted(part["period_start"].unique()) if p not in done]
        if missing:
            notes.append(
                f"No SII for {group} areas in {', '.join(missing)}: a deprivation quintile has "
                "no sites (or no events) in that group then."
            )
    return notes
