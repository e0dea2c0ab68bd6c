"""Randomisation inference for difference-in-differences with few intervention sites.

With few treated clusters, standard errors clustered by site (CR1) are far too
small: the variance of the treatment coefficient rests on the scores of the few
treated sites, so intervals are too narrow and tests reject too often, however
many comparators there are (MacKinnon & Webb 2017). The remedy used here is the
placebo-assignment approach of Conley & Taber (2011, *REStat* 93:113–125) and
MacKinnon & Webb (2020, *J Econometrics* 218:435–450, "Randomization inference
for difference-in-differences with few treated clusters"):

* **Placebo sets.** Sets of ``k`` comparator sites (``k`` = number of real
  intervention sites), each given the start period(s) of the real sites, are
  drawn from the comparator sites only: every possible set when there are at
  most ``draws`` (default 999) of them, otherwise ``draws`` distinct sets drawn
  at random with a fixed seed (so results are reproducible). The real
  intervention sites are left out, and each placebo is estimated exactly as the
  real effect, on the *comparator-only* panel: under no effect the placebo
  estimates β̃_b share the distribution of the real estimator's error β̂ − β.
* **Interval** (Conley & Taber 2011, section III): with the placebo estimates
  sorted, ``[β̂ − β̃_(s), β̂ − β̃_(r)]`` where ``r = max(1, ⌊(1 − c)(N + 1)/2⌋)``
  and ``s = N + 1 − r`` (``N`` usable placebos, ``c`` the confidence). The
  level attained is ``(s − r)/(N + 1)``: 0.95 with 999 draws; at least ``c``
  from 39 draws on, and below ``c`` with fewer (it is then reported).
* **p-value** for no effect: ``(1 + #{|β̃_b| ≥ |β̂|}) / (N + 1)``.
* **Pre-trend test**: the same cluster-robust joint Wald statistic of the
  event-study leads (F form, ``b' V⁻¹ b / q``) is computed for every placebo
  set; p = ``(1 + #{F_b ≥ F}) / (N + 1)``, the rank of the real statistic among
  them (a studentised statistic, as MacKinnon & Webb 2020 recommend).
* **Count scale**: the same with the log rate ratio of the Poisson model.

:func:`placebo_sets` decides: with ``inference="auto"`` randomisation
inference is used when there are at most :data:`MAX_INTERVENTION`
intervention sites and at least :data:`MIN_SETS` distinct placebo sets
(so that p can fall below 0.05); otherwise clustered errors are kept.

Speed: every placebo regression shares the comparator panel's site and period
fixed effects. Least squares (the weights are shared too): the within
transformation is linear, so each comparator site's own regressors are
residualised once and a placebo set's residualised regressors are the sum of
its sites' (:func:`ols_placebos`); coefficients and cluster scores then need
only sums over the placebo sites' rows and small matrix products, for all
draws at once. Poisson: iteratively reweighted least squares (as
:func:`analysis.did_fe.poisson_fe`) run for a chunk of draws side by side,
each draw with its own weights, the small concentrated systems solved as one
stacked call. Results equal fitting each placebo on its own (tested).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from analysis.did_prep import FEW_TREATED, Design
from analysis.panel import PanelError

Inference = Literal["auto", "cluster", "randomisation"]

MAX_INTERVENTION = FEW_TREATED - 1
"""With ``inference="auto"``, randomisation inference for at most this many intervention sites.

Fewer than :data:`analysis.did_prep.FEW_TREATED` (10): where clustered errors
are flagged as too small.
"""

MIN_SETS = 19
"""Fewest distinct placebo sets: with N sets the smallest p is 1/(N + 1), 0.05 at 19."""

DRAWS = 999
"""Placebo sets used at most (every one when fewer are possible)."""

SEED = 20110301
"""Seed of the random placebo draws (fixed, so results are reproducible)."""

CHUNK = 2_000_000
"""Grid cells × regressors handled at once (bounds memory, about 16 MB an array)."""

CLUSTER_INFERENCE = "standard errors clustered by site (CR1), Student's t on G - 1 df"

REFERENCES = "Conley & Taber 2011; MacKinnon & Webb 2020"

Regressors = Callable[[np.ndarray], np.ndarray]
"""Event times of the grid periods (periods since the start) → regressor columns (T × L)."""


def post_columns(event: np.ndarray) -> np.ndarray:
    """The difference-in-differences regressor: 1 from the start on (event time ≥ 0)."""
    return (event >= 0).astype(float)[:, None]


@dataclass(frozen=True, eq=False)
class _Grid:
    """The comparator panel as a site × period grid, for residualising on both sets of dummies.

    ``mask`` marks the cells with a row. The larger dimension is concentrated
    out in closed form and the smaller solved for (as
    :class:`analysis.did_fe.FixedEffects`); ``lift`` adds, for each connected
    component, a constant times its indicator's outer product to that system,
    which makes it non-singular without changing the residuals. ``rank`` is
    the rank of the dummies (sites + periods - components).
    """

    mask: np.ndarray
    transpose: bool
    lift: np.ndarray
    rank: int

    @classmethod
    def of(cls, mask: np.ndarray) -> _Grid:
        """The grid of the cells in ``mask`` (sites × periods)."""
        m, t = mask.shape
        s, p = np.nonzero(mask)
        edges = sparse.coo_matrix((np.ones(len(s)), (s, m + p)), shape=(m + t, m + t))
        n_comp, label = csgraph.connected_components(edges, directed=False)
        transpose = t > m
        solved = label[:m] if transpose else label[m:]
        lift = (solved[:, None] == solved[None, :]).astype(float)
        return cls(mask, transpose, lift, m + t - n_comp)

    def effects(
        self, by_site: np.ndarray, by_period: np.ndarray, weights: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Site and period effects of the weighted two-way fixed-effects fit of some columns.

        From the columns' weighted sums ``by_site`` (draws × sites × columns,
        Σ over periods of w·v) and ``by_period`` (draws × periods × columns) and
        the weights (draws × sites × periods, 0 where there is no row): the
        normal equations with the larger dimension ``a`` concentrated out,
        ``(diag(W_b) - C' diag(1/W_a) C) e_b = S_b - C' (S_a / W_a)``,
        ``e_a = (S_a - C e_b) / W_a``. Returns (site effects, period effects).
        """
        sa, sb, w = by_site, by_period, weights
        if self.transpose:
            sa, sb, w = sb, sa, w.swapaxes(1, 2)
        wa, wb = w.sum(axis=2), w.sum(axis=1)
        scaled = (w / wa[:, :, None]).swapaxes(1, 2)
        system = -np.matmul(scaled, w)
        diagonal = np.arange(w.shape[2])
        system[:, diagonal, diagonal] += wb
        system += wb.mean(axis=1)[:, None, None] * self.lift
        effect_b = np.linalg.solve(system, sb - np.matmul(scaled, sa))
        effect_a = (sa - np.matmul(w, effect_b)) / wa[:, :, None]
        return (effect_b, effect_a) if self.transpose else (effect_a, effect_b)

    def within(self, values: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Residuals of ``values`` (draws × sites × periods × columns) on site and period dummies.

        ``weights`` (zero where there is no row) is sites × periods when every
        draw shares it, or draws × sites × periods.
        """
        shared = weights.ndim == 2
        b, m, t, p = values.shape
        v = values.transpose(1, 2, 0, 3).reshape(1, m, t, b * p) if shared else values
        w = weights[None] if shared else weights
        wv = w[..., None] * v
        site, period = self.effects(wv.sum(axis=2), wv.sum(axis=1), w)
        out = v - site[:, :, None, :] - period[:, None, :, :]
        return out.reshape(m, t, b, p).transpose(2, 0, 1, 3) if shared else out


@dataclass(frozen=True, eq=False)
class Placebos:
    """Placebo intervention sets drawn from the comparator sites, on their site × period grid.

    ``cell`` (comparator sites × periods) holds the design row of each cell
    (-1: no row); ``period_number`` the calendar number of each grid period;
    ``members`` (draws × k) the grid sites of each placebo set, slot ``j``
    starting in period ``cohorts[j]`` (the real sites' starts, sorted);
    ``possible`` is the number of distinct sets there are.
    """

    cell: np.ndarray
    period_number: np.ndarray
    members: np.ndarray
    cohorts: np.ndarray
    possible: int

    @property
    def n_draws(self) -> int:
        """Number of placebo sets used."""
        return len(self.members)

    def label(self, used: int | None = None) -> str:
        """What the inference is, for method labels and diagnostics."""
        n = self.n_draws if used is None else used
        every = " (every possible set)" if self.n_draws == self.possible else ""
        return (
            f"randomisation inference over placebo intervention sets ({REFERENCES}), "
            f"{n} draws{every}"
        )

    def note(self, n_intervention: int) -> str:
        """Why randomisation inference is used, for the effect's notes."""
        return (
            f"only {n_intervention} intervention site(s): standard errors clustered by site "
            "understate the uncertainty when so few sites are treated (MacKinnon & Webb "
            f"2017), so the interval and p-value come from {self.label()}: the effect "
            "re-estimated with comparator sites in the intervention sites' place"
        )

    def grid(self, values: np.ndarray) -> np.ndarray:
        """Per-row ``values`` of the design on the grid (0 where there is no row)."""
        return np.where(self.cell >= 0, values[np.maximum(self.cell, 0)], 0.0)

    def regressors(self, draws: slice, columns: Regressors) -> np.ndarray:
        """The placebo regressors of ``draws`` (draws × sites × periods × L), 0 off the sets."""
        members = self.members[draws]
        per_slot = np.stack([columns(self.period_number - c) for c in self.cohorts])
        m, t = self.cell.shape
        x = np.zeros((len(members), m, t, per_slot.shape[2]))
        x[np.arange(len(members))[:, None], members] = per_slot[None]
        return x * (self.cell >= 0)[None, :, :, None]


@dataclass(frozen=True, eq=False)
class PlaceboFits:
    """Least-squares placebo fits: coefficients (draws × L) and the Wald statistics (draws).

    Draws whose regressors are collinear are NaN; ``statistic`` is ``None``
    when no test was asked for.
    """

    params: np.ndarray
    statistic: np.ndarray | None


def count_sets(n_comparator: int, cohorts: np.ndarray) -> int:
    """Distinct placebo sets: ways to pick the cohorts' sites from the comparators.

    One start period: C(n_comparator, k); several: the multinomial
    Π_g C(n_comparator - sites already picked, n_g).
    """
    total, left = 1, n_comparator
    for size in np.unique(cohorts, return_counts=True)[1]:
        total *= math.comb(max(left, 0), int(size))
        left -= int(size)
    return total


def placebo_sets(
    design: Design,
    inference: Inference,
    *,
    rows: np.ndarray | None = None,
    draws: int = DRAWS,
    seed: int = SEED,
) -> Placebos | None:
    """Placebo sets for randomisation inference, or ``None`` to keep clustered errors.

    ``inference``: ``"cluster"`` → ``None``; ``"auto"`` → placebo sets when at
    most :data:`MAX_INTERVENTION` intervention sites and at least
    :data:`MIN_SETS` distinct sets, else ``None``; ``"randomisation"`` →
    placebo sets, or :class:`PanelError` when fewer than :data:`MIN_SETS` are
    possible. ``rows``: the design rows that may be used (default all), of
    which the comparator sites' rows make the placebo panel. Every set when at
    most ``draws`` are possible, else ``draws`` distinct sets drawn with ``seed``.
    """
    if inference == "cluster":
        return None
    use = ~design.intervention[design.site]
    if rows is not None:
        use &= rows
    sites, site = np.unique(design.site[use], return_inverse=True)
    periods, period = np.unique(design.period[use], return_inverse=True)
    cohorts = np.sort(design.cohort[design.intervention])
    possible = count_sets(len(sites), cohorts)
    if inference == "auto" and (len(cohorts) > MAX_INTERVENTION or possible < MIN_SETS):
        return None
    if possible < MIN_SETS:
        raise PanelError(
            f"randomisation inference needs at least {MIN_SETS} distinct placebo sets; "
            f"{len(sites)} comparator site(s) give {possible} for {len(cohorts)} intervention "
            "site(s): use clustered standard errors instead"
        )
    cell = np.full((len(sites), len(periods)), -1)
    cell[site, period] = np.flatnonzero(use)
    members = _draw(len(sites), cohorts, possible, draws, seed)
    return Placebos(cell, design.period_number[periods], members, cohorts, possible)


def _draw(m: int, cohorts: np.ndarray, possible: int, draws: int, seed: int) -> np.ndarray:
    """Placebo sets (rows of site indices, one per slot): all of them, or distinct random ones."""
    sizes = np.unique(cohorts, return_counts=True)[1]
    if possible <= draws:
        sets: list[tuple[int, ...]] = [()]
        for size in sizes:
            sets = [
                done + more
                for done in sets
                for more in combinations(sorted(set(range(m)) - set(done)), int(size))
            ]
        return np.array(sets, dtype=np.int64).reshape(len(sets), len(cohorts))
    rng = np.random.default_rng(seed)
    ends = np.cumsum(sizes)[:-1]
    found = np.empty((0, len(cohorts)), dtype=np.int64)
    while len(found) < draws:
        picks = rng.random((2 * draws, m)).argsort(axis=1)[:, : len(cohorts)]
        picks = np.hstack([np.sort(block, axis=1) for block in np.split(picks, ends, axis=1)])
        found = np.vstack([found, picks])
        first = np.sort(np.unique(found, axis=0, return_index=True)[1])
        found = found[first]
    return found[:draws]


def ols_placebos(
    placebos: Placebos,
    y: np.ndarray,
    weights: np.ndarray | None,
    columns: Regressors,
    test: list[int] | None = None,
) -> PlaceboFits:
    """Two-way fixed-effects least squares of ``y`` on each placebo set's regressors.

    The comparator-only panel, site and period fixed effects, weights
    ``weights`` (per design row, or ``None``), regressors ``columns`` of each
    placebo site's event time: the fit :func:`analysis.did_fe.ols_fe` would give
    with the placebo sites treated. ``test``: coefficients jointly tested with
    the CR1 cluster-robust Wald statistic ``b' V⁻¹ b / q`` (as
    :mod:`analysis.event_study`), or ``None``.

    Vectorised across draws by linearity of the within transformation: a
    placebo set's regressors are the sum of its sites' own (``X_j``, zero off
    site ``j``), so their residuals are ``X_S - α_S[site] - τ_S[period]`` with
    ``α_S = Σ_j α_j``, ``τ_S = Σ_j τ_j`` the fixed effects fitted to each
    site's regressors once. Since the residualised regressors and ``ỹ`` are
    orthogonal to the dummies, ``X̃'WX̃ = X_S'WX̃`` and ``X̃'Wỹ = X_S'Wỹ`` need
    the placebo sites' rows only, and each cluster's score is
    ``Σ_t w e (X_S - τ_S)`` (its residuals sum to zero).
    """
    mask = placebos.cell >= 0
    grid = _Grid.of(mask)
    w = placebos.grid(np.ones(len(y)) if weights is None else weights)
    yt = grid.within(placebos.grid(y)[None, :, :, None], w)[0, :, :, 0]
    cohorts, slot = np.unique(placebos.cohorts, return_inverse=True)
    own = np.stack([columns(placebos.period_number - c) for c in cohorts])
    m, t = mask.shape
    u, width = len(cohorts), own.shape[2]
    # Each site's own regressors for each start: (site, start, period, column), on its row.
    x_own = mask[:, None, :, None] * own[None]
    wx_own = w[:, None, :, None] * x_own
    by_site = np.zeros((m, m, u, width))
    by_site[np.arange(m), np.arange(m)] = wx_own.sum(axis=2)
    by_period = wx_own.transpose(2, 0, 1, 3).reshape(t, m * u * width)
    site_fe, period_fe = grid.effects(
        by_site.reshape(1, m, m * u * width), by_period[None], w[None]
    )
    alpha = site_fe[0].reshape(m, m, u, width).transpose(1, 2, 0, 3)
    tau = period_fe[0].reshape(t, m, u, width).transpose(1, 2, 0, 3)
    cross_own = np.einsum("jctl,jt->jcl", wx_own, yt)
    n, g = int(mask.sum()), m
    k = width + grid.rank
    factor = g / (g - 1) * (n - 1) / (n - k) if g > 1 and n > k else np.nan
    params, statistic = [], []
    step = max(1, CHUNK // ((m + t) * width * len(placebos.cohorts)))
    for start in range(0, placebos.n_draws, step):
        sites = placebos.members[start : start + step]
        x_rows, w_rows = x_own[sites, slot], w[sites]
        alpha_s, tau_s = alpha[sites, slot].sum(axis=1), tau[sites, slot].sum(axis=1)
        xt_rows = (
            x_rows
            - np.take_along_axis(alpha_s, sites[:, :, None], axis=1)[:, :, None, :]
            - tau_s[:, None, :, :]
        )
        hessian = np.einsum("bktl,bkt,bktm->blm", x_rows, w_rows, xt_rows)
        cross = cross_own[sites, slot].sum(axis=1)
        ok = np.linalg.matrix_rank(hessian) == width
        beta = np.full((len(sites), width), np.nan)
        beta[ok] = np.linalg.solve(hessian[ok], cross[ok][:, :, None])[:, :, 0]
        params.append(beta)
        if test is not None:
            stat = np.full(len(sites), np.nan)
            stat[ok] = _wald(
                yt, w, sites[ok], x_rows[ok], alpha_s[ok], tau_s[ok], beta[ok], hessian[ok], test
            )
            statistic.append(stat / factor)
    return PlaceboFits(np.vstack(params), np.concatenate(statistic) if test is not None else None)


def _wald(
    yt: np.ndarray,
    w: np.ndarray,
    sites: np.ndarray,
    x_rows: np.ndarray,
    alpha_s: np.ndarray,
    tau_s: np.ndarray,
    beta: np.ndarray,
    hessian: np.ndarray,
    test: list[int],
) -> np.ndarray:
    """Cluster-robust (CR1 without its constant factor) Wald statistics ``b' V⁻¹ b / q``."""
    index = np.arange(len(sites))[:, None]
    resid = (
        yt[None]
        + np.einsum("bsl,bl->bs", alpha_s, beta)[:, :, None]
        + np.einsum("btl,bl->bt", tau_s, beta)[:, None, :]
    )
    resid[index, sites] -= np.einsum("bktl,bl->bkt", x_rows, beta)
    we = w[None] * resid
    scores = -np.matmul(we, tau_s)
    scores[index, sites] += np.einsum("bkt,bktl->bkl", we[index, sites], x_rows)
    bread = np.linalg.inv(hessian)
    cov = bread @ np.matmul(scores.swapaxes(1, 2), scores) @ bread
    sub, b = cov[:, test][:, :, test], beta[:, test]
    out = np.full(len(b), np.nan)
    good = np.linalg.matrix_rank(sub) == len(test)
    solved = np.linalg.solve(sub[good], b[good][:, :, None])[:, :, 0]
    out[good] = np.einsum("bi,bi->b", b[good], solved) / len(test)
    return out


def poisson_placebos(
    placebos: Placebos,
    y: np.ndarray,
    offset: np.ndarray,
    tol: float = 1e-12,
    max_iter: int = 100,
) -> np.ndarray:
    """Log rate ratio of each placebo set: Poisson regression with site and period fixed effects.

    ``log E[y] = offset + site + period + β · placebo treated`` on the
    comparator-only panel, fitted by IRLS exactly as
    :func:`analysis.did_fe.poisson_fe` (same start, same deviance criterion),
    a chunk of draws at a time. ``y`` and ``offset`` are per design row; sites
    and periods without events must be left out of the placebo panel (their
    fixed effect is -∞). A placebo set with no events after its start has
    rate ratio 0 (log -∞).
    """
    mask = placebos.cell >= 0
    grid = _Grid.of(mask)
    yg, og = placebos.grid(y), placebos.grid(offset)
    first = (yg + yg[mask].mean()) / 2
    out = []
    step = max(1, CHUNK // (4 * mask.size))
    for start in range(0, placebos.n_draws, step):
        x = placebos.regressors(slice(start, start + step), post_columns)[..., 0]
        beta = np.full(len(x), -np.inf)
        events = np.einsum("bst,st->b", x, yg) > 0
        if events.any():
            beta[events] = _irls(grid, yg, og, x[events], first, tol, max_iter)
        out.append(beta)
    return np.concatenate(out)


def _irls(
    grid: _Grid,
    y: np.ndarray,
    offset: np.ndarray,
    x: np.ndarray,
    first: np.ndarray,
    tol: float,
    max_iter: int,
) -> np.ndarray:
    """IRLS of :func:`analysis.did_fe.poisson_fe` for draws × sites × periods regressors ``x``."""
    mask = grid.mask
    mu = np.broadcast_to(np.where(mask, first, 1.0), x.shape)
    eta = np.log(mu)
    deviance = np.full(len(x), np.inf)
    beta = np.zeros(len(x))
    for _ in range(max_iter):
        z = eta - offset + (y - mu) / mu
        w = mu * mask
        both = grid.within(np.stack([z, x], axis=3), w)
        zt, xt = both[..., 0], both[..., 1]
        wx = w * xt
        beta = (wx * zt).sum(axis=(1, 2)) / (wx * xt).sum(axis=(1, 2))
        eta = np.where(mask, z - (zt - xt * beta[:, None, None]) + offset, 0.0)
        mu = np.exp(eta)
        ratio = np.where(y > 0, y / mu, 1.0)
        new = 2 * (mask * (y * np.log(ratio) - (y - mu))).sum(axis=(1, 2))
        if np.all(np.abs(new - deviance) <= tol * (np.abs(new) + 0.1)):
            break
        deviance = new
    return beta


def ri_interval(
    estimate: float, placebo: np.ndarray, confidence: float
) -> tuple[float, float, float]:
    """Conley–Taber interval ``[β̂ - β̃_(s), β̂ - β̃_(r)]`` and the level it attains.

    ``r = max(1, ⌊(1 - c)(N + 1)/2⌋)``, ``s = N + 1 - r`` over the ``N``
    usable (not NaN) placebo estimates, sorted; level ``(s - r)/(N + 1)``.
    """
    values = np.sort(placebo[~np.isnan(placebo)])
    n = len(values)
    r = max(1, math.floor((1 - confidence) * (n + 1) / 2))
    s = n + 1 - r
    return float(estimate - values[s - 1]), float(estimate - values[r - 1]), (s - r) / (n + 1)


def ri_p_value(estimate: float, placebo: np.ndarray) -> float:
    """Two-sided p-value for no effect: ``(1 + #{|β̃_b| ≥ |β̂|}) / (N + 1)``."""
    values = placebo[~np.isnan(placebo)]
    return float((1 + np.sum(np.abs(values) >= abs(estimate))) / (len(values) + 1))


def rank_p_value(statistic: float, placebo: np.ndarray) -> float:
    """p-value of a statistic large under the alternative: ``(1 + #{F_b ≥ F}) / (N + 1)``."""
    values = placebo[~np.isnan(placebo)]
    return float((1 + np.sum(values >= statistic)) / (len(values) + 1))


def usable(placebo: np.ndarray) -> int:
    """Number of placebo estimates that could be computed (not NaN)."""
    return int((~np.isnan(placebo)).sum())


def enough(placebo: np.ndarray, inference: Inference) -> bool:
    """Whether at least :data:`MIN_SETS` placebo estimates could be computed.

    Placebo sets whose regressors are collinear (e.g. sites with no row in
    some event time) cannot be fitted. With too few left, ``"auto"`` falls
    back to clustered errors (``False``); ``"randomisation"`` raises
    :class:`PanelError`.
    """
    n = usable(placebo)
    if n >= MIN_SETS:
        return True
    if inference == "randomisation":
        raise PanelError(
            f"randomisation inference: only {n} of {len(placebo)} placebo sets could be "
            f"fitted (at least {MIN_SETS} are needed); use clustered standard errors instead"
        )
    return False
