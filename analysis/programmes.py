"""Programmes: a named set of intervention sites (with start dates), comparators and measures.

A commissioner's programme is a thing of its own, beside the bundled example: it is
saved in the database as a load (kind ``programme``: in the history, rolled back like
any other) and, when chosen, becomes the saved grouping that every page, the command
line and the report use (:func:`programme_grouping`, stored as a grouping load). The
programme in use is the one whose sites and dates the saved grouping matches
(:func:`matching_programme`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.errors import HiodError

MAX_NAME = 80


class ProgrammeError(HiodError):
    """A programme that cannot be saved as given (no name, unknown sites, no start date…)."""


@dataclass(frozen=True)
class Programme:
    """A named programme.

    ``intervention``: (site code, start date as ``YYYY-MM-DD``), sorted;
    ``comparators``: site codes marked as comparators (empty: every other site of
    the intervention sites' type is eligible); ``measures``: the measures it is
    judged on (empty: every measure its sites report).
    """

    name: str
    intervention: tuple[tuple[str, str], ...]
    comparators: tuple[str, ...] = ()
    measures: tuple[str, ...] = ()

    def to_json(self) -> str:
        """The stored form (sorted, so the same programme is the same text)."""
        return json.dumps(
            {
                "name": self.name,
                "intervention": [list(p) for p in self.intervention],
                "comparators": list(self.comparators),
                "measures": list(self.measures),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Programme:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        return cls(
            data["name"],
            tuple((str(c), str(d)) for c, d in data["intervention"]),
            tuple(data.get("comparators", ())),
            tuple(data.get("measures", ())),
        )

    def describe(self) -> str:
        """One line: sites, cohorts and comparators."""
        cohorts = sorted({d for _, d in self.intervention})
        starts = ", ".join(f"{pd.Timestamp(d):%b %Y}" for d in cohorts)
        comparators = (
            f"{len(self.comparators)} comparator site(s)"
            if self.comparators
            else "comparators: every other site of the same type"
        )
        return f"{len(self.intervention)} intervention site(s) starting {starts}; {comparators}" + (
            f"; measures: {', '.join(self.measures)}" if self.measures else ""
        )


def make_programme(
    name: str,
    intervention: pd.DataFrame,
    comparators: Sequence[str] = (),
    measures: Sequence[str] = (),
    *,
    known_sites: Sequence[str] | None = None,
) -> Programme:
    """A checked programme from ``intervention`` (``site_code``, ``start_date``) and lists.

    Raises :class:`ProgrammeError` for a blank or over-long name, no intervention
    site, a missing start date, a site that is both intervention and comparator, or
    (with ``known_sites``) a code not in the sites table.
    """
    name = " ".join(str(name or "").split())
    if not name:
        raise ProgrammeError("give the programme a name")
    if len(name) > MAX_NAME:
        raise ProgrammeError(f"the name is longer than {MAX_NAME} characters")
    if intervention.empty:
        raise ProgrammeError("a programme needs at least one intervention site")
    starts = pd.to_datetime(intervention["start_date"])
    if starts.isna().any():
        missing = ", ".join(intervention.loc[starts.isna(), "site_code"].astype(str)[:10])
        raise ProgrammeError(f"intervention site(s) with no start date: {missing}")
    pairs = tuple(
        sorted(
            (str(c), f"{d:%Y-%m-%d}")
            for c, d in zip(intervention["site_code"], starts, strict=True)
        )
    )
    codes = {c for c, _ in pairs}
    both = sorted(codes & set(comparators))
    if both:
        raise ProgrammeError(f"site(s) both intervention and comparator: {', '.join(both)}")
    if known_sites is not None:
        unknown = sorted((codes | set(comparators)) - set(known_sites))
        if unknown:
            raise ProgrammeError(f"site code(s) not in the sites table: {', '.join(unknown[:10])}")
    return Programme(name, pairs, tuple(sorted(set(comparators))), tuple(dict.fromkeys(measures)))


def programme_from_grouping(
    sites: pd.DataFrame, name: str, measures: Sequence[str] = ()
) -> Programme:
    """The saved grouping (a ``Store.sites`` table) as a programme called ``name``."""
    chosen = sites[sites["group"].eq("intervention")]
    comparators = sites.loc[sites["group"].eq("comparator"), "site_code"]
    return make_programme(
        name,
        chosen[["site_code", "start_date"]],
        list(comparators),
        measures,
        known_sites=list(sites["site_code"]),
    )


def programme_grouping(programme: Programme, sites: pd.DataFrame) -> pd.DataFrame:
    """The grouping (``site_code, group, start_date``) that makes ``programme`` the saved one.

    Its sites get their group and start date; every other site that has a group now
    loses it (becomes an eligible comparator), so nothing of another programme (or of
    the bundled example) stays in the comparison.
    """
    rows = [
        {"site_code": c, "group": "intervention", "start_date": pd.Timestamp(d)}
        for c, d in programme.intervention
    ]
    rows += [
        {"site_code": c, "group": "comparator", "start_date": pd.NaT} for c in programme.comparators
    ]
    mine = {r["site_code"] for r in rows}
    others = sites.loc[sites["group"].notna() & ~sites["site_code"].isin(mine), "site_code"]
    rows += [{"site_code": c, "group": None, "start_date": pd.NaT} for c in others]
    return pd.DataFrame(rows, columns=["site_code", "group", "start_date"])


def matching_programme(programmes: Sequence[Programme], sites: pd.DataFrame) -> Programme | None:
    """The programme the saved grouping is (same sites, dates and comparators), if any."""
    try:
        current = programme_from_grouping(sites, "current")
    except ProgrammeError:
        return None
    for programme in programmes:
        if (programme.intervention, programme.comparators) == (
            current.intervention,
            current.comparators,
        ):
            return programme
    return None
