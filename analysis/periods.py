"""Period labels → start date, end date and granularity (DESIGN.md data contract).

Accepted forms, matched after trimming:

=====================  ==================  ===================================
label                  granularity         covers
=====================  ==================  ===================================
``2023-04``            ``month``           1–30 April 2023
``2023-04-01``         ``date``            that day (start = end)
``2023 Q2``/``2023-Q2`` ``quarter``        April–June 2023 (calendar quarters)
``2023/24``            ``financial_year``  1 April 2023 – 31 March 2024
``2023``               ``year``            calendar year 2023
``2018 - 20``          ``multi_year``      1 Jan 2018 – 31 Dec 2020 (Fingertips
                                           rolling ranges)
=====================  ==================  ===================================

Calendar arithmetic is pandas' (``pd.Period``); nothing here counts days.
Parsing works on the distinct labels only, so a 10-million-row file costs the
same as its few hundred distinct periods.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

GRANULARITIES = ("date", "month", "quarter", "financial_year", "year", "multi_year")


@dataclass(frozen=True)
class ParsedPeriod:
    """One period: its first and last day, its granularity and a canonical label."""

    start: pd.Timestamp
    end: pd.Timestamp
    granularity: str
    label: str


def _span(period: pd.Period, granularity: str, label: str) -> ParsedPeriod:
    return ParsedPeriod(
        start=period.start_time.normalize(),
        end=period.end_time.normalize(),
        granularity=granularity,
        label=label,
    )


def _month(m: re.Match[str]) -> ParsedPeriod:
    year, month = int(m["y"]), int(m["m"])
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} is not 01–12")
    return _span(pd.Period(year=year, month=month, freq="M"), "month", f"{year}-{month:02d}")


def _date(m: re.Match[str]) -> ParsedPeriod:
    day = pd.Timestamp(m[0])
    return ParsedPeriod(day, day, "date", day.strftime("%Y-%m-%d"))


def _quarter(m: re.Match[str]) -> ParsedPeriod:
    year, q = int(m["y"]), int(m["q"])
    return _span(pd.Period(f"{year}Q{q}", freq="Q"), "quarter", f"{year} Q{q}")


def _financial_year(m: re.Match[str]) -> ParsedPeriod:
    year, tail = int(m["y"]), m["tail"]
    expected = year + 1 if len(tail) == 4 else (year + 1) % 100
    if int(tail) != expected:
        raise ValueError(
            f"'{m[0]}' is not a financial year: expected {year}/{(year + 1) % 100:02d}"
        )
    # A financial year ending in March: pandas' annual period anchored on March.
    period = pd.Period(year=year + 1, freq="Y-MAR")
    return _span(period, "financial_year", f"{year}/{(year + 1) % 100:02d}")


def _year(m: re.Match[str]) -> ParsedPeriod:
    year = int(m["y"])
    return _span(pd.Period(year=year, freq="Y"), "year", str(year))


def _multi_year(m: re.Match[str]) -> ParsedPeriod:
    first = int(m["y"])
    last_tail = m["tail"]
    last = int(last_tail) if len(last_tail) == 4 else (first // 100) * 100 + int(last_tail)
    if last <= first:
        raise ValueError(f"'{m[0]}' ends before it starts")
    start = pd.Period(year=first, freq="Y").start_time.normalize()
    end = pd.Period(year=last, freq="Y").end_time.normalize()
    return ParsedPeriod(start, end, "multi_year", f"{first} - {last % 100:02d}")


_FORMS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], ParsedPeriod]], ...] = (
    (re.compile(r"(?P<y>\d{4})-(?P<m>\d{1,2})"), _month),
    (re.compile(r"\d{4}-\d{2}-\d{2}"), _date),
    (re.compile(r"(?P<y>\d{4})\s*-?\s*Q(?P<q>[1-4])", re.IGNORECASE), _quarter),
    (re.compile(r"(?P<y>\d{4})\s*/\s*(?P<tail>\d{2}|\d{4})"), _financial_year),
    (re.compile(r"(?P<y>\d{4})"), _year),
    (re.compile(r"(?P<y>\d{4})\s+-\s+(?P<tail>\d{2}|\d{4})"), _multi_year),
)


def parse_period(label: str) -> ParsedPeriod:
    """Parse one period label; raise ``ValueError`` saying which forms are accepted."""
    text = str(label).strip()
    for pattern, build in _FORMS:
        match = pattern.fullmatch(text)
        if match:
            try:
                return build(match)
            except ValueError as exc:
                raise ValueError(f"'{text}' is not a valid period: {exc}") from None
    raise ValueError(
        f"'{text}' is not a period this tool reads (use 2023-04, 2023-04-01, "
        "2023 Q2, 2023/24, 2023 or 2018 - 20)"
    )


def parse_periods(labels: pd.Series) -> tuple[pd.DataFrame, dict[str, str]]:
    """Parse a column of labels, working on its distinct values.

    Returns a frame aligned with ``labels`` (columns ``period_start``,
    ``period_end``, ``granularity``, ``period_label``; NaT/NA where a label
    failed) and a dict {bad label: reason}.
    """
    codes, uniques = pd.factorize(labels)
    parsed: list[ParsedPeriod | None] = []
    bad: dict[str, str] = {}
    for label in uniques:
        try:
            parsed.append(parse_period(label))
        except ValueError as exc:
            parsed.append(None)
            bad[label] = str(exc)
    missing = ParsedPeriod(pd.NaT, pd.NaT, None, None)  # type: ignore[arg-type]
    table = [p or missing for p in parsed] + [missing]  # codes of -1 (NA) take the last row
    take = np.where(codes < 0, len(table) - 1, codes)
    out = pd.DataFrame(
        {
            "period_start": pd.to_datetime([p.start for p in table]).to_numpy()[take],
            "period_end": pd.to_datetime([p.end for p in table]).to_numpy()[take],
            "granularity": pd.array([p.granularity for p in table], dtype="str")[take],
            "period_label": pd.array([p.label for p in table], dtype="str")[take],
        },
        index=labels.index,
    )
    out["period_start"] = out["period_start"].astype("datetime64[us]")
    out["period_end"] = out["period_end"].astype("datetime64[us]")
    return out, bad
