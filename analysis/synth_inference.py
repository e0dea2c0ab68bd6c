"""Synthetic control inference: in-space placebo test and placebo interval.

Inference: classic synthetic control has no sampling distribution, hence no
sampling-based confidence interval; the primary inference is the in-space
placebo test (Abadie et al. 2010): each donor in turn is treated as if it had
the programme, the other donors its pool; p = rank of the treated unit's
post/pre RMSPE ratio among the J + 1 ratios (1 = largest) / (J + 1).
:func:`estimate_synth` adds a conformal-style placebo interval for the mean
post-period gap, {α : |gap − α| ≤ q} with q the ⌈c(J + 1)⌉-th smallest absolute
placebo mean post-period gap (valid if the treated unit's no-effect gap is
exchangeable with the placebos'); with J < c(J + 1) − 1 donors it uses the
largest and ``confidence`` states the level attained, J / (J + 1).

Method: Abadie, Diamond & Hainmueller (2010, JASA 105:493-505), section 4.
Inference is kept apart from data preparation (:mod:`analysis.synth_prep`) and
estimation (:mod:`analysis.synth`), as in pysyncon's ``inference`` module.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.effect import Effect
from analysis.panel import INTERVENTION, PanelError
from analysis.synth import VChoice, fit_arrays, fit_synth, rmspe
from analysis.synth_prep import SynthData, panel_dataprep


@dataclass(frozen=True)
class PlaceboTest:
    """In-space placebo test (Abadie, Diamond & Hainmueller 2010).

    ``gaps`` has one column per unit, the treated unit first; ``ratio`` is each
    unit's post/pre RMSPE ratio; ``rank`` is the treated unit's rank (1 =
    largest ratio) and ``p_value`` = rank / (J + 1).
    """

    gaps: pd.DataFrame
    pre_rmspe: pd.Series
    ratio: pd.Series
    mean_post_gap: pd.Series
    rank: int
    p_value: float


def placebo_test(data: SynthData, v: VChoice | Sequence[float] = "optimise") -> PlaceboTest:
    """In-space placebos: refit with each donor as treated and the other donors as its pool.

    The treated unit never enters a placebo's pool (Abadie et al. 2010, section
    4). p-value = rank of the treated unit's post/pre RMSPE ratio among the J + 1
    ratios (1 = largest; ties count against the treated unit) / (J + 1).
    """
    y0, z0 = data.Y0.to_numpy(float), data.Z0.to_numpy(float)
    x0 = None if data.X0 is None else data.X0.to_numpy(float)
    x1 = None if data.X1 is None else data.X1.to_numpy(float)
    pre = data.pre
    if pre.all():
        raise PanelError("no post-period: nothing to test")
    w = fit_arrays(x1, x0, data.Z1.to_numpy(float), z0, v)[0]
    gaps = [data.Y1.to_numpy(float) - y0 @ w]
    for j in range(y0.shape[1]):
        rest = np.delete(np.arange(y0.shape[1]), j)
        xj = None if x0 is None else x0[:, j]
        xr = None if x0 is None else x0[:, rest]
        wj = fit_arrays(xj, xr, z0[:, j], z0[:, rest], v)[0]
        gaps.append(y0[:, j] - y0[:, rest] @ wj)
    names = [data.treated, *data.Y0.columns]
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
    )


def _placebo_interval(
    estimate: float, placebo_gaps: np.ndarray, confidence: float
) -> tuple[float, float, float]:
    """Conformal-style interval from placebo mean gaps: (low, high, level attained)."""
    scores = np.sort(np.abs(placebo_gaps[np.isfinite(placebo_gaps)]))
    n = scores.size
    if n == 0:
        return math.nan, math.nan, confidence
    r = min(math.ceil(confidence * (n + 1)), n)
    q = float(scores[r - 1])
    return estimate - q, estimate + q, min(confidence, r / (n + 1))


def estimate_synth(
    panel: pd.DataFrame,
    measure: str,
    unit: str,
    *,
    fit: Literal["outcomes_only", "predictors"] = "outcomes_only",
    confidence: float = 0.95,
) -> Effect:
    """Synthetic control estimate of the programme effect on one measure.

    ``estimate`` is the mean post-period gap (intervention − synthetic, in
    ``unit``); ``p_value`` is the in-space placebo p-value (the primary
    inference); the interval is the conformal-style placebo interval described
    in the module docstring (classic synthetic control has no sampling CI).
    ``fit="predictors"`` optimises V over pre-period outcome blocks and IMD (see
    :func:`panel_dataprep`); the default matches on the pre-period outcomes.
    """
    data = panel_dataprep(panel, predictors=fit == "predictors")
    v: VChoice = "optimise" if fit == "predictors" else "outcomes_only"
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
        f"Interval: conformal-style, from {len(data.Y0.columns)} placebo mean post-period gaps.",
        *data.notes,
    ]
    if result.predictor_loss is not None and result.predictor_loss < 1e-8:
        notes.append(
            "The predictors are matched exactly, so the donor weights are not unique "
            "and V could not be chosen: compare with the outcomes-only fit."
        )
    if level < confidence:
        notes.append(f"Too few donors for a {confidence:.0%} interval: {level:.1%} attained.")
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
            "n_placebos": len(data.Y0.columns),
        },
        extra={
            "weights": {str(k): float(w) for k, w in weights.items()},
            "gap": gap,
            "fit": result.fit,
            "treated": data.treated,
            "ci_method": "conformal-style placebo interval (|placebo mean post-period gaps|)",
        },
        notes=tuple(notes),
    )
