"""Two-way fixed-effects regressions without dummies: within transformation, clustered SEs.

The regression of ``y`` on ``X`` with site and period fixed effects is solved
by the Frisch–Waugh–Lovell theorem (Angrist & Pischke 2009, ch. 5): residualise
``y`` and ``X`` on the two sets of dummies (the *within transformation*), then
regress residual on residual. Residualising is done exactly: the site effects
are concentrated out in closed form and the period effects solve a small
``T × T`` system (or, when both dimensions are large, by alternating weighted
demeaning, Guimarães & Portugal 2010). Coefficients, residuals and the
cluster-robust covariance then equal those of the regression with every dummy.

Cluster-robust covariance (Cameron & Miller 2015): the CR1 sandwich with the
small-sample factor ``G/(G-1) · (N-1)/(N-K)``, where ``K`` counts the
regressors and every fixed effect (``sites + periods - connected components``):
exactly what statsmodels' ``cov_type="cluster"`` gives for the dummy-variable
regression. Inference uses Student's t with ``G - 1`` degrees of freedom
(statsmodels with ``use_t=True``; Cameron & Miller 2015, section VI).

Poisson regression with the same fixed effects (log link, offset) is fitted by
iteratively reweighted least squares, each step a weighted within regression
(as ``fixest::fepois``; Correia, Guimarães & Zylkin 2020).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import sparse, stats
from scipy.sparse import csgraph

EXACT_MAX_DIM = 1500
"""Largest smaller dimension (sites or periods) solved exactly rather than iteratively."""


@dataclass(frozen=True, eq=False)
class FixedEffects:
    """Site and period codes of the rows, for residualising on both sets of dummies."""

    site: np.ndarray
    period: np.ndarray
    n_sites: int
    n_periods: int

    def rank(self) -> int:
        """Rank of the dummies: sites + periods - connected components of the panel."""
        edges = sparse.coo_matrix(
            (np.ones(len(self.site)), (self.site, self.n_sites + self.period)),
            shape=(self.n_sites + self.n_periods,) * 2,
        )
        components, _ = csgraph.connected_components(edges, directed=False)
        return self.n_sites + self.n_periods - components

    def residualise(self, columns: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Residuals of each column of ``columns`` (n × k) on both sets of dummies (weighted)."""
        return self.project(columns, weights)[0]

    def project(
        self, columns: np.ndarray, weights: np.ndarray | None = None
    ) -> tuple[np.ndarray, int]:
        """Residuals as :meth:`residualise`, and the rank of the dummies (:meth:`rank`)."""
        w = np.ones(len(self.site)) if weights is None else weights
        v = np.asarray(columns, dtype=float).reshape(len(self.site), -1)
        if min(self.n_sites, self.n_periods) <= EXACT_MAX_DIM:
            return self._exact(v, w)
        return self._alternating(v, w), self.rank()

    def _exact(self, v: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, int]:
        # Concentrate out the larger dimension (a) and solve for the smaller (b):
        # (diag(Wb) - C' diag(1/Wa) C) b = Sb - C' (Sa / Wa), then a = (Sa - C b) / Wa.
        if self.n_sites >= self.n_periods:
            a, b, na, nb = self.site, self.period, self.n_sites, self.n_periods
        else:
            a, b, na, nb = self.period, self.site, self.n_periods, self.n_sites
        wa, wb = np.bincount(a, w, na), np.bincount(b, w, nb)
        c = np.bincount(a.astype(np.int64) * nb + b, w, na * nb).reshape(na, nb)
        wv = w[:, None] * v
        sa = np.stack([np.bincount(a, wv[:, j], na) for j in range(v.shape[1])], axis=1)
        sb = np.stack([np.bincount(b, wv[:, j], nb) for j in range(v.shape[1])], axis=1)
        scaled = c / wa[:, None]
        system = np.diag(wb) - scaled.T @ c
        effect_b, _, rank_b, _ = np.linalg.lstsq(system, sb - scaled.T @ sa, rcond=1e-12)
        effect_a = (sa - c @ effect_b) / wa[:, None]
        out = np.empty_like(v)
        for j in range(v.shape[1]):
            out[:, j] = v[:, j] - effect_a[:, j].take(a) - effect_b[:, j].take(b)
        # The system's null space has one dimension per connected component.
        return out, na + int(rank_b)

    def _alternating(self, v: np.ndarray, w: np.ndarray, tol: float = 1e-13) -> np.ndarray:
        ws, wt = (
            np.bincount(self.site, w, self.n_sites),
            np.bincount(self.period, w, self.n_periods),
        )
        out = v.copy()
        scale = np.maximum(np.abs(v).max(axis=0), 1.0)
        for _ in range(10_000):
            before = out.copy()
            for j in range(out.shape[1]):
                out[:, j] -= (np.bincount(self.site, w * out[:, j], self.n_sites) / ws)[self.site]
                out[:, j] -= (np.bincount(self.period, w * out[:, j], self.n_periods) / wt)[
                    self.period
                ]
            if (np.abs(out - before).max(axis=0) <= tol * scale).all():
                return out
        raise RuntimeError("alternating projections did not converge")


@dataclass(frozen=True, eq=False)
class Fit:
    """Coefficients of the regressors (fixed effects not reported) and their covariance."""

    params: np.ndarray
    cov: np.ndarray
    df_inference: int
    n_obs: int
    n_clusters: int
    n_params: int
    residual: np.ndarray
    fitted_linear: np.ndarray
    iterations: int = 1

    @property
    def se(self) -> np.ndarray:
        """Standard errors."""
        return np.sqrt(np.diag(self.cov))


def cluster_cov(
    xt: np.ndarray,
    score: np.ndarray,
    bread: np.ndarray,
    cluster: np.ndarray,
    n_params: int,
) -> tuple[np.ndarray, int]:
    """CR1 covariance ``c · B (Σ_g s_g s_g') B`` with statsmodels' ``c`` (module docstring).

    ``score`` is each row's score weight (``w·e`` for least squares, ``y - μ`` for
    Poisson); ``xt`` the residualised regressors; ``bread`` the inverse Hessian;
    ``cluster`` codes 0 … G-1, each present. Returns the covariance and ``G``.
    """
    g = int(cluster.max()) + 1
    sums = np.stack([np.bincount(cluster, xt[:, j] * score, g) for j in range(xt.shape[1])], axis=1)
    n = len(score)
    factor = g / (g - 1) * (n - 1) / (n - n_params) if g > 1 and n > n_params else np.nan
    return factor * bread @ (sums.T @ sums) @ bread, g


def ols_fe(
    y: np.ndarray,
    x: np.ndarray,
    fe: FixedEffects,
    cluster: np.ndarray,
    weights: np.ndarray | None = None,
) -> Fit:
    """Least squares (weighted when ``weights``) of ``y`` on ``x`` with two-way fixed effects.

    ``cluster`` holds codes 0 … G-1 (e.g. ``fe.site``).

    Equals statsmodels ``OLS``/``WLS`` on ``x`` plus site and period dummies
    with ``cov_type="cluster", groups=cluster`` (module docstring).
    """
    w = np.ones(len(y)) if weights is None else weights
    both, rank = fe.project(np.column_stack([y, x]), w)
    yt, xt = both[:, 0], both[:, 1:]
    hessian = xt.T @ (w[:, None] * xt)
    bread = np.linalg.inv(hessian)
    params = bread @ (xt.T @ (w * yt))
    resid = yt - xt @ params
    k = x.shape[1] + rank
    cov, g = cluster_cov(xt, w * resid, bread, cluster, k)
    return Fit(params, cov, g - 1, len(y), g, k, resid, y - resid)


def poisson_fe(
    y: np.ndarray,
    x: np.ndarray,
    offset: np.ndarray,
    fe: FixedEffects,
    cluster: np.ndarray,
    se: Literal["cluster", "quasipoisson"] = "cluster",
    tol: float = 1e-12,
    max_iter: int = 100,
) -> Fit:
    """Poisson regression (log link, ``offset``) of counts ``y`` on ``x``, two-way fixed effects.

    IRLS (McCullagh & Nelder 1989) with the within transformation at each step.
    ``se="cluster"``: CR1 sandwich clustered on ``cluster`` (as statsmodels
    ``GLM(..., family=Poisson()).fit(cov_type="cluster")``); ``"quasipoisson"``:
    model-based covariance scaled by Pearson χ² / (N - K) (``fit(scale="X2")``).
    Sites or periods whose counts are all zero must be removed first (their
    fixed effects are -∞).
    """
    mu = (y + y.mean()) / 2
    eta = np.log(mu)
    deviance = np.inf
    iteration = 0
    while iteration < max_iter:
        iteration += 1
        z = eta - offset + (y - mu) / mu
        both = fe.residualise(np.column_stack([z, x]), mu)
        zt, xt = both[:, 0], both[:, 1:]
        params = np.linalg.solve(xt.T @ (mu[:, None] * xt), xt.T @ (mu * zt))
        eta = z - (zt - xt @ params) + offset
        mu = np.exp(eta)
        ratio = np.where(y > 0, y / mu, 1.0)
        new_deviance = 2 * np.sum(y * np.log(ratio) - (y - mu))
        if abs(new_deviance - deviance) <= tol * (abs(new_deviance) + 0.1):
            break
        deviance = new_deviance
    xt, rank = fe.project(x, mu)
    bread = np.linalg.inv(xt.T @ (mu[:, None] * xt))
    k = x.shape[1] + rank
    if se == "quasipoisson":
        scale = np.sum((y - mu) ** 2 / mu) / (len(y) - k)
        cov, g = scale * bread, int(cluster.max()) + 1
        df = len(y) - k
    else:
        cov, g = cluster_cov(xt, y - mu, bread, cluster, k)
        df = g - 1
    return Fit(params, cov, df, len(y), g, k, y - mu, eta - offset, iteration)


def interval(
    estimate: float, se: float, df: float | None, confidence: float
) -> tuple[float, float, float | None]:
    """Confidence interval and two-sided p-value: Student's t on ``df``, normal when ``None``.

    With no usable standard error (zero or not finite) the interval is NaN and
    the p-value ``None``.
    """
    if not (np.isfinite(se) and se > 0):
        return float("nan"), float("nan"), None
    dist = stats.norm if df is None else stats.t(df)
    q = float(dist.ppf(0.5 + confidence / 2))
    p = float(2 * dist.sf(abs(estimate / se)))
    return float(estimate - q * se), float(estimate + q * se), p
