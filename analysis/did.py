"""Difference-in-differences: did it work, intervention against comparator sites.

Public functions (each takes the tidy panel of :mod:`analysis.panel`, never
modifies it, and returns a typed result):

* :func:`did_twfe`: two-way fixed-effects regression (site and period fixed
  effects) of the measure on the treated indicator, SEs clustered by site
  (Angrist & Pischke 2009, ch. 5; Cameron & Miller 2015), or with few
  intervention sites randomisation inference over placebo intervention sets
  (:mod:`analysis.did_inference`; Conley & Taber 2011; MacKinnon & Webb 2020).
* :func:`did_staggered`: Callaway & Sant'Anna (2021) for staggered starts
  (:mod:`analysis.did_staggered`).
* :func:`estimate_did`: picks one of the two (one start date → TWFE; several →
  Callaway & Sant'Anna), adds the pre-trend test and, where counts exist, the
  count scale; says why in ``notes``.
* :func:`did_count_scale`: Poisson regression with the same fixed effects,
  the rate ratio and events avoided (one start date; staggered starts take
  theirs from the Callaway & Sant'Anna comparisons).
* :func:`leave_one_out`: the range of an estimate when each comparator site
  is dropped in turn.

Estimates are in the measure's display unit, intervention minus
counterfactual (negative = a fall), with 95% intervals unless ``confidence``
says otherwise. The event study lives in :mod:`analysis.event_study`.

``inference`` (TWFE, event study, count scale): ``"cluster"`` keeps CR1
clustered standard errors; ``"randomisation"`` uses placebo intervention sets
drawn from the comparators; ``"auto"`` (default) uses randomisation with at
most 9 intervention sites (fewer than 10) when at least 19 distinct placebo sets exist,
because clustered errors are far too small with so few treated sites.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from analysis.did_fe import FixedEffects, interval, ols_fe, poisson_fe
from analysis.did_inference import (
    CLUSTER_INFERENCE,
    Inference,
    Placebos,
    enough,
    ols_placebos,
    placebo_sets,
    poisson_placebos,
    post_columns,
    ri_interval,
    ri_p_value,
    usable,
)
from analysis.did_prep import Design, Weights, prepare, row_weights
from analysis.did_staggered import Control, staggered_count_scale, staggered_effect
from analysis.effect import CountScaleEffect, Effect
from analysis.event_study import fit_event_study
from analysis.panel import INTERVENTION, PanelError

CountSE = Literal["cluster", "quasipoisson"]

TWFE_LABEL = "Difference-in-differences (two-way fixed effects, SEs clustered by site)"


def did_twfe(
    panel: pd.DataFrame,
    measure: str,
    unit: str,
    *,
    weights: Weights = "auto",
    confidence: float = 0.95,
    inference: Inference = "auto",
) -> Effect:
    """Two-way fixed-effects difference-in-differences, clustered or randomisation inference.

    Regression of ``value`` on the treated indicator (intervention site, on or
    after its start: :func:`analysis.panel.is_post`) with site and period fixed
    effects, solved by the within transformation (:mod:`analysis.did_fe`).
    Clustered inference: CR1 standard error clustered by site exactly as
    statsmodels' ``cov_type="cluster"`` on the dummy-variable regression;
    interval and p-value from Student's t on ``G - 1`` degrees of freedom
    (``G`` sites). Randomisation inference (few intervention sites,
    :mod:`analysis.did_inference`): the regression is re-run on the
    comparator-only panel with each placebo set of comparator sites treated
    from the same start(s); interval ``[β̂ - β̃_(s), β̂ - β̃_(r)]`` from the
    placebo estimates' order statistics, p = ``(1 + #{|β̃| ≥ |β̂|}) / (N + 1)``,
    ``standard_error`` the placebo estimates' standard deviation, and
    ``confidence`` the level the interval attains.
    References: Angrist & Pischke (2009), *Mostly Harmless Econometrics*,
    ch. 5; Cameron & Miller (2015), *J Human Resources* 50:317–372; Conley &
    Taber (2011), *REStat* 93:113–125; MacKinnon & Webb (2020), *J
    Econometrics* 218:435–450.

    Parameters
    ----------
    panel:
        Tidy panel of one measure (:mod:`analysis.panel`); never modified.
    measure:
        The measure id (for messages and the result).
    unit:
        The measure's display unit (e.g. ``"per 100,000"``, ``"%"``).
    weights:
        ``"denominator"`` (weighted least squares, weight = population at
        risk), ``"none"``, or ``"auto"`` (denominator when every row has one).
    confidence:
        Interval level, 0.95 = 95%.
    inference:
        ``"cluster"``, ``"randomisation"`` or ``"auto"`` (module docstring).

    Returns
    -------
    Effect
        ``method="did"``; diagnostics: ``clusters``, ``df``, ``n_obs``,
        ``weights``, ``starts`` (distinct start periods), ``inference``; with
        randomisation inference also ``placebo_draws``, ``placebo_sets``
        (distinct sets possible) and ``cluster_se`` (the CR1 standard error).
    """
    design = prepare(panel, measure)
    return _twfe(design, measure, unit, weights, confidence, inference)


def did_staggered(
    panel: pd.DataFrame,
    measure: str,
    unit: str,
    *,
    control: Control = "never_treated",
    weights: Weights = "none",
    leads: int = 6,
    confidence: float = 0.95,
) -> Effect:
    """Callaway & Sant'Anna (2021) difference-in-differences for staggered starts.

    Group-time effects ATT(g, t) against never-treated comparators (or also
    not-yet-treated sites, ``control="not_yet_treated"``), aggregated to one
    overall ATT weighting each start cohort by its size; analytic
    influence-function standard error (clustered by site), normal interval.
    Already-started sites are never controls. See :mod:`analysis.did_staggered`.
    Ref.: Callaway B, Sant'Anna PHC (2021), *J Econometrics* 225:200–230.

    Parameters
    ----------
    panel:
        Tidy panel of one measure (:mod:`analysis.panel`); never modified.
    measure:
        The measure id.
    unit:
        The measure's display unit.
    control:
        ``"never_treated"`` (comparator sites) or ``"not_yet_treated"``
        (also intervention sites that have not started yet).
    weights:
        ``"none"`` (each site counts once, as in the paper),
        ``"denominator"`` (sites weighted by mean denominator) or ``"auto"``.
    leads:
        Event times before the start included in the pre-trend test (periods).
    confidence:
        Interval level, 0.95 = 95%.

    Returns
    -------
    Effect
        ``method="did_staggered"``; diagnostics ``pre_trend_p`` (Wald χ²),
        ``pre_trend_test``; extra ``group_time`` and ``event_time`` tables.
    """
    design = prepare(panel, measure)
    return staggered_effect(design, measure, unit, control, weights, leads, confidence)


def estimate_did(
    panel: pd.DataFrame,
    measure: str,
    unit: str,
    *,
    weights: Weights = "auto",
    control: Control = "never_treated",
    leads: int | None = None,
    lags: int | None = None,
    count_se: CountSE = "cluster",
    confidence: float = 0.95,
    inference: Inference = "auto",
) -> Effect:
    """Difference-in-differences with the estimator the start dates call for.

    One start period for every intervention site: :func:`did_twfe` plus the
    event study's F pre-trend test (:mod:`analysis.event_study`). Several:
    :func:`did_staggered` (two-way fixed effects would use sites that have
    already started as controls; Goodman-Bacon 2021) with its χ² pre-trend
    test. Where numerator and denominator exist, the count scale is added:
    :func:`did_count_scale` for one start, and for several the events from the
    same ATT(g, t) comparisons on the crude rate
    (:func:`analysis.did_staggered.staggered_count_scale`), so the events agree
    with the headline effect. ``notes`` says which estimator and why.
    ``inference`` applies to either estimator, the event study and the count
    scale.

    Parameters
    ----------
    panel:
        Tidy panel of one measure (:mod:`analysis.panel`); never modified.
    measure:
        The measure id.
    unit:
        The measure's display unit.
    weights:
        As :func:`did_twfe`; applies to either estimator.
    control:
        Controls for the staggered estimator (see :func:`did_staggered`).
    leads:
        Periods before the start in the event study and pre-trend test
        (default: up to 6).
    lags:
        Periods after the start in the event study (default: up to 12).
    count_se:
        ``"cluster"`` or ``"quasipoisson"`` standard errors for the count scale
        (when its inference is not randomisation).
    confidence:
        Interval level, 0.95 = 95%.
    inference:
        ``"cluster"``, ``"randomisation"`` or ``"auto"`` (module docstring).

    Returns
    -------
    Effect
        As :func:`did_twfe` or :func:`did_staggered`, with ``pre_trend_p``,
        ``pre_trend_test``, ``extra["event_time"]`` and ``count_scale``.
    """
    design = prepare(panel, measure)
    starts = np.unique(design.cohort[design.intervention])
    if len(starts) == 1:
        effect = _twfe(design, measure, unit, weights, confidence, inference)
        w = row_weights(design, weights, measure)[0]
        study = fit_event_study(
            design,
            w,
            effect.diagnostics["weights"],
            leads=leads,
            lags=lags,
            confidence=confidence,
            inference=inference,
        )
        why = (
            "all intervention sites start in the same period, so two-way fixed effects "
            "compares them with comparators only"
        )
        effect = replace(
            effect,
            diagnostics={
                **effect.diagnostics,
                "pre_trend_p": study.pre_trend_p,
                "pre_trend_test": study.pre_trend_test,
            },
            extra={**effect.extra, "event_time": study.table.to_dict("records")},
            notes=(why, *effect.notes),
        )
    else:
        lead_count = 6 if leads is None else leads
        effect = staggered_effect(
            design, measure, unit, control, weights, lead_count, confidence, inference
        )
        why = (
            f"intervention sites start in {len(starts)} different periods: the staggered "
            "estimator of Callaway & Sant'Anna (2021) is used, because two-way fixed effects "
            "would compare later starters with sites that had already started"
        )
        effect = replace(effect, notes=(why, *effect.notes))
    if _has_counts(panel):
        try:
            if len(starts) == 1:
                count_scale = did_count_scale(
                    panel, measure, se=count_se, confidence=confidence, inference=inference
                )
            else:
                counts = prepare(panel, measure, outcome="counts")
                count_scale = staggered_count_scale(
                    counts, measure, control, weights, confidence, inference
                )
        except PanelError as error:
            return replace(effect, notes=(*effect.notes, f"no count scale: {error}"))
        effect = replace(effect, count_scale=count_scale)
    return effect


def did_count_scale(
    panel: pd.DataFrame,
    measure: str,
    *,
    se: CountSE = "cluster",
    confidence: float = 0.95,
    inference: Inference = "auto",
) -> CountScaleEffect:
    """Rate ratio and events avoided from a fixed-effects Poisson model of the counts.

    ``log E[numerator] = log(denominator) + site + period + β · treated``
    (Poisson GLM, log link, offset; fitted by IRLS with the within
    transformation, :func:`analysis.did_fe.poisson_fe`). Rate ratio
    ``exp(β)``; ``se="cluster"`` clusters by site (CR1, t on G - 1 df),
    ``"quasipoisson"`` scales the model covariance by Pearson χ²/(N - K)
    (t on N - K df). ``panel`` is never modified; ``confidence`` is the
    interval level.
    With randomisation inference (``inference``, as :func:`did_twfe`; ``se``
    is then not used) the model is re-fitted on the comparator-only panel with
    each placebo set of comparator sites treated, and the interval of log RR is
    ``[β̂ - β̃_(s), β̂ - β̃_(r)]`` from the placebo log rate ratios
    (:mod:`analysis.did_inference`; Conley & Taber 2011; MacKinnon & Webb 2020).
    Events avoided over the post period of the intervention sites:
    ``observed / RR - observed`` (the counterfactual is each treated cell's
    count divided by the rate ratio), its interval from the rate ratio's.
    Sites or periods with no events at all carry no information and are left
    out (their fixed effect would be -∞); in the placebo panel, so are those
    without events among the comparators.
    """
    design = prepare(panel, measure, outcome="counts")
    y, den = design.y, design.denominator
    site_events = np.bincount(design.site, y, design.n_sites)
    period_events = np.bincount(design.period, y, design.n_periods)
    keep = (site_events[design.site] > 0) & (period_events[design.period] > 0)
    if not design.treated[keep].any():
        raise PanelError(f"{measure}: no events in the intervention sites after their start")
    site, period = _recode(design.site[keep]), _recode(design.period[keep])
    fe = FixedEffects(site, period, int(site.max()) + 1, int(period.max()) + 1)
    treated = design.treated[keep]
    fit = poisson_fe(y[keep], treated[:, None].astype(float), np.log(den[keep]), fe, site, se=se)
    beta, beta_se = float(fit.params[0]), float(fit.se[0])
    low, high, _ = interval(beta, beta_se, fit.df_inference, confidence)
    label = "SEs clustered by site" if se == "cluster" else "quasi-Poisson SEs"
    comparator = ~design.intervention[design.site]
    cmp_site = np.bincount(design.site, y * comparator, design.n_sites)
    cmp_period = np.bincount(design.period, y * comparator, design.n_periods)
    with_events = (cmp_site[design.site] > 0) & (cmp_period[design.period] > 0)
    placebos = placebo_sets(design, inference, rows=with_events)
    if placebos is not None:
        placebo = poisson_placebos(placebos, y, np.log(den))
        if enough(placebo, inference):
            low, high, level = ri_interval(beta, placebo, confidence)
            label = placebos.label(usable(placebo))
            if level < confidence:
                label += f" (a {level:.0%} interval: too few placebo sets for {confidence:.0%})"
    rr, rr_low, rr_high = float(np.exp(beta)), float(np.exp(low)), float(np.exp(high))
    observed = float(design.y[design.treated].sum())
    return CountScaleEffect(
        rate_ratio=rr,
        rate_ratio_ci=(rr_low, rr_high),
        observed_events=observed,
        expected_events=observed / rr,
        events_avoided=observed / rr - observed,
        events_avoided_ci=(observed / rr_high - observed, observed / rr_low - observed),
        person_time=float(den[design.treated].sum()),
        model=f"Poisson regression, site and period fixed effects, offset log(denominator), "
        f"{label}",
    )


@dataclass(frozen=True)
class LeaveOneOut:
    """Range of an estimate when each comparator site is dropped in turn.

    ``low``/``high`` are the smallest and largest estimates, ``site_low``/
    ``site_high`` the comparator whose removal gave them; ``full`` is the
    estimate with every site; ``n_refits`` how many comparator sites were dropped.
    """

    full: float
    low: float
    high: float
    site_low: str
    site_high: str
    n_refits: int


def leave_one_out(panel: pd.DataFrame, estimator: Callable[[pd.DataFrame], Effect]) -> LeaveOneOut:
    """Re-run ``estimator`` without each comparator site; report the range of estimates.

    A credibility check (is the result carried by one comparator?).
    ``estimator`` takes a panel and returns an :class:`Effect`, e.g.
    ``lambda p: did_twfe(p, "falls", "per 100,000")``. Costs one fit per
    comparator site. Raises :class:`PanelError` when there are fewer than two
    comparator sites.
    """
    comparators = pd.unique(panel.loc[panel["group"] != INTERVENTION, "site_code"])
    if len(comparators) < 2:
        raise PanelError("leave-one-out needs at least two comparator sites")
    full = estimator(panel).estimate
    codes = panel["site_code"].to_numpy()
    results = {str(code): estimator(panel[codes != code]).estimate for code in comparators}
    site_low = min(results, key=results.__getitem__)
    site_high = max(results, key=results.__getitem__)
    return LeaveOneOut(
        full, results[site_low], results[site_high], site_low, site_high, len(results)
    )


def _recode(codes: np.ndarray) -> np.ndarray:
    """Codes renumbered 0 … m-1 over the values present (order kept)."""
    present = np.bincount(codes) > 0
    return (np.cumsum(present) - 1)[codes]


def _has_counts(panel: pd.DataFrame) -> bool:
    if "numerator" not in panel or "denominator" not in panel:
        return False
    return bool(panel["numerator"].notna().any() and panel["denominator"].notna().any())


def _twfe(
    design: Design,
    measure: str,
    unit: str,
    weights: Weights,
    confidence: float,
    inference: Inference,
) -> Effect:
    w, label, weight_note = row_weights(design, weights, measure)
    fe = FixedEffects(design.site, design.period, design.n_sites, design.n_periods)
    fit = ols_fe(design.y, design.treated[:, None].astype(float), fe, design.site, w)
    estimate, se = float(fit.params[0]), float(fit.se[0])
    low, high, p = interval(estimate, se, fit.df_inference, confidence)
    starts = len(np.unique(design.cohort[design.intervention]))
    diagnostics = {
        "clusters": fit.n_clusters,
        "df": fit.df_inference,
        "n_obs": fit.n_obs,
        "weights": label,
        "starts": starts,
        "inference": CLUSTER_INFERENCE,
    }
    notes = [*design.notes, *([weight_note] if weight_note else [])]
    method_label, level = TWFE_LABEL, confidence
    placebos = placebo_sets(design, inference)
    placebo = np.array([])
    if placebos is not None:
        placebo = ols_placebos(placebos, design.y, w, post_columns).params[:, 0]
        if not enough(placebo, inference):
            notes.append(_no_placebos_note(placebos, placebo))
            placebos = None
    if placebos is None:
        notes.extend(design.few_treated_note())
    else:
        n = usable(placebo)
        low, high, level = ri_interval(estimate, placebo, confidence)
        p = ri_p_value(estimate, placebo)
        method_label = f"Difference-in-differences (two-way fixed effects), {placebos.label(n)}"
        notes.append(placebos.note(design.n_intervention))
        if level < confidence:
            notes.append(
                f"with {n} placebo sets the interval's level is {level:.0%}, not "
                f"{confidence:.0%}: more comparator sites would allow more sets"
            )
        diagnostics.update(
            inference=placebos.label(n),
            placebo_draws=n,
            placebo_sets=placebos.possible,
            cluster_se=se,
        )
        se = float(np.nanstd(placebo, ddof=1))
    if starts > 1:
        notes.append(
            "start dates differ: two-way fixed effects then also compares later starters "
            "with sites already started (Goodman-Bacon 2021); prefer the staggered estimator"
        )
    if p is None:
        notes.append("no residual variation: the standard error cannot be estimated")
    pre, post = design.periods_around_start()
    return Effect(
        measure=measure,
        method="did",
        method_label=method_label,
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        p_value=p,
        unit=unit,
        n_intervention=design.n_intervention,
        n_comparator=design.n_comparator,
        n_periods_pre=pre,
        n_periods_post=post,
        confidence=level,
        standard_error=se,
        diagnostics=diagnostics,
        notes=tuple(notes),
    )


def _no_placebos_note(placebos: Placebos, placebo: np.ndarray) -> str:
    """Why randomisation inference fell back to clustered errors."""
    return (
        f"only {usable(placebo)} of {placebos.n_draws} placebo intervention sets could be "
        "fitted (their sites lack rows in some periods): clustered standard errors are used"
    )
