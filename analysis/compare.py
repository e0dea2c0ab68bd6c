"""Did it work? Choose a method, estimate the effect, check it, say it plainly.

:func:`run_comparison` is what the Compare page, the CLI, the Savings page and
the report call: it picks the estimator (:func:`choose_method`, the reason
shown), runs it (:mod:`analysis.did`, :mod:`analysis.its`,
:mod:`analysis.synth_inference`), runs the credibility checks
(:mod:`analysis.credibility`), writes the sentence
(:mod:`analysis.narrative`) and builds the series to draw (observed groups and
the counterfactual).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from analysis.credibility import Check, scorecard
from analysis.did import did_staggered, did_twfe, estimate_did
from analysis.effect import Effect
from analysis.its import its
from analysis.measure_definition import MeasureDefinition
from analysis.narrative import effect_sentence
from analysis.panel import COMPARATOR, INTERVENTION, PanelError, is_post
from analysis.synth import fit_synth
from analysis.synth_inference import estimate_synth
from analysis.synth_prep import PredictorChoice, panel_dataprep
from analysis.trends import group_series

MethodChoice = Literal["auto", "did", "its", "synth"]
MIN_DONORS_FOR_SYNTH = 19  # p = 1/(J+1) < 0.05 needs J ≥ 19 placebo donors
MAX_LEAVE_ONE_OUT = 40  # refits; beyond this a random sample of comparators is dropped


@dataclass(frozen=True)
class Comparison:
    """An effect with the reason for its method, its checks, sentence and series."""

    effect: Effect
    method_reason: str
    checks: tuple[Check, ...]
    sentence: str
    series: pd.DataFrame  # group, period_start, value, line ("observed"/"counterfactual")
    post_years: float
    leave_one_out: tuple[float, ...]
    definition: MeasureDefinition


@dataclass(frozen=True)
class PanelShape:
    """Counts that decide the method: sites per group, periods around the start, starts, grain."""

    n_intervention: int
    n_comparator: int
    n_pre: int
    n_post: int
    n_starts: int
    granularity: str | None


def panel_shape(panel: pd.DataFrame) -> PanelShape:
    """The :class:`PanelShape` of an estimator panel (periods counted from the earliest start)."""
    starts = panel.loc[panel["group"] == INTERVENTION, "start_date"].dropna()
    first_start = starts.min() if len(starts) else pd.NaT
    periods = panel["period_start"].drop_duplicates()
    return PanelShape(
        n_intervention=int(panel.loc[panel["group"] == INTERVENTION, "site_code"].nunique()),
        n_comparator=int(panel.loc[panel["group"] == COMPARATOR, "site_code"].nunique()),
        n_pre=int((periods < first_start).sum()) if pd.notna(first_start) else 0,
        n_post=int((periods >= first_start).sum()) if pd.notna(first_start) else 0,
        n_starts=int(starts.nunique()),
        granularity=str(panel["granularity"].mode().iloc[0]) if len(panel) else None,
    )


def choose_method(panel: pd.DataFrame) -> tuple[str, str]:
    """Pick an estimator for this panel and say why.

    Rules, in order: no comparators → interrupted time series (needs ≥ 8 pre
    periods); at most 3 intervention sites with at least 19 donors and 5
    pre-periods → synthetic control (19 donors allow a placebo p below 0.05);
    at most 2 intervention sites in a monthly or quarterly series with ≥ 12
    pre-periods → controlled interrupted time series; otherwise
    difference-in-differences (staggered when start dates differ).
    """
    s = panel_shape(panel)
    if s.n_intervention == 0:
        raise PanelError("no intervention site reports this measure: set a grouping first")
    if s.n_pre == 0:
        raise PanelError("no period before the programme start: nothing to compare against")
    if s.n_post == 0:
        raise PanelError("no period after the programme start yet: use planning mode on Savings")
    if s.n_comparator == 0:
        if s.n_pre >= 8:
            return "its", "no comparator sites: interrupted time series on the intervention series"
        raise PanelError("no comparator sites, and too few periods for a time series")
    if s.n_intervention <= 3 and s.n_comparator >= MIN_DONORS_FOR_SYNTH and s.n_pre >= 5:
        return "synth", (
            f"{s.n_intervention} intervention site(s) and {s.n_comparator} possible donors "
            f"with {s.n_pre} periods before the start: synthetic control builds a weighted "
            "comparator that tracks the intervention sites before the start"
        )
    if s.n_intervention <= 2 and s.granularity in ("month", "quarter") and s.n_pre >= 12:
        return "its", (
            f"few intervention sites and {s.n_pre} {s.granularity}ly periods before the "
            "start: interrupted time series against the comparator series"
        )
    return "did", (
        f"{s.n_intervention} intervention and {s.n_comparator} comparator sites with "
        f"{s.n_pre} period(s) before the start: difference-in-differences"
        + (" (staggered starts)" if s.n_starts > 1 else "")
    )


def _estimator(
    method: str, measure: str, unit: str, predictors: Sequence[PredictorChoice] = ()
) -> Callable[[pd.DataFrame], Effect]:
    if method == "did":
        return lambda p: estimate_did(p, measure, unit)
    if method == "its":
        return lambda p: its(p, measure, unit)
    if method == "synth":
        return lambda p: estimate_synth(p, measure, unit, predictors=predictors)
    raise PanelError(f"unknown method '{method}': use auto, did, its or synth")


def _point_estimator(
    method: str, measure: str, unit: str, predictors: Sequence[PredictorChoice] = ()
) -> Callable[[pd.DataFrame], float]:
    """The same point estimate without its inference, for the leave-one-out refits."""
    if method == "synth":

        def synth_point(p: pd.DataFrame) -> float:
            data = panel_dataprep(p, chosen=predictors)
            fit = fit_synth(data, "optimise" if predictors else "outcomes_only")
            return float(fit.gap[~data.pre].mean())

        return synth_point
    if method == "did":

        def did_point(p: pd.DataFrame) -> float:
            starts = p.loc[p["group"] == INTERVENTION, "start_date"].dropna().nunique()
            if starts <= 1:
                return did_twfe(p, measure, unit, inference="cluster").estimate
            return did_staggered(p, measure, unit, weights="auto").estimate

        return did_point
    return lambda p: _estimator(method, measure, unit)(p).estimate


def leave_one_out_range(
    panel: pd.DataFrame, estimate: Callable[[pd.DataFrame], float], seed: int = 20240401
) -> tuple[tuple[float, ...], str]:
    """The range of the estimate with each comparator dropped in turn, and what was done.

    Every comparator is dropped in turn when there are at most
    :data:`MAX_LEAVE_ONE_OUT`; beyond that, each of a seeded random sample of
    that many (each refit costs an estimate). The text says which, or why the
    check was skipped.
    """
    comparators = sorted(panel.loc[panel["group"] == COMPARATOR, "site_code"].unique())
    if len(comparators) < 2:
        return (), "skipped: leave-one-out needs at least two comparator sites"
    how = f"each of the {len(comparators)} comparators dropped in turn"
    if len(comparators) > MAX_LEAVE_ONE_OUT:
        rng = np.random.default_rng(seed)
        comparators = sorted(rng.choice(comparators, MAX_LEAVE_ONE_OUT, replace=False))
        how = (
            f"each of {MAX_LEAVE_ONE_OUT} comparators, a random sample of the "
            f"{panel.loc[panel['group'] == COMPARATOR, 'site_code'].nunique()}, dropped in turn"
        )
    codes = panel["site_code"].to_numpy()
    try:
        values = [estimate(panel[codes != code]) for code in comparators]
    except PanelError as exc:
        return (), f"skipped: {exc}"
    return (float(np.nanmin(values)), float(np.nanmax(values))), how


def post_years(panel: pd.DataFrame) -> float:
    """Length in years of the intervention sites' post period (earliest start to last end)."""
    post = panel[is_post(panel)]
    if post.empty:
        return 0.0
    days = (post["period_end"].max() - post["period_start"].min()).days + 1
    return days / 365.25


def _counterfactual(effect: Effect, observed: pd.DataFrame, start: pd.Timestamp) -> pd.DataFrame:
    """The intervention series without the programme, as the method implies it."""
    if effect.method == "synth":
        gap = pd.DataFrame(effect.extra["gap"])
        return pd.DataFrame(
            {"period_start": pd.to_datetime(gap["period_start"]), "value": gap["synthetic"]}
        )
    mine = observed.set_index("period_start")["value"]
    if effect.method == "its":
        series = pd.DataFrame(effect.extra["series"])
        series["period_start"] = pd.to_datetime(series["period_start"])
        effect_by_period = (series["observed"] - series["counterfactual"]).to_numpy()
        index = series["period_start"]
        shift = pd.Series(effect_by_period, index=index).reindex(mine.index).fillna(0.0)
    else:
        shift = pd.Series(np.where(mine.index >= start, effect.estimate, 0.0), index=mine.index)
    return pd.DataFrame({"period_start": mine.index, "value": (mine - shift).to_numpy()})


def _reason(chosen_reason: str, effect: Effect) -> str:
    """The choice's reason, the method actually used and the sites it left out."""
    dropped = [n for n in effect.notes if "left out" in n]
    text = f"{chosen_reason}. Used: {effect.method_label}"
    return text + ("; " + "; ".join(dropped) if dropped else "")


def _collapsed_interval_note(effect: Effect) -> tuple[str, ...]:
    """Why an interval is a single value, when it is."""
    if not (np.isfinite(effect.ci_low) and effect.ci_low == effect.ci_high):
        return ()
    return (
        "The interval is a single value: the method's inference found no variation to "
        "measure uncertainty with (every placebo or residual gave the same answer), so it "
        "does not mean the estimate is certain.",
    )


def run_comparison(
    panel: pd.DataFrame,
    definition: MeasureDefinition,
    method: MethodChoice = "auto",
    predictors: Sequence[PredictorChoice] = (),
) -> Comparison:
    """Estimate the programme effect for one measure with checks and a sentence.

    The effect is in ``definition.effect_unit`` (percentage points for a %,
    per 100,000 a month for a monthly rate). ``predictors`` are the synthetic
    control's (:func:`analysis.synth_inference.estimate_synth`); another
    method says in its notes that it did not use them.
    """
    measure, unit = definition.measure, definition.effect_unit
    chosen, reason = choose_method(panel)
    if method != "auto":
        reason = f"chosen by hand (the automatic choice would be {chosen}: {reason})"
        chosen = method
    effect = _estimator(chosen, measure, unit, predictors)(panel)
    unused = (
        (f"Predictors ({len(predictors)}) are used by synthetic control only; not by this method.",)
        if predictors and chosen != "synth"
        else ()
    )
    effect = replace(effect, notes=(*effect.notes, *unused, *_collapsed_interval_note(effect)))
    loo, loo_how = leave_one_out_range(panel, _point_estimator(chosen, measure, unit, predictors))
    observed = group_series(panel, definition.multiplier)
    mine = observed[observed["group"] == INTERVENTION]
    start = panel.loc[panel["group"] == INTERVENTION, "start_date"].min()
    checks = scorecard(effect, panel, loo, loo_how, definition.multiplier)
    counterfactual = _counterfactual(effect, mine, start).assign(
        group="counterfactual", line="counterfactual"
    )
    series = pd.concat(
        [observed[["group", "period_start", "value"]].assign(line="observed"), counterfactual],
        ignore_index=True,
    )
    return Comparison(
        effect=effect,
        method_reason=_reason(reason, effect),
        checks=checks,
        sentence=effect_sentence(effect, definition.label, checks, definition.higher_is_better),
        series=series,
        post_years=post_years(panel),
        leave_one_out=loo,
        definition=definition,
    )
