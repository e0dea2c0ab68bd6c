"""Overdispersion-adjusted funnel limits (Spiegelhalter 2005), as FunnelPlotR computes them.

Funnel limits from the binomial or Poisson distribution assume that sites
differ only by chance. With many sites or large denominators, real
differences between sites (case mix, coding, populations) make far more sites
fall outside the limits than the 5% / 0.2% expected: the data are
*overdispersed*. Spiegelhalter's random-effects adjustment widens the limits
by a between-site variance τ²:

1. transform each site's value so that its standard error ``s`` depends only
   on its size: proportions ``y = asin(√p)``, ``s = 1/(2√n)`` around
   ``asin(√p̄)``; ratios and rates (observed O over expected E) ``y = log(O/E)``,
   ``s = 1/√E`` around 0 (the SHMI method) or ``y = √(O/E)``,
   ``s = 1/(2√E)`` around 1 (the CQC method);
2. z-scores ``z = (y − target)/s``, with the extremes set aside so that
   genuine outliers do not inflate the estimate: for the log (SHMI) transform
   *truncated* as NHS Digital's SHMI specification and FunnelPlotR's
   ``truncation`` do (rank the z-scores, ``g = ⌊rank · k/(n + 1)⌋`` with
   ``k = 1/trim``, keep the sites with ``0 < g < k − 1``: the top and bottom
   10% are dropped); for the arcsine and sqrt transforms *Winsorised* at the
   10th and 90th percentiles (Spiegelhalter 2005; ``winsorisation``);
3. dispersion ratio ``φ = Σ z_w² / n`` over the n z-scores kept (all of them
   when Winsorised; about 1 without overdispersion);
4. ``τ² = max(0, (nφ − (n − 1)) / (Σw − Σw²/Σw))`` with ``w = 1/s²`` over the
   same sites (0 when nφ < n − 1: no overdispersion detected);
5. limits ``target ± z_α √(s² + τ²)`` back-transformed; adjusted z-scores
   ``(y − target)/√(s² + τ²)``.

References: Spiegelhalter DJ. Handling over-dispersion of performance
indicators. Qual Saf Health Care 2005;14:347-51; Spiegelhalter DJ. Funnel
plots for comparing institutional performance. Stat Med 2005;24:1185-202;
FunnelPlotR (NHS-R community; ``transformed_zscore``, ``truncation``,
``winsorisation``, ``phi_func``, ``tau_func``); NHS Digital, Summary
Hospital-level Mortality Indicator (SHMI) methodology specification. What it
does not do: the adjusted limits say which sites are unusual *given* the
typical spread between sites; they do not explain the spread, and τ²
estimated from few sites (under about 20) is unreliable; truncation sets 20%
of the sites aside, so with it τ² is smaller than the full spread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analysis.rates import ArrayLike, MethodInputError, levels

Transform = Literal["arcsine", "log", "sqrt"]
Trimming = Literal["truncated", "winsorised"]


@dataclass(frozen=True)
class Overdispersion:
    """Estimated dispersion of sites around the target (Spiegelhalter 2005).

    ``phi`` is the dispersion ratio of the truncated or Winsorised z-scores
    (``trimming``; ≈ 1 when sites differ only by chance) over ``n_used`` of
    the ``n_sites`` sites; ``tau2`` the between-site variance on the
    transformed scale (0 = no adjustment); ``target`` the overall value on the
    transformed scale; ``average`` the overall proportion or rate per person
    (Σ numerator ÷ Σ denominator; 1 for ratios).
    """

    statistic: str
    transform: Transform
    n_sites: int
    trimming: Trimming
    n_used: int
    phi: float
    tau2: float
    trim: float
    target: float
    average: float

    @property
    def overdispersed(self) -> bool:
        """True when a between-site variance was needed (τ² > 0)."""
        return self.tau2 > 0

    @property
    def label(self) -> str:
        """The method in words, e.g. ``"log transform, 10% truncated, φ = 8.53, τ² = 0.0284"``."""
        return (
            f"{self.transform} transform, {self.trim:.0%} {self.trimming} at each end, "
            f"φ = {self.phi:.2f}, τ² = {self.tau2:.3g}"
        )


def _transformed(
    numerator: np.ndarray,
    denominator: np.ndarray,
    statistic: str,
    transform: Transform,
    average: float,
) -> tuple[np.ndarray, np.ndarray, float]:
    """(y, s, target) on the transformed scale; for rates E = denominator × average rate."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if statistic == "proportion":
            if transform != "arcsine":
                raise MethodInputError("proportions use the arcsine transform")
            return (
                np.arcsin(np.sqrt(numerator / denominator)),
                1 / (2 * np.sqrt(denominator)),
                float(np.arcsin(np.sqrt(average))),
            )
        expected = denominator * average if statistic == "rate" else denominator
        ratio = numerator / expected
        if transform == "log":
            return np.log(ratio), 1 / np.sqrt(expected), 0.0
        if transform == "sqrt":
            return np.sqrt(ratio), 1 / (2 * np.sqrt(expected)), 1.0
    raise MethodInputError("ratios and rates use the log (SHMI) or sqrt (CQC) transform")


def _arrays(numerator: ArrayLike, denominator: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    if num.shape != den.shape:
        raise MethodInputError("numerator and denominator need one value per site")
    if np.any(num < 0) or np.any(den <= 0):
        raise MethodInputError("numerators must be ≥ 0 and denominators > 0")
    return num, den


def overdispersion(
    numerator: ArrayLike,
    denominator: ArrayLike,
    statistic: Literal["proportion", "ratio", "rate"] = "proportion",
    transform: Transform | None = None,
    trim: float = 0.1,
) -> Overdispersion:
    """Estimate φ and τ² for a set of sites (Spiegelhalter 2005; FunnelPlotR).

    Parameters
    ----------
    numerator:
        Events or people with the outcome per site.
    denominator:
        People (proportion), expected events (ratio) or population at risk (rate;
        expected events are population × the overall rate).
    statistic:
        ``"proportion"``, ``"ratio"`` or ``"rate"``.
    transform:
        ``"arcsine"`` (proportions, the default for them), ``"log"`` (SHMI;
        default for ratios and rates) or ``"sqrt"`` (CQC).
    trim:
        Fraction truncated (log transform) or Winsorised (arcsine, sqrt) at
        each end before estimating φ (0.1 = 10%).

    Returns
    -------
    Overdispersion
    """
    num, den = _arrays(numerator, denominator)
    if not 0 <= trim < 0.5:
        raise MethodInputError("trim must be at least 0 and below 0.5")
    chosen: Transform = transform or ("arcsine" if statistic == "proportion" else "log")
    average = 1.0 if statistic == "ratio" else float(num.sum() / den.sum())
    y, s, target = _transformed(num, den, statistic, chosen, average)
    z = (y - target) / s
    trimming: Trimming = "truncated" if chosen == "log" else "winsorised"
    kept = _truncated(z, trim) if trimming == "truncated" else _winsorised(z, trim)
    used = ~np.isnan(kept)
    n = int(used.sum())
    phi = float(np.sum(kept[used] ** 2) / n)
    w = 1 / s[used] ** 2
    if n * phi < n - 1:
        tau2 = 0.0
    else:
        tau2 = max(0.0, (n * phi - (n - 1)) / (w.sum() - (w**2).sum() / w.sum()))
    return Overdispersion(
        statistic, chosen, len(z), trimming, n, phi, float(tau2), trim, target, average
    )


def _winsorised(z: np.ndarray, trim: float) -> np.ndarray:
    """z-scores clipped to their ``trim`` and ``1 − trim`` quantiles (``winsorisation``)."""
    return np.clip(z, np.nanquantile(z, trim), np.nanquantile(z, 1 - trim))


def _truncated(z: np.ndarray, trim: float) -> np.ndarray:
    """z-scores with the extreme groups dropped (NaN), as FunnelPlotR ``truncation`` and SHMI.

    Ranks (ties averaged) are grouped as ``g = ⌊rank · k / (n + 1)⌋`` with
    ``k = 1/trim``; the sites in the first (g = 0) and last (g ≥ k − 1)
    groups are dropped; ``trim = 0`` keeps every site.
    """
    if trim == 0:
        return z
    k = 1 / trim
    present = ~np.isnan(z)
    group = np.full(z.shape, np.nan)
    group[present] = np.floor(stats.rankdata(z[present]) * k / (present.sum() + 1))
    return np.where((group > 0) & (group < k - 1), z, np.nan)


def adjusted_z_scores(
    numerator: ArrayLike, denominator: ArrayLike, model: Overdispersion
) -> np.ndarray:
    """Each site's z-score allowing for overdispersion: (y − target) / √(s² + τ²)."""
    num, den = _arrays(numerator, denominator)
    y, s, target = _transformed(num, den, model.statistic, model.transform, model.average)
    return (y - target) / np.sqrt(s**2 + model.tau2)


def _back(values: np.ndarray, model: Overdispersion) -> np.ndarray:
    if model.transform == "arcsine":
        return np.sin(np.clip(values, 0, np.pi / 2)) ** 2
    if model.transform == "log":
        return np.exp(values)
    return np.maximum(values, 0) ** 2


def overdispersed_limits(
    sizes: Sequence[float] | np.ndarray,
    model: Overdispersion,
    confidence: float | Sequence[float] = (0.95, 0.998),
    multiplier: float = 1.0,
) -> pd.DataFrame:
    """Funnel limits widened by τ² over a grid of site sizes (e.g. ``funnel_limits`` sizes).

    ``sizes`` are denominators (proportions), expected events (ratios) or
    populations (rates). Returns ``size``, ``lower_<level>``, ``upper_<level>``
    (95 and 99_8 by default) and ``baseline`` on the display scale: proportion
    × multiplier, ratio × multiplier, or rate per ``multiplier`` people. With
    τ² = 0 these are the normal-approximation limits on the transformed scale.
    """
    size = np.asarray(sizes, dtype=float)
    if model.statistic == "proportion":
        s = 1 / (2 * np.sqrt(size))
        scale, baseline = multiplier, model.average * multiplier
    else:
        expected = size * model.average if model.statistic == "rate" else size
        s = 1 / np.sqrt(expected) if model.transform == "log" else 1 / (2 * np.sqrt(expected))
        scale = multiplier * (model.average if model.statistic == "rate" else 1.0)
        baseline = scale
    out = pd.DataFrame({"size": size})
    spread = np.sqrt(s**2 + model.tau2)
    for level in levels(confidence):
        z = stats.norm.ppf(0.5 + level / 2)
        tag = f"{round(level * 100, 6):g}".replace(".", "_")
        out[f"lower_{tag}"] = _back(model.target - z * spread, model) * scale
        out[f"upper_{tag}"] = _back(model.target + z * spread, model) * scale
    out["baseline"] = baseline
    return out


def significance_from_z(z_scores: ArrayLike) -> np.ndarray:
    """Funnel labels from (adjusted) z-scores, in the words :func:`funnel_significance` uses.

    Beyond ±3.090 (99.8% two-sided) ``"High (0.001)"`` / ``"Low (0.001)"``;
    beyond ±1.960 (95%) ``"High (0.025)"`` / ``"Low (0.025)"``; else
    ``"Not significant"``; missing z-scores stay missing.
    """
    z = np.asarray(z_scores, dtype=float)
    outer, inner = stats.norm.ppf(0.999), stats.norm.ppf(0.975)
    labels = np.select(
        [z > outer, z > inner, z < -outer, z < -inner],
        ["High (0.001)", "High (0.025)", "Low (0.001)", "Low (0.025)"],
        "Not significant",
    ).astype(object)
    labels[np.isnan(z)] = None
    return labels
