"""Site levels and area pickers: which sites a measure is compared at, and the areas around them.

**Sites at a level** (:func:`level_rows`): the rows of one site type, or
practices pooled into their parent (e.g. PCNs from practices, Σ numerator ÷
Σ denominator) when the parent type has no rows of its own; :func:`site_levels`
lists the levels a measure offers and :func:`default_level` the one shown
first. The area pickers (:func:`area_choices`, :func:`area_labels`) list the
areas (ICB, region …) containing some sites, from the sites table's
``parent_code`` chain (:func:`ancestors`). Used by Compare areas
(:mod:`analysis.areas`), Funnel plot, Map and Inequalities.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TYPE_ORDER = ("practice", "pcn", "la", "sub_icb", "icb", "region", "country", "other")
TYPE_NAMES = {
    "practice": "GP practices",
    "pcn": "PCNs",
    "la": "Local authorities (districts and UAs)",
    "sub_icb": "Sub-ICB locations",
    "icb": "ICBs",
    "region": "NHS regions",
    "country": "England",
    "other": "Other areas (e.g. deprivation groups)",
}
SITE_COLUMNS = (
    "site_name",
    "site_type",
    "parent_code",
    "group",
    "start_date",
    "imd_decile",
    "imd_quintile",
    "population",
)


def type_name(site_type: str | None) -> str:
    """Plain name of a site type (``"pcn"`` → ``"PCNs"``)."""
    return TYPE_NAMES.get(site_type or "", site_type or "unknown type")


def type_phrase(site_type: str | None) -> str:
    """A site type's name inside a sentence: ``"GP practices"``, ``"local authorities (…)"``."""
    name = type_name(site_type)
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def _type_rank(site_type: str) -> int:
    return TYPE_ORDER.index(site_type) if site_type in TYPE_ORDER else len(TYPE_ORDER)


@dataclass(frozen=True)
class Level:
    """Sites of one type, reported directly or pooled from their children (``pooled_from``)."""

    site_type: str
    pooled_from: str | None = None

    @property
    def label(self) -> str:
        """What the site-type picker shows."""
        name = type_name(self.site_type)
        if self.pooled_from is None:
            return name
        return f"{name} (pooled from {type_phrase(self.pooled_from)})"


def is_in(column: pd.Series, codes: pd.Series | pd.Index | list) -> np.ndarray:
    """Boolean mask: ``column`` values found in ``codes`` (missing never matches).

    pandas' ``isin`` on Arrow strings converts every value one by one; an index
    lookup is about ten times faster on thousands of codes.
    """
    index = pd.Index(pd.Series(list(codes), dtype="object").dropna().unique())
    return index.get_indexer(column) >= 0


def has_counts(rows: pd.DataFrame) -> pd.Series:
    """Rows with a numerator and a positive denominator (counts that can be pooled)."""
    return rows["numerator"].notna() & rows["denominator"].notna() & (rows["denominator"] > 0)


POOLED_LEVELS = {"practice": ("pcn", "sub_icb", "icb", "region")}
"""Child type → the ancestor types its counts may be pooled into (practices make up a PCN,
and through the ``parent_code`` chain a sub-ICB location, an ICB and a region)."""


def site_levels(rows: pd.DataFrame, sites: pd.DataFrame) -> list[Level]:
    """The levels a measure can be compared at: its site types, then pooled parent levels.

    England alone is not a level when other types exist. Practices' counts
    pool into each type above them in the sites table's ``parent_code`` chain
    (PCN, sub-ICB location, ICB, region) that has no rows of its own, so a
    pooled value never sits beside a published one. (Only practices pool: a
    file of local authorities rarely holds every one of a region's, and a
    partial sum would mislead; the pooled rows' ``n_pooled`` says how many
    practices each sum holds.)
    """
    direct = sorted(rows["site_type"].dropna().unique(), key=_type_rank)
    if len(direct) > 1:
        direct = [t for t in direct if t != "country"]
    levels = [Level(t) for t in direct]
    counted = rows[has_counts(rows) & rows["parent_code"].notna()]
    chain = ancestors(sites)
    for child, parents in POOLED_LEVELS.items():
        if child not in direct:
            continue
        children = counted.loc[counted["site_type"] == child, "site_code"].unique()
        above = set(chain.loc[is_in(chain["site_code"], children), "ancestor_type"])
        for parent in parents:
            if parent in above and parent not in direct:
                levels.append(Level(parent, pooled_from=child))
    return levels


def level_rows(
    rows: pd.DataFrame, sites: pd.DataFrame, level: Level, multiplier: float
) -> pd.DataFrame:
    """One row per site and period at ``level``; pooled levels sum their children's counts.

    Pooled rows carry ``n_pooled`` (children with counts in that period), the
    parent's own details from ``sites`` and value = Σ numerator ÷ Σ
    denominator × ``multiplier``; published intervals do not pool, so they are
    empty. Direct rows get ``n_pooled`` = NaN. The input is not modified.
    """
    if level.pooled_from is None:
        out = rows[rows["site_type"] == level.site_type].copy()
        out["n_pooled"] = np.nan
        return out.reset_index(drop=True)
    child = rows[
        (rows["site_type"] == level.pooled_from) & has_counts(rows) & rows["parent_code"].notna()
    ]
    chain = ancestors(sites)
    up = chain[chain["ancestor_type"] == level.site_type].drop_duplicates("site_code")
    owner = up.set_index("site_code")["ancestor_code"]
    child = child.assign(parent_code=child["site_code"].map(owner)).dropna(subset=["parent_code"])
    keys = ["parent_code", "period_start", "period_end", "granularity"]
    pooled = child.groupby(keys, as_index=False, sort=True).agg(
        period_label=("period_label", "first"),
        numerator=("numerator", "sum"),
        denominator=("denominator", "sum"),
        n_pooled=("site_code", "nunique"),
    )
    pooled = pooled.rename(columns={"parent_code": "site_code"})
    details = sites.set_index("site_code").reindex(pooled["site_code"])
    for column in SITE_COLUMNS:
        pooled[column] = details[column].to_numpy() if column in details else np.nan
    pooled = pooled[pooled["site_type"] == level.site_type].reset_index(drop=True)
    pooled["measure"] = rows["measure"].iloc[0] if len(rows) else None
    pooled["value"] = pooled["numerator"] / pooled["denominator"] * multiplier
    pooled["lower_ci"] = np.nan
    pooled["upper_ci"] = np.nan
    return pooled


def periods(frame: pd.DataFrame) -> list[str]:
    """Period labels of ``frame`` in time order (latest last)."""
    order = frame.drop_duplicates("period_label").sort_values("period_start")
    return order["period_label"].tolist()


DEFAULT_LEVEL_ORDER = (Level("pcn"), Level("pcn", "practice"), Level("la"), Level("practice"))


def default_level(levels: list[Level]) -> Level:
    """The level shown first: PCNs (published or pooled), then local authorities, practices."""
    for level in DEFAULT_LEVEL_ORDER:
        if level in levels:
            return level
    return levels[0]


AREA_TYPE_LABELS = {
    "country": "Country",
    "region": "Region",
    "icb": "ICB",
    "sub_icb": "Sub-ICB",
    "pcn": "PCN",
    "la": "LA",
}


def area_labels(choices: pd.DataFrame) -> dict[str, str]:
    """Picker labels for :func:`area_choices` rows: ``"ICB · NHS … (83 sites)"``."""
    labels = {}
    for row in choices.itertuples(index=False):
        kind = AREA_TYPE_LABELS.get(row.area_type, row.area_type or "")
        name = row.area_name if isinstance(row.area_name, str) else row.area_code
        prefix = f"{kind} · " if kind else ""
        labels[row.area_code] = f"{prefix}{name} ({row.n_sites:,} sites)"
    return labels


def unmatched_parents(sites: pd.DataFrame, known: set[str]) -> tuple[str, ...]:
    """A note naming the parent codes of ``sites`` that match no site (empty when all match).

    ``known`` holds every site code in the store and the load. A practice whose
    PCN is not in the sites table cannot be pooled into it (Compare areas,
    Funnel plot and Inequalities pool children into parents they can find).
    """
    if sites.empty or "parent_code" not in sites.columns:
        return ()
    parents = sites["parent_code"].dropna()
    missing = sorted(set(parents) - known)
    if not missing:
        return ()
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    n_sites = int(parents.isin(missing).sum())
    return (
        f"{len(missing)} parent code(s) match no site ({shown}): the {n_sites} site(s) under "
        "them cannot be pooled into a parent; add the parents to a sites file",
    )


def ancestors(sites: pd.DataFrame, max_depth: int = 8) -> pd.DataFrame:
    """Every (site, ancestor) pair from the ``parent_code`` chain (parent, grandparent …).

    Returns ``site_code``, ``ancestor_code``, ``ancestor_type``, ``depth`` (1 =
    parent). Chains stop at a code not in ``sites`` or after ``max_depth``
    steps (so a loop in the data cannot hang).
    """
    unique = sites.drop_duplicates("site_code")
    codes = unique["site_code"].tolist()
    parent = {
        code: up
        for code, up in zip(codes, unique["parent_code"].tolist(), strict=True)
        if isinstance(up, str)
    }
    kind = dict(zip(codes, unique["site_type"].tolist(), strict=True))
    rows = []
    for code in codes:
        current = parent.get(code)
        depth = 1
        while current is not None and current in kind and depth <= max_depth:
            rows.append((code, current, kind[current], depth))
            current, depth = parent.get(current), depth + 1
    return pd.DataFrame(rows, columns=["site_code", "ancestor_code", "ancestor_type", "depth"])


def area_choices(site_codes: pd.Series, sites: pd.DataFrame) -> pd.DataFrame:
    """Areas containing some of ``site_codes``, largest type (England) first.

    Returns ``area_code``, ``area_name``, ``area_type`` and ``n_sites``.
    """
    pairs = ancestors(sites)
    pairs = pairs[is_in(pairs["site_code"], site_codes)]
    counts = pairs.groupby(["ancestor_code", "ancestor_type"], as_index=False)[
        "site_code"
    ].nunique()
    counts.columns = ["area_code", "area_type", "n_sites"]
    names = sites.drop_duplicates("site_code").set_index("site_code")["site_name"]
    counts["area_name"] = names.reindex(counts["area_code"]).to_numpy()
    counts["_order"] = counts["area_type"].map(lambda t: -_type_rank(t))
    counts = counts.sort_values(["_order", "area_name"]).drop(columns="_order")
    return counts[["area_code", "area_name", "area_type", "n_sites"]].reset_index(drop=True)
