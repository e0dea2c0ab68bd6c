"""Inequality over time, and whether the deprivation gap narrowed where the programme ran.

Two questions, both from the tidy panel of :mod:`analysis.panel` (one row per
site and period with counts and the site's IMD decile):

* :func:`inequality_by_period`: the slope index of inequality (SII), relative
  index (RII) and the most-vs-least deprived gap for each period (and arm),
  sites pooled into deprivation quintiles or deciles (:mod:`analysis.inequality`).
* :func:`inequality_change`: did the inequality change more in intervention
  areas than in comparator areas? A difference-in-differences on the
  inequality measure:
  (intervention after − intervention before) − (comparator after − comparator before),
  for the SII, for the gap between the most and least deprived fifth, and for
  the level within each deprivation quintile, with bootstrap intervals.

How: sites' events and populations are summed within arm (intervention /
comparator), phase (before / after the programme start) and IMD quintile;
each quintile's value is the pooled rate Σ events ÷ Σ population × multiplier;
the SII is the population-weighted least-squares slope across quintile ranks
(Low & Low 2004). Intervention sites are "after" from their own start date
(staggered starts allowed); comparator sites from ``programme_start`` (the
earliest intervention start unless given). Intervals: percentile bootstrap
over sites, resampling sites with replacement within each arm and keeping each
site's before and after together (Efron & Tibshirani 1993), which carries
both Poisson noise and between-site variation.

What this shows and does not: a difference-in-differences estimate is a
programme effect only if, without the programme, the inequality would have
changed alike in both arms (parallel trends), no other change coincided with
the start, and the arms' deprivation mix stayed stable. It describes areas
(sites pooled by the deprivation of their population), not individuals; an
area-level gap can narrow while individual-level inequality does not. With
few sites per quintile the intervals are wide and a "no clear change" result
is not evidence of no effect. Pooled rates weight large sites more; the
quintile effects are separate estimates (no correction for looking at five).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, TypeGuard

import numpy as np
import pandas as pd

from analysis.disclosure import DEFAULT_RULE, DisclosureRule
from analysis.inequality import quintile_from_decile
from analysis.inequality_indices import DEFAULT_REPS, DEFAULT_SEED
from analysis.inequality_view import (
    TableSettings,
    fifths_table,
    period_summary,
    quantile_table,
)
from analysis.panel import COMPARATOR, INTERVENTION, PanelError, require_columns
from analysis.rates import confidence_level

Kind = Literal["proportion", "rate"]
COUNT_COLUMNS = ("site_code", "group", "period_start", "numerator", "denominator", "imd_decile")
SITE_EXTRAS = ("period_label", "population", "value", "lower_ci", "upper_ci", "imd_quintile")
"""Columns the group tables read that a bare panel may lack (filled with missing values)."""


def is_kind(kind: str | None) -> TypeGuard[Kind]:
    """Whether a measure kind has an inequality change (a proportion or a rate)."""
    return kind in ("proportion", "rate")


def infer_multiplier(panel: pd.DataFrame) -> float:
    """The display multiplier behind ``value`` (value ÷ (numerator ÷ denominator)), e.g. 100000."""
    rows = panel[(panel["numerator"] > 0) & panel["value"].notna()]
    if rows.empty:
        return 1.0
    ratio = float(np.median(rows["value"] * rows["denominator"] / rows["numerator"]))
    power = 10 ** round(math.log10(ratio))
    return float(power) if abs(ratio / power - 1) < 0.01 else ratio


def _with_counts(panel: pd.DataFrame) -> pd.DataFrame:
    require_columns(panel, COUNT_COLUMNS)
    usable = panel.dropna(subset=["numerator", "denominator", "imd_decile"])
    if usable.empty:
        raise PanelError("inequality needs sites with counts and an IMD decile")
    return usable


def inequality_by_period(
    panel: pd.DataFrame,
    kind: Kind,
    *,
    quantiles: int = 5,
    multiplier: float | None = None,
    by_group: bool = True,
    confidence: float = 0.95,
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
    rule: DisclosureRule = DEFAULT_RULE,
) -> pd.DataFrame:
    """SII, RII and the least-vs-most deprived gap per period (and arm), with intervals.

    The same pipeline as the Inequalities page
    (:func:`analysis.inequality_view.period_summary` on pooled counts): each
    arm's sites are pooled into IMD quintiles or deciles (Σ events ÷ Σ
    population), the SII is ``phe_sii``'s (Low & Low 2004) with a simulated
    interval, the gap Newcombe's / MOVER. ``kind``: ``"rate"`` (log-scale
    standard errors) or ``"proportion"`` (logit). A period without every group,
    with a suppressed group or a group without events has no SII, and
    ``note`` says why. Returns one row per (group,) period with the columns
    of :func:`~analysis.inequality_view.period_summary` and ``quantiles``.
    """
    data = _with_counts(panel)
    mult = infer_multiplier(data) if multiplier is None else multiplier
    if "period_label" not in data.columns or data["period_label"].isna().any():
        data = data.assign(period_label=data["period_start"].dt.strftime("%Y-%m-%d"))
    data = data.assign(**{c: np.nan for c in SITE_EXTRAS if c not in data.columns})
    parts = data.groupby("group", sort=True) if by_group else [(None, data)]
    tables = []
    for group, part in parts:
        common = TableSettings(kind=kind, multiplier=mult, basis="counts", confidence=confidence)
        groups = quantile_table(part, quantiles=quantiles, rule=rule, **common)
        fifths = fifths_table(part, groups, quantiles=quantiles, rule=rule, **common)
        summary = period_summary(
            part, groups, fifths, quantiles=quantiles, reps=reps, seed=seed, **common
        )
        if by_group:
            summary.insert(0, "group", group)
        tables.append(summary.assign(quantiles=quantiles))
    return pd.concat(tables, ignore_index=True)


@dataclass(frozen=True)
class ChangeEstimate:
    """A difference-in-differences of one inequality measure, with its bootstrap interval.

    ``estimate`` = (intervention after − before) − (comparator after − before), in
    the measure's display unit. For the SII and the gap, ``direction`` reads the
    estimate against the intervention arm's starting inequality.
    """

    measure: str
    estimate: float
    ci_low: float
    ci_high: float
    confidence: float
    intervention_before: float
    intervention_after: float
    comparator_before: float
    comparator_after: float

    @property
    def direction(self) -> Literal["narrowed", "widened", "no clear change"]:
        """Relative to comparators: narrowed, widened, or no clear change (interval spans 0)."""
        if self.ci_low <= 0 <= self.ci_high or self.intervention_before == 0:
            return "no clear change"
        same_sign = math.copysign(1, self.estimate) == math.copysign(1, self.intervention_before)
        return "widened" if same_sign else "narrowed"


@dataclass(frozen=True)
class InequalityChange:
    """Whether inequality changed more in intervention than comparator areas.

    ``sii``: change in the slope index (least minus most deprived end);
    ``gap``: change in least-deprived-fifth minus most-deprived-fifth (positive
    gap and SII: higher in less deprived areas);
    ``by_quintile``: the programme's difference-in-differences within each IMD
    quintile (1 = most deprived). See the module docstring for what this does
    and does not show.
    """

    sii: ChangeEstimate
    gap: ChangeEstimate
    by_quintile: tuple[ChangeEstimate, ...]
    multiplier: float
    programme_start: pd.Timestamp
    n_intervention_sites: int
    n_comparator_sites: int
    reps: int
    seed: int | None
    method: str
    notes: tuple[str, ...] = ()


def _site_table(panel: pd.DataFrame, programme_start: pd.Timestamp) -> pd.DataFrame:
    """One row per site: arm, quintile, and events/population before and after."""
    start = panel["start_date"].where(panel["group"] == INTERVENTION, programme_start)
    after = panel["period_start"] >= start.fillna(programme_start)
    frame = panel.assign(
        _after=after.to_numpy(), _q=quintile_from_decile(panel["imd_decile"]).astype(int)
    )
    sums = frame.pivot_table(
        index=["site_code", "group", "_q"],
        columns="_after",
        values=["numerator", "denominator"],
        aggfunc="sum",
        fill_value=0.0,
    )
    table = pd.DataFrame(index=sums.index)
    for col in ("numerator", "denominator"):
        for flag, name in ((False, "before"), (True, "after")):
            table[f"{col}_{name}"] = sums.get((col, flag), 0.0)
    return table.reset_index()


def _pooled(counts: np.ndarray, table: pd.DataFrame) -> np.ndarray:
    """Σ events and population per (rep, phase, quintile) for resampling counts (reps × sites)."""
    onehot = np.eye(5)[table["_q"].to_numpy() - 1]
    cols = ["numerator_before", "denominator_before", "numerator_after", "denominator_after"]
    sums = [counts @ (onehot * table[c].to_numpy()[:, None]) for c in cols]
    return np.stack(sums, axis=1)  # reps × 4 × 5


def _measures(pooled_int: np.ndarray, pooled_comp: np.ndarray, mult: float) -> np.ndarray:
    """Per rep: [SII DiD, gap DiD, quintile 1…5 DiD] plus the 4 arm-phase SIIs and gaps."""
    out = []
    for pooled in (pooled_int, pooled_comp):
        for phase in (0, 1):
            num, den = pooled[:, 2 * phase], pooled[:, 2 * phase + 1]
            with np.errstate(invalid="ignore", divide="ignore"):
                value = num / den * mult
                share = den / den.sum(axis=1, keepdims=True)
            rank = np.cumsum(share, axis=1) - share / 2
            rbar = (share * rank).sum(axis=1, keepdims=True)
            ybar = (share * value).sum(axis=1, keepdims=True)
            slope = (share * (rank - rbar) * (value - ybar)).sum(axis=1) / (
                share * (rank - rbar) ** 2
            ).sum(axis=1)
            out.append((slope, value[:, 4] - value[:, 0], value))
    (si0, g0, v0), (si1, g1, v1), (sc0, gc0, vc0), (sc1, gc1, vc1) = out
    did = np.column_stack(
        [(si1 - si0) - (sc1 - sc0), (g1 - g0) - (gc1 - gc0), (v1 - v0) - (vc1 - vc0)]
    )
    levels_ = np.column_stack([si0, si1, sc0, sc1, g0, g1, gc0, gc1, v0, v1, vc0, vc1])
    return np.column_stack([did, levels_])


def inequality_change(
    panel: pd.DataFrame,
    *,
    multiplier: float | None = None,
    programme_start: pd.Timestamp | str | None = None,
    confidence: float = 0.95,
    reps: int = 2000,
    seed: int | None = None,
) -> InequalityChange:
    """Difference-in-differences of the SII, the Q1−Q5 gap and each quintile's level.

    Parameters
    ----------
    panel:
        The tidy panel (:mod:`analysis.panel`) with counts and ``imd_decile``.
    multiplier:
        Display scale of the measure (inferred from ``value`` when omitted).
    programme_start:
        When comparator sites count as "after"; the earliest intervention start by default.
    confidence, reps, seed:
        Percentile bootstrap over sites within each arm: level, resamples, seed.

    Raises :class:`~analysis.panel.PanelError` when an arm lacks sites in a
    quintile before or after the start.
    """
    data = _with_counts(panel)
    level = confidence_level(confidence)
    starts = data.loc[data["group"] == INTERVENTION, "start_date"].dropna()
    if programme_start is None:
        if starts.empty:
            raise PanelError("no intervention site has a start date")
        programme_start = starts.min()
    start = pd.Timestamp(programme_start)
    mult = infer_multiplier(data) if multiplier is None else multiplier
    table = _site_table(data[data["group"].isin([INTERVENTION, COMPARATOR])], start)
    arms = {
        g: table[table["group"] == g].reset_index(drop=True) for g in (INTERVENTION, COMPARATOR)
    }
    for name, arm in arms.items():
        for phase in ("before", "after"):
            present = arm.loc[arm[f"denominator_{phase}"] > 0, "_q"].unique()
            if len(present) < 5:
                raise PanelError(
                    f"{name} sites cover {len(present)} of 5 IMD quintiles {phase} the start"
                )
    point_int, point_comp = (_pooled(np.ones((1, len(a))), a) for a in arms.values())
    point = _measures(point_int, point_comp, mult)[0]
    rng = np.random.default_rng(seed)
    draws = []
    for chunk in range(0, reps, 250):
        size = min(250, reps - chunk)
        pooled_int, pooled_comp = (
            _pooled(
                rng.multinomial(len(a), np.full(len(a), 1 / len(a)), size=size).astype(float), a
            )
            for a in arms.values()
        )
        draws.append(_measures(pooled_int, pooled_comp, mult)[:, :7])
    boot = np.vstack(draws)
    valid = ~np.isnan(boot).any(axis=1)
    tail = (1 - level) / 2
    low, high = np.quantile(boot[valid], [tail, 1 - tail], axis=0).tolist()
    point = point.tolist()
    names = ["SII", "gap (least − most deprived fifth)"] + [
        f"IMD quintile {q}" for q in range(1, 6)
    ]
    arm_levels = [point[7:11], point[11:15], *(point[15 + q :: 5][:4] for q in range(5))]
    estimates = [
        ChangeEstimate(names[i], point[i], low[i], high[i], level, *arm_levels[i]) for i in range(7)
    ]
    notes = []
    excluded = len(panel) - len(data)
    if excluded:
        notes.append(f"{excluded} rows without counts or an IMD decile were left out")
    if (~valid).sum():
        notes.append(
            f"{int((~valid).sum())} of {reps} resamples lacked a quintile and were dropped"
        )
    return InequalityChange(
        sii=estimates[0],
        gap=estimates[1],
        by_quintile=tuple(estimates[2:]),
        multiplier=mult,
        programme_start=start,
        n_intervention_sites=len(arms[INTERVENTION]),
        n_comparator_sites=len(arms[COMPARATOR]),
        reps=reps,
        seed=seed,
        method=(
            "difference-in-differences of pooled quintile rates; SII by population-weighted "
            "least squares (Low & Low 2004); percentile bootstrap over sites within arms"
        ),
        notes=tuple(notes),
    )
