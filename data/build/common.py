"""Shared pieces of the build: the summary, number formatting, checks and CSV writing."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

MEASURE_COLUMNS = [
    "site_code",
    "period",
    "measure",
    "numerator",
    "denominator",
    "value",
    "lower_ci",
    "upper_ci",
]

# The example intervention grouping (shared/data/ORIGINS.md, "Notes for the bundled default").
INTERVENTION_START = {
    "E07000061": "2021-04-01",  # Eastbourne
    "E07000164": "2021-04-01",  # Hambleton
    "E07000165": "2021-04-01",  # Harrogate
    "E07000166": "2021-04-01",  # Richmondshire
    "E07000167": "2021-04-01",  # Ryedale
    "E08000019": "2021-04-01",  # Sheffield
    "E08000015": "2021-04-01",  # Wirral
    "E06000049": "2023-04-01",  # Cheshire East
    "E08000027": "2023-04-01",  # Dudley
    "E08000013": "2023-04-01",  # St Helens
    "E09000032": "2023-04-01",  # Wandsworth
}

ENGLAND = "E92000001"

_PERIOD = re.compile(r"\d{4}/\d{2}|\d{4}-\d{2}|\d{4}")


class BuildError(Exception):
    """An output would break the data contract; the message says which rows."""


@dataclass
class Report:
    """What the build did, printed at the end: rows written, codes dropped or added."""

    notes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    written: list[tuple[str, int, int]] = field(default_factory=list)

    def note(self, section: str, message: str) -> None:
        """Record one line under ``section`` (usually the source file)."""
        self.notes[section].append(message)

    def codes(self, section: str, what: str, codes: object, limit: int = 12) -> None:
        """Record a list of codes (sorted, the first ``limit`` shown) with what happened."""
        values = sorted({str(c) for c in codes})
        if not values:
            return
        shown = ", ".join(values[:limit]) + (
            f" … (+{len(values) - limit})" if len(values) > limit else ""
        )
        self.note(section, f"{len(values)} {what}: {shown}")

    def text(self) -> str:
        """The summary as text."""
        lines = ["Files written (rows, bytes):"]
        lines += [f"  {name}: {rows:,} rows, {size:,} bytes" for name, rows, size in self.written]
        total = sum(size for _, _, size in self.written)
        lines.append(f"  total: {total:,} bytes")
        for section in sorted(self.notes):
            lines.append(f"{section}:")
            lines += [f"  - {message}" for message in self.notes[section]]
        return "\n".join(lines)


@dataclass(frozen=True)
class Source:
    """The measures built from one source file, and the areas (site codes) they use.

    ``areas`` has ``site_code``, ``site_name`` (where the source names it) and
    ``site_type`` (``practice``, ``pcn``, ``sub_icb``, ``icb``, ``la``,
    ``county``, ``country``, or ``other`` for deprivation pseudo-sites, which
    come with every sites column they need already filled in).
    """

    file: str
    section: str
    rows: pd.DataFrame
    areas: pd.DataFrame
    recency: int
    """Latest year of the data: names from newer sources win."""


def read_cells(path: Path) -> pd.DataFrame:
    """A CSV as text cells (blank = empty string), UTF-8 with or without BOM."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def financial_year(start_year: int) -> str:
    """``2018`` → ``2018/19`` (the financial year starting in April of that year)."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def to_number(values: pd.Series) -> pd.Series:
    """Text cells → float64; blanks and markers such as ``NA`` or ``<under 6>`` → NaN."""
    return pd.to_numeric(values.str.strip(), errors="coerce").astype("float64")


def measure_frame(**columns: object) -> pd.DataFrame:
    """A measures table with every contract column (missing numbers as NaN)."""
    frame = pd.DataFrame(
        {
            k: v.to_numpy() if isinstance(v, pd.Series) else v
            for k, v in columns.items()
            if k in MEASURE_COLUMNS
        }
    )
    for column in MEASURE_COLUMNS[3:]:
        if column not in frame:
            frame[column] = np.nan
        frame[column] = frame[column].astype("float64")
    return frame[MEASURE_COLUMNS].reset_index(drop=True)


def format_number(values: pd.Series, decimals: int) -> pd.Series:
    """Fixed formatting: round to ``decimals``, drop trailing zeros; NaN → empty."""
    out = []
    for v in values.astype("float64"):
        if np.isnan(v):
            out.append("")
            continue
        text = f"{round(v, decimals):.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        out.append("0" if text == "-0" else text)
    return pd.Series(out, index=values.index, dtype="str")


def write_csv(frame: pd.DataFrame, path: Path, report: Report, root: Path) -> None:
    """Write text cells as UTF-8 CSV with Unix line ends; record rows and size."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
    report.written.append((path.relative_to(root).as_posix(), len(frame), path.stat().st_size))


def check_measures(frame: pd.DataFrame, kinds: dict[str, str], sites: set[str], name: str) -> None:
    """Raise :class:`BuildError` if ``frame`` would fail the app's measures checks."""
    problems = []
    num, den, val = frame["numerator"], frame["denominator"], frame["value"]
    rules = {
        "unknown site_code": ~frame["site_code"].isin(sites),
        "period not in a contract form": ~frame["period"].str.fullmatch(_PERIOD.pattern),
        "measure without a definition": ~frame["measure"].isin(kinds),
        "numerator negative or not whole": (num < 0) | (num.notna() & (num != num.round())),
        "denominator not above 0": den <= 0,
        "numerator without denominator": num.notna() & den.isna(),
        "no numerator and no value": num.isna() & val.isna(),
        "numerator above denominator for a proportion": frame["measure"].map(kinds).eq("proportion")
        & (num > den),
        "duplicate (site_code, period, measure)": frame.duplicated(
            ["site_code", "period", "measure"], keep=False
        ),
    }
    for rule, mask in rules.items():
        if mask.any():
            example = frame[mask].head(3).to_dict("records")
            problems.append(f"{rule}: {int(mask.sum())} row(s), e.g. {example}")
    if problems:
        raise BuildError(f"{name}: " + "; ".join(problems))


def measures_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Sorted text cells of a measures table, numbers in fixed formats."""
    ordered = frame.sort_values(["measure", "site_code", "period"], kind="stable")
    return pd.DataFrame(
        {
            "site_code": ordered["site_code"],
            "period": ordered["period"],
            "measure": ordered["measure"],
            "numerator": format_number(ordered["numerator"], 0),
            "denominator": format_number(ordered["denominator"], 6),
            "value": format_number(ordered["value"], 6),
            "lower_ci": format_number(ordered["lower_ci"], 6),
            "upper_ci": format_number(ordered["upper_ci"], 6),
        }
    ).reset_index(drop=True)
