"""Read a Fingertips CSV export (OHID) as a measures file.

An export (``Indicator ID, Indicator Name, …, Area Code, Area Name, Area Type,
Sex, Age, Category Type, Category, Time period, Value, Lower CI 95.0 limit,
Upper CI 95.0 limit, …, Count, Denominator, …``) holds one row per indicator,
area, period, sex, age and category. We keep the whole-population rows (empty
``Category Type``; ``Persons`` where sexes are split), map ``Count`` to the
numerator and the 95% limits to ``lower_ci``/``upper_ci``, and name the measure
from :data:`analysis.schema.FINGERTIPS_MEASURES` (else ``fingertips_<id>``).
Rows with an empty ``Indicator ID`` (as some downloads end with) are left out
with a note rather than becoming a measure of their own. Counts that are not
whole numbers (some indicators publish apportioned counts) are kept as
published, with a note naming how many rows; the count-scale methods refuse
them (:func:`analysis.did_prep.require_whole_counts`).

Areas the store does not know yet are added as sites from the export's own
``Area Code``, ``Area Name`` and ``Area Type``, so a raw export loads as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.schema import FINGERTIPS_AREA_TYPES, FINGERTIPS_MEASURES
from analysis.validate import text_column


@dataclass(frozen=True)
class FingertipsParts:
    """An export split into contract-shaped cells for each kind it carries."""

    measures: pd.DataFrame
    sites: pd.DataFrame
    definitions: pd.DataFrame
    notes: tuple[str, ...]


def split_export(cells: pd.DataFrame) -> FingertipsParts:
    """Turn an export's text cells into measures, sites and definitions cells.

    Row numbers (the index) are kept so validation messages point at the
    export's own rows.
    """
    notes: list[str] = []
    no_indicator = text_column(cells, "indicator_id").isna()
    if no_indicator.any():
        notes.append(
            f"{int(no_indicator.sum())} row(s) with no Indicator ID left out (rows "
            f"{_row_numbers(cells.index[no_indicator])}): a row must say which indicator it is"
        )
        cells = cells[~no_indicator]
    category = text_column(cells, "category_type")
    rows = cells[category.isna()]
    if len(rows) < len(cells):
        notes.append(f"{len(cells) - len(rows)} breakdown row(s) (Category Type) left out")
    sex = text_column(rows, "sex")
    key = [text_column(rows, c) for c in ("indicator_id", "area_code", "time_period")]
    split_by_sex = pd.DataFrame(dict(enumerate(key))).duplicated(keep=False) & sex.notna()
    keep = ~split_by_sex | sex.str.lower().eq("persons")
    if (~keep).any():
        notes.append(f"{int((~keep).sum())} single-sex row(s) left out where Persons is given")
    rows = rows[keep.fillna(True)]
    indicator = text_column(rows, "indicator_id")
    measure = indicator.map(lambda i: FINGERTIPS_MEASURES.get(str(i), f"fingertips_{i}"))
    measures = pd.DataFrame(
        {
            "site_code": text_column(rows, "area_code"),
            "period": text_column(rows, "time_period"),
            "measure": measure,
            "numerator": text_column(rows, "count"),
            "denominator": text_column(rows, "denominator"),
            "value": text_column(rows, "value"),
            "lower_ci": text_column(rows, "lower_ci_95_0_limit"),
            "upper_ci": text_column(rows, "upper_ci_95_0_limit"),
        },
        index=rows.index,
    )
    empty = measures["value"].isna() & measures["numerator"].isna()
    if empty.any():
        notes.append(f"{int(empty.sum())} row(s) with no value in the export left out")
        measures = measures[~empty]
    same = ["site_code", "period", "measure", "numerator", "denominator", "value"]
    repeat = measures.duplicated(subset=same, keep="first")
    if repeat.any():
        notes.append(f"{int(repeat.sum())} repeat row(s) (same area listed twice) left out")
        measures = measures[~repeat]
    count = pd.to_numeric(measures["numerator"], errors="coerce")
    apportioned = count.notna() & (count != count.round())
    if apportioned.any():
        notes.append(
            f"{int(apportioned.sum())} row(s) with a Count that is not a whole number "
            f"(apportioned by Fingertips; rows {_row_numbers(measures.index[apportioned])}) "
            "kept as published: comparisons of these measures give no count scale (no "
            "Poisson model, no events avoided from counts) and say so"
        )
    return FingertipsParts(measures, _sites(rows), _definitions(rows, measure), tuple(notes))


def _row_numbers(index: pd.Index, shown: int = 5) -> str:
    """The first few row numbers, for a note ("2, 5, 9 and 3 more")."""
    numbers = [str(i) for i in index[:shown]]
    more = len(index) - shown
    return ", ".join(numbers) + (f" and {more} more" if more > 0 else "")


def _sites(rows: pd.DataFrame) -> pd.DataFrame:
    area_type = text_column(rows, "area_type").str.lower()
    sites = pd.DataFrame(
        {
            "site_code": text_column(rows, "area_code"),
            "site_name": text_column(rows, "area_name").fillna(text_column(rows, "area_code")),
            "site_type": area_type.map(FINGERTIPS_AREA_TYPES).fillna("other"),
            "parent_code": text_column(rows, "parent_code"),
        }
    )
    return sites.dropna(subset=["site_code"]).drop_duplicates("site_code").reset_index(drop=True)


def _definitions(rows: pd.DataFrame, measure: pd.Series) -> pd.DataFrame:
    """Guess each indicator's kind from Value ÷ (Count ÷ Denominator): ×100 or ×100,000."""
    value = pd.to_numeric(text_column(rows, "value"), errors="coerce")
    ratio = value / (
        pd.to_numeric(text_column(rows, "count"), errors="coerce")
        / pd.to_numeric(text_column(rows, "denominator"), errors="coerce")
    )
    frame = pd.DataFrame(
        {"measure": measure, "label": text_column(rows, "indicator_name"), "ratio": ratio}
    )
    out = []
    for m, part in frame.groupby("measure", sort=True):
        typical = part["ratio"].replace([np.inf, -np.inf], np.nan).median()
        if np.isfinite(typical) and abs(typical / 100 - 1) < 0.2:
            kind, multiplier = "proportion", 100
        elif np.isfinite(typical) and abs(typical / 100000 - 1) < 0.5:
            kind, multiplier = "rate", 100000
        else:
            kind, multiplier = "value", 1
        label = part["label"].dropna()
        out.append(
            {
                "measure": m,
                "kind": kind,
                "label": label.iloc[0] if len(label) else m,
                "multiplier": str(multiplier),
                "source": "OHID Fingertips export",
            }
        )
    return pd.DataFrame(out, columns=["measure", "kind", "label", "multiplier", "source"]).astype(
        "str"
    )
