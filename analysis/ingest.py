"""Read, validate and normalise a batch of files before anything is written.

``prepare_batch`` takes the files of one upload (or one ``load`` command) and
the store's :class:`Catalogue`, reads each file, detects its kind from its
columns (:func:`analysis.schema.detect_kind`), validates it and returns typed
rows ready for :meth:`analysis.store.Store.apply`. Sites files are read first
so that measures in the same upload may use the sites they list. If any file
has any problem, :class:`~analysis.errors.LoadRejected` lists them all and
nothing is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis import fingertips
from analysis.column_mapping import ColumnMapping, apply_mapping, header_key
from analysis.errors import InputIssue, LoadRejected
from analysis.readers import DEFAULT_MAX_BYTES, RawTable, ReadFailed, read_table
from analysis.schema import detect_kind
from analysis.site_levels import unmatched_parents
from analysis.validate import (
    Issues,
    validate_definitions,
    validate_grouping,
    validate_measures,
    validate_sites,
    validate_unit_costs,
)

ORDER = ("sites", "measure_definitions", "grouping", "unit_costs", "fingertips", "measures")


@dataclass(frozen=True)
class Catalogue:
    """What the store already holds that validation needs to know."""

    site_codes: frozenset[str] = frozenset()
    measure_kinds: Mapping[str, str] = field(default_factory=dict)
    loaded_checksums: Mapping[str, int] = field(default_factory=dict)
    column_mappings: Mapping[str, tuple[ColumnMapping, int]] = field(default_factory=dict)
    """Remembered mappings: :func:`~analysis.column_mapping.header_key` → (mapping, load id)."""


@dataclass(frozen=True)
class FileSummary:
    """What was detected in a file, for the Data page and the CLI."""

    kind: str
    kind_label: str
    rows: int
    sites: int
    measures: tuple[str, ...]
    first_period: str | None
    last_period: str | None
    granularity: tuple[str, ...]


@dataclass(frozen=True)
class PreparedFile:
    """One validated file: typed rows for its table, plus sites/definitions it brings."""

    file_name: str
    sha256: str
    kind: str
    rows: pd.DataFrame
    summary: FileSummary
    new_sites: pd.DataFrame | None = None
    new_definitions: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    already_loaded_as: int | None = None
    mapping: ColumnMapping | None = None
    header_key: str | None = None


UNRECOGNISED_FIX = (
    "say which column holds the site code, the period and the counts: on the Data page under "
    "'Match your columns', or on the command line with --columns "
    "'site_code=…,period=…,numerator=…,denominator=…' (and --measure ID when the file has no "
    "measure column); or rename the columns as in the Data page's templates"
)


def prepare_batch(
    files: Sequence[tuple[str, bytes]],
    catalogue: Catalogue,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Callable[[float, str], None] | None = None,
    mappings: Mapping[str, ColumnMapping] | None = None,
) -> list[PreparedFile]:
    """Validate every file of one load; raise LoadRejected listing all problems.

    ``progress(fraction, message)`` is called as each file is read and checked.
    ``mappings`` gives a :class:`ColumnMapping` by file name; a file without one
    whose header has a mapping remembered in ``catalogue`` uses that.
    """
    problems: list[InputIssue] = []
    tables: list[tuple[str, RawTable, str, dict[str, str], ColumnMapping | None, str]] = []
    mappings = mappings or {}
    steps = max(2 * len(files), 1)
    for i, (name, data) in enumerate(files):
        if progress:
            progress(i / steps, f"reading {name}")
        try:
            raw = read_table(name, data, max_bytes)
        except ReadFailed as exc:
            problems.append(exc.issue)
            continue
        key = header_key(raw.cells.columns)
        chosen = mappings.get(name)
        remembered = catalogue.column_mappings.get(key)
        if chosen is None and remembered is not None:
            chosen = remembered[0]
        digest = hashlib.sha256(data)
        if chosen is not None:
            cells, mapping_issues = apply_mapping(raw.file_name, raw.cells, chosen)
            if mapping_issues:
                problems.extend(mapping_issues)
                continue
            note = f"columns matched: {chosen.describe()}"
            if remembered is not None and remembered[0] == chosen:
                note += f" (as remembered from load #{remembered[1]})"
            raw = RawTable(raw.file_name, cells, raw.encoding, (*raw.notes, note))
            digest.update(b"\0columns:" + chosen.to_json().encode())
        detected, mapping = detect_kind(list(raw.cells.columns))
        if detected is None:
            problems.append(
                InputIssue(
                    raw.file_name,
                    1,
                    None,
                    "cannot tell what kind of file this is from its columns "
                    f"({', '.join(map(str, raw.cells.columns))}): {UNRECOGNISED_FIX}",
                )
            )
            continue
        tables.append((digest.hexdigest(), raw, detected.name, mapping, chosen, key))

    tables.sort(key=lambda t: ORDER.index(t[2]))
    known_sites = set(catalogue.site_codes)
    kinds = dict(catalogue.measure_kinds)
    prepared: list[PreparedFile] = []
    for j, (sha, raw, kind, mapping, chosen, key) in enumerate(tables):
        if progress:
            progress((len(files) + j) / steps, f"checking {raw.file_name}")
        issues = Issues(raw.file_name)
        cells = raw.cells.rename(columns=mapping)
        result = _prepare_one(kind, cells, issues, known_sites, kinds)
        problems.extend(issues.items)
        if issues.items:
            continue
        rows, new_sites, new_definitions, notes = result
        prepared.append(
            PreparedFile(
                file_name=raw.file_name,
                sha256=sha,
                kind=kind,
                rows=rows,
                summary=_summarise(kind, rows),
                new_sites=new_sites,
                new_definitions=new_definitions,
                notes=raw.notes + notes,
                already_loaded_as=catalogue.loaded_checksums.get(sha),
                mapping=chosen,
                header_key=key,
            )
        )
    if problems:
        raise LoadRejected(problems)
    return prepared


@dataclass(frozen=True)
class FileHeader:
    """What the Data page needs to offer a column mapping for one file.

    ``kind`` is the detected kind (None when none fits); ``missing`` its required
    columns the file lacks; ``remembered`` the mapping stored for this header and
    the load that stored it; ``problem`` says why the file cannot be read at all.
    """

    file_name: str
    columns: tuple[str, ...]
    header_key: str
    kind: str | None
    missing: tuple[str, ...]
    remembered: tuple[ColumnMapping, int] | None
    problem: str | None = None

    @property
    def recognised(self) -> bool:
        """True when the columns, as named, make a complete file of some kind."""
        return self.kind is not None and not self.missing

    @property
    def needs_mapping(self) -> bool:
        """True when the columns are not recognised as they stand and nothing is remembered."""
        return self.problem is None and self.remembered is None and not self.recognised


def inspect_file(
    name: str, data: bytes, catalogue: Catalogue, max_bytes: int = DEFAULT_MAX_BYTES
) -> FileHeader:
    """Read ``data``'s header: its columns, the kind they suggest, and any remembered mapping."""
    try:
        raw = read_table(name, data, max_bytes)
    except ReadFailed as exc:
        return FileHeader(name, (), "", None, (), None, exc.issue.message)
    columns = tuple(map(str, raw.cells.columns))
    key = header_key(columns)
    detected, mapping = detect_kind(list(columns))
    missing: tuple[str, ...] = ()
    if detected is not None:
        present = set(mapping.values())
        missing = tuple(c for c in detected.required if c not in present)
        if detected.name == "measures" and not {"numerator", "value"} & present:
            missing += ("numerator",)
    kind = detected.name if detected is not None else None
    return FileHeader(name, columns, key, kind, missing, catalogue.column_mappings.get(key))


def _prepare_one(
    kind: str,
    cells: pd.DataFrame,
    issues: Issues,
    known_sites: set[str],
    kinds: dict[str, str],
) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None, tuple[str, ...]]:
    """Validate one file; update ``known_sites``/``kinds`` with what it brings."""
    if kind == "sites":
        rows = validate_sites(cells, issues)
        known_sites.update(rows["site_code"].dropna() if len(rows) else [])
        return rows, None, None, unmatched_parents(rows, known_sites)
    if kind == "measure_definitions":
        rows = validate_definitions(cells, issues)
        if len(rows):
            kinds.update(zip(rows["measure"], rows["kind"], strict=True))
        return rows, None, None, ()
    if kind == "grouping":
        return validate_grouping(cells, issues, known_sites), None, None, ()
    if kind == "unit_costs":
        return validate_unit_costs(cells, issues), None, None, ()
    notes: tuple[str, ...] = ()
    new_sites = new_definitions = None
    if kind == "fingertips":
        parts = fingertips.split_export(cells)
        new_sites = validate_sites(parts.sites[~parts.sites["site_code"].isin(known_sites)], issues)
        known_sites.update(new_sites["site_code"])
        fresh = parts.definitions[~parts.definitions["measure"].isin(kinds)]
        new_definitions = validate_definitions(fresh, issues)
        kinds.update(zip(new_definitions["measure"], new_definitions["kind"], strict=True))
        cells, notes = parts.measures, parts.notes
        if len(new_sites):
            notes += (f"{len(new_sites)} area(s) new to the store added as sites from the export",)
    rows = validate_measures(cells, issues, known_sites, kinds, whole_counts=kind != "fingertips")
    if len(rows) and not issues.items:
        inferred = infer_definitions(rows, kinds)
        if len(inferred):
            new_definitions = (
                inferred
                if new_definitions is None
                else pd.concat([new_definitions, inferred], ignore_index=True)
            )
            kinds.update(zip(inferred["measure"], inferred["kind"], strict=True))
            notes += tuple(
                f"measure '{m}' has no definition: treated as {k} (×{x:g}); load a measure "
                "definitions file to change it"
                for m, k, x in inferred[["measure", "kind", "multiplier"]].itertuples(index=False)
            )
    return rows, new_sites, new_definitions, notes


def infer_definitions(rows: pd.DataFrame, kinds: Mapping[str, str]) -> pd.DataFrame:
    """Default definitions for measures that have none.

    With value and counts: the multiplier that links them (Value ≈ Count ÷
    Denominator × 100 → proportion; × 100,000 → rate). With counts only:
    a proportion (%) when no numerator exceeds its denominator and the median
    share is at least 5%, else a rate per 100,000. Value only: a value.
    """
    out = []
    undefined = rows.loc[
        ~rows["measure"].isin(kinds), ["measure", "numerator", "denominator", "value"]
    ]
    for measure, part in undefined.groupby("measure", sort=True):
        share = part["numerator"] / part["denominator"]
        ratio = (part["value"] / share).replace([np.inf, -np.inf], np.nan).median()
        if share.notna().any() and np.isfinite(ratio):
            kind, multiplier = ("proportion", 100.0) if ratio < 1000 else ("rate", 100000.0)
        elif share.notna().any():
            proportion = share.max() <= 1 and share.median() >= 0.05
            kind, multiplier = ("proportion", 100.0) if proportion else ("rate", 100000.0)
        else:
            kind, multiplier = "value", 1.0
        out.append({"measure": measure, "label": measure, "kind": kind, "multiplier": multiplier})
    frame = pd.DataFrame(out, columns=["measure", "label", "kind", "multiplier"])
    frame["higher_is_better"] = pd.Series(pd.NA, index=frame.index, dtype="boolean")
    frame["description"] = pd.Series(pd.NA, index=frame.index, dtype="str")
    frame["source"] = "inferred at load"
    return frame


def _summarise(kind: str, rows: pd.DataFrame) -> FileSummary:
    from analysis.schema import KINDS

    label = next(k.label for k in KINDS if k.name == kind)
    sites = int(rows["site_code"].nunique()) if "site_code" in rows else 0
    measures = tuple(sorted(rows["measure"].unique())) if "measure" in rows else ()
    first = last = None
    grains: tuple[str, ...] = ()
    if "period_start" in rows and len(rows):
        starts = rows["period_start"]
        first = rows["period_label"].iloc[starts.argmin()]
        last = rows["period_label"].iloc[starts.argmax()]
        grains = tuple(sorted(rows["granularity"].unique()))
    return FileSummary(kind, label, len(rows), sites, measures, first, last, grains)
