"""Measure definitions for every bundled measure id (kind, unit, polarity, source)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from build.common import BuildError, Report

FINGERTIPS = "OHID Fingertips"
HEEC = "Health Equity Evidence Centre (HEEC) data packs, from NHS England QOF"

# measure → (label, kind, multiplier, polarity source, description, source)
# polarity: a Fingertips indicator id (its Polarity is read from the metadata), or True/False/None.
DEFINITIONS: dict[str, tuple[str, str, int, object, str, str]] = {
    "falls_admissions_65plus": (
        "Emergency admissions due to falls, 65+ (DSR per 100,000)",
        "rate",
        100000,
        "22401",
        "Emergency hospital admissions due to falls in people aged 65 and over, financial year. "
        "value = directly age-standardised rate per 100,000 as published (Fingertips 22401); "
        "numerator = admissions, denominator = residents aged 65+, so numerator/denominator is "
        "the crude rate, not the published value. Fingertips rounds counts to the nearest 5.",
        f"{FINGERTIPS} indicator 22401 (FingertipsNext extract, 2025-02)",
    ),
    "falls_admissions_65plus_dsr_2010": (
        "Emergency admissions due to falls, 65+ (DSR per 100,000), 2010/11-2017/18",
        "rate",
        100000,
        "22401",
        "The same indicator as falls_admissions_65plus for every English district/UA, 2010/11 to "
        "2017/18, on 2013-2018 district codes: published value only (no counts), rounded to whole "
        "numbers. A separate id because geography, years and available fields differ.",
        f"{FINGERTIPS} indicator 22401 via Trafford Data Lab (traffordDataLab/dashboard)",
    ),
    "breast_screening_coverage": (
        "Breast screening coverage, women 53-70 (%)",
        "proportion",
        100,
        "94063",
        "Women aged 53 to 70 screened for breast cancer in the last 36 months, as a percentage "
        "of eligible women, financial year.",
        f"{FINGERTIPS} indicator 94063 (FingertipsNext extract, 2025-02)",
    ),
    "cervical_screening_coverage_25_49": (
        "Cervical screening coverage, women 25-49 (%)",
        "proportion",
        100,
        True,
        "Eligible women aged 25 to 49 screened adequately in the previous 3.5 years, by GP "
        "practice, December 2017. Practices with suppressed counts are left out.",
        "PHE cervical screening coverage via BBC Data Unit (BBC-Data-Unit/cervical-screening)",
    ),
    "cervical_screening_coverage_50_64": (
        "Cervical screening coverage, women 50-64 (%)",
        "proportion",
        100,
        True,
        "Eligible women aged 50 to 64 screened adequately in the previous 5.5 years, by GP "
        "practice, December 2017. Practices with suppressed counts are left out.",
        "PHE cervical screening coverage via BBC Data Unit (BBC-Data-Unit/cervical-screening)",
    ),
    "cervical_screening_qof_achievement_25_49": (
        "Cervical screening, QOF CS005 achievement, 25-49 (%)",
        "proportion",
        100,
        True,
        "QOF indicator CS005 by PCN, 2022/23: women aged 25-49 with an adequate cervical "
        "screening test in the previous 3.5 years, QOF achievement (denominator after "
        "personalised care adjustments). Value only: the file has no counts.",
        "NHS England QOF 2022/23 via R. Blackwell (blackwellrd/display_nearest_neighbour_data)",
    ),
    "cervical_screening_qof_achievement_50_64": (
        "Cervical screening, QOF CS006 achievement, 50-64 (%)",
        "proportion",
        100,
        True,
        "QOF indicator CS006 by PCN, 2022/23: women aged 50-64 with an adequate cervical "
        "screening test in the previous 5.5 years, QOF achievement (denominator after "
        "personalised care adjustments). Value only: the file has no counts.",
        "NHS England QOF 2022/23 via R. Blackwell (blackwellrd/display_nearest_neighbour_data)",
    ),
    "cervical_screening_qof_25_49": (
        "Cervical screening 25-49, median of practices (%)",
        "proportion",
        100,
        True,
        "Women aged 25-49 with a record of cervical screening in the last 3.5 years "
        "(denominator including personalised care adjustments), QOF year: the median of the "
        "practice percentages in each group of practices (ICB or region by practice IMD 2019 "
        "quintile). Value only.",
        HEEC,
    ),
    "cervical_screening_qof_50_64": (
        "Cervical screening 50-64, median of practices (%)",
        "proportion",
        100,
        True,
        "Women aged 50-64 with a record of cervical screening in the last 5.5 years "
        "(denominator including personalised care adjustments), QOF year: the median of the "
        "practice percentages in each group of practices (ICB or region by practice IMD 2019 "
        "quintile). Value only.",
        HEEC,
    ),
    "smoking_prevalence_qof": (
        "Smoking prevalence 15+, QOF (%)",
        "proportion",
        100,
        False,
        "Current smokers aged 15+ recorded in GP records (QOF), as a percentage of registered "
        "patients aged 15+, financial year. Area denominators are estimates and need not be "
        "whole numbers.",
        f"{FINGERTIPS} indicator 91547 export via HEEC (HealthEquityEvidenceCentre/HEEC)",
    ),
    "smoking_prevalence_qof_median": (
        "Smoking prevalence 15+, QOF, median of practices (%)",
        "proportion",
        100,
        False,
        "Fingertips 91547 (current smokers 15+, QOF), QOF year: the median of the practice "
        "percentages in each group of practices (ICB or region by practice IMD 2019 quintile). "
        "Value only.",
        HEEC,
    ),
}

POLARITY = {"High is good": "true", "Low is good": "false"}


def build_definitions(data: Path, measures: set[str], report: Report) -> pd.DataFrame:
    """Text cells of the definitions table; polarity from Fingertips metadata where it exists."""
    missing = measures - set(DEFINITIONS)
    if missing:
        raise BuildError(f"measures with no definition: {sorted(missing)}")
    meta = pd.read_csv(
        data / "fingertips" / "fingertipsnext_indicators.csv",
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
    ).set_index("IndicatorID")
    rows = []
    for measure, (label, kind, multiplier, polarity, description, source) in sorted(
        DEFINITIONS.items()
    ):
        if isinstance(polarity, str):
            given = meta.loc[polarity, "Polarity"]
            better = POLARITY.get(given, "")
            report.note(
                "measure_definitions", f"{measure}: polarity '{given}' from Fingertips {polarity}"
            )
        else:
            better = {True: "true", False: "false", None: ""}[polarity]
        rows.append(
            {
                "measure": measure,
                "label": label,
                "kind": kind,
                "multiplier": str(multiplier),
                "higher_is_better": better,
                "description": description,
                "source": source,
            }
        )
    return pd.DataFrame(rows)
