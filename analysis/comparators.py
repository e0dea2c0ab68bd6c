"""Comparator builder: propose similar sites, check balance, compare with a published list.

Similarity is judged on the pre-period **level** (mean of the measure before the
earliest intervention start), the pre-period **trend** (each site's OLS slope of
the measure on time, per year), **deprivation** (IMD score, else IMD decile) and
**population** (log10, as list sizes are skewed). The covariates are
standardised and the distance is either Mahalanobis (default: the covariates
are correlated, deprived areas having different levels and trends; covariance
across every site, pseudo-inverse if singular; Rubin 1980) or standardised
Euclidean (each covariate divided by its standard deviation across every site).

Each intervention site gets its k nearest candidates (non-intervention sites);
the group's proposal takes the nearest of each intervention site in turn
(round-robin by rank, nearest first), without repeats, until it holds k sites:
nearest-neighbour matching without replacement.

Balance: standardised mean difference (Austin 2009, Stat Med 28:3083-107),
(mean_t − mean_c) / √((s²_t + s²_c) / 2) with sample variances; an |SMD| below
0.1 is the usual mark of good balance.

Agreement with a published nearest-neighbour table (columns ``orig, dest,
distance``, such as the PCN and practice neighbours of
blackwellrd/display_nearest_neighbour_data): per intervention site our list,
theirs, the overlap and the Jaccard index |ours ∩ theirs| / |ours ∪ theirs|.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.panel import COMPARATOR, INTERVENTION, PanelError, require_columns

Metric = Literal["mahalanobis", "standardised_euclidean"]


@dataclass(frozen=True)
class ComparatorProposal:
    """Proposed comparators and the evidence behind them.

    ``proposed``: the group's k comparators in the order chosen; ``neighbours``:
    each intervention site's k nearest candidates (``site_code, rank, candidate,
    distance``); ``covariates``: :func:`site_covariates` of every site;
    ``used``: the covariates that entered the distance; ``current``: the
    panel's comparator sites.
    """

    intervention: tuple[str, ...]
    proposed: tuple[str, ...]
    current: tuple[str, ...]
    neighbours: pd.DataFrame
    covariates: pd.DataFrame
    used: tuple[str, ...]
    metric: Metric
    notes: tuple[str, ...] = ()

    def per_site(self) -> dict[str, tuple[str, ...]]:
        """Each intervention site's nearest candidates, nearest first."""
        ordered = self.neighbours.sort_values(["site_code", "rank"])
        return {s: tuple(g["candidate"]) for s, g in ordered.groupby("site_code", sort=False)}

    def balance(self) -> pd.DataFrame:
        """:func:`balance_table` of the current and the proposed comparators."""
        sets = {"current": self.current, "proposed": self.proposed}
        return balance_table(self.covariates, self.intervention, sets)


def _check_groups(panel: pd.DataFrame) -> tuple[list[str], list[str]]:
    require_columns(panel, ["site_code", "group", "start_date", "period_start", "value"])
    groups = panel.groupby("site_code")["group"].nunique()
    both = sorted(groups.index[groups > 1])
    if both:
        raise PanelError(f"site(s) in both intervention and comparator groups: {', '.join(both)}")
    intervention = sorted(panel.loc[panel["group"] == INTERVENTION, "site_code"].unique())
    others = sorted(panel.loc[panel["group"] != INTERVENTION, "site_code"].unique())
    if not intervention:
        raise PanelError("no intervention sites in the panel")
    if not others:
        raise PanelError("no non-intervention sites to propose as comparators")
    return intervention, others


def site_covariates(panel: pd.DataFrame, sites: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per site (index ``site_code``): group and the covariates compared.

    Columns: ``pre_level`` (measure's unit), ``pre_trend_per_year`` (unit per
    year), ``imd_score`` (or ``imd_decile``) and ``population`` (people).

    Pre-period = periods starting before the earliest intervention start date.
    ``pre_trend_per_year`` is the OLS slope of ``value`` on time in years (needs
    two periods). IMD score is used when every site has one, else the decile.
    ``sites`` (``site_code`` plus any of ``imd_score``, ``imd_decile``,
    ``population``) fills values the panel lacks.
    """
    _check_groups(panel)
    start = panel.loc[panel["group"] == INTERVENTION, "start_date"].min()
    if pd.isna(start):
        raise PanelError("the intervention sites have no start date, so no pre-period")
    pre = panel.loc[(panel["period_start"] < start) & panel["value"].notna()]
    if pre.empty:
        raise PanelError(f"no pre-period: no values before {start:%Y-%m-%d}")
    years = (pre["period_start"] - pd.Timestamp("2000-01-01")).dt.days / 365.25
    pre = pre.assign(_t=years.to_numpy(), _y=pre["value"].astype(float))
    pre = pre.assign(_tt=pre["_t"] ** 2, _ty=pre["_t"] * pre["_y"])
    sums = pre.groupby("site_code")[["_t", "_y", "_tt", "_ty"]].mean()
    n = pre.groupby("site_code").size()
    var_t = sums["_tt"] - sums["_t"] ** 2
    slope = (sums["_ty"] - sums["_t"] * sums["_y"]) / var_t.where((var_t > 1e-12) & (n > 1))
    attributes = ["imd_score", "imd_decile", "population"]
    per_site = panel.groupby("site_code").agg(
        group=("group", "first"), **{c: (c, "first") for c in attributes if c in panel}
    )
    per_site = per_site.reindex(columns=["group", *attributes])
    if sites is not None:
        given = sites.drop_duplicates("site_code").set_index("site_code")
        for column in attributes:
            if column in given:
                per_site[column] = per_site[column].fillna(given[column].reindex(per_site.index))
    imd = "imd_score" if per_site["imd_score"].notna().all() else "imd_decile"
    out = pd.DataFrame(
        {
            "group": per_site["group"],
            "pre_level": sums["_y"].reindex(per_site.index),
            "pre_trend_per_year": slope.reindex(per_site.index),
            imd: per_site[imd].astype(float),
            "population": per_site["population"].astype(float),
        }
    )
    return out.rename_axis("site_code")


def _distances(values: pd.DataFrame, targets: Sequence[str], metric: Metric) -> pd.DataFrame:
    """Distance from each target (rows) to every site (columns) on standardised covariates."""
    x = values.to_numpy(float)
    x = (x - x.mean(axis=0)) / np.where(x.std(axis=0, ddof=1) > 0, x.std(axis=0, ddof=1), 1.0)
    if metric == "mahalanobis" and x.shape[1] > 1:
        inv = np.linalg.pinv(np.atleast_2d(np.cov(x, rowvar=False)))
    else:
        inv = np.eye(x.shape[1])
    t = x[[values.index.get_loc(s) for s in targets]]
    diff = t[:, None, :] - x[None, :, :]
    d2 = np.einsum("ijk,kl,ijl->ij", diff, inv, diff)
    return pd.DataFrame(np.sqrt(np.clip(d2, 0, None)), index=list(targets), columns=values.index)


def propose_comparators(
    panel: pd.DataFrame,
    k: int = 10,
    *,
    sites: pd.DataFrame | None = None,
    metric: Metric = "mahalanobis",
    current: Sequence[str] | None = None,
) -> ComparatorProposal:
    """Propose the k non-intervention sites most similar to the intervention sites.

    Covariates and distance as in the module docstring. ``current`` (default:
    the panel's comparator sites) is kept for the balance table. Candidates
    missing a covariate are left out; a covariate missing for any intervention
    site is dropped (both said in ``notes``).
    """
    if k < 1:
        raise PanelError("k must be at least 1")
    intervention, others = _check_groups(panel)
    notes: list[str] = []
    others, excluded = same_type_candidates(panel, intervention, others)
    if excluded:
        notes.append(
            f"{excluded} site(s) of another type than the intervention sites (or an aggregate: "
            "a region, England, a deprivation group) are not proposed"
        )
    if not others:
        raise PanelError(
            "no site of the intervention sites' type to propose as a comparator "
            "(aggregates such as England or a region are never proposed)"
        )
    cov = site_covariates(panel, sites)
    names = [c for c in cov.columns if c != "group"]
    used = [c for c in names if cov.loc[intervention, c].notna().all()]
    dropped = [c for c in names if c not in used]
    if dropped:
        notes.append(f"left out of the distance (missing for an intervention site): {dropped}")
    if not used:
        raise PanelError("no covariate is known for every intervention site")
    values = cov[used].assign(population=np.log10(cov["population"].clip(lower=1)))[used]
    complete = values.notna().all(axis=1)
    candidates = [s for s in others if complete[s]]
    if len(candidates) < len(others):
        notes.append(
            f"{len(others) - len(candidates)} candidate(s) left out for missing covariates"
        )
    if not candidates:
        raise PanelError("no candidate comparator has every covariate")
    if len(candidates) < k:
        notes.append(f"only {len(candidates)} candidates for k = {k}")
    pool = values.loc[[*intervention, *others]]
    dist = _distances(pool.loc[complete.loc[pool.index]], intervention, metric)[candidates]
    rows = []
    for site in intervention:
        nearest = dist.loc[site].sort_values(kind="stable").head(k)
        rows += [(site, r, c, float(d)) for r, (c, d) in enumerate(nearest.items(), start=1)]
    neighbours = pd.DataFrame(rows, columns=["site_code", "rank", "candidate", "distance"])
    order = neighbours.sort_values(["rank", "distance"], kind="stable")["candidate"]
    proposed = tuple(dict.fromkeys(order))[:k]
    if current is None:
        eligible = set(others)
        marked = panel.loc[panel["group"] == COMPARATOR, "site_code"].unique()
        current = sorted(s for s in marked if s in eligible)
    return ComparatorProposal(
        intervention=tuple(intervention),
        proposed=proposed,
        current=tuple(current),
        neighbours=neighbours,
        covariates=cov,
        used=tuple(used),
        metric=metric,
        notes=tuple(notes),
    )


AGGREGATE_TYPES = frozenset({"region", "country"})
"""Site types that are aggregates of other sites: never proposed as comparators."""


def same_type_candidates(
    panel: pd.DataFrame, intervention: Sequence[str], others: Sequence[str]
) -> tuple[list[str], int]:
    """The candidates of the intervention sites' type (never an aggregate), and how many not.

    The rule of :func:`analysis.arms.assign_arms` (comparators are sites of the
    intervention sites' type), so that the builder's counts agree with the
    comparison's. Without a ``site_type`` column every candidate is kept.
    """
    if "site_type" not in panel:
        return list(others), 0
    types = panel.drop_duplicates("site_code").set_index("site_code")["site_type"]
    wanted = set(types.reindex(list(intervention)).dropna()) - AGGREGATE_TYPES
    kept = [s for s in others if types.get(s) in wanted]
    return kept, len(others) - len(kept)


def standardised_difference(treated: Sequence[float], control: Sequence[float]) -> float:
    """Austin (2009) standardised mean difference, (m_t − m_c) / √((s²_t + s²_c) / 2).

    Sample variances (n − 1). When a group has one site its variance is
    undefined and the other group's standard deviation is the denominator.
    Returns 0 when both means are equal and NaN when the denominator is 0
    otherwise (or a group is empty).
    """
    t = np.asarray(treated, dtype=float)
    c = np.asarray(control, dtype=float)
    t, c = t[np.isfinite(t)], c[np.isfinite(c)]
    if t.size == 0 or c.size == 0:
        return math.nan
    diff = float(t.mean() - c.mean())
    variances = [float(x.var(ddof=1)) for x in (t, c) if x.size > 1]
    sd = math.sqrt(sum(variances) / len(variances)) if variances else 0.0
    if diff == 0:
        return 0.0
    return diff / sd if sd > 0 else math.nan


def balance_table(
    covariates: pd.DataFrame,
    intervention: Sequence[str],
    comparator_sets: Mapping[str, Sequence[str]],
) -> pd.DataFrame:
    """Intervention vs comparator means and Austin (2009) SMD, per covariate and comparator set.

    ``covariates``: one row per site (index ``site_code``), e.g. from
    :func:`site_covariates`; every numeric column is compared. Returns columns
    ``comparator_set, covariate, intervention_mean, comparator_mean, smd,
    n_intervention, n_comparator``.
    """
    numeric = [c for c in covariates.columns if pd.api.types.is_numeric_dtype(covariates[c])]
    treated = covariates.reindex(list(intervention))
    rows = []
    for name, members in comparator_sets.items():
        control = covariates.reindex(list(members))
        for column in numeric:
            rows.append(
                {
                    "comparator_set": name,
                    "covariate": column,
                    "intervention_mean": float(treated[column].mean()),
                    "comparator_mean": float(control[column].mean()),
                    "smd": standardised_difference(treated[column], control[column]),
                    "n_intervention": int(treated[column].notna().sum()),
                    "n_comparator": int(control[column].notna().sum()),
                }
            )
    return pd.DataFrame(rows)


def agreement_with_published(
    published: pd.DataFrame,
    ours: Mapping[str, Sequence[str]] | ComparatorProposal,
    k: int | None = None,
) -> pd.DataFrame:
    """Where our proposals agree with a published nearest-neighbour table.

    ``published``: columns ``orig, dest, distance`` (nearest first by
    ``distance``); ``ours``: intervention site → our comparators (or a
    :class:`ComparatorProposal`, using its per-site lists). ``k`` truncates
    theirs to their k nearest (default: all they list). Returns one row per
    intervention site: ``site_code, ours, theirs, n_ours, n_theirs, overlap,
    shared, jaccard`` (Jaccard = |ours ∩ theirs| / |ours ∪ theirs|; NaN when
    the site is not in the published table).
    """
    missing = [c for c in ("orig", "dest", "distance") if c not in published.columns]
    if missing:
        raise PanelError(f"published neighbour table is missing column(s): {', '.join(missing)}")
    lists = ours.per_site() if isinstance(ours, ComparatorProposal) else ours
    ordered = published.sort_values(["orig", "distance"], kind="stable")
    theirs_by_site = {o: tuple(g["dest"]) for o, g in ordered.groupby("orig", sort=False)}
    rows = []
    for site, mine in lists.items():
        theirs = theirs_by_site.get(site, ())[:k]
        a, b = set(mine), set(theirs)
        shared = tuple(s for s in mine if s in b)
        rows.append(
            {
                "site_code": site,
                "ours": tuple(mine),
                "theirs": theirs,
                "n_ours": len(a),
                "n_theirs": len(b),
                "overlap": len(shared),
                "shared": shared,
                "jaccard": len(shared) / len(a | b) if theirs else math.nan,
            }
        )
    return pd.DataFrame(rows)
