"""Check a file's cells against the data contract and turn them into typed rows.

Each ``validate_*`` function takes the text cells of one file (row numbers in
the index, see :mod:`analysis.readers`) with canonical column names, and
returns typed rows plus every :class:`~analysis.errors.InputIssue` found. All
checks are vectorised; each rule reports at most ``PER_RULE`` rows by number
and then how many more it found, so a bad 10-million-row file stays readable.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.errors import InputIssue
from analysis.periods import parse_periods
from analysis.schema import GROUPS, MEASURE_KINDS, SITE_TYPES

PER_RULE = 50
NULL_MARKERS = ("*", "NA", "N/A", "n/a", "NULL", "null", "..", ":", "-")
TRUE_WORDS = {"true", "yes", "y", "1", "higher", "high", "high is good", "higher is better"}
FALSE_WORDS = {"false", "no", "n", "0", "lower", "low", "low is good", "lower is better"}


@dataclass
class Issues:
    """Collects issues for one file, capping how many rows each rule lists."""

    file: str
    items: list[InputIssue] = field(default_factory=list)

    def add(self, message: str, row: int | None = None, column: str | None = None) -> None:
        """Record one issue."""
        self.items.append(InputIssue(self.file, row, column, message))

    def add_rows(self, mask: pd.Series, column: str, message: str, values: pd.Series | None = None):
        """Record an issue for each row where ``mask`` holds (``{value}`` is the cell)."""
        rows = mask[mask.fillna(False)].index
        for row in rows[:PER_RULE]:
            text = message.format(value=_cell(values.loc[row])) if values is not None else message
            self.items.append(InputIssue(self.file, int(row), column, text))
        if len(rows) > PER_RULE:
            more = len(rows) - PER_RULE
            self.items.append(
                InputIssue(
                    self.file,
                    None,
                    column,
                    f"… and {more} more row(s): {message.format(value='…')}",
                )
            )


def _cell(value: object) -> str:
    """A cell for a message: whole floats without '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def require(cells: pd.DataFrame, columns: Iterable[str], issues: Issues) -> bool:
    """Report each missing required column; True when all are present."""
    missing = [c for c in columns if c not in cells.columns]
    for column in missing:
        issues.add(
            f"required column '{column}' is missing (columns found: "
            f"{', '.join(map(str, cells.columns))}): say which column holds it under "
            "'Match your columns' on the Data page (--columns on the command line)"
            + (
                ", or give one measure id for the whole file (--measure)"
                if column == "measure"
                else ""
            ),
            None,
            column,
        )
    return not missing


def text_column(cells: pd.DataFrame, column: str) -> pd.Series:
    """The column as text, or an all-NA text column when absent."""
    if column in cells.columns:
        return cells[column]
    return pd.Series(pd.NA, index=cells.index, dtype="str")


def required_text(cells: pd.DataFrame, column: str, issues: Issues) -> pd.Series:
    """A required text column; blank cells are reported."""
    values = text_column(cells, column)
    issues.add_rows(values.isna(), column, f"'{column}' is blank")
    return values


def number_column(cells: pd.DataFrame, column: str, issues: Issues) -> pd.Series:
    """Parse a numeric column; suppressed markers (``*``, ``NA``…) become NaN.

    Thousands separators (``1,234``) are accepted; any other text is reported.
    """
    if column not in cells.columns:
        return pd.Series(np.nan, index=cells.index, dtype="float64")
    raw = cells[column]
    try:  # fast path: Arrow casts a clean column in C++; any odd cell falls through
        fast = pc.cast(pa.array(raw, from_pandas=True), pa.float64()).to_numpy(zero_copy_only=False)
        if np.isfinite(fast[~np.isnan(fast)]).all():
            return pd.Series(fast, index=cells.index, dtype="float64")
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        pass
    cleaned = raw.where(~raw.isin(NULL_MARKERS)).str.replace(",", "", regex=False)
    numbers = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    issues.add_rows(cleaned.notna() & numbers.isna(), column, "'{value}' is not a number", raw)
    issues.add_rows(np.isinf(numbers), column, "'{value}' is not a finite number", raw)
    return numbers.where(np.isfinite(numbers))


def boolean_column(cells: pd.DataFrame, column: str, issues: Issues) -> pd.Series:
    """Parse true/false/empty (also yes/no, 1/0, 'high is good'/'low is good')."""
    raw = text_column(cells, column)
    lowered = raw.str.lower()
    result = pd.Series(pd.NA, index=cells.index, dtype="boolean")
    result[lowered.isin(TRUE_WORDS)] = True
    result[lowered.isin(FALSE_WORDS)] = False
    unknown = raw.notna() & result.isna() & ~lowered.isin({"no judgement", "none", ""})
    issues.add_rows(unknown, column, "'{value}' is not true, false or empty", raw)
    return result


def date_column(cells: pd.DataFrame, column: str, issues: Issues) -> pd.Series:
    """Parse dates (ISO ``2021-04-01`` or UK ``01/04/2021``) on the distinct values."""
    raw = text_column(cells, column)
    distinct = pd.unique(raw.dropna())
    parsed = {}
    for text in distinct:
        iso = pd.to_datetime(text, errors="coerce", format="ISO8601")
        parsed[text] = (
            iso if not pd.isna(iso) else pd.to_datetime(text, errors="coerce", dayfirst=True)
        )
    dates = pd.to_datetime(raw.map(parsed), errors="coerce").astype("datetime64[us]")
    issues.add_rows(
        raw.notna() & dates.isna(), column, "'{value}' is not a date (use 2021-04-01)", raw
    )
    return dates


def duplicates(frame: pd.DataFrame, key: list[str], issues: Issues, label: str) -> None:
    """Report every row whose key repeats an earlier row of the same file."""
    dup = frame.duplicated(subset=key, keep="first")
    if not dup.any():
        return
    first_row = (
        frame.reset_index().groupby(key, sort=False, dropna=False)["index"].transform("first")
    )
    first_row.index = frame.index
    issues.add_rows(dup, key[0], f"duplicate {label}: same as row {{value}}", first_row)


def validate_measures(
    cells: pd.DataFrame,
    issues: Issues,
    known_sites: set[str],
    kinds: dict[str, str],
    *,
    whole_counts: bool = True,
) -> pd.DataFrame:
    """Validate a measures file (site_code, period, measure, counts or value).

    Rules: required columns; blank codes; unknown site codes (not in
    ``known_sites``); unparseable periods; numerator a whole number ≥ 0;
    denominator > 0; numerator ≤ denominator where ``kinds[measure]`` is
    ``proportion``; a numerator or a value on every row; no duplicate
    (site_code, period, measure). Returns typed rows (period normalised).
    ``whole_counts=False`` accepts non-whole numerators (Fingertips exports
    publish some apportioned counts; :mod:`analysis.fingertips` notes them).
    """
    if not require(cells, ("site_code", "period", "measure"), issues):
        return pd.DataFrame()
    if "numerator" not in cells.columns and "value" not in cells.columns:
        issues.add(
            "needs a 'numerator' (with 'denominator') or a 'value' column", None, "numerator"
        )
        return pd.DataFrame()
    site = required_text(cells, "site_code", issues)
    measure = required_text(cells, "measure", issues)
    period_text = required_text(cells, "period", issues)
    periods, bad = parse_periods(period_text)
    for label, reason in bad.items():
        issues.add_rows(period_text == label, "period", reason)
    unknown = site.notna() & ~site.isin(known_sites)
    issues.add_rows(
        unknown,
        "site_code",
        "site code '{value}' is not in the sites table: load a sites file that lists it "
        "(in this upload or before)",
        site,
    )
    numerator = number_column(cells, "numerator", issues)
    denominator = number_column(cells, "denominator", issues)
    value = number_column(cells, "value", issues)
    issues.add_rows(numerator < 0, "numerator", "numerator {value} is negative", numerator)
    issues.add_rows(
        numerator.notna() & (numerator != numerator.round()) & whole_counts,
        "numerator",
        "numerator {value} is not a whole number",
        numerator,
    )
    issues.add_rows(
        denominator == 0,
        "denominator",
        "denominator is zero: give the number of people eligible or at risk, or leave the row out",
    )
    issues.add_rows(denominator < 0, "denominator", "denominator {value} is negative", denominator)
    issues.add_rows(
        numerator.notna() & denominator.isna() & value.isna() & ("denominator" in cells.columns),
        "denominator",
        "numerator given without a denominator or a value",
    )
    issues.add_rows(
        numerator.isna() & value.isna(),
        "numerator" if "numerator" in cells.columns else "value",
        "no numerator and no value on this row",
    )
    is_proportion = measure.isin([m for m, kind in kinds.items() if kind == "proportion"])
    issues.add_rows(
        is_proportion & (denominator > 0) & (numerator > denominator),
        "numerator",
        "numerator is larger than the denominator for a proportion (denominator {value})",
        denominator,
    )
    frame = pd.DataFrame(
        {
            "site_code": site,
            "measure": measure,
            "period_start": periods["period_start"],
            "period_end": periods["period_end"],
            "granularity": periods["granularity"],
            "period_label": periods["period_label"],
            "numerator": numerator,
            "denominator": denominator,
            "value": value,
            "lower_ci": number_column(cells, "lower_ci", issues),
            "upper_ci": number_column(cells, "upper_ci", issues),
        }
    )
    duplicates(
        frame,
        ["site_code", "period_start", "granularity", "measure"],
        issues,
        "site_code, period and measure",
    )
    return frame


def validate_sites(cells: pd.DataFrame, issues: Issues) -> pd.DataFrame:
    """Validate a sites file: codes, names, types, groups, dates, deprivation, places."""
    if not require(cells, ("site_code", "site_name"), issues):
        return pd.DataFrame()
    site = required_text(cells, "site_code", issues)
    name = required_text(cells, "site_name", issues)
    site_type = text_column(cells, "site_type").str.lower()
    issues.add_rows(
        site_type.notna() & ~site_type.isin(SITE_TYPES),
        "site_type",
        f"site_type '{{value}}' is not one of {', '.join(SITE_TYPES)}",
        site_type,
    )
    group, start = _group_and_start(cells, issues)
    frame = pd.DataFrame(
        {
            "site_code": site,
            "site_name": name,
            "site_type": site_type.fillna("other"),
            "parent_code": text_column(cells, "parent_code"),
            "group": group,
            "start_date": start,
            "imd_decile": _ranged(cells, "imd_decile", 1, 10, issues, whole=True),
            "imd_score": number_column(cells, "imd_score", issues),
            "imd_quintile": _ranged(cells, "imd_quintile", 1, 5, issues, whole=True),
            "population": _ranged(cells, "population", 0, np.inf, issues),
            "lat": _ranged(cells, "lat", -90, 90, issues),
            "lon": _ranged(cells, "lon", -180, 180, issues),
            "boundary_code": text_column(cells, "boundary_code"),
        }
    )
    duplicates(frame, ["site_code"], issues, "site_code")
    return frame


def validate_grouping(cells: pd.DataFrame, issues: Issues, known_sites: set[str]) -> pd.DataFrame:
    """Validate a grouping file (site_code, group, start_date) against known sites."""
    if not require(cells, ("site_code", "group"), issues):
        return pd.DataFrame()
    site = required_text(cells, "site_code", issues)
    issues.add_rows(
        site.notna() & ~site.isin(known_sites),
        "site_code",
        "site code '{value}' is not in the sites table",
        site,
    )
    group, start = _group_and_start(cells, issues)
    frame = pd.DataFrame({"site_code": site, "group": group, "start_date": start})
    duplicates(frame, ["site_code"], issues, "site_code")
    return frame


def validate_definitions(cells: pd.DataFrame, issues: Issues) -> pd.DataFrame:
    """Validate measure definitions: kind, multiplier > 0, polarity true/false/empty."""
    if not require(cells, ("measure", "kind"), issues):
        return pd.DataFrame()
    measure = required_text(cells, "measure", issues)
    kind = required_text(cells, "kind", issues).str.lower()
    issues.add_rows(
        kind.notna() & ~kind.isin(MEASURE_KINDS),
        "kind",
        f"kind '{{value}}' is not one of {', '.join(MEASURE_KINDS)}",
        kind,
    )
    multiplier = number_column(cells, "multiplier", issues)
    issues.add_rows(multiplier <= 0, "multiplier", "multiplier {value} must be above 0", multiplier)
    default_multiplier = kind.map({"proportion": 100.0, "rate": 100000.0}).astype("float64")
    frame = pd.DataFrame(
        {
            "measure": measure,
            "label": text_column(cells, "label").fillna(measure),
            "kind": kind,
            "multiplier": multiplier.fillna(default_multiplier).fillna(1.0),
            "higher_is_better": boolean_column(cells, "higher_is_better", issues),
            "description": text_column(cells, "description"),
            "source": text_column(cells, "source"),
        }
    )
    duplicates(frame, ["measure"], issues, "measure")
    return frame


def validate_unit_costs(cells: pd.DataFrame, issues: Issues) -> pd.DataFrame:
    """Validate unit costs: £ ≥ 0, share in 0–1 (default 1), low ≤ cost ≤ high."""
    if not require(cells, ("measure", "item", "cost_gbp"), issues):
        return pd.DataFrame()
    cost = _ranged(cells, "cost_gbp", 0, np.inf, issues)
    issues.add_rows(
        cost.isna() & text_column(cells, "cost_gbp").isna(), "cost_gbp", "cost_gbp is blank"
    )
    low = _ranged(cells, "cost_low", 0, np.inf, issues)
    high = _ranged(cells, "cost_high", 0, np.inf, issues)
    issues.add_rows(low > cost, "cost_low", "cost_low {value} is above cost_gbp", low)
    issues.add_rows(high < cost, "cost_high", "cost_high {value} is below cost_gbp", high)
    frame = pd.DataFrame(
        {
            "measure": required_text(cells, "measure", issues),
            "item": required_text(cells, "item", issues),
            "cost_gbp": cost,
            "share": _ranged(cells, "share", 0, 1, issues).fillna(1.0),
            "price_year": _ranged(cells, "price_year", 1900, 2100, issues, whole=True),
            "source": text_column(cells, "source"),
            "cost_low": low,
            "cost_high": high,
        }
    )
    duplicates(frame, ["measure", "item"], issues, "measure and item")
    return frame


def _group_and_start(cells: pd.DataFrame, issues: Issues) -> tuple[pd.Series, pd.Series]:
    group = text_column(cells, "group").str.lower()
    issues.add_rows(
        group.notna() & ~group.isin(GROUPS),
        "group",
        "group '{value}' is not intervention, comparator or empty",
        group,
    )
    start = date_column(cells, "start_date", issues)
    issues.add_rows(
        group.eq("intervention").fillna(False)
        & start.isna()
        & text_column(cells, "start_date").isna(),
        "start_date",
        "an intervention site needs a start_date",
    )
    return group, start


def _ranged(
    cells: pd.DataFrame, column: str, low: float, high: float, issues: Issues, whole: bool = False
) -> pd.Series:
    values = number_column(cells, column, issues)
    bounds = f"{low:g} to {high:g}" if np.isfinite(high) else f"at least {low:g}"
    issues.add_rows(
        (values < low) | (values > high), column, f"{{value}} is outside {bounds}", values
    )
    if whole:
        issues.add_rows(
            values.notna() & (values != values.round()),
            column,
            "{value} is not a whole number",
            values,
        )
    return values
