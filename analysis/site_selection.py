"""Choosing sites in bulk: by type, parent (e.g. PCN), deprivation, list size, pasted codes.

The Sites page filters the sites table with :func:`filter_sites` and marks every site
shown at once with :func:`bulk_grouping`, which returns a grouping (``site_code, group,
start_date``) to store as one load (:meth:`analysis.store.Store.save_grouping`), so a
bulk change is kept in the history and rolled back like any other.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

GROUP_CHOICES = ("intervention", "comparator", "eligible comparator")
"""What a bulk action can set; "eligible comparator" clears the group."""


@dataclass(frozen=True)
class SiteFilter:
    """The Sites page's choices; ``None`` or empty means "no filter on this"."""

    types: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    deciles: tuple[int, int] | None = None
    population: tuple[float, float] | None = None
    codes: tuple[str, ...] = ()
    query: str = ""
    only_grouped: bool = False


def parse_codes(text: str) -> tuple[str, ...]:
    """Site codes pasted as a list: split on commas, semicolons, spaces, tabs or lines.

    Surrounding quotes are dropped; repeats are kept once, in the order given.
    """
    parts = (p.strip().strip("\"'") for p in re.split(r"[\s,;]+", text or ""))
    return tuple(dict.fromkeys(p for p in parts if p))


def filter_sites(sites: pd.DataFrame, choice: SiteFilter) -> pd.DataFrame:
    """The sites (a ``Store.sites`` table) that pass every filter in ``choice``.

    Deprivation and population ranges are inclusive; a site with no decile or no
    population passes only when that filter is off. Pasted codes match exactly
    (case-insensitive); the text query matches code or name anywhere.
    """
    keep = pd.Series(True, index=sites.index)
    if choice.types:
        keep &= sites["site_type"].isin(choice.types)
    if choice.parents:
        keep &= sites["parent_code"].isin(choice.parents)
    if choice.deciles is not None:
        keep &= sites["imd_decile"].between(*choice.deciles)
    if choice.population is not None:
        keep &= sites["population"].between(*choice.population)
    if choice.codes:
        wanted = {c.upper() for c in choice.codes}
        keep &= sites["site_code"].str.upper().isin(wanted)
    if choice.query:
        keep &= sites["site_code"].str.contains(choice.query, case=False, regex=False) | sites[
            "site_name"
        ].str.contains(choice.query, case=False, regex=False, na=False)
    if choice.only_grouped:
        keep &= sites["group"].notna()
    return sites[keep.fillna(False)]


def unknown_codes(sites: pd.DataFrame, codes: Sequence[str]) -> tuple[str, ...]:
    """The pasted codes that are not in the sites table (case-insensitive)."""
    known = set(sites["site_code"].str.upper())
    return tuple(c for c in codes if c.upper() not in known)


def bulk_grouping(
    selected: pd.DataFrame, group: str, start_date: pd.Timestamp | None = None
) -> pd.DataFrame:
    """The grouping that marks every ``selected`` site as ``group`` (one of GROUP_CHOICES).

    Intervention needs a ``start_date``; comparator and "eligible comparator" clear it.
    Raises ValueError naming what is missing.
    """
    if group not in GROUP_CHOICES:
        raise ValueError(f"group must be one of {', '.join(GROUP_CHOICES)}")
    if selected.empty:
        raise ValueError("no site is selected: loosen the filters")
    if group == "intervention" and (start_date is None or pd.isna(start_date)):
        raise ValueError("intervention sites need the date the programme started there")
    value = None if group == "eligible comparator" else group
    start = pd.Timestamp(start_date) if group == "intervention" else pd.NaT
    return pd.DataFrame(
        {
            "site_code": selected["site_code"].to_numpy(),
            "group": value,
            "start_date": start,
        }
    )
