"""Sites into deprivation groups, and what the Inequalities page can offer for a measure.

From a measure's rows and the sites table, for the Inequalities page and
``python -m analysis inequality``:

1. **Sites → deprivation groups** (:func:`site_quantile`): each site's IMD
   decile (``imd_decile``, 1 = most deprived tenth of England) or quintile
   (``imd_quintile``, else ⌈decile ÷ 2⌉). Published deprivation-group rows
   (e.g. England's districts grouped by IMD decile, or an ICB's practices by
   practice IMD quintile) are recognised by what they are (:func:`is_breakdown`):
   sites of type ``other`` that are one site per deprivation group of a parent
   area; they are read per parent area. Every other site, including sites of a
   sites file without ``site_type`` (stored as ``other``), is a real site, pooled
   into groups by its IMD for all sites of the type or within an area above it.
2. **What can be chosen**: the site types with deprivation known
   (:func:`inequality_site_types`, labelled by :func:`site_type_label`),
   deciles or quintiles (:func:`quantile_options`, :func:`default_quantiles`)
   and the areas to read them in (:func:`area_options`, :func:`area_rows`).
3. **How each group's value is formed** (:func:`choose_basis`): ``counts``
   (Σ numerator ÷ Σ denominator, with a Wilson or Byar/exact Poisson
   interval), ``published`` (one site per group: its published value and
   interval, e.g. directly standardised rates) or ``values`` (value-only
   sites: mean of the site values with a Student's t interval); the values
   themselves are :func:`analysis.inequality_view.quantile_table`.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from analysis.rates import MethodInputError
from analysis.site_intervals import published_is_crude
from analysis.site_levels import ancestors, area_choices, is_in, type_name, type_phrase

Basis = Literal["counts", "published", "values"]
BREAKDOWN_TYPE = "other"
"""Site type of published deprivation-group rows (and of sites given no type)."""
ALL_AREAS = "all"


def site_quantile(rows: pd.DataFrame, quantiles: int) -> pd.Series:
    """Each row's deprivation group: IMD decile (10) or quintile (5); NaN when unknown."""
    decile = pd.to_numeric(rows["imd_decile"], errors="coerce")
    if quantiles == 10:
        return decile
    if quantiles == 5:
        quintile = pd.to_numeric(rows.get("imd_quintile"), errors="coerce")
        return quintile.fillna(np.ceil(decile / 2))
    raise MethodInputError("deprivation groups are deciles (10) or quintiles (5)")


def is_breakdown(rows: pd.DataFrame, site_type: str) -> bool:
    """Whether ``site_type``'s rows are published deprivation-group rows, not real sites.

    True for type ``other`` when every site has a parent area and no parent has
    two sites in one deprivation group (a site per group of an area, e.g.
    ``E92000001-DLAD-01`` … ``-10``). Sites without a parent, or several in one
    group of a parent (practices of a PCN given no type), are real sites.
    """
    if site_type != BREAKDOWN_TYPE:
        return False
    typed = rows[(rows["site_type"] == site_type) & site_quantile(rows, 5).notna()]
    sites = typed.drop_duplicates("site_code")
    if sites.empty or sites["parent_code"].isna().any():
        return False
    decile = pd.to_numeric(sites["imd_decile"], errors="coerce")
    group = decile.where(decile.notna(), site_quantile(sites, 5) * 100)
    return bool((sites.assign(_g=group).groupby(["parent_code", "_g"]).size() == 1).all())


def reading_text(rows: pd.DataFrame, site_type: str) -> str | None:
    """The message saying how sites of type ``other`` were read (None for other types)."""
    if site_type != BREAKDOWN_TYPE:
        return None
    if is_breakdown(rows, site_type):
        return (
            "Sites of type 'other' are read as published deprivation-group rows: each is the "
            "only site of its deprivation group within its parent area."
        )
    return (
        "Sites of type 'other' (or given no site_type) are read as real sites pooled by their "
        "IMD: some have no parent area or share a deprivation group within one."
    )


def inequality_site_types(rows: pd.DataFrame) -> list[str]:
    """Site types with deprivation known: published breakdowns first, then most sites first."""
    known = rows[site_quantile(rows, 5).notna()]
    counts = known.groupby("site_type")["site_code"].nunique()
    counts = counts[counts >= 2]
    ordered = sorted(counts.index, key=lambda t: (not is_breakdown(rows, t), -counts[t]))
    return list(ordered)


def quantile_options(rows: pd.DataFrame) -> list[int]:
    """Deciles (10) when every site has one, and quintiles (5) whenever deprivation is known."""
    options = []
    if rows["imd_decile"].notna().all() and rows["imd_decile"].nunique() >= 5:
        options.append(10)
    if site_quantile(rows, 5).notna().any():
        options.append(5)
    return options


def default_quantiles(rows: pd.DataFrame, site_type: str, allowed: list[int]) -> int:
    """Deciles for a breakdown published by decile (e.g. England's districts), else quintiles."""
    if is_breakdown(rows, site_type) and 10 in allowed:
        return 10
    return 5 if 5 in allowed else allowed[0]


def site_type_label(site_type: str, breakdown: bool) -> str:
    """Picker label: published breakdowns and sites given no type say what they are."""
    if breakdown:
        return "Deprivation groups (published, one row per group of an area)"
    if site_type == BREAKDOWN_TYPE:
        return "Sites (type 'other' or not given) grouped by their IMD"
    return f"{type_name(site_type)} grouped by their IMD"


def area_options(rows: pd.DataFrame, sites: pd.DataFrame, site_type: str) -> pd.DataFrame:
    """Areas to read the inequality for: ``area_code``, ``area_name``, ``area_type``, ``n_sites``.

    Published breakdowns (:func:`is_breakdown`) are read per parent area (their
    parent code), England first. Real sites may be pooled for all sites of the type
    (``area_code`` = :data:`ALL_AREAS`) or within any area above them except
    PCNs (too few sites for five groups).
    """
    typed = rows[(rows["site_type"] == site_type) & site_quantile(rows, 5).notna()]
    names = sites.drop_duplicates("site_code").set_index("site_code")
    if is_breakdown(rows, site_type):
        parents = typed.dropna(subset=["parent_code"]).groupby("parent_code")["site_code"]
        out = parents.nunique().rename("n_sites").reset_index()
        out = out.rename(columns={"parent_code": "area_code"})
        out["area_name"] = names["site_name"].reindex(out["area_code"]).to_numpy()
        out["area_type"] = names["site_type"].reindex(out["area_code"]).to_numpy()
        order = {"country": 0, "region": 1, "icb": 2}
        out["_o"] = out["area_type"].map(order).fillna(3)
        out = out.sort_values(["_o", "area_name"]).drop(columns="_o")
        return out[["area_code", "area_name", "area_type", "n_sites"]].reset_index(drop=True)
    first = pd.DataFrame(
        {
            "area_code": [ALL_AREAS],
            "area_name": [
                f"All {type_phrase(site_type) if site_type != BREAKDOWN_TYPE else 'sites'}"
            ],
            "area_type": [None],
            "n_sites": [typed["site_code"].nunique()],
        }
    )
    above = area_choices(typed["site_code"], sites)
    above = above[(above["area_type"] != "pcn") & (above["n_sites"] >= 5)]
    return pd.concat([first, above], ignore_index=True)


def area_rows(
    rows: pd.DataFrame, sites: pd.DataFrame, site_type: str, area: str | None
) -> pd.DataFrame:
    """The rows of ``site_type`` in ``area`` (a parent for breakdowns, an ancestor otherwise)."""
    typed = rows[rows["site_type"] == site_type]
    breakdown = is_breakdown(rows, site_type)
    if area in (None, ALL_AREAS):
        if breakdown and typed["parent_code"].nunique() > 1:
            raise MethodInputError(
                "deprivation groups of several areas cannot be pooled: choose an area"
            )
        return typed
    if breakdown:
        return typed[typed["parent_code"] == area]
    pairs = ancestors(sites)
    inside = pairs.loc[pairs["ancestor_code"] == area, "site_code"]
    return typed[is_in(typed["site_code"], inside)]


def choose_basis(rows: pd.DataFrame, quantiles: int, multiplier: float) -> Basis:
    """How group values are formed (module docstring): counts, published or values.

    Counts when every row has them and either the published value is the crude
    one or groups hold several sites (age-standardised values cannot be
    pooled; pooled crude rates are used instead); published when each group
    is one site; otherwise the mean of site values.
    """
    has_counts = bool((rows["numerator"].notna() & (rows["denominator"] > 0)).all())
    q = site_quantile(rows, quantiles)
    one_each = bool((rows.assign(_q=q).groupby(["period_start", "_q"]).size() == 1).all())
    crude = bool(published_is_crude(rows, multiplier).all()) if has_counts else False
    if has_counts and (crude or not one_each):
        return "counts"
    if one_each:
        return "published"
    return "values"
