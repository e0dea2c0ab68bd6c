"""Synthetic control inference: in-space placebo test, placebo intervals, count scale.

Inference: classic synthetic control has no sampling distribution, hence no
sampling-based confidence interval; the primary inference is the in-space
placebo test (Abadie, Diamond & Hainmueller 2010, section 4): units that did
not have the programme are in turn treated as if they had, the other donors
their pool, and p = rank of the treated unit's post/pre RMSPE ratio among the
n + 1 ratios (1 = largest) / (n + 1), n the number of placebos.

Placebos the same size as the treated unit: with one intervention site each
placebo is one donor (n = J donors). When the treated unit pools k > 1 sites
(:func:`analysis.synth_prep.panel_dataprep`), a single donor is noisier than a
mean of k sites, so each placebo pools k donors instead, weighted in each
period as the treated sites are (e.g. by denominator), with the donors outside
the set as its pool: every one of the C(J, k) sets when there are at most
``max_sets`` (200), else ``max_sets`` distinct sets drawn at random without
replacement (seeded, so deterministic).

Intervals (:func:`estimate_synth`) are conformal-style in the sense of split
conformal prediction with the placebos as the calibration set: for the mean
post-period gap, {α : |gap − α| ≤ q} with q the ⌈c(n + 1)⌉-th smallest
absolute placebo mean post-period gap, valid if the treated unit's no-effect
gap is exchangeable with the placebos'; with n < c(n + 1) − 1 placebos it uses
the largest and ``confidence`` states the level attained, n / (n + 1). This is
the inversion of a placebo test for a constant effect (Firpo & Possebom 2018,
J Causal Inference 6:20160026) with |mean post gap| as the statistic; unlike
Chernozhukov, Wüthrich & Zhu (2021, JASA 116:1849-64) it permutes units, not
periods. The count scale (:func:`synth_count_scale`, :mod:`analysis.synth_counts`)
turns the gaps into events with the intervention denominators and forms the
same interval from the placebos' events.

Method: Abadie, Diamond & Hainmueller (2010, JASA 105:493-505), section 4.
Inference is kept apart from data preparation (:mod:`analysis.synth_prep`) and
estimation (:mod:`analysis.synth`), as in pysyncon's ``inference`` module.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.effect import CountScaleEffect, Effect
from analysis.panel import INTERVENTION, PanelError
from analysis.synth import SynthFit, VChoice, fit_arrays, fit_synth, rmspe
from analysis.synth_counts import SynthEvents, has_counts, pooled_counts, synth_events
from analysis.synth_prep import PredictorChoice, SynthData, panel_dataprep

MAX_PLACEBO_SETS = 200
"""Most placebo sets of k > 1 donors (all of them when there are no more)."""


@dataclass(frozen=True)
class PlaceboTest:
    """In-space placebo test (Abadie, Diamond & Hainmueller 2010).

    ``gaps`` has one column per unit, the treated unit first, then each
    placebo (a donor, or ``set_size`` donors joined by " + "); ``ratio`` is
    each unit's post/pre RMSPE ratio; ``rank`` is the treated unit's rank (1 =
    largest ratio) and ``p_value`` = rank / (n + 1). ``possible_sets`` is
    C(J, set_size), of which ``len(gaps.columns) - 1`` were used (drawn with
    ``seed`` when not all).
    """

    gaps: pd.DataFrame
    pre_rmspe: pd.Series
    ratio: pd.Series
    mean_post_gap: pd.Series
    rank: int
    p_value: float
    set_size: int = 1
    possible_sets: int = 0
    seed: int = 0

    @property
    def n_placebos(self) -> int:
        """Number of placebos n (the treated unit not counted)."""
        return len(self.gaps.columns) - 1


def placebo_sets(
    n_donors: int, size: int, max_sets: int = MAX_PLACEBO_SETS, seed: int = 0
) -> list[tuple[int, ...]]:
    """Donor index sets for the placebos: all C(J, size) if at most ``max_sets`` (or size 1).

    Otherwise ``max_sets`` distinct sets, each drawn at random without
    replacement (``numpy.random.default_rng(seed)``), in the order drawn.
    """
    if size == 1 or math.comb(n_donors, size) <= max_sets:
        return list(itertools.combinations(range(n_donors), size))
    rng = np.random.default_rng(seed)
    drawn: dict[tuple[int, ...], None] = {}
    while len(drawn) < max_sets:
        drawn[tuple(int(j) for j in np.sort(rng.choice(n_donors, size, replace=False)))] = None
    return list(drawn)


def placebo_test(
    data: SynthData,
    v: VChoice | Sequence[float] = "optimise",
    *,
    max_sets: int = MAX_PLACEBO_SETS,
    seed: int = 0,
) -> PlaceboTest:
    """In-space placebos: refit with each placebo as treated, the donors outside it the pool.

    One placebo per donor when the treated unit is one site (``data.n_treated
    == 1``, or fewer than k + 1 donors). With k = ``data.n_treated`` > 1 each
    placebo is a set S of k donors (:func:`placebo_sets`) pooled with the
    shares s_tj = a_tj / Σ_{j∈S} a_tj of ``data.donor_weights`` a (equal if
    ``None``): outcome y_St = Σ_{j∈S} s_tj y_tj, predictors Σ_{j∈S} s̄_j x_j
    with s̄ the mean pre-period share (exact when the weights are constant in
    time). The treated unit never enters a placebo's pool (Abadie et al. 2010,
    section 4). p-value = rank of the treated unit's post/pre RMSPE ratio
    among the n + 1 ratios (1 = largest; ties count against the treated
    unit) / (n + 1).
    """
    y0, z0 = data.Y0.to_numpy(float), data.Z0.to_numpy(float)
    x0 = None if data.X0 is None else data.X0.to_numpy(float)
    x1 = None if data.X1 is None else data.X1.to_numpy(float)
    pre = data.pre
    if pre.all():
        raise PanelError("no post-period: nothing to test")
    n_donors = y0.shape[1]
    size = data.n_treated if 1 < data.n_treated < n_donors else 1
    a = np.ones_like(y0) if data.donor_weights is None else data.donor_weights.to_numpy(float)
    z_rows = data.Y0.index.get_indexer(data.Z0.index)
    w = fit_arrays(x1, x0, data.Z1.to_numpy(float), z0, v)[0]
    gaps = [data.Y1.to_numpy(float) - y0 @ w]
    names = [data.treated]
    for members in placebo_sets(n_donors, size, max_sets, seed):
        s = list(members)
        share = a[:, s] / a[:, s].sum(axis=1, keepdims=True)
        rest = np.delete(np.arange(n_donors), s)
        xs = None if x0 is None else x0[:, s] @ share[pre].mean(axis=0)
        xr = None if x0 is None else x0[:, rest]
        zs = (z0[:, s] * share[z_rows]).sum(axis=1)
        ws = fit_arrays(xs, xr, zs, z0[:, rest], v)[0]
        gaps.append((y0[:, s] * share).sum(axis=1) - y0[:, rest] @ ws)
        names.append(" + ".join(str(data.Y0.columns[j]) for j in s))
    frame = pd.DataFrame(np.column_stack(gaps), index=data.Y1.index, columns=names)
    stats = [rmspe(g, pre) for g in gaps]
    ratio = pd.Series([s[2] for s in stats], index=names, name="ratio")
    rank = int((ratio >= ratio.iloc[0]).sum())
    return PlaceboTest(
        gaps=frame,
        pre_rmspe=pd.Series([s[0] for s in stats], index=names, name="pre_rmspe"),
        ratio=ratio,
        mean_post_gap=frame.loc[~pre].mean().rename("mean_post_gap"),
        rank=rank,
        p_value=rank / len(names),
        set_size=size,
        possible_sets=math.comb(n_donors, size),
        seed=seed,
    )


def _placebo_interval(
    estimate: float, placebo_gaps: np.ndarray, confidence: float
) -> tuple[float, float, float]:
    """Conformal-style interval from placebo scores: (low, high, level attained).

    estimate ± q, q the ⌈c(n + 1)⌉-th smallest |score| (the largest when n is too small).
    """
    scores = np.sort(np.abs(placebo_gaps[np.isfinite(placebo_gaps)]))
    n = scores.size
    if n == 0:
        return math.nan, math.nan, confidence
    r = min(math.ceil(confidence * (n + 1)), n)
    q = float(scores[r - 1])
    return estimate - q, estimate + q, min(confidence, r / (n + 1))


def synth_count_scale(
    events: SynthEvents, placebo: PlaceboTest, confidence: float
) -> CountScaleEffect:
    """Events avoided and rate ratio of a synthetic control fit, with placebo intervals.

    Events avoided E − O (:mod:`analysis.synth_counts`), interval
    (E − O) ± q with q the ⌈c(n + 1)⌉-th smallest |placebo events| (as
    :func:`_placebo_interval`); rate ratio O / E with interval
    (O / (O + high), O / (O + low)) from the events interval's ends, the upper
    end infinite when O + low ≤ 0 (a counterfactual of no events not excluded).
    """
    low, high, _ = _placebo_interval(events.avoided, events.placebo, confidence)
    observed = events.observed
    rr_high = observed / (observed + low) if observed + low > 0 else math.inf
    return CountScaleEffect(
        rate_ratio=observed / events.expected,
        rate_ratio_ci=(observed / (observed + high), rr_high),
        observed_events=observed,
        expected_events=events.expected,
        events_avoided=events.avoided,
        events_avoided_ci=(low, high),
        person_time=events.person_time,
        model="synthetic control counterfactual × intervention denominators; interval from "
        f"{placebo.n_placebos} in-space placebos{_of_size(placebo)}",
    )


def _of_size(placebo: PlaceboTest) -> str:
    return "" if placebo.set_size == 1 else f" (pooled sets of {placebo.set_size} donors)"


def _placebo_note(data: SynthData, placebo: PlaceboTest) -> str:
    """Which placebos were used, for the Effect's notes."""
    n_donors = len(data.Y0.columns)
    if placebo.set_size == 1:
        fewer = (
            f" (too few donors for placebos of {data.n_treated} donors, as many as the "
            "intervention sites pooled)"
            if data.n_treated > 1
            else ""
        )
        return (
            f"Placebos: each of the {n_donors} donors in turn, fitted from the other donors{fewer}."
        )
    how = (
        "all"
        if placebo.n_placebos == placebo.possible_sets
        else f"{placebo.n_placebos} drawn at random without replacement (seed {placebo.seed}) "
        "from the"
    )
    return (
        f"Placebos: {how} {placebo.possible_sets:,} sets of {placebo.set_size} of the "
        f"{n_donors} donors, each pooled as the {data.pooling} of its donors (as the "
        f"{data.n_treated} intervention sites are) and fitted from the donors outside it, "
        "so that its gaps are as noisy as the pooled treated unit's."
    )


def _predictor_tables(data: SynthData, result: SynthFit) -> dict:
    """V-weights and the predictor balance table, when the fit used predictors."""
    if result.v is None or data.X0 is None or data.X1 is None:
        return {}
    synthetic = data.X0.to_numpy(float) @ result.weights.to_numpy(float)
    balance = pd.DataFrame(
        {
            "predictor": data.X1.index.astype(str),
            "treated": data.X1.to_numpy(float),
            "synthetic": synthetic,
            "donor_mean": data.X0.mean(axis=1).to_numpy(float),
            "v_weight": result.v.to_numpy(float),
        }
    )
    return {
        "v_weights": {str(k): float(v) for k, v in result.v.items()},
        "predictor_balance": balance.to_dict("records"),
    }


def estimate_synth(
    panel: pd.DataFrame,
    measure: str,
    unit: str,
    *,
    fit: Literal["outcomes_only", "predictors"] = "outcomes_only",
    predictors: Sequence[PredictorChoice] = (),
    confidence: float = 0.95,
) -> Effect:
    """Synthetic control estimate of the programme effect on one measure.

    ``estimate`` is the mean post-period gap (intervention − synthetic, in
    ``unit``); ``p_value`` is the in-space placebo p-value (the primary
    inference), from single-donor placebos for one intervention site and
    placebos pooling as many donors as there are intervention sites otherwise
    (:func:`placebo_test`); the interval is the conformal-style placebo
    interval described in the module docstring (classic synthetic control has
    no sampling CI). Where the intervention rows have numerators and
    denominators, ``count_scale`` gives events avoided = expected − observed
    events over the post period (expected = Σ_t synthetic_t × D_t / m) with the
    same placebo interval on the count scale (:func:`synth_count_scale`).
    ``fit="predictors"`` optimises V over pre-period outcome blocks and IMD (see
    :func:`panel_dataprep`); ``predictors`` (the user's choice,
    :class:`~analysis.synth_prep.PredictorChoice`) are matched with V chosen to
    minimise the pre-period outcome MSPE (Abadie & Gardeazabal 2003); with
    neither, the fit matches on the pre-period outcomes. With predictors,
    ``extra["v_weights"]`` gives each predictor's V (its importance) and
    ``extra["predictor_balance"]`` the treated unit's, the synthetic
    control's and the donors' mean value of each (as Synth's ``synth.tab``).
    """
    data = panel_dataprep(panel, predictors=fit == "predictors", chosen=predictors)
    v: VChoice = "optimise" if fit == "predictors" or predictors else "outcomes_only"
    result = fit_synth(data, v)
    placebo = placebo_test(data, v)
    post = ~data.pre
    estimate = float(result.gap[post].mean())
    low, high, level = _placebo_interval(
        estimate, placebo.mean_post_gap.iloc[1:].to_numpy(), confidence
    )
    notes = [
        "Classic synthetic control has no sampling-based confidence interval; the "
        "in-space placebo p-value is the primary inference.",
        _placebo_note(data, placebo),
        f"Interval: conformal-style, from {placebo.n_placebos} placebo mean post-period gaps.",
        *data.notes,
    ]
    if result.predictor_loss is not None and result.predictor_loss < 1e-8:
        notes.append(
            "The predictors are matched exactly, so the donor weights are not unique "
            "and V could not be chosen: compare with the outcomes-only fit."
        )
    if level < confidence:
        notes.append(f"Too few placebos for a {confidence:.0%} interval: {level:.1%} attained.")
    count_scale = None
    if has_counts(panel):
        try:
            counts = pooled_counts(panel, data.Y1.index)
            events = synth_events(counts, result.synthetic, placebo.gaps.iloc[:, 1:], post)
        except PanelError as error:
            notes.append(f"No count scale: {error}.")
        else:
            count_scale = synth_count_scale(events, placebo, confidence)
            notes.append(
                "Events avoided: expected events (the synthetic control's rate × the "
                "intervention denominators) − observed events over the post period; its "
                "interval from the placebos' gaps turned into events the same way."
            )
    periods = [p.isoformat() if hasattr(p, "isoformat") else p for p in data.Y1.index]
    series = {"observed": data.Y1, "synthetic": result.synthetic, "gap": result.gap}
    table = pd.DataFrame({k: v.to_numpy(float) for k, v in series.items()} | {"post": post})
    gap = table.assign(period_start=periods).to_dict("records")
    weights = result.weights[result.weights > 1e-6].sort_values(ascending=False)
    n_sites = panel.loc[panel["group"] == INTERVENTION, "site_code"].nunique()
    return Effect(
        measure=measure,
        method="synth",
        method_label=f"Synthetic control (Abadie, Diamond & Hainmueller 2010), {result.fit}",
        estimate=estimate,
        ci_low=low,
        ci_high=high,
        p_value=placebo.p_value,
        unit=unit,
        n_intervention=int(n_sites),
        n_comparator=len(data.Y0.columns),
        n_periods_pre=int(data.pre.sum()),
        n_periods_post=int(post.sum()),
        confidence=level,
        diagnostics={
            "pre_rmspe": result.pre_rmspe,
            "post_pre_rmspe_ratio": result.rmspe_ratio,
            "placebo_p": placebo.p_value,
            "placebo_rank": placebo.rank,
            "n_placebos": placebo.n_placebos,
            "placebo_set_size": placebo.set_size,
        },
        extra={
            "weights": {str(k): float(w) for k, w in weights.items()},
            "gap": gap,
            "fit": result.fit,
            "treated": data.treated,
            "ci_method": "conformal-style placebo interval (|placebo mean post-period gaps|)",
            **_predictor_tables(data, result),
        },
        count_scale=count_scale,
        notes=tuple(notes),
    )
