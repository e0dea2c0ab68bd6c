"""Event study: effects by period relative to each site's start, and a pre-trend test.

The two-way fixed-effects regression of the outcome on event-time indicators
(leads and lags relative to each intervention site's first post period), with
site and period fixed effects and standard errors clustered by site (Angrist &
Pischke 2009, section 5.2; Cameron & Miller 2015). The period before the start
(event time -1; the last observed one before the start when periods have gaps)
is the reference; event times are counted in calendar periods of the panel's
granularity, and only those observed get an indicator. The end points are
*binned*: every period ``leads`` or more before the start counts as
``-leads``, every period ``lags`` or more after it as ``lags``. Comparator
sites have every indicator zero.

Pre-trend test: the joint Wald test that every lead (event times from
``-leads`` to the one before the reference) is zero, as an **F test** with
``(q, G - 1)`` degrees of freedom from the cluster-robust covariance
(statsmodels ``f_test`` with ``use_t=True``). A small p-value says the groups
were already diverging before the start.

With few intervention sites (``inference="auto"``: at most 9, and at least
19 distinct placebo sets) the cluster-robust F test rejects far too often, so
its p-value and the event-time intervals come from **randomisation
inference** instead (:mod:`analysis.did_inference`; Conley & Taber 2011;
MacKinnon & Webb 2020): the same F statistic is computed with sets of
comparator sites in the intervention sites' place (on the comparator-only
panel), and p is the rank of the real statistic among theirs; each event
time's interval is its coefficient minus the placebo coefficients' quantiles,
and its ``standard_error`` their standard deviation.

With staggered starts and effects that change over time these coefficients
mix cohorts (Sun & Abraham 2021); :mod:`analysis.did_staggered` gives the
event-time effects of Callaway & Sant'Anna (2021) instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.did_fe import FixedEffects, interval, ols_fe
from analysis.did_inference import (
    CLUSTER_INFERENCE,
    Inference,
    enough,
    ols_placebos,
    placebo_sets,
    rank_p_value,
    ri_interval,
    usable,
)
from analysis.did_prep import Design, Weights, prepare, row_weights

DEFAULT_LEADS = 6
DEFAULT_LAGS = 12
TABLE_COLUMNS = (
    "event_time",
    "value",
    "lower_ci",
    "upper_ci",
    "standard_error",
    "binned",
    "confidence",
    "statistic",
    "method",
)


@dataclass(frozen=True, eq=False)
class EventStudy:
    """Event-time effects (``table``, one row per event time; -1 = reference) and pre-trend test.

    ``pre_trend_p`` is ``None`` when there is only one period before the start
    (nothing to test). ``pre_trend_test`` names the test and how its p-value
    was found; ``inference`` says where the intervals and p-value come from.
    """

    table: pd.DataFrame
    pre_trend_p: float | None
    pre_trend_statistic: float | None
    pre_trend_test: str
    n_clusters: int
    weights: str
    inference: str = CLUSTER_INFERENCE


def event_study(
    panel: pd.DataFrame,
    measure: str,
    *,
    leads: int | None = None,
    lags: int | None = None,
    weights: Weights = "auto",
    confidence: float = 0.95,
    inference: Inference = "auto",
) -> EventStudy:
    """Event-study regression with binned end points and the F pre-trend test (module docstring).

    Parameters
    ----------
    panel:
        The tidy panel (:mod:`analysis.panel`); never modified.
    measure:
        The measure id (for messages).
    leads:
        Periods before the start shown separately (default: those observed,
        at most 6); earlier periods are binned into ``-leads``.
    lags:
        Periods after the start shown separately (default: those observed,
        at most 12); later periods are binned into ``lags``.
    weights:
        ``"denominator"`` weights rows by their denominator, ``"none"`` not at
        all, ``"auto"`` by denominator when every row has one.
    confidence:
        Level of the intervals (0.95 = 95%).
    inference:
        ``"cluster"`` (CR1 clustered by site), ``"randomisation"`` (placebo
        intervention sets, :mod:`analysis.did_inference`) or ``"auto"``
        (randomisation with at most 9 intervention sites and at least 19
        possible placebo sets).

    Returns
    -------
    EventStudy
        effects in the measure's unit by event time (in periods of the
        panel's granularity) and the pre-trend test.
    """
    design = prepare(panel, measure)
    w, label, _ = row_weights(design, weights, measure)
    return fit_event_study(
        design, w, label, leads=leads, lags=lags, confidence=confidence, inference=inference
    )


def fit_event_study(
    design: Design,
    w: np.ndarray | None,
    weights_label: str,
    *,
    leads: int | None = None,
    lags: int | None = None,
    confidence: float = 0.95,
    inference: Inference = "auto",
) -> EventStudy:
    """:func:`event_study` on a prepared design (used by :mod:`analysis.did`)."""
    event = design.period_number[design.period] - design.cohort[design.site]
    treated_site = np.isfinite(event)
    seen = event[treated_site].astype(int)
    lead = max(min(int(-seen.min()), DEFAULT_LEADS if leads is None else leads), 1)
    lag = max(min(int(seen.max()), DEFAULT_LAGS if lags is None else lags), 0)
    binned = np.clip(np.where(treated_site, event, -1), -lead, lag).astype(int)
    present = np.unique(binned[treated_site])
    reference = int(present[present < 0].max())
    times = [int(e) for e in present if e != reference]
    x = np.column_stack([(binned == e) & treated_site for e in times]).astype(float)
    fe = FixedEffects(design.site, design.period, design.n_sites, design.n_periods)
    fit = ols_fe(design.y, x, fe, design.site, w)
    pre = [j for j, e in enumerate(times) if e < reference]

    def columns(placebo_event: np.ndarray) -> np.ndarray:
        placebo_binned = np.clip(placebo_event, -lead, lag)
        return np.column_stack([placebo_binned == e for e in times]).astype(float)

    placebos = placebo_sets(design, inference)
    fits = None if placebos is None else ols_placebos(placebos, design.y, w, columns, pre or None)
    how = CLUSTER_INFERENCE
    if placebos is not None and fits is not None:
        if enough(fits.params[:, 0], inference):
            how = placebos.label(usable(fits.params[:, 0]))
        else:
            placebos, fits = None, None
    rows = []
    level = confidence
    for j, e in enumerate(times):
        if fits is None:
            low, high, _ = interval(fit.params[j], fit.se[j], fit.df_inference, confidence)
            se = fit.se[j]
        else:
            low, high, level = ri_interval(fit.params[j], fits.params[:, j], confidence)
            se = float(np.nanstd(fits.params[:, j], ddof=1))
        rows.append((e, fit.params[j], low, high, se))
    rows.append((reference, 0.0, np.nan, np.nan, np.nan))
    table = pd.DataFrame(rows, columns=list(TABLE_COLUMNS[:5])).sort_values("event_time")
    first_binned = (table["event_time"] == -lead) & (seen.min() < -lead)
    last_binned = (table["event_time"] == lag) & (seen.max() > lag)
    table["binned"] = first_binned | last_binned
    table["confidence"] = level
    table["statistic"] = "effect by period relative to start"
    table["method"] = f"event study (two-way fixed effects), {how}"
    table = table.reset_index(drop=True)
    if not pre:
        test = "no pre-trend test: only one period before the start"
        return EventStudy(table, None, None, test, fit.n_clusters, weights_label, how)
    b, v = fit.params[pre], fit.cov[np.ix_(pre, pre)]
    q = len(pre)
    statistic = float(b @ np.linalg.solve(v, b) / q)
    if (
        placebos is None
        or fits is None
        or fits.statistic is None
        or not enough(fits.statistic, inference)
    ):
        p = float(stats.f.sf(statistic, q, fit.df_inference))
        test = (
            f"joint F test that all {q} leads are zero, F({q}, {fit.df_inference}), cluster-robust"
        )
    else:
        p = rank_p_value(statistic, fits.statistic)
        test = (
            f"joint F test that all {q} leads are zero (cluster-robust Wald statistic), "
            f"p-value from {placebos.label(usable(fits.statistic))}: the rank of the "
            "statistic among the placebo sets' statistics"
        )
    return EventStudy(table, p, statistic, test, fit.n_clusters, weights_label, how)
