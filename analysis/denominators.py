"""Registered-population denominators for recipes (issue 16).

A population file has one row per site, period, age band (and optionally sex)
with a count: NHS England's "Patients registered at a GP practice" by age
band, or ONS estimates by area. Columns are matched as in the data contract
(ignoring case, spaces and underscores): ``site_code`` (or ``practice_code``,
``practice``, ``org_code``), ``period`` (or ``year``; any period form of
DESIGN.md), ``age_band`` (or ``age``, ``age_group``: ``65-69``, ``65 to 69``,
``90+``, ``90 and over``, ``70``; ``All`` rows are totals and are skipped),
``count`` (or ``population``, ``patients``, ``number_of_patients``) and
``sex`` (or ``gender``).

The denominator of a site in a measure period is the sum of its rows in the
recipe's age range and sex, from the population period that contains the
measure period's first day (the latest-starting one when several do): a
yearly population serves each month of its year.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from analysis.errors import InputIssue, LoadRejected
from analysis.periods import parse_period
from analysis.recipes import DenominatorSpec
from analysis.schema import normalise_column

ALIASES = {
    "site_code": ("sitecode", "practicecode", "practice", "orgcode"),
    "period": ("period", "year", "timeperiod"),
    "age_band": ("ageband", "age", "agegroup"),
    "count": ("count", "population", "patients", "numberofpatients"),
    "sex": ("sex", "gender"),
}
TOTAL_BANDS = {"all", "allages", "total"}
_BAND = re.compile(
    r"(?P<lo>\d+)\s*(?:(?:-|–|to)\s*(?P<hi>\d+)|(?P<open>\+|and over|and above|plus))?",
    re.IGNORECASE,
)


def population_rows(cells: pd.DataFrame, spec: DenominatorSpec, file_name: str) -> pd.DataFrame:
    """The rows of a population file that the recipe's denominator adds up.

    ``cells`` is the file as text (as :func:`analysis.readers.read_table` gives
    it, rows numbered as a spreadsheet shows them). Returns ``site_code``,
    ``period`` and ``count``. Raises :class:`~analysis.errors.LoadRejected`
    naming file, row and column for a missing column, an age band that is
    neither inside nor outside the recipe's age range, or a count that is not a
    whole number ≥ 0.
    """
    columns = _columns(cells, file_name, need_sex=bool(spec.sex))
    frame = cells.rename(columns={v: k for k, v in columns.items()})[list(columns)]
    issues: list[InputIssue] = []
    keep = pd.Series(True, index=frame.index)
    for row, band in frame["age_band"].items():
        inside = _band_inside(str(band), spec)
        if isinstance(inside, str):
            issues.append(InputIssue(file_name, int(str(row)), columns["age_band"], inside))
        else:
            keep[row] = inside
    if spec.sex:
        wanted = {s.casefold() for s in spec.sex}
        keep &= frame["sex"].fillna("").str.strip().str.casefold().isin(wanted)
    counts = pd.to_numeric(frame["count"].str.replace(",", ""), errors="coerce")
    bad = keep & ~(counts.ge(0) & (counts % 1).eq(0))
    issues += [
        InputIssue(file_name, int(str(row)), columns["count"], "not a whole number ≥ 0")
        for row in frame.index[bad]
    ]
    if issues:
        raise LoadRejected(issues)
    out = frame.loc[keep, ["site_code", "period"]].assign(count=counts[keep].astype("int64"))
    out["site_code"] = out["site_code"].str.strip()
    return out


def denominators_for(rows: pd.DataFrame, periods: Iterable[str]) -> pd.DataFrame:
    """Sum ``rows`` (from :func:`population_rows`) into each measure period's denominator.

    Returns ``site_code``, ``period`` (the measure period) and ``denominator``.
    """
    population_periods = {label: parse_period(label) for label in rows["period"].unique()}
    chosen = {}
    for label in periods:
        start = parse_period(label).start
        holding = [p for p in population_periods.items() if p[1].start <= start <= p[1].end]
        if holding:
            chosen[label] = max(holding, key=lambda p: p[1].start)[0]
    pairs = pd.DataFrame(list(chosen.items()), columns=["period", "population_period"])
    summed = rows.groupby(["site_code", "period"], as_index=False)["count"].sum()
    summed = summed.rename(columns={"period": "population_period", "count": "denominator"})
    merged = pairs.merge(summed, on="population_period")
    return merged[["site_code", "period", "denominator"]]


def _columns(cells: pd.DataFrame, file_name: str, need_sex: bool) -> dict[str, str]:
    """Canonical name → the file's column, for the columns a denominator needs."""
    folded = {normalise_column(c): c for c in cells.columns}
    found = {}
    for canonical, aliases in ALIASES.items():
        match = next((folded[a] for a in aliases if a in folded), None)
        if match is not None:
            found[canonical] = match
        elif canonical != "sex" or need_sex:
            raise LoadRejected(
                [
                    InputIssue(
                        file_name,
                        None,
                        canonical,
                        f"no {canonical} column (also read as: {', '.join(aliases)}); "
                        f"the file has {', '.join(map(str, cells.columns))}",
                    )
                ]
            )
    if not need_sex:
        found.pop("sex", None)
    return found


def _band_inside(band: str, spec: DenominatorSpec) -> bool | str:
    """Whether an age band lies inside the recipe's range; a message when it straddles."""
    text = band.strip()
    if normalise_column(text) in TOTAL_BANDS:
        return False
    match = _BAND.fullmatch(text)
    if match is None:
        return f"'{text}' is not an age band (use 65-69, 90+ or 70)"
    lo = int(match["lo"])
    hi = None if match["open"] else int(match["hi"] or lo)
    top = spec.age_max
    if lo >= spec.age_min and (top is None or (hi is not None and hi <= top)):
        return True
    if (hi is not None and hi < spec.age_min) or (top is not None and lo > top):
        return False
    wanted = f"{spec.age_min}+" if top is None else f"{spec.age_min}-{top}"
    return f"age band '{text}' straddles the recipe's ages {wanted}: give bands that start there"
