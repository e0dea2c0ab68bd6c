"""Interrupted time series: segmented regression of the intervention series.

The intervention sites are pooled into one series per period (the mean of the
sites' values, weighted by denominator when every row has one; summed counts
and denominators for the count model) and modelled as (Wagner, Soumerai,
Zhang & Ross-Degnan 2002)::

    Y_t = β0 + β1·time + β2·post_t + β3·time_since_start_t + Fourier(season) + e_t

``post`` is 1 from the first post period (the earliest start when sites differ);
``time_since_start`` is 0 in that period, so **β2 is the level change at the
first post period** (the ``estimate``) and β3 the change in slope per period.
Seasonality: ``harmonics`` pairs of sine/cosine terms of the month (period 12)
or quarter (period 4): default 2 for monthly, 1 for quarterly, none otherwise
(Bhaskaran et al. 2013).

**Controlled ITS**: when comparator sites exist, they are used as a control,
in one of two designs (the convention is named in ``method_label`` and in the
``design`` and ``standard_errors`` diagnostics, next to the p-value):

* *pooled* (the default from 5 comparators): every site's series in one
  regression with an intervention indicator Z and its interactions, Linden's
  (2015) multiple-group model (Stata ``itsa``; *Stata Journal* 15:480–500)::

      Y_it = β0 + β1·t + β2·post + β3·time_since + β4·Z_i + β5·Z_i·t
             + β6·Z_i·post + β7·Z_i·time_since + Fourier(season) + e_it

  β6 is the level change relative to the comparators, β7 the slope change;
  the comparators' spread between sites is part of the standard errors;
* *difference series* (the default below 5 comparators): the segmented
  regression fitted to intervention minus comparator mean, per period. The
  same level and slope changes as the pooled model in a balanced panel with
  no seasonality, but the comparator mean is treated as known, so with many
  comparators the interval is too narrow: in Linden's California example
  (Proposition 99, 38 states as comparators, lag 1) the slope change has
  p = 0.003 from the difference series and 0.137 from the pooled model.

The count model uses the *interaction model*: both pooled series stacked,
with group-specific intercept, trend, level and slope terms and shared
seasonality; the effect is the group × post term.

Linear model: ordinary least squares with Newey–West (HAC) standard errors
(Newey & West 1987; Bartlett kernel, lags ``floor(4 (n/100)^(2/9))`` unless
given), with the small-sample factor ``n/(n - k)`` and Student's t on
``n - k`` degrees of freedom. Newey–West intervals are known to be somewhat too
narrow in short series with autocorrelated errors (Turner et al. 2021, a
simulation study in *BMC Med Res Methodol*): in our simulations about 93%
coverage for a nominal 95% with 120 monthly points and independent errors,
about 90% with AR(1) errors of 0.3; the autocorrelation checks below say when
to worry.

Count model (:func:`its_counts`): Poisson regression of counts with offset
log(denominator), quasi-Poisson standard errors (Pearson χ² scale) or HAC, as
Lopez Bernal, Cummins & Gasparrini (2017), *Int J Epidemiol* 46:348–355, whose
Sicily example it reproduces (step rate ratio 0.885, 0.839–0.933, with
``slope_change=False``). Residual autocorrelation is reported (Durbin–Watson,
lag-1 autocorrelation, Ljung–Box).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

from analysis.did_fe import interval
from analysis.did_prep import Design, prepare
from analysis.effect import Effect
from analysis.its_series import (
    ComparatorUse,
    ControlDesign,
    CountSE,
    autocorrelation,
    control_design,
    control_series,
    count_scale_effect,
    default_lags,
    design_matrix,
    group_interaction,
    has_counts,
    pooled,
    start_notes,
    unit_frame,
)
from analysis.panel import PanelError


@dataclass(frozen=True, eq=False)
class _LinearFit:
    """One linear ITS fit: coefficients, their covariance and the intervention series."""

    params: np.ndarray
    cov: np.ndarray
    names: list[str]
    prefix: str  # "" (single or difference series) or "z_" (pooled: the group terms)
    df: int
    lags: int
    n_obs: int
    n_comparator: int
    t0: float
    series: pd.DataFrame  # number, period_start, observed, fitted, counterfactual, resid


def its(
    panel: pd.DataFrame,
    measure: str,
    unit: str,
    *,
    harmonics: int | None = None,
    slope_change: bool = True,
    comparator: ComparatorUse = "auto",
    control: ControlDesign = "auto",
    maxlags: int | None = None,
    confidence: float = 0.95,
) -> Effect:
    """Segmented regression (ITS) of the intervention series with HAC SEs.

    Parameters
    ----------
    panel:
        Tidy panel of one measure (:mod:`analysis.panel`); never modified.
    measure:
        The measure id.
    unit:
        The measure's display unit.
    harmonics:
        Fourier pairs for seasonality (default 2 monthly, 1 quarterly, 0
        otherwise).
    slope_change:
        Include the change in slope (β3); without it, a step change only.
    comparator:
        ``"auto"`` uses the comparators when there are any; ``"none"`` ignores
        them (single series).
    control:
        The controlled design: ``"pooled"`` (every site in one regression),
        ``"difference"`` (the difference series) or ``"auto"`` (pooled from
        :data:`~analysis.its_series.MIN_POOLED_COMPARATORS` comparators).
    maxlags:
        Newey–West lags (default ``floor(4 (T/100)^(2/9))``, T periods).
    confidence:
        Interval level, 0.95 = 95%.

    Returns
    -------
    Effect
        ``estimate`` = level change at the first post period, in ``unit``
        (relative to the comparators in a controlled design); diagnostics:
        ``design`` and ``standard_errors`` (the convention behind the p-value,
        also in ``method_label``), slope change (per period) with interval and
        p-value, the average post-period effect, residual autocorrelation
        checks, and, where counts exist, the rate ratio from
        :func:`its_counts`' model (its ``count_scale`` is attached too).
        ``extra["series"]``: observed (the difference series in that design,
        else the intervention sites' mean), fitted and counterfactual values
        per period.
    """
    design = prepare(panel, measure, require_comparators=False)
    kind = control_design(design, comparator, control)
    treated = pooled(design, "value")
    if kind == "pooled":
        fit = _fit_pooled(design, treated.frame, harmonics, slope_change, measure, maxlags)
    else:
        fit = _fit_series(design, treated.frame, kind, harmonics, slope_change, measure, maxlags)
    params, cov, names = fit.params, fit.cov, fit.names
    step = names.index(f"{fit.prefix}post")
    low, high, p = interval(params[step], np.sqrt(cov[step, step]), fit.df, confidence)
    number = fit.series["number"].to_numpy()
    diagnostics = _slope_and_average(fit, confidence)
    diagnostics.update(autocorrelation(fit.series["resid"].to_numpy(), design.granularity))
    diagnostics.update(
        hac_lags=fit.lags,
        harmonics=sum(n.startswith("sin") or n.startswith("cos") for n in names) // 2,
        design=DESIGN_TEXT[kind],
        standard_errors=SE_TEXT[kind].format(lags=fit.lags, df=fit.df),
        n_obs=fit.n_obs,
    )
    series = fit.series[["period_start", "observed", "fitted", "counterfactual"]]
    series = series.assign(period_start=series["period_start"].dt.strftime("%Y-%m-%d"))
    notes = list(design.notes) + start_notes(design)
    count_scale = None
    if has_counts(design):
        try:
            counts = its_counts(
                panel,
                measure,
                unit,
                harmonics=harmonics,
                slope_change=slope_change,
                comparator=comparator,
                confidence=confidence,
            )
        except PanelError as error:
            notes.append(f"no count scale: {error}")
        else:
            count_scale = counts.count_scale
            diagnostics.update(
                rate_ratio=counts.diagnostics["rate_ratio"],
                rate_ratio_ci=counts.diagnostics["rate_ratio_ci"],
            )
    return Effect(
        measure=measure,
        method="its",
        method_label=LABEL[kind],
        estimate=float(params[step]),
        ci_low=low,
        ci_high=high,
        p_value=p,
        unit=unit,
        n_intervention=treated.n_sites,
        n_comparator=fit.n_comparator,
        n_periods_pre=int((number < fit.t0).sum()),
        n_periods_post=int((number >= fit.t0).sum()),
        confidence=confidence,
        standard_error=float(np.sqrt(cov[step, step])),
        diagnostics=diagnostics,
        extra={"series": series.to_dict("records")},
        count_scale=count_scale,
        notes=tuple(notes),
    )


LABEL = {
    "single": "Interrupted time series (segmented regression, Newey–West SEs)",
    "difference": "Controlled interrupted time series (difference series: the comparator "
    "mean is treated as known; Newey–West SEs)",
    "pooled": "Controlled interrupted time series (pooled model of every site, Linden 2015; "
    "Newey–West SEs within sites)",
}
DESIGN_TEXT = {
    "single": "single series",
    "difference": "difference series (intervention - comparator)",
    "pooled": "pooled units (intervention and each comparator site in one regression, "
    "with group interactions: Linden 2015)",
}
SE_TEXT = {
    "single": "Newey–West, {lags} lag(s), n/(n - k), t on {df} df",
    "difference": "Newey–West on the difference series, {lags} lag(s), n/(n - k), t on {df} "
    "df; the comparator mean is treated as known, so its spread between sites is not in the "
    "interval",
    "pooled": "Newey–West within each site's series, {lags} lag(s), n/(n - k), t on {df} df; "
    "the comparators' spread between sites is in the interval",
}


def _fit_series(
    design: Design,
    frame: pd.DataFrame,
    kind: str,
    harmonics: int | None,
    slope_change: bool,
    measure: str,
    maxlags: int | None,
) -> _LinearFit:
    """OLS of one series (the intervention series, or its difference from the comparators')."""
    n_comparator = 0
    if kind == "difference":
        control = pooled(design, "value", comparator=True)
        frame = frame.merge(control.frame, on=["number", "period_start"], suffixes=("", "_c"))
        frame = frame.assign(outcome=frame["value"] - frame["value_c"])
        n_comparator = control.n_sites
    else:
        frame = frame.assign(outcome=frame["value"])
    x, names, t0 = design_matrix(frame, design, harmonics, slope_change, measure)
    lags = default_lags(len(frame)) if maxlags is None else maxlags
    res = sm.OLS(frame["outcome"].to_numpy(), x).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}
    )
    params = np.asarray(res.params)
    counterfactual = x.copy()
    counterfactual[:, [names.index(n) for n in names if n in ("post", "time_since")]] = 0
    series = pd.DataFrame(
        {
            "number": frame["number"],
            "period_start": frame["period_start"],
            "observed": frame["outcome"],
            "fitted": x @ params,
            "counterfactual": counterfactual @ params,
            "resid": np.asarray(res.resid),
        }
    )
    return _LinearFit(
        params=params,
        cov=np.asarray(res.cov_params()),
        names=names,
        prefix="",
        df=len(frame) - len(names),
        lags=lags,
        n_obs=len(frame),
        n_comparator=n_comparator,
        t0=t0,
        series=series,
    )


def _fit_pooled(
    design: Design,
    treated: pd.DataFrame,
    harmonics: int | None,
    slope_change: bool,
    measure: str,
    maxlags: int | None,
) -> _LinearFit:
    """Linden's (2015) multiple-group model: every site's series in one OLS, Z = intervention.

    ``Y_it = β0 + β1·t + β2·post + β3·time_since + β4·Z_i + β5·Z_i·t +
    β6·Z_i·post + β7·Z_i·time_since (+ season)``: β6 (``z_post``) is the level
    change relative to the comparators' and β7 (``z_time_since``) the slope
    change. Each site counts once per period (as ``itsa`` without weights).
    Standard errors: Newey–West within each site's series (Bartlett kernel,
    lag products never cross from one site to the next; statsmodels
    ``hac-panel``), scaled by n/(n - k) with Student's t on n - k, as Stata's
    ``newey`` on a panel. Not cluster-robust by site: with one or a few
    intervention sites the group terms fit that site's own series, its
    residuals carry almost none of their variance, and clustered SEs are far
    too small (MacKinnon & Webb 2017). The counterfactual is the intervention
    sites' line with β6 and β7 set to 0: their own pre-period trend plus the
    comparators' change at the start. Gaps in a site's series are treated as
    adjacent periods by the lag products (``itsa`` refuses unbalanced panels).
    """
    t0 = design_matrix(treated, design, harmonics, slope_change, measure)[2]
    units = unit_frame(design)
    base, base_names, _ = design_matrix(units, design, harmonics, slope_change, measure, t0)
    z = units["z"].to_numpy()
    x, names = group_interaction(base, base_names, z)
    lags = default_lags(len(treated)) if maxlags is None else maxlags
    res = sm.OLS(units["value"].to_numpy(), x).fit(
        cov_type="hac-panel",
        cov_kwds={"groups": units["site"].to_numpy(), "maxlags": lags, "use_correction": "hac"},
    )
    params = np.asarray(res.params)
    counterfactual = x.copy()
    counterfactual[:, [names.index(n) for n in names if n in ("z_post", "z_time_since")]] = 0
    mine = z == 1
    series = (
        pd.DataFrame(
            {
                "number": units["number"][mine],
                "period_start": units["period_start"][mine],
                "observed": units["value"][mine],
                "fitted": (x @ params)[mine],
                "counterfactual": (counterfactual @ params)[mine],
                "resid": np.asarray(res.resid)[mine],
            }
        )
        .groupby(["number", "period_start"], as_index=False)
        .mean()
    )
    return _LinearFit(
        params=params,
        cov=np.asarray(res.cov_params()),
        names=names,
        prefix="z_",
        df=len(units) - len(names),
        lags=lags,
        n_obs=len(units),
        n_comparator=design.n_comparator,
        t0=t0,
        series=series,
    )


def its_counts(
    panel: pd.DataFrame,
    measure: str,
    unit: str,
    *,
    harmonics: int | None = None,
    slope_change: bool = True,
    comparator: ComparatorUse = "auto",
    se: CountSE = "quasipoisson",
    maxlags: int | None = None,
    confidence: float = 0.95,
) -> Effect:
    """Segmented Poisson regression of the pooled counts, offset log(denominator).

    Lopez Bernal, Cummins & Gasparrini (2017): ``log E[count_t] =
    log(denominator_t) + β0 + β1·time + β2·post + β3·time_since + Fourier``;
    with comparators, the interaction model (module docstring). Standard
    errors: quasi-Poisson (``se="quasipoisson"``, Pearson χ²/(n - k)) or
    Newey–West (``"hac"``); normal intervals (as the paper's ``ci.lin``).

    Parameters
    ----------
    panel:
        Tidy panel of one measure with numerator and denominator; never modified.
    measure:
        The measure id.
    unit:
        The measure's display unit (for ``estimate``).
    harmonics:
        Fourier pairs for seasonality (default 2 monthly, 1 quarterly, 0 otherwise).
    slope_change:
        Include the change in slope; ``False`` fits a step only (as the paper's
        Sicily model).
    comparator:
        ``"auto"`` adds the comparator series (interaction model); ``"none"``.
    se:
        ``"quasipoisson"`` or ``"hac"`` (Newey–West on the Poisson scores; with a
        comparator, on the scores summed per period: Driscoll & Kraay 1998).
    maxlags:
        Newey–West lags when ``se="hac"``.
    confidence:
        Interval level, 0.95 = 95%.

    Returns
    -------
    Effect
        ``estimate``: the level change at the first post period in ``unit``
        (counterfactual value there × (RR - 1), the counterfactual converted
        from the count rate to the measure's unit by the series' own ratio of
        value to rate); diagnostics ``rate_ratio`` (the step, exp β2) with
        interval, ``slope_rate_ratio`` (per period); ``count_scale``: the
        average post-period rate ratio (equal to the step when
        ``slope_change=False``) and events avoided over the post period.
    """
    design = prepare(panel, measure, outcome="counts", require_comparators=False)
    treated, control = pooled(design, "counts"), control_series(design, comparator, "counts")
    frame = treated.frame
    x, names, t0 = design_matrix(frame, design, harmonics, slope_change, measure)
    y, den = frame["numerator"].to_numpy(), frame["denominator"].to_numpy()
    effect_cols = [names.index(n) for n in names if n in ("post", "time_since")]
    if control is not None:
        xc = design_matrix(control.frame, design, harmonics, slope_change, measure, t0)[0]
        group = np.r_[np.ones(len(x)), np.zeros(len(xc))]
        x_fit, fit_names = group_interaction(np.vstack([x, xc]), names, group)
        effect_cols = [fit_names.index(f"z_{names[j]}") for j in effect_cols]
        y_fit = np.r_[y, control.frame["numerator"].to_numpy()]
        den_fit = np.r_[den, control.frame["denominator"].to_numpy()]
    else:
        x_fit, y_fit, den_fit = x, y, den
    model = sm.GLM(y_fit, x_fit, family=sm.families.Poisson(), offset=np.log(den_fit))
    if se == "hac" and control is not None:
        lags = default_lags(len(frame)) if maxlags is None else maxlags
        time = np.r_[frame["number"], control.frame["number"]].astype(int)
        res = model.fit(cov_type="hac-groupsum", cov_kwds={"time": time, "maxlags": lags})
    elif se == "hac":
        lags = default_lags(len(frame)) if maxlags is None else maxlags
        res = model.fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    else:
        res = model.fit(scale="X2")
    params, cov = np.asarray(res.params), np.asarray(res.cov_params())
    step = effect_cols[0]
    b, b_se = float(params[step]), float(np.sqrt(cov[step, step]))
    low, high, p = interval(b, b_se, None, confidence)
    mu = np.asarray(res.fittedvalues)[: len(frame)]
    post = (frame["number"] >= t0).to_numpy()
    since = np.where(post, frame["number"] - t0, 0)
    ratio_to_value = float((frame["value"] * den).sum() / max(y.sum(), 1e-300))
    first = int(np.argmax(post))
    cf_value = mu[first] / den[first] * ratio_to_value / np.exp(b)
    diagnostics = {
        "rate_ratio": float(np.exp(b)),
        "rate_ratio_ci": (float(np.exp(low)), float(np.exp(high))),
        "count_model": f"Poisson, offset log(denominator), {se} SEs",
        "scale": float(res.scale),
        "design": "interaction model (stacked series)" if control is not None else "single series",
    }
    if slope_change:
        j = effect_cols[1]
        s_low, s_high, s_p = interval(params[j], np.sqrt(cov[j, j]), None, confidence)
        diagnostics.update(
            slope_rate_ratio=float(np.exp(params[j])),
            slope_rate_ratio_ci=(float(np.exp(s_low)), float(np.exp(s_high))),
            slope_change_p=s_p,
        )
    diagnostics.update(
        autocorrelation(np.asarray(res.resid_pearson)[: len(frame)], design.granularity)
    )
    count_scale = count_scale_effect(
        mu[post], since[post], den[post], y[post], params, cov, effect_cols, confidence, se
    )
    return Effect(
        measure=measure,
        method="its",
        method_label="Interrupted time series (segmented Poisson regression)",
        estimate=float(cf_value * (np.exp(b) - 1)),
        ci_low=float(cf_value * (np.exp(low) - 1)) if p is not None else float("nan"),
        ci_high=float(cf_value * (np.exp(high) - 1)) if p is not None else float("nan"),
        p_value=p,
        unit=unit,
        n_intervention=treated.n_sites,
        n_comparator=control.n_sites if control is not None else 0,
        n_periods_pre=int((~post).sum()),
        n_periods_post=int(post.sum()),
        confidence=confidence,
        diagnostics=diagnostics,
        count_scale=count_scale,
        notes=tuple(list(design.notes) + start_notes(design)),
    )


def _slope_and_average(fit: _LinearFit, confidence: float) -> dict:
    """Slope change (β3, or β7 pooled) and the average post-period effect β2 + β3·mean(since)."""
    params, cov, names = fit.params, fit.cov, fit.names
    out: dict = {}
    weights = np.zeros(len(names))
    weights[names.index(f"{fit.prefix}post")] = 1.0
    if f"{fit.prefix}time_since" in names:
        j = names.index(f"{fit.prefix}time_since")
        low, high, p = interval(params[j], np.sqrt(cov[j, j]), fit.df, confidence)
        out.update(slope_change=float(params[j]), slope_change_ci=(low, high), slope_change_p=p)
        since = fit.series["number"].to_numpy() - fit.t0
        weights[j] = float(since[since >= 0].mean())
    average = float(weights @ params)
    se = float(np.sqrt(weights @ cov @ weights))
    low, high, _ = interval(average, se, fit.df, confidence)
    out.update(average_post_effect=average, average_post_effect_ci=(low, high))
    return out
