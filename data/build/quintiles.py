"""Deprivation-quintile pseudo-sites from the HEEC data packs (ICBs, regions, England).

HEEC give, for each area, the **median of practice percentages** in each fifth
of practices ranked by IMD 2019 score. Their ``quin_1`` is the *least* deprived
fifth (checked: smoking is lowest and cervical screening highest there, in
every year, and the region file's ``quin_4`` and ``quin_5`` bracket the ICB
file's ``quin_4_5``). We number quintiles as the data contract does (1 = most
deprived), so HEEC ``quin_k`` becomes ``PQ(6 − k)``, and the ICB file's merged
``quin_4_5`` becomes ``PQ1-2`` with ``imd_quintile`` 1. ``Year`` is the year in
which the QOF year ends (2023 = 2022/23: the England smoking medians match the
practice medians of the Fingertips export for 2022/23 and 2023/24).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from build.common import (
    ENGLAND,
    BuildError,
    Report,
    Source,
    financial_year,
    measure_frame,
    read_cells,
    to_number,
)
from build.reference import Reference

SMOKING_INDICATOR = "Smoking prevalence in adults (15+) - current smokers (QOF)"
# HEEC practice-deprivation-quintile indicators → our measure ids.
QUINTILE_INDICATORS = {
    "Women (25-49 yrs), with a record of cervical screening in the last 3.5 yrs "
    "(denominator incl. PCAs)": "cervical_screening_qof_25_49",
    "Women (50-64 yrs), with a record of cervical screening in the last 5.5 yrs "
    "(denominator incl. PCAs)": "cervical_screening_qof_50_64",
    SMOKING_INDICATOR: "smoking_prevalence_qof_median",
}


def _check_order(raw: pd.DataFrame, least: str, most: str, section: str) -> None:
    """Fail unless England's smoking median is lower in ``least`` than ``most`` every year.

    Smoking is far more common among patients of deprived practices, so this
    confirms which end of HEEC's quintiles is the least deprived.
    """
    england = raw[(raw["Indicator"] == SMOKING_INDICATOR) & (raw["key"] == "england")]
    if england.empty or not (to_number(england[least]) < to_number(england[most])).all():
        raise BuildError(f"{section}: '{least}' is not the least deprived quintile as assumed")


def _name_key(name: str) -> str:
    text = name.lower().replace("&", "and")
    text = re.sub(r"^nhs |\s+integrated care board$", "", text)
    return re.sub(r"\s+", " ", text).strip()


def _quintile_rows(
    raw: pd.DataFrame, codes: pd.Series, columns: dict[str, tuple[str, int]]
) -> pd.DataFrame:
    parts = []
    for column, (suffix, _) in columns.items():
        parts.append(
            measure_frame(
                site_code=codes + "-" + suffix,
                period=(raw["Year"].astype(int) - 1).map(financial_year),
                measure=raw["Indicator"].map(QUINTILE_INDICATORS),
                value=to_number(raw[column]),
            )
        )
    out = pd.concat(parts, ignore_index=True)
    return out[out["value"].notna()]


def _quintile_sites(
    codes: pd.DataFrame, columns: dict[str, tuple[str, int]], labels: dict[int, str]
) -> pd.DataFrame:
    rows = []
    for code, name in codes.itertuples(index=False):
        for suffix, quintile in columns.values():
            rows.append(
                {
                    "site_code": f"{code}-{suffix}",
                    "site_name": f"{name}: practices in IMD 2019 {labels[quintile]}",
                    "site_type": "other",
                    "parent_code": code,
                    "imd_quintile": quintile,
                }
            )
    return pd.DataFrame(rows)


def _quintile_input(path: Path, area_column: str, section: str) -> pd.DataFrame:
    raw = read_cells(path)
    found = set(raw["Indicator"]) & set(QUINTILE_INDICATORS)
    if found != set(QUINTILE_INDICATORS):
        raise BuildError(f"{section}: indicators not found: {set(QUINTILE_INDICATORS) - found}")
    raw = raw[raw["Indicator"].isin(QUINTILE_INDICATORS)].copy()
    raw["key"] = raw[area_column].map(_name_key)
    return raw


def quintiles_icb(data: Path, ref: Reference, report: Report) -> Source:
    """ICB × practice-deprivation quintile: PQ5, PQ4, PQ3 and PQ1-2 (HEEC's quin_4_5).

    ICBs are matched by name to ``icb_2023.geojson`` (case-insensitive, without
    "NHS" and "Integrated Care Board"). England's rows are left to the region
    file, which keeps quintiles 4 and 5 apart.
    """
    section = "screening/icb_by_practice_imd_quintile.csv"
    raw = _quintile_input(data / section, "ICB.NAME", section)
    _check_order(raw, "quin_1", "quin_4_5", section)
    icb_key = ref.icbs.assign(key=ref.icbs["name"].map(_name_key)).set_index("key")["code"]
    codes = raw["key"].map(icb_key)
    england = raw["key"] == "england"
    report.note(
        section,
        f"England rows ({int(england.sum())}) not used: England comes from the region "
        "file, which splits quintiles 4 and 5",
    )
    report.codes(
        section,
        "ICB names not matched to icb_2023.geojson, left out",
        raw.loc[codes.isna() & ~england, "ICB.NAME"],
    )
    variants = raw[codes.notna()].groupby(codes[codes.notna()])["ICB.NAME"].nunique()
    report.codes(
        section, "ICBs spelt two ways (matched case-insensitively)", variants[variants > 1].index
    )
    raw, codes = raw[codes.notna()], codes[codes.notna()]
    columns = {
        "quin_1": ("PQ5", 5),
        "quin_2": ("PQ4", 4),
        "quin_3": ("PQ3", 3),
        "quin_4_5": ("PQ1-2", 1),
    }
    rows = _quintile_rows(raw, codes, columns)
    labels = {
        5: "quintile 5 (least deprived)",
        4: "quintile 4",
        3: "quintile 3",
        1: "quintiles 1-2 (40% most deprived)",
    }
    names = ref.icbs[ref.icbs["code"].isin(codes)][["code", "name"]].sort_values("code")
    names["name"] = names["name"].str.replace(" Integrated Care Board", " ICB")
    return Source(
        "practice_imd_quintile_icb.csv",
        section,
        rows,
        _quintile_sites(names, columns, labels),
        2024,
    )


def quintiles_region(data: Path, ref: Reference, report: Report) -> Source:
    """NHS region and England × practice-deprivation quintile: PQ1 … PQ5."""
    section = "screening/region_by_practice_imd_quintile.csv"
    raw = _quintile_input(data / section, "Region", section)
    _check_order(raw, "quin_1", "quin_5", section)
    regions = ref.practices.drop_duplicates("region_code")[["region_code", "region_name"]]
    lookup = dict(zip(regions["region_name"].map(_name_key), regions["region_code"], strict=True))
    lookup["england"] = ENGLAND
    codes = raw["key"].map(lookup)
    report.codes(section, "region names not matched, left out", raw.loc[codes.isna(), "Region"])
    raw, codes = raw[codes.notna()], codes[codes.notna()]
    columns = {f"quin_{k}": (f"PQ{6 - k}", 6 - k) for k in range(1, 6)}
    rows = _quintile_rows(raw, codes, columns)
    labels = {
        1: "quintile 1 (most deprived)",
        2: "quintile 2",
        3: "quintile 3",
        4: "quintile 4",
        5: "quintile 5 (least deprived)",
    }
    names = pd.concat(
        [
            pd.DataFrame({"code": [ENGLAND], "name": ["England"]}),
            regions.rename(columns={"region_code": "code", "region_name": "name"}),
        ]
    ).sort_values("code")
    names = names[names["code"].isin(codes)]
    return Source(
        "practice_imd_quintile_region.csv",
        section,
        rows,
        _quintile_sites(names, columns, labels),
        2024,
    )
