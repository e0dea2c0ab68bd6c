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
distribution, as the paper does. Pre-trend test: the Wald χ² test that the
event-time effects ``-leads … -1`` are all zero, with the influence-function
covariance. Sites may be weighted (population-weighted means and cohort
sizes); unweighted by default in the paper.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analysis.did_fe import interval
from analysis.did_prep import Design, Weights, row_weights
from analysis.effect import Effect
from analysis.panel import PanelError

Control = Literal["never_treated", "not_yet_treated"]

STAGGERED_LABEL = "Difference-in-differences, staggered starts (Callaway & Sant'Anna 2021)"


@dataclass(frozen=True, eq=False)
class StaggeredFit:
    """Overall ATT with its influence-function SE, the ATT(g, t) and event-time tables."""

    estimate: float
    standard_error: float
    group_time: pd.DataFrame
    event_time: pd.DataFrame
    pre_trend_p: float | None
    pre_trend_statistic: float | None
    pre_trend_test: str
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
    cohort = design.cohort
    w = np.ones(design.n_sites) if site_weight is None else site_weight
    never = ~np.isfinite(cohort)
    cells: list[tuple] = []
    events: dict[int, _Accumulator] = {}
    overall = _Accumulator(design.n_sites)
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
        post = usable & (times >= first)
        if post.any():
            overall.add(att[post].mean(), phi[:, post].mean(axis=1), size, w * member)
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
    p, stat, test = _pre_trend(events, leads)
    return StaggeredFit(
        estimate,
        float(np.sqrt(phi @ phi)),
        table,
        _event_table(events, confidence),
        p,
        stat,
        test,
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


def _pre_trend(
    events: dict[int, _Accumulator], leads: int
) -> tuple[float | None, float | None, str]:
    pre = [e for e in sorted(events) if -leads <= e < 0]
    if not pre:
        return None, None, "no pre-trend test: no period before the start has a comparison"
    results = [events[e].result() for e in pre]
    b = np.array([r[0] for r in results])
    phi = np.column_stack([r[1] for r in results])
    cov = phi.T @ phi
    q = int(np.linalg.matrix_rank(cov))
    if q == 0:
        return None, None, "no pre-trend test: the pre-period effects have no variance"
    statistic = float(b @ np.linalg.pinv(cov) @ b)
    return (
        float(stats.chi2.sf(statistic, q)),
        statistic,
        f"Wald χ² test that the {len(b)} pre-period event-time effects are zero, "
        f"χ²({q}), influence-function covariance",
    )


def _label(design: Design, position: int) -> str:
    """First day of the observed period at ``position``, as ``YYYY-MM-DD``."""
    return str(pd.Timestamp(design.period_starts[position]).date())


def staggered_effect(
    design: Design,
    measure: str,
    unit: str,
    control: Control,
    weights: Weights,
    leads: int,
    confidence: float,
) -> Effect:
    """:func:`analysis.did.did_staggered` on a prepared design, as an :class:`Effect`."""
    w, label, weight_note = row_weights(design, weights, measure)
    site_weight = None
    if w is not None:
        site_weight = np.bincount(design.site, w, design.n_sites) / np.bincount(
            design.site, minlength=design.n_sites
        )
    fit = fit_staggered(design, site_weight, control=control, leads=leads, confidence=confidence)
    low, high, p = interval(fit.estimate, fit.standard_error, None, confidence)
    pre, post = design.periods_around_start()
    notes = [
        *design.notes,
        *([weight_note] if weight_note else []),
        *fit.notes,
        *design.few_treated_note(),
    ]
    return Effect(
        measure=measure,
        method="did_staggered",
        method_label=STAGGERED_LABEL,
        estimate=fit.estimate,
        ci_low=low,
        ci_high=high,
        p_value=p,
        unit=unit,
        n_intervention=design.n_intervention,
        n_comparator=design.n_comparator,
        n_periods_pre=pre,
        n_periods_post=post,
        confidence=confidence,
        standard_error=fit.standard_error,
        diagnostics={
            "pre_trend_p": fit.pre_trend_p,
            "pre_trend_test": fit.pre_trend_test,
            "clusters": design.n_sites,
            "control": control,
            "weights": label,
            "cohorts": int(fit.group_time["cohort"].nunique()),
            "se_method": "analytic influence function (clustered by site), normal interval",
        },
        extra={
            "group_time": fit.group_time.to_dict("records"),
            "event_time": fit.event_time.to_dict("records"),
        },
        notes=tuple(notes),
    )
