"""Column mapping: bring a file whose columns are not named as the data contract says.

An export with ``Practice Code, Month, Screened, Invited`` is a measures file
once the user says which column is which: a :class:`ColumnMapping` names, for
each contract column (``site_code``, ``period``, ``numerator``…), the file's
column that holds it, and may give one measure id for every row of a file that
has no ``measure`` column. The Data page builds one from its pickers, the
command line from ``--columns 'site_code=Practice Code,period=Month' --measure ID``;
both go through :func:`apply_mapping`, so the same file and mapping give the same
rows. A mapping used in a load is stored with it, keyed by :func:`header_key` (the
file's header), and offered again the next time a file with that header comes in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.errors import InputIssue
from analysis.schema import KINDS, MEASURES, SITES, normalise_column

MEASURE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,79}$")
CONTRACT_COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(c for k in KINDS for c in k.columns))

# What each column means, in the words the Data page uses for its pickers.
COLUMN_WORDS: dict[str, str] = {
    "site_code": "Site code (practice, PCN or area code)",
    "site_name": "Site name",
    "period": "Period (month, quarter, year or date)",
    "measure": "Measure id",
    "numerator": "Count (people or events with the outcome)",
    "denominator": "Denominator (people eligible or at risk)",
    "value": "Published value (when there are no counts)",
    "lower_ci": "Lower 95% limit",
    "upper_ci": "Upper 95% limit",
    "site_type": "Site type (practice, pcn, la…)",
    "parent_code": "Parent code (e.g. the PCN of a practice)",
    "group": "Group (intervention / comparator)",
    "start_date": "Programme start date",
    "imd_decile": "IMD decile (1 = most deprived)",
    "imd_score": "IMD score",
    "population": "Population (list size)",
    "lat": "Latitude",
    "lon": "Longitude",
}

# The columns the Data page offers to map, per kind of file.
MAPPABLE: dict[str, tuple[str, ...]] = {
    MEASURES.name: ("site_code", "period", "measure", "numerator", "denominator", "value"),
    SITES.name: (
        "site_code",
        "site_name",
        "site_type",
        "parent_code",
        "group",
        "start_date",
        "imd_decile",
        "population",
    ),
}

# Words in a file's own column names that suggest a contract column (first match wins).
_HINTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("site_code", ("practicecode", "orgcode", "odscode", "areacode", "sitecode", "code")),
    ("site_name", ("practicename", "areaname", "sitename", "name")),
    ("period", ("period", "month", "quarter", "year", "date", "time")),
    ("measure", ("measure", "indicator", "metric")),
    ("numerator", ("numerator", "count", "screened", "events", "admissions", "cases", "number")),
    ("denominator", ("denominator", "invited", "eligible", "population", "registered", "list")),
    ("value", ("value", "rate", "percent", "uptake", "coverage")),
    ("parent_code", ("parent", "pcn")),
    ("imd_decile", ("imd", "decile", "deprivation")),
    ("population", ("listsize", "population", "registered")),
)


@dataclass(frozen=True)
class ColumnMapping:
    """Which of a file's columns holds each contract column, and an optional fixed measure.

    ``columns`` is ((contract column, the file's column), …); ``measure`` is the
    measure id given to every row when the file has no measure column.
    """

    columns: tuple[tuple[str, str], ...] = ()
    measure: str | None = None

    @classmethod
    def of(cls, columns: dict[str, str], measure: str | None = None) -> ColumnMapping:
        """From a {contract column: file column} dict (blank choices dropped)."""
        pairs = tuple((k, v) for k, v in columns.items() if v)
        return cls(pairs, (measure or "").strip() or None)

    def as_dict(self) -> dict[str, str]:
        """{contract column: file column}."""
        return dict(self.columns)

    def to_json(self) -> str:
        """The stored form (sorted keys, so the same mapping is the same text)."""
        return json.dumps(
            {"columns": dict(sorted(self.columns)), "measure": self.measure}, sort_keys=True
        )

    @classmethod
    def from_json(cls, text: str) -> ColumnMapping:
        """Inverse of :meth:`to_json`."""
        data = json.loads(text)
        return cls(tuple(sorted(data.get("columns", {}).items())), data.get("measure"))

    def describe(self) -> str:
        """One line for notes: ``site_code ← Practice Code; …; measure = bowel_uptake``."""
        parts = [f"{target} ← {source}" for target, source in self.columns]
        if self.measure:
            parts.append(f"measure = {self.measure}")
        return "; ".join(parts)

    def to_option(self) -> str:
        """The command line's ``--columns`` text for this mapping."""
        return ",".join(f"{target}={source}" for target, source in self.columns)


def header_key(columns: Iterable[object]) -> str:
    """The key a mapping is remembered by: the file's column names, folded and sorted."""
    return "|".join(sorted(normalise_column(str(c)) for c in columns))


def parse_columns_option(text: str, measure: str | None = None) -> ColumnMapping:
    """Parse ``--columns 'site_code=Practice Code,period=Month'`` (and ``--measure``).

    Raises ValueError saying which part is wrong and how to write it.
    """
    pairs: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        target, sep, source = part.partition("=")
        target, source = normalise_target(target.strip()), source.strip()
        if not sep or not source:
            raise ValueError(
                f"--columns: '{part}' should be contract_column=Your Column "
                "(e.g. site_code=Practice Code)"
            )
        if target not in CONTRACT_COLUMNS:
            raise ValueError(
                f"--columns: '{part.partition('=')[0].strip()}' is not a column of the data "
                f"contract; use one of {', '.join(CONTRACT_COLUMNS)}"
            )
        if target in pairs:
            raise ValueError(f"--columns: '{target}' is given twice")
        pairs[target] = source
    return ColumnMapping.of(pairs, measure)


def normalise_target(name: str) -> str:
    """A contract column name as typed (``Site Code``, ``site_code``) → ``site_code``."""
    folded = normalise_column(name)
    return next((c for c in CONTRACT_COLUMNS if normalise_column(c) == folded), name)


def apply_mapping(
    file_name: str, cells: pd.DataFrame, mapping: ColumnMapping
) -> tuple[pd.DataFrame, list[InputIssue]]:
    """The file's cells with its columns renamed to the contract's, and any problems.

    A file column named in the mapping must exist (matched as typed, else
    ignoring case, spaces and underscores); a contract column may be given once;
    a fixed measure id must look like one (letters, digits, underscores) and
    cannot be given as well as a measure column. Columns the mapping does not
    name are kept, unless their name would collide with a mapped one.
    """
    issues: list[InputIssue] = []
    folded = {normalise_column(c): c for c in cells.columns}
    rename: dict[str, str] = {}
    for target, source in mapping.columns:
        if target not in CONTRACT_COLUMNS:
            issues.append(
                InputIssue(
                    file_name,
                    None,
                    target,
                    f"'{target}' is not a column of the data contract; use one of "
                    f"{', '.join(CONTRACT_COLUMNS)}",
                )
            )
            continue
        found = source if source in cells.columns else folded.get(normalise_column(source))
        if found is None:
            issues.append(
                InputIssue(
                    file_name,
                    1,
                    source,
                    f"the column '{source}' chosen for {target} is not in the file (its columns: "
                    f"{', '.join(map(str, cells.columns))}): check the spelling",
                )
            )
            continue
        if found in rename:
            issues.append(
                InputIssue(
                    file_name,
                    1,
                    found,
                    f"the column '{found}' is chosen for both {rename[found]} and {target}: "
                    "pick one column for each",
                )
            )
            continue
        rename[found] = target
    targets = set(rename.values())
    if mapping.measure is not None:
        if "measure" in targets:
            issues.append(
                InputIssue(
                    file_name,
                    None,
                    "measure",
                    "a measure column and a fixed measure id are both given: use one of them",
                )
            )
        elif not MEASURE_ID.match(mapping.measure):
            issues.append(
                InputIssue(
                    file_name,
                    None,
                    "measure",
                    f"the measure id '{mapping.measure}' should start with a letter and hold "
                    "only letters, digits and underscores (e.g. bowel_uptake)",
                )
            )
    if issues:
        return cells, issues
    kept = [c for c in cells.columns if c in rename or normalise_target(str(c)) not in targets]
    out = cells[kept].rename(columns=rename)
    if mapping.measure is not None:
        out["measure"] = pd.Series(mapping.measure, index=out.index, dtype="str")
    return out, issues


def suggest(columns: Sequence[str], kind: str = MEASURES.name) -> dict[str, str]:
    """A first guess at the mapping from the file's column names (the user confirms it).

    Exact contract names (ignoring case, spaces, underscores) first, then words
    such as ``Practice Code`` → site_code, ``Month`` → period; each file column
    is used once.
    """
    wanted = MAPPABLE.get(kind, MAPPABLE[MEASURES.name])
    folded = {c: normalise_column(c) for c in columns}
    chosen: dict[str, str] = {}
    used: set[str] = set()
    for target in wanted:
        exact = next((c for c, f in folded.items() if f == normalise_column(target)), None)
        if exact is not None:
            chosen[target] = exact
            used.add(exact)
    for target, words in _HINTS:
        if target not in wanted or target in chosen:
            continue
        for word in words:
            hit = next((c for c, f in folded.items() if c not in used and word in f), None)
            if hit is not None:
                chosen[target] = hit
                used.add(hit)
                break
    return {t: chosen[t] for t in wanted if t in chosen}
