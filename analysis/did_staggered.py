"""Difference-in-differences with staggered starts: Callaway & Sant'Anna (2021).

When intervention sites start at different times, the two-way fixed-effects
regression compares later starters with sites already treated, and with
effects that grow over time it can even get the sign wrong (Goodman-Bacon
2021). Callaway & Sant'Anna instead estimate one 2 × 2 comparison per
*cohort* ``g`` (sites whose first post period is ``g``) and period ``t``:

    ATT(g, t) = mean(Y_t - Y_base | cohort g) - mean(Y_t - Y_base | controls)

with ``base`` the last observed period before ``g`` for ``t >= g`` and the
period before ``t`` for ``t < g`` (pre-period placebo effects, their "varying
base"). Controls are comparator (never-treated) sites, or with
``control="not_yet_treated"`` also intervention sites whose start is after
both ``t`` and ``base``: a site that has started is **never** a control.
Only sites observed in both periods of a comparison enter it. This is their
unconditional estimator (no covariates), for which the doubly robust,
inverse-probability and outcome-regression forms coincide.

Aggregation:

* overall ATT: the *group* aggregation θ = Σ_g P(G = g | treated) · θ(g),
  θ(g) the mean of ATT(g, t) over the cohort's post periods, so each cohort
  counts by its size (CS 2021, eq. 3.11, their recommended summary);
* event time e: Σ_g P(G = g | cohort observed at e) · ATT(g, g + e).

Standard errors are **analytic, from influence functions** (CS 2021, section
4.1, including the term for the estimated cohort shares): sites are the units,
so this is clustering by site. Intervals and p-values use the normal
distribution, as the paper does. Pre-trend test: the Wald pre-test of
parallel trends that R's ``did::att_gt`` reports ("P-value for pre-test of
parallel trends assumption"): the q pre-period group-time effects ATT(g, t),
t < g (varying base), are jointly zero, ``W = θ_pre' Σ⁻¹ θ_pre ~ χ²(q)`` with
Σ their influence-function covariance (cells with a standard error of zero
left out, as ``did`` does; where Σ is singular, which ``did`` declines to
test, a generalised inverse of rank q). ``leads`` keeps the cells within that
many periods of the start (``did`` keeps all; the default reaches back 6).
Sites may be weighted (population-weighted means and cohort
sizes); unweighted by default in the paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analysis.did_fe import interval
from analysis.did_inference import (
    Inference,
    Placebos,
    enough,
    placebo_sets,
    rank_p_value,
    ri_interval,
    ri_p_value,
    usable,
)
from analysis.did_prep import Design, Weights, row_weights
from analysis.effect import CountScaleEffect, Effect
from analysis.panel import PanelError

Control = Literal["never_treated", "not_yet_treated"]

STAGGERED_LABEL = "Difference-in-differences, staggered starts (Callaway & Sant'Anna 2021)"

PLACEBO_DRAWS = 199
"""Placebo sets for randomisation inference: each is a whole re-estimate, so fewer
than for least squares; 199 still gives an exact 95% Conley–Taber interval."""

INFLUENCE_INFERENCE = "analytic influence function (clustered by site), normal interval"


@dataclass(frozen=True, eq=False)
class StaggeredFit:
    """Overall ATT with its influence-function SE, the ATT(g, t) and event-time tables.

    ``post_total`` is Σ over each cohort's usable post cells of ATT(g, t) × the
    cohort's denominator in period t (with ``post_total_se``, its
    influence-function SE); on the crude rate (numerator / denominator) it is
    the change in the number of events. ``post_numerator`` and
    ``post_denominator`` are the cohorts' totals over those cells.
    """

    estimate: float
    standard_error: float
    group_time: pd.DataFrame
    event_time: pd.DataFrame
    pre_trend_p: float | None
    pre_trend_statistic: float | None
    pre_trend_test: str
    post_total: float = 0.0
    post_total_se: float = 0.0
    post_numerator: float = 0.0
    post_denominator: float = 0.0
    notes: tuple[str, ...] = field(default=())


def fit_staggered(
    design: Design,
    site_weight: np.ndarray | None = None,
    *,
    control: Control = "never_treated",
    leads: int = 6,
    confidence: float = 0.95,
) -> StaggeredFit:
    """Callaway & Sant'Anna group-time ATTs on a prepared design, aggregated (module docstring).

    ``site_weight``: one weight per site (e.g. its mean denominator), or
    ``None`` for equal weights. ``leads``: event times before the start in the
    pre-trend test. Raises :class:`PanelError` when no cohort has a usable
    comparison (controls observed in the same periods).
    """
    number = design.period_number
    y = np.full((design.n_sites, design.n_periods), np.nan)
    y[design.site, design.period] = design.y
    den = np.zeros((design.n_sites, design.n_periods))
    den[design.site, design.period] = np.nan_to_num(design.denominator)
    num = np.zeros((design.n_sites, design.n_periods))
    num[design.site, design.period] = np.nan_to_num(design.numerator)
    cohort = design.cohort
    w = np.ones(design.n_sites) if site_weight is None else site_weight
    never = ~np.isfinite(cohort)
    cells: list[tuple] = []
    events: dict[int, _Accumulator] = {}
    pre_att: list[float] = []
    pre_phi: list[np.ndarray] = []
    overall = _Accumulator(design.n_sites)
    total, total_phi, post_num, post_den = 0.0, np.zeros(design.n_sites), 0.0, 0.0
    notes: list[str] = []
    times = np.arange(1, design.n_periods)
    for g in np.unique(cohort[~never]):
        member = cohort == g
        size = float(w[member].sum())
        first = int(np.searchsorted(number, g))
        base = np.where(times >= first, first - 1, times - 1)
        diff = y[:, times] - y[:, base]
        valid = np.isfinite(diff)
        later = np.maximum(number[times], number[base])[None, :]
        ctrl = never[:, None] | (
            (control == "not_yet_treated") & (cohort[:, None] > later) & ~member[:, None]
        )
        wt = w[:, None] * (member[:, None] & valid)
        wc = w[:, None] * (ctrl & valid)
        nt, nc = wt.sum(axis=0), wc.sum(axis=0)
        usable = (nt > 0) & (nc > 0)
        nt, nc = np.where(usable, nt, 1.0), np.where(usable, nc, 1.0)
        d = np.where(valid, diff, 0.0)
        mean_t, mean_c = (wt * d).sum(axis=0) / nt, (wc * d).sum(axis=0) / nc
        phi = wt * (d - mean_t) / nt - wc * (d - mean_c) / nc
        att = mean_t - mean_c
        for j in np.flatnonzero(usable):
            e = int(number[times[j]] - g)
            se = float(np.sqrt(phi[:, j] @ phi[:, j]))
            cells.append(
                (
                    _label(design, first),
                    _label(design, int(times[j])),
                    e,
                    float(att[j]),
                    se,
                    int((wt[:, j] > 0).sum()),
                    int((wc[:, j] > 0).sum()),
                )
            )
            events.setdefault(e, _Accumulator(design.n_sites)).add(
                att[j], phi[:, j], size, w * member
            )
            if -leads <= e < 0 and se > np.sqrt(np.finfo(float).eps) * 10:
                pre_att.append(float(att[j]))
                pre_phi.append(phi[:, j])
        post = usable & (times >= first)
        if post.any():
            overall.add(att[post].mean(), phi[:, post].mean(axis=1), size, w * member)
            in_cell = member[:, None] & valid
            cohort_den = (den[:, times] * in_cell).sum(axis=0)[post]
            total += float(att[post] @ cohort_den)
            total_phi += phi[:, post] @ cohort_den
            post_num += float((num[:, times] * in_cell)[:, post].sum())
            post_den += float(cohort_den.sum())
        else:
            notes.append(
                f"sites starting in {_label(design, first)} have no comparison after "
                "their start (no controls observed then) and are not in the overall effect"
            )
    if overall.weight == 0:
        raise PanelError(
            "no cohort of intervention sites has a comparison after its start: controls "
            "must be observed in the same periods"
        )
    table = pd.DataFrame(
        cells,
        columns=[
            "cohort",
            "period",
            "event_time",
            "att",
            "standard_error",
            "n_treated",
            "n_control",
        ],
    )
    estimate, phi = overall.result()
    p, stat, test = _pre_trend(np.array(pre_att), pre_phi)
    return StaggeredFit(
        estimate,
        float(np.sqrt(phi @ phi)),
        table,
        _event_table(events, confidence),
        p,
        stat,
        test,
        total,
        float(np.sqrt(total_phi @ total_phi)),
        post_num,
        post_den,
        tuple(notes),
    )


class _Accumulator:
    """Σ_g π_g θ_g with π_g ∝ cohort size, and its influence function.

    The influence function includes the term for the estimated shares π_g
    (CS 2021, section 4.1): Σ_g θ_g (w·1{G = g} - π_g w·1{G ∈ cohorts}) / W.
    """

    def __init__(self, n_sites: int) -> None:
        self.weight = 0.0
        self.weighted_theta = 0.0
        self.weighted_phi = np.zeros(n_sites)
        self.theta_members = np.zeros(n_sites)
        self.members = np.zeros(n_sites)

    def add(self, theta: float, phi: np.ndarray, size: float, members: np.ndarray) -> None:
        self.weight += size
        self.weighted_theta += size * float(theta)
        self.weighted_phi += size * phi
        self.theta_members += float(theta) * members
        self.members += members

    def result(self) -> tuple[float, np.ndarray]:
        estimate = self.weighted_theta / self.weight
        phi = (self.weighted_phi + self.theta_members - estimate * self.members) / self.weight
        return estimate, phi


def _event_table(events: dict[int, _Accumulator], confidence: float) -> pd.DataFrame:
    rows = []
    for e in sorted(events):
        est, phi = events[e].result()
        se = float(np.sqrt(phi @ phi))
        low, high, _ = interval(est, se, None, confidence)
        rows.append((e, est, low, high, se))
    out = pd.DataFrame(
        rows, columns=["event_time", "value", "lower_ci", "upper_ci", "standard_error"]
    )
    out["confidence"] = confidence
    out["statistic"] = "effect by period relative to start"
    out["method"] = "Callaway & Sant'Anna (2021), influence-function SEs"
    return out


def _pre_trend(att: np.ndarray, phi: list[np.ndarray]) -> tuple[float | None, float | None, str]:
    """R ``did``'s Wald pre-test on the pre-period ATT(g, t) and their influence functions."""
    if not len(att):
        return None, None, "no pre-trend test: no period before the start has a comparison"
    influence = np.column_stack(phi)
    cov = influence.T @ influence
    q = len(att)
    name = (
        f"Wald pre-test of parallel trends as R did::att_gt reports it: the {q} pre-period "
        "group-time effects ATT(g, t) (varying base) are zero"
    )
    if np.linalg.cond(cov) < 1 / np.finfo(float).eps:
        statistic = float(att @ np.linalg.solve(cov, att))
        return float(stats.chi2.sf(statistic, q)), statistic, f"{name}, χ²({q})"
    rank = int(np.linalg.matrix_rank(cov))
    if rank == 0:
        return None, None, "no pre-trend test: the pre-period effects have no variance"
    statistic = float(att @ np.linalg.pinv(cov) @ att)
    return (
        float(stats.chi2.sf(statistic, rank)),
        statistic,
        f"{name}, χ²({rank}) with a generalised inverse (their covariance is singular, "
        "where did reports no test)",
    )


def _label(design: Design, position: int) -> str:
    """First day of the observed period at ``position``, as ``YYYY-MM-DD``."""
    return str(pd.Timestamp(design.period_starts[position]).date())


def _site_weight(design: Design, weights: Weights, measure: str) -> np.ndarray | None:
    """Per-site weights (the mean row weight), or ``None`` for equal weights."""
    w = row_weights(design, weights, measure)[0]
    if w is None:
        return None
    return np.bincount(design.site, w, design.n_sites) / np.bincount(
        design.site, minlength=design.n_sites
    )


@dataclass(frozen=True, eq=False)
class _PlaceboFits:
    """Per placebo set: the overall ATT, the post total, its observed events, the pre-trend χ²."""

    placebos: Placebos
    estimate: np.ndarray
    total: np.ndarray
    observed: np.ndarray
    statistic: np.ndarray


def _placebo_fits(
    design: Design,
    inference: Inference,
    site_weight: np.ndarray | None,
    control: Control,
    leads: int,
) -> _PlaceboFits | None:
    """The staggered estimator re-run with placebo sets of comparators as the cohorts.

    The comparator-only panel, with each placebo set's sites given the real
    cohorts' starts (:func:`analysis.did_inference.placebo_sets`, Conley &
    Taber 2011; MacKinnon & Webb 2020). ``None`` when clustered (influence
    function) inference is kept. Sets that leave no usable comparison are NaN.
    """
    placebos = placebo_sets(design, inference, draws=PLACEBO_DRAWS)
    if placebos is None:
        return None
    comparator = np.flatnonzero(~design.intervention)
    keep = ~design.intervention[design.site]
    position = np.full(design.n_sites, -1)
    position[comparator] = np.arange(len(comparator))
    base = replace(
        design,
        site=position[design.site[keep]],
        period=design.period[keep],
        y=design.y[keep],
        value=design.value[keep],
        numerator=design.numerator[keep],
        denominator=design.denominator[keep],
        treated=np.zeros(int(keep.sum()), dtype=bool),
        site_codes=design.site_codes[comparator],
    )
    weight = None if site_weight is None else site_weight[comparator]
    # The placebo grid's sites are the comparators with a usable row, in order.
    grid_sites = np.unique(base.site)
    out = np.full((4, placebos.n_draws), np.nan)
    for b, members in enumerate(placebos.members):
        cohort = np.full(len(comparator), np.inf)
        cohort[grid_sites[members]] = placebos.cohorts
        try:
            fit = fit_staggered(replace(base, cohort=cohort), weight, control=control, leads=leads)
        except PanelError:
            continue
        statistic = np.nan if fit.pre_trend_statistic is None else fit.pre_trend_statistic
        out[:, b] = (fit.estimate, fit.post_total, fit.post_numerator, statistic)
    return _PlaceboFits(placebos, *out)


def _log_ratio(observed: np.ndarray | float, total: np.ndarray | float) -> np.ndarray:
    """log(observed / counterfactual) with counterfactual = observed - total (NaN if ≤ 0)."""
    observed, counterfactual = np.asarray(observed, float), np.asarray(observed - total, float)
    ok = (observed > 0) & (counterfactual > 0)
    safe = np.where(ok, observed / np.where(ok, counterfactual, 1.0), 1.0)
    return np.where(ok, np.log(safe), np.nan)


def staggered_count_scale(
    design: Design,
    measure: str,
    control: Control,
    weights: Weights,
    confidence: float,
    inference: Inference = "cluster",
) -> CountScaleEffect:
    """Events avoided from the same ATT(g, t) comparisons, on the crude rate.

    ``design`` is prepared with ``outcome="counts"``. The group-time effects
    are estimated on the crude rate r = numerator / denominator, then

        events avoided = - Σ_g Σ_{t ≥ g} ATT_r(g, t) · D(g, t)

    with D(g, t) the cohort's denominator in period t (the usable post cells
    only), so the events come from the comparisons behind the headline
    effect. Its SE is the influence-function SE of that linear combination
    (CS 2021, section 4.1; D treated as known), normal interval. The rate
    ratio is observed / (observed + events avoided), its interval from the
    events'. With equal site weights the ATT is a mean over sites, so the
    events are exact when the sites' rates move alike and approximate
    otherwise; denominator weights make them a population total.

    With few intervention sites (``inference``, as
    :func:`analysis.did.did_twfe`) the influence-function SE rests on the
    treated sites' own variation (none with one site a cohort), so the
    interval is taken from placebo sets instead: the log rate ratio
    log(observed / counterfactual) of each placebo set gives the
    Conley–Taber interval of the real one, and the events' interval follows
    (observed / RR - observed).
    """
    crude = replace(design, y=design.numerator / design.denominator)
    site_weight = _site_weight(crude, weights, measure)
    fit = fit_staggered(crude, site_weight, control=control)
    observed = fit.post_numerator
    avoided = -fit.post_total
    low, high, _ = interval(avoided, fit.post_total_se, None, confidence)
    inference_label = "influence-function SE clustered by site"
    placebo = _placebo_fits(crude, inference, site_weight, control, 6)
    if placebo is not None:
        log_rr = _log_ratio(placebo.observed, placebo.total)
        if enough(log_rr, inference):
            beta = float(_log_ratio(observed, fit.post_total))
            lo, hi, level = ri_interval(beta, log_rr, confidence)
            low, high = observed / np.exp(hi) - observed, observed / np.exp(lo) - observed
            inference_label = placebo.placebos.label(usable(log_rr))
            if level < confidence:
                inference_label += f" (a {level:.0%} interval)"

    def ratio(events: float) -> float:
        return observed / (observed + events) if observed + events > 0 else float("inf")

    return CountScaleEffect(
        rate_ratio=ratio(avoided),
        rate_ratio_ci=(ratio(high), ratio(low)),
        observed_events=observed,
        expected_events=observed + avoided,
        events_avoided=avoided,
        events_avoided_ci=(float(low), float(high)),
        person_time=fit.post_denominator,
        model="Callaway & Sant'Anna (2021) ATT(g, t) on the crude rate × each start "
        f"cohort's denominators, {inference_label}",
    )


def staggered_effect(
    design: Design,
    measure: str,
    unit: str,
    control: Control,
    weights: Weights,
    leads: int,
    confidence: float,
    inference: Inference = "cluster",
) -> Effect:
    """:func:`analysis.did.did_staggered` on a prepared design, as an :class:`Effect`.

    With few intervention sites (``inference``, as :func:`analysis.did.did_twfe`)
    the interval, p-value and pre-trend p come from placebo sets of comparators
    re-estimated the same way (Conley & Taber 2011; MacKinnon & Webb 2020):
    ``[θ̂ - θ̃_(s), θ̂ - θ̃_(r)]``, p = rank of |θ̂|, and the pre-trend χ² ranked
    among the placebos' (:mod:`analysis.did_inference`).
    """
    _, label, weight_note = row_weights(design, weights, measure)
    site_weight = _site_weight(design, weights, measure)
    fit = fit_staggered(design, site_weight, control=control, leads=leads, confidence=confidence)
    low, high, p = interval(fit.estimate, fit.standard_error, None, confidence)
    pre_trend_p, se, level = fit.pre_trend_p, fit.standard_error, confidence
    method_label, inference_label = STAGGERED_LABEL, INFLUENCE_INFERENCE
    inference_notes = design.few_treated_note()
    placebo = _placebo_fits(design, inference, site_weight, control, leads)
    if placebo is not None and enough(placebo.estimate, inference):
        n = usable(placebo.estimate)
        low, high, level = ri_interval(fit.estimate, placebo.estimate, confidence)
        p = ri_p_value(fit.estimate, placebo.estimate)
        if fit.pre_trend_statistic is not None and enough(placebo.statistic, inference):
            pre_trend_p = rank_p_value(fit.pre_trend_statistic, placebo.statistic)
        inference_label = placebo.placebos.label(n)
        method_label = f"{STAGGERED_LABEL}, {inference_label}"
        se = float(np.nanstd(placebo.estimate, ddof=1))
        inference_notes = [placebo.placebos.note(design.n_intervention)]
        if level < confidence or level > confidence + 0.005:
            inference_notes.append(
                f"with {n} placebo sets the interval's level is {level:.0%}, not "
                f"{confidence:.0%}: the nearest the sets allow (Conley & Taber 2011)"
            )
    pre, post = design.periods_around_start()
    notes = [
        *design.notes,
        *([weight_note] if weight_note else []),
        *fit.notes,
        *inference_notes,
    ]
    return Effect(
        measure=measure,
        method="did_staggered",
        method_label=method_label,
        estimate=fit.estimate,
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
        diagnostics={
            "pre_trend_p": pre_trend_p,
            "pre_trend_test": fit.pre_trend_test
            + ("" if pre_trend_p == fit.pre_trend_p else ", p from its rank among the placebos"),
            "clusters": design.n_sites,
            "control": control,
            "weights": label,
            "cohorts": int(fit.group_time["cohort"].nunique()),
            "se_method": inference_label,
            "inference": inference_label,
            "influence_function_se": fit.standard_error,
        },
        extra={
            "group_time": fit.group_time.to_dict("records"),
            "event_time": fit.event_time.to_dict("records"),
        },
        notes=tuple(notes),
    )
