"""One function per source file: its rows in the measures contract and the areas they use.

Each returns a :class:`~build.common.Source` (rows in the measures contract,
and the site codes they use). Rows are not yet checked against the sites
table: the caller drops and reports rows whose site is not built. The HEEC
deprivation-quintile files are in :mod:`build.quintiles`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
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

FALLS = "falls_admissions_65plus"
FALLS_2010 = "falls_admissions_65plus_dsr_2010"
BREAST = "breast_screening_coverage"
CERVICAL_COVERAGE = {
    "25_49": "cervical_screening_coverage_25_49",
    "50_64": "cervical_screening_coverage_50_64",
}
CERVICAL_QOF_ACHIEVEMENT = {
    "25_49": "cervical_screening_qof_achievement_25_49",
    "50_64": "cervical_screening_qof_achievement_50_64",
}
SMOKING = "smoking_prevalence_qof"

DECILE_BREAKDOWN = "District & UA deprivation deciles in England (IMD2019, 4/23 geography)"
DECILE_LABELS = {
    "Most deprived decile (IMD2019)": 1,
    "Second most deprived decile (IMD2019)": 2,
    "Third more deprived decile (IMD2019)": 3,
    "Fourth more deprived decile (IMD2019)": 4,
    "Fifth more deprived decile (IMD2019)": 5,
    "Fifth less deprived decile (IMD2019)": 6,
    "Fourth less deprived decile (IMD2019)": 7,
    "Third less deprived decile (IMD2019)": 8,
    "Second least deprived decile (IMD2019)": 9,
    "Least deprived decile (IMD2019)": 10,
}

AREA_COLUMNS = ["site_code", "site_name", "site_type"]


def code_type(code: str) -> str:
    """Site type from the shape of a code (ONS prefixes; ODS PCN ``U`` + 5 digits)."""
    prefixes = {
        "E92": "country",
        "E40": "region",
        "E54": "icb",
        "E38": "sub_icb",
        "E10": "county",
        "E06": "la",
        "E07": "la",
        "E08": "la",
        "E09": "la",
        "E47": "combined_authority",
    }
    if code[:3] in prefixes:
        return prefixes[code[:3]]
    if re.fullmatch(r"U\d{5}", code):
        return "pcn"
    if re.fullmatch(r"[A-Z]\d{5}", code):
        return "practice"
    return "unknown"


def _areas(codes: pd.Series, names: pd.Series | None = None) -> pd.DataFrame:
    """One row per code: its type from its shape, and the last name given for it."""
    blank = pd.Series(pd.NA, index=codes.index, dtype="str")
    frame = pd.DataFrame(
        {
            "site_code": codes.to_numpy(),
            "site_name": (names if names is not None else blank).to_numpy(),
        }
    )
    frame["site_name"] = frame["site_name"].astype("str").replace("", pd.NA)
    frame = frame.drop_duplicates("site_code", keep="last")
    frame["site_type"] = frame["site_code"].map(code_type)
    return frame[AREA_COLUMNS].sort_values("site_code").reset_index(drop=True)


def _fingertips_next(data: Path, indicator: str) -> pd.DataFrame:
    raw = read_cells(data / "fingertips" / "fingertipsnext_extract_2025-02.csv")
    return raw[raw["IndicatorId"] == indicator]


def falls(data: Path, report: Report) -> Source:
    """Falls admissions 65+ (22401), North West areas and England's district deciles.

    Persons, no breakdown: Count → numerator, Denominator → denominator, Value
    (directly age-standardised rate per 100,000) → value, 95% limits; ``Year``
    is the first year of the financial year. The IMD 2019 district decile
    breakdown (Persons) becomes the pseudo-sites ``E92000001-DLAD-01`` … ``-10``.
    """
    section = "fingertips/fingertipsnext_extract_2025-02.csv (indicator 22401)"
    rows = _fingertips_next(data, "22401")
    # In this extract the breakdown's name sits in "Category" and the decile's in
    # "CategoryType" (the two columns are swapped); both are empty for whole areas.
    breakdown = rows["Category"].str.strip('"')
    label = rows["CategoryType"]
    whole = rows[(breakdown == "") & (label == "")]
    report.note(
        section,
        "sexes present: "
        + ", ".join(f"{s} ({n} rows)" for s, n in whole["Sex"].value_counts().sort_index().items())
        + "; Persons kept",
    )
    persons = whole[whole["Sex"] == "Persons"]
    area_rows = measure_frame(
        site_code=persons["AreaCode"],
        period=persons["Year"].astype(int).map(financial_year),
        measure=FALLS,
        numerator=to_number(persons["Count"]),
        denominator=to_number(persons["Denominator"]),
        value=to_number(persons["Value"]),
        lower_ci=to_number(persons["LowerCI"]),
        upper_ci=to_number(persons["UpperCI"]),
    )

    in_breakdown = rows[breakdown != ""]
    chosen = (breakdown[in_breakdown.index] == DECILE_BREAKDOWN) & (
        in_breakdown["Sex"] == "Persons"
    )
    skipped = in_breakdown[~chosen].assign(b=breakdown, s=in_breakdown["Sex"])
    for (b, s), n in skipped.groupby(["b", "s"]).size().items():
        report.note(section, f"left out breakdown '{b}', {s}: {n} rows")
    deciles = in_breakdown[chosen]
    if (
        set(deciles["AreaCode"]) != {ENGLAND}
        or not deciles["CategoryType"].isin(DECILE_LABELS).all()
    ):
        raise BuildError(f"{section}: unexpected decile rows")
    number = deciles["CategoryType"].map(DECILE_LABELS)
    decile_rows = measure_frame(
        site_code=number.map(lambda d: f"{ENGLAND}-DLAD-{d:02d}"),
        period=deciles["Year"].astype(int).map(financial_year),
        measure=FALLS,
        numerator=to_number(deciles["Count"]),
        denominator=to_number(deciles["Denominator"]),
        value=to_number(deciles["Value"]),
        lower_ci=to_number(deciles["LowerCI"]),
        upper_ci=to_number(deciles["UpperCI"]),
    )
    pseudo = pd.DataFrame({"imd_decile": range(1, 11)})
    pseudo["site_code"] = pseudo["imd_decile"].map(lambda d: f"{ENGLAND}-DLAD-{d:02d}")
    ends = {1: " (most deprived)", 10: " (least deprived)"}
    pseudo["site_name"] = pseudo["imd_decile"].map(
        lambda d: f"England: districts & UAs in IMD 2019 decile {d}{ends.get(d, '')}"
    )
    pseudo["site_type"] = "other"
    pseudo["parent_code"] = ENGLAND
    pseudo["imd_quintile"] = (pseudo["imd_decile"] + 1) // 2
    report.note(
        section,
        f"{len(area_rows)} area rows ({persons['AreaCode'].nunique()} areas) and "
        f"{len(decile_rows)} decile rows (Persons, '{DECILE_BREAKDOWN}')",
    )
    areas = pd.concat([_areas(persons["AreaCode"]), pseudo], ignore_index=True)
    return Source(
        "falls_admissions_65plus.csv", section, pd.concat([area_rows, decile_rows]), areas, 2023
    )


def falls_2010(data: Path, report: Report) -> Source:
    """Falls admissions 65+, age-standardised rate per 100,000, districts 2010/11–2017/18.

    Value only. Districts/UAs and England are kept; other area types (a
    combined authority) are reported and left out, as are rows with no value.
    """
    section = "fingertips/falls_22401_districts_2010-2018.csv"
    raw = read_cells(data / section)
    types = raw["area_code"].map(code_type)
    kept = types.isin(["la", "country"])
    report.codes(
        section,
        "codes left out (not a district/UA or England: combined authority)",
        raw.loc[~kept, "area_code"] + " " + raw.loc[~kept, "area_name"],
    )
    raw = raw[kept]
    value = to_number(raw["value"])
    missing = raw[value.isna()]
    report.codes(
        section,
        "rows with no value (NA) left out",
        missing["area_code"] + " " + missing["period"],
    )
    raw, value = raw[value.notna()], value[value.notna()]
    rows = measure_frame(
        site_code=raw["area_code"], period=raw["period"], measure=FALLS_2010, value=value
    )
    return Source(
        "falls_admissions_65plus_dsr_2010.csv",
        section,
        rows,
        _areas(raw["area_code"], raw["area_name"]),
        2017,
    )


def breast(data: Path, ref: Reference, report: Report) -> Source:
    """Breast screening coverage 53–70 (94063): practices, PCNs, sub-ICBs, ICBs, England.

    Each sub-ICB appears twice a year with slightly different figures (two
    Fingertips area hierarchies). We keep the set whose sub-ICB counts add up
    to their ICB's count, and report the other.
    """
    section = "fingertips/fingertipsnext_extract_2025-02.csv (indicator 94063)"
    rows = _fingertips_next(data, "94063").copy()
    if (rows["CategoryType"] != "").any() or set(rows["Sex"]) != {"Female"}:
        raise BuildError(f"{section}: expected Female rows with no breakdown only")
    rows["count"] = to_number(rows["Count"])
    key = ["AreaCode", "Year"]
    occurrence = rows.groupby(key).cumcount()
    repeated = rows.duplicated(key, keep=False)
    if repeated.any():
        parent = ref.practices.drop_duplicates("sub_icb_code").set_index("sub_icb_code")["icb_code"]
        icb_count = rows[rows["AreaCode"].str.startswith("E54")].set_index(key)["count"]
        gaps = {}
        for k in sorted(occurrence[repeated].unique()):
            part = rows[repeated & (occurrence == k)]
            sums = part.groupby([part["AreaCode"].map(parent), part["Year"]])["count"].sum()
            sums.index.names = key
            gaps[k] = float((sums - icb_count.reindex(sums.index)).abs().sum())
        best = min(gaps, key=lambda k: gaps[k])
        report.note(
            section,
            f"{int(repeated.sum())} rows repeat {rows[repeated]['AreaCode'].nunique()} sub-ICBs "
            f"(two area hierarchies); kept listing {best + 1}, whose counts sum to the ICBs' "
            f"(total gap {gaps[best]:.0f} vs "
            + ", ".join(f"{g:.0f}" for k, g in gaps.items() if k != best)
            + ")",
        )
        rows = rows[~repeated | (occurrence == best)]
    out = measure_frame(
        site_code=rows["AreaCode"],
        period=rows["Year"].astype(int).map(financial_year),
        measure=BREAST,
        numerator=rows["count"],
        denominator=to_number(rows["Denominator"]),
        value=to_number(rows["Value"]),
        lower_ci=to_number(rows["LowerCI"]),
        upper_ci=to_number(rows["UpperCI"]),
    )
    return Source("breast_screening_coverage.csv", section, out, _areas(rows["AreaCode"]), 2023)


def cervical_2017(data: Path, report: Report) -> Source:
    """Cervical screening coverage by practice, December 2017 (25–49 and 50–64).

    Suppressed cells (``<under 6>``, ``<Suppressed>``; coverage −2, −1.75 or
    −1.5) have no numerator: the row is left out (the contract needs a
    numerator or a value) and counted in the summary.
    """
    section = "screening/cervical_practices_2017-12.csv"
    raw = read_cells(data / section)
    bands = {
        "25_49": (
            "Eligible25to49",
            "No..of.women.screened.in.previous.42.months",
            "X3.5.year.coverage..",
            "Suppression.required",
        ),
        "50_64": (
            "Eligible50to64",
            "No..of.women.screened.in.previous.66.months",
            "X5.5.year.coverage..",
            "Suppression.required.1",
        ),
    }
    parts = []
    for band, (eligible, screened, coverage, flag) in bands.items():
        den, num, value = (
            to_number(raw[eligible]),
            to_number(raw[screened]),
            to_number(raw[coverage]),
        )
        ok = den.gt(0) & num.notna()
        for reason, n in raw.loc[~ok, flag].value_counts().sort_index().items():
            report.note(section, f"{band}: {n} practices left out as suppressed ('{reason}')")
        if (np.abs(value[ok] - 100 * num[ok] / den[ok]) > 1e-6).any():
            raise BuildError(f"{section}: {band} coverage is not screened ÷ eligible")
        parts.append(
            measure_frame(
                site_code=raw.loc[ok, "Organisation.Code"],
                period="2017-12",
                measure=CERVICAL_COVERAGE[band],
                numerator=num[ok],
                denominator=den[ok],
                value=value[ok],
            )
        )
    areas = _areas(raw["Organisation.Code"], raw["Organisation"])
    return Source("cervical_screening_coverage_2017-12.csv", section, pd.concat(parts), areas, 2017)


def cervical_qof_pcn(data: Path, ref: Reference, report: Report) -> Source:
    """PCN QOF achievement for cervical screening, 2022/23 (CS005 25–49, CS006 50–64).

    The file gives achievement as a proportion (× 100 here) but no eligible
    counts (only whole-population figures), so the rows are value only.
    """
    section = "screening/pcn_qof_2022-23.csv"
    raw = read_cells(data / section)
    report.codes(
        section, "PCN code left out (unknown PCN)", raw.loc[raw["PCN_CODE"] == "U", "PCN_CODE"]
    )
    raw = raw[raw["PCN_CODE"] != "U"]
    report.note(section, "no eligible-women counts in the file: value-only percentages")
    parts = []
    for band, column in {"25_49": "QOF_ACHV_CS005", "50_64": "QOF_ACHV_CS006"}.items():
        value = to_number(raw[column]) * 100
        report.codes(section, f"PCNs with no {column} left out", raw.loc[value.isna(), "PCN_CODE"])
        ok = value.notna()
        parts.append(
            measure_frame(
                site_code=raw.loc[ok, "PCN_CODE"],
                period="2022/23",
                measure=CERVICAL_QOF_ACHIEVEMENT[band],
                value=value[ok],
            )
        )
    if not raw["PCN_CODE"].is_unique:
        raise BuildError(f"{section}: a PCN is listed twice")
    ods_to_ons = ref.practices.drop_duplicates("icb_ods").set_index("icb_ods")["icb_code"]
    areas = pd.DataFrame(
        {
            "site_code": raw["PCN_CODE"],
            "site_name": raw["PCN_NAME"],
            "site_type": "pcn",
            "lat": to_number(raw["LATITUDE"]),
            "lon": to_number(raw["LONGITUDE"]),
            "population": to_number(raw["POPN_PERSON"]),
            "parent_code": raw["ICB_CODE"].map(ods_to_ons),
        }
    ).reset_index(drop=True)
    return Source("cervical_screening_qof_pcn_2022-23.csv", section, pd.concat(parts), areas, 2022)


def smoking(data: Path, report: Report) -> Source:
    """Smoking prevalence 15+ recorded in QOF (91547): practices, districts/UAs, England.

    Whole-population rows only (no Category Type). Rows with neither value nor
    count are left out; an area listed twice in a year (2015/16, with two Age
    labels and the same figures) is kept once.
    """
    section = "fingertips/smoking_91547_export.csv"
    raw = read_cells(data / section)
    whole = raw[raw["Category Type"] == ""]
    report.note(section, f"{len(raw) - len(whole)} deprivation-breakdown rows left out")
    types = {"GPs": "practice", "District": "la", "UA": "la", "England": "country"}
    kept = whole["Area Type"].isin(types)
    for area_type, n in whole.loc[~kept].groupby("Area Type")["Area Code"].nunique().items():
        report.note(section, f"left out area type '{area_type}' ({n} areas)")
    rows = whole[kept]
    num, den, value = (
        to_number(rows["Count"]),
        to_number(rows["Denominator"]),
        to_number(rows["Value"]),
    )
    empty = num.isna() & value.isna()
    report.codes(
        section,
        "rows with no value in the export left out",
        rows.loc[empty, "Area Code"] + " " + rows.loc[empty, "Time period"],
        limit=8,
    )
    out = measure_frame(
        site_code=rows["Area Code"],
        period=rows["Time period"],
        measure=SMOKING,
        numerator=num,
        denominator=den,
        value=value,
        lower_ci=to_number(rows["Lower CI 95.0 limit"]),
        upper_ci=to_number(rows["Upper CI 95.0 limit"]),
    )[~empty.to_numpy()]
    key = ["site_code", "period"]
    repeat = out.duplicated(key, keep="first")
    same = out.duplicated([*key, "numerator", "denominator", "value"], keep="first")
    if (repeat != same).any():
        raise BuildError(f"{section}: an area is listed twice in a year with different figures")
    report.note(section, f"{int(repeat.sum())} repeated area-years (same figures) kept once")
    names = rows.sort_values("Time period", kind="stable")
    areas = _areas(names["Area Code"], names["Area Name"])
    areas["site_type"] = areas["site_code"].map(
        rows.drop_duplicates("Area Code").set_index("Area Code")["Area Type"].map(types)
    )
    return Source("smoking_prevalence_qof.csv", section, out[~repeat], areas, 2023)
