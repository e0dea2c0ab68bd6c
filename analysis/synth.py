"""Synthetic control: donor weights, synthetic series, gaps and in-space placebos.

Method: Abadie & Gardeazabal (2003, AER 93:113-32); Abadie, Diamond & Hainmueller
(2010, JASA 105:493-505; 2015, AJPS 59:495-510). Notation as in the papers and
pysyncon: ``X1`` (k predictors of the treated unit), ``X0`` (k × J donors),
``Z1``/``Z0`` the pre-period outcomes over which V is chosen, ``W`` the donor
weights (w_j ≥ 0, Σ w_j = 1) minimising ‖X1 − X0 W‖_V with V diagonal,
non-negative, trace 1; predictors are first divided by their SD across units.

Kinds of fit (:data:`FitKind`): **predictors with optimised V** (V minimises
the pre-period MSPE ‖Z1 − Z0 W(V)‖²/T0: L-BFGS-B over V with the exact gradient
of W(V) on its support, from equal weights and from Synth's regression-based
start, keeping the better; the problem is not convex in V, and for the Basque
data a wide multi-start finds MSPE 0.0051 with weight on four regions against
0.0089 for the published Cataluña/Madrid solution that these starts reach);
**predictors with given V**; **pre-period outcomes only** (X = Z, V = I). The
inner problem is non-negative least squares (Lawson-Hanson) with Σ w = 1 as a
heavily weighted extra row, polished by solving the equality-constrained
problem exactly on the support found.

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

Data preparation (:func:`dataprep`, :func:`panel_dataprep`) is separate from
estimation (:func:`fit_synth`) and inference (:func:`placebo_test`), as in
pysyncon.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.optimize import minimize, nnls

from analysis.effect import Effect
from analysis.panel import COMPARATOR, INTERVENTION, PanelError, require_columns

FitKind = Literal[
    "predictors with optimised V", "predictors with given V", "pre-period outcomes only"
]
VChoice = Literal["optimise", "outcomes_only"]
Predictor = tuple[str, Sequence[Any]]
"""A predictor: (column, periods over which its mean is taken)."""


@dataclass(frozen=True)
class SynthData:
    """Matrices for one synthetic control fit (rows: predictors or periods; columns: donors).

    ``X0``/``X1`` are ``None`` when no predictors were asked for. ``Y0``/``Y1``
    hold the outcome over every period; ``Z0``/``Z1`` its pre-period rows used
    to choose V (and W for an outcomes-only fit).
    """

    treated: str
    treatment_time: Any
    X0: pd.DataFrame | None
    X1: pd.Series | None
    Z0: pd.DataFrame
    Z1: pd.Series
    Y0: pd.DataFrame
    Y1: pd.Series
    notes: tuple[str, ...] = ()

    @property
    def pre(self) -> np.ndarray:
        """Flags of the periods before the treatment time (the pre-period)."""
        return np.asarray(self.Y1.index < self.treatment_time)


@dataclass(frozen=True)
class SynthFit:
    """Donor weights, synthetic series and fit diagnostics (outcome's unit).

    ``predictor_loss`` is ‖X1 − X0 W‖²_V on the scaled predictors; near 0 the
    predictors are matched exactly, W is then not unique and V cannot be chosen
    (Abadie 2021, J Econ Lit 59:391-425): prefer an outcomes-only fit.
    """

    weights: pd.Series
    v: pd.Series | None
    synthetic: pd.Series
    gap: pd.Series
    pre_rmspe: float
    post_rmspe: float
    rmspe_ratio: float
    fit: FitKind
    predictor_loss: float | None = None


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


def _kkt(gram: np.ndarray, top: np.ndarray) -> np.ndarray:
    """Solve [[G, 1], [1', 0]] [x; λ] = [top; 0 or 1] (least squares if singular); return x."""
    m = gram.shape[0]
    kkt = np.block([[gram, np.ones((m, 1))], [np.ones((1, m)), np.zeros((1, 1))]])
    return np.linalg.lstsq(kkt, top, rcond=None)[0][:m]


def solve_w(X0: np.ndarray, X1: np.ndarray, v: np.ndarray | None = None) -> np.ndarray:
    """W ≥ 0 with Σ W = 1 minimising (X1 − X0 W)' diag(v) (X1 − X0 W) (v = 1 if None)."""
    a, b = np.asarray(X0, dtype=float), np.asarray(X1, dtype=float)
    if v is not None:
        root = np.sqrt(np.asarray(v, dtype=float))
        a, b = a * root[:, None], b * root
    n = a.shape[1]
    if n == 1:
        return np.ones(1)
    heavy = 1e3 * max(float(np.abs(a).max()), float(np.abs(b).max()), 1e-12)
    w, _ = nnls(np.vstack([np.full(n, heavy), a]), np.r_[heavy, b], maxiter=50 * n)
    w = w / w.sum()
    support = np.flatnonzero(w > 1e-10)
    exact = _kkt(a[:, support].T @ a[:, support], np.r_[a[:, support].T @ b, 1.0])
    if np.all(exact >= -1e-12):
        polished = np.zeros(n)
        polished[support] = np.clip(exact, 0.0, None) / np.clip(exact, 0.0, None).sum()
        if _sse(a, b, polished) <= _sse(a, b, w):
            return polished
    return w


def _sse(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> float:
    return float(np.sum((b - a @ w) ** 2))


def _scale(X1: np.ndarray, X0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Divide each predictor by its standard deviation across all units (as Synth does)."""
    sd = np.hstack([X1[:, None], X0]).std(axis=1, ddof=1)
    sd = np.where(sd > 0, sd, 1.0)
    return X1 / sd, X0 / sd[:, None]


def _mspe(Z1: np.ndarray, Z0: np.ndarray, w: np.ndarray) -> float:
    return _sse(Z0, Z1, w) / len(Z1)


def _regression_v(X1: np.ndarray, X0: np.ndarray, Z1: np.ndarray, Z0: np.ndarray) -> np.ndarray:
    """Starting V from regressing pre-period outcomes on predictors across units (as Synth)."""
    x = np.column_stack([np.ones(X0.shape[1] + 1), np.hstack([X0, X1[:, None]]).T])
    z = np.hstack([Z0, Z1[:, None]]).T
    beta = np.linalg.lstsq(x, z, rcond=None)[0][1:]
    v = np.sum(beta**2, axis=1)
    return v / v.sum() if v.sum() > 0 else np.full(len(v), 1 / len(v))


def _v_loss(
    v: np.ndarray, x0: np.ndarray, x1: np.ndarray, Z0: np.ndarray, Z1: np.ndarray
) -> tuple[float, np.ndarray]:
    """Pre-period MSPE of W(V) and its gradient in V, exact on W's support S.

    W_S solves M [W_S; λ] = [X_S' D X1; 1] (D = diag(v)), so ∂W_S/∂v_i =
    M⁻¹ [x_iS r_i; 0] with r = X1 − X0 W.
    """
    total = max(float(np.clip(v, 0.0, None).sum()), 1e-12)
    vv = np.clip(v, 0.0, None) / total
    w = solve_w(x0, x1, vv)
    support = np.flatnonzero(w > 1e-10)
    xs = x0[:, support]
    resid = Z1 - Z0 @ w
    dloss = -2.0 * Z0[:, support].T @ resid / len(Z1)
    u = _kkt(xs.T @ (vv[:, None] * xs), np.r_[dloss, 0.0])
    grad = (xs @ u) * (x1 - x0 @ w)
    return float(resid @ resid / len(Z1)), (grad - grad @ vv) / total


def _fit_arrays(
    X1: np.ndarray | None,
    X0: np.ndarray | None,
    Z1: np.ndarray,
    Z0: np.ndarray,
    v: VChoice | Sequence[float],
) -> tuple[np.ndarray, np.ndarray | None, FitKind, float | None]:
    """Weights, V, kind of fit and predictor loss ‖X1 − X0 W‖²_V (scaled) from arrays."""
    if isinstance(v, str) and v == "outcomes_only":
        return solve_w(Z0, Z1), None, "pre-period outcomes only", None
    if X1 is None or X0 is None:
        raise PanelError("no predictors were prepared: use v='outcomes_only' or give predictors")
    x1, x0 = _scale(X1, X0)
    kind: FitKind = "predictors with given V"
    if isinstance(v, str):
        k, kind = len(x1), "predictors with optimised V"
        options = {"jac": True, "method": "L-BFGS-B", "bounds": [(0.0, 1.0)] * k}
        starts = (np.full(k, 1 / k), _regression_v(x1, x0, Z1, Z0))
        runs = [minimize(_v_loss, s, args=(x0, x1, Z0, Z1), **options) for s in starts]
        vv = np.clip(min(runs, key=lambda r: r.fun).x, 0.0, None)
    else:
        vv = np.abs(np.asarray(v, dtype=float))
        if vv.shape != X1.shape or vv.sum() <= 0:
            raise PanelError(f"V needs {len(X1)} non-negative weights, not all zero")
    vv = vv / vv.sum()
    w = solve_w(x0, x1, vv)
    return w, vv, kind, float(np.sum(vv * (x1 - x0 @ w) ** 2))


def _rmspe(gap: np.ndarray, pre: np.ndarray) -> tuple[float, float, float]:
    pre_r = float(np.sqrt(np.mean(gap[pre] ** 2)))
    post_r = float(np.sqrt(np.mean(gap[~pre] ** 2))) if (~pre).any() else math.nan
    ratio = post_r / pre_r if pre_r > 0 else math.inf
    return pre_r, post_r, ratio


def fit_synth(data: SynthData, v: VChoice | Sequence[float] = "optimise") -> SynthFit:
    """Fit the synthetic control (Abadie & Gardeazabal 2003; Abadie et al. 2010).

    ``v``: ``"optimise"`` (V chosen to minimise pre-period outcome MSPE),
    ``"outcomes_only"`` (match pre-period outcomes), or one weight per predictor
    (rows of ``X0``). Returns weights (donor → weight), the synthetic series, the
    gap (treated − synthetic, outcome's unit), pre-period RMSPE and post/pre
    RMSPE ratio.
    """
    X1 = None if data.X1 is None else data.X1.to_numpy(float)
    X0 = None if data.X0 is None else data.X0.to_numpy(float)
    w, vv, kind, loss = _fit_arrays(X1, X0, data.Z1.to_numpy(float), data.Z0.to_numpy(float), v)
    synthetic = pd.Series(data.Y0.to_numpy(float) @ w, index=data.Y1.index, name="synthetic")
    gap = (data.Y1 - synthetic).rename("gap")
    pre_r, post_r, ratio = _rmspe(gap.to_numpy(), data.pre)
    return SynthFit(
        weights=pd.Series(w, index=data.Y0.columns, name="weight"),
        v=None if vv is None or data.X0 is None else pd.Series(vv, index=data.X0.index, name="v"),
        synthetic=synthetic,
        gap=gap,
        pre_rmspe=pre_r,
        post_rmspe=post_r,
        rmspe_ratio=ratio,
        fit=kind,
        predictor_loss=loss,
    )


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
    w = _fit_arrays(x1, x0, data.Z1.to_numpy(float), z0, v)[0]
    gaps = [data.Y1.to_numpy(float) - y0 @ w]
    for j in range(y0.shape[1]):
        rest = np.delete(np.arange(y0.shape[1]), j)
        xj = None if x0 is None else x0[:, j]
        xr = None if x0 is None else x0[:, rest]
        wj = _fit_arrays(xj, xr, z0[:, j], z0[:, rest], v)[0]
        gaps.append(y0[:, j] - y0[:, rest] @ wj)
    names = [data.treated, *data.Y0.columns]
    frame = pd.DataFrame(np.column_stack(gaps), index=data.Y1.index, columns=names)
    stats = [_rmspe(g, pre) for g in gaps]
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


def dataprep(
    frame: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: str,
    donors: Sequence[str],
    treatment_time: Any,
    predictors: Sequence[Predictor] = (),
    optimise_periods: Sequence[Any] | None = None,
) -> SynthData:
    """Build X0, X1, Z0, Z1 (and the full outcome series Y0, Y1) from a long frame.

    Each predictor is the mean of ``column`` over its periods (as pysyncon's
    ``Dataprep``); ``optimise_periods`` (default: every pre-period) are the rows
    of Z. Periods where the treated outcome is missing are left out; donors with
    a missing outcome or predictor are dropped (and said so in ``notes``).
    Raises :class:`PanelError` for no donors, a unit in both groups, an all-missing
    treated outcome, or no pre-period.
    """
    donors = list(dict.fromkeys(donors))
    if treated in donors:
        raise PanelError(f"{treated} is both the treated unit and a donor")
    if not donors:
        raise PanelError("no donors (comparator sites) to build a synthetic control from")
    wide = frame.pivot_table(index=time, columns=unit, values=outcome, aggfunc="mean", dropna=False)
    if treated not in wide.columns or wide[treated].isna().all():
        raise PanelError(f"the treated unit {treated} has no {outcome} values")
    wide = wide.loc[wide[treated].notna()].sort_index()
    pre_periods = wide.index[wide.index < treatment_time]
    if len(pre_periods) == 0:
        raise PanelError(f"no pre-period: {treated} has no values before {treatment_time}")
    wanted = pre_periods if optimise_periods is None else optimise_periods
    opt = [p for p in wanted if p in pre_periods]
    if not opt:
        raise PanelError(f"no pre-period values of {treated} in the periods to optimise over")
    keep = [d for d in donors if d in wide.columns and wide[d].notna().all()]
    rows: dict[str, pd.Series] = {}
    for column, periods in predictors:
        label = f"{column} ({_span(periods)})"
        part = frame.loc[frame[time].isin(list(periods))]
        rows[label] = part.groupby(unit)[column].mean().reindex([treated, *donors])
    X = pd.DataFrame(rows).T if rows else None
    if X is not None:
        if X[treated].isna().any():
            raise PanelError(f"the treated unit {treated} has missing predictors")
        keep = [d for d in keep if X[d].notna().all()]
    notes = ()
    if len(keep) < len(donors):
        dropped = [d for d in donors if d not in keep]
        notes = (f"{len(dropped)} donor(s) left out for missing values: {', '.join(dropped[:10])}",)
    if not keep:
        raise PanelError("no donors with complete values over the periods compared")
    return SynthData(
        treated=treated,
        treatment_time=treatment_time,
        X0=None if X is None else X[keep],
        X1=None if X is None else X[treated],
        Z0=wide.loc[opt, keep],
        Z1=wide.loc[opt, treated],
        Y0=wide[keep],
        Y1=wide[treated],
        notes=notes,
    )


def _span(periods: Sequence[Any]) -> str:
    dated = pd.Timestamp | np.datetime64
    values = [str(pd.Timestamp(p).date()) if isinstance(p, dated) else p for p in periods]
    return f"{values[0]}" if len(values) == 1 else f"{values[0]}–{values[-1]}"


def _check_panel(panel: pd.DataFrame) -> None:
    require_columns(panel, ["site_code", "group", "start_date", "period_start", "value"])
    groups = panel.groupby("site_code")["group"].nunique()
    both = sorted(groups.index[groups > 1])
    if both:
        raise PanelError(f"site(s) in both intervention and comparator groups: {', '.join(both)}")
    if not (panel["group"] == INTERVENTION).any():
        raise PanelError("no intervention sites in the panel")
    if panel.loc[panel["group"] == INTERVENTION, "start_date"].isna().all():
        raise PanelError("the intervention sites have no start date, so no pre/post periods")


def _weights(rows: pd.DataFrame) -> tuple[pd.Series, str]:
    """Aggregation weights: denominator if every row has one, else population, else equal."""
    for column, label in (("denominator", "denominator"), ("population", "population")):
        if column in rows and (rows[column] > 0).all():
            return rows[column].astype(float), f"{label}-weighted mean"
    return pd.Series(1.0, index=rows.index), "unweighted mean"


def panel_dataprep(panel: pd.DataFrame, *, predictors: bool = False) -> SynthData:
    """:func:`dataprep` for the tidy panel (:mod:`analysis.panel`): intervention sites vs donors.

    Several intervention sites are fitted as one treated unit, their
    denominator-weighted mean series (population-weighted when counts are
    missing, else the plain mean), treated from the earliest start date.
    ``predictors=True`` adds as predictors the outcome mean in each quarter of the
    pre-period and the IMD score (or decile) when every site has one.
    """
    _check_panel(panel)
    rows = panel.loc[panel["value"].notna()].copy()
    treated_rows = rows.loc[rows["group"] == INTERVENTION]
    sites = sorted(panel.loc[panel["group"] == INTERVENTION, "site_code"].unique())
    if treated_rows.empty:
        raise PanelError(f"the intervention site(s) {', '.join(sites)} have no values")
    start = panel.loc[panel["group"] == INTERVENTION, "start_date"].min()
    weights, how = _weights(treated_rows)
    treated = sites[0] if len(sites) == 1 else f"intervention aggregate ({len(sites)} sites)"
    known = [c for c in ("imd_score", "imd_decile") if c in rows and rows[c].notna().all()]
    imd = known[0] if known else None
    columns = ["value", *known[:1]]
    sums = treated_rows[columns].mul(weights, axis=0).assign(_w=weights)
    agg = sums.groupby(treated_rows["period_start"]).sum()
    long = agg[columns].div(agg["_w"], axis=0).reset_index().assign(site_code=treated)
    donors = sorted(panel.loc[panel["group"] == COMPARATOR, "site_code"].unique())
    long = pd.concat([long, rows.loc[rows["group"] == COMPARATOR, long.columns]])
    preds: list[Predictor] = []
    pre_periods = sorted(long.loc[long["period_start"] < start, "period_start"].unique())
    if predictors and pre_periods:
        for block in np.array_split(np.asarray(pre_periods), min(4, len(pre_periods))):
            preds.append(("value", list(block)))
        if imd:
            preds.append((imd, pre_periods))
    data = dataprep(
        long,
        unit="site_code",
        time="period_start",
        outcome="value",
        treated=treated,
        donors=donors,
        treatment_time=start,
        predictors=preds,
    )
    if not (~data.pre).any():
        raise PanelError(f"no post-period: no intervention values on or after {start:%Y-%m-%d}")
    notes = list(data.notes)
    if len(sites) > 1:
        notes.append(
            f"fitted on the {how} of {len(sites)} intervention sites, "
            f"treated from the earliest start {start:%Y-%m-%d}"
        )
    return SynthData(**{**data.__dict__, "notes": tuple(notes)})


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
