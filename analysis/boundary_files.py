"""A user's own boundaries: check and prepare a boundary file the user has read.

Two steps, so that the Data page can offer the file's columns before checking it:

1. :func:`analysis.boundary_read.read_boundary_file` reads a ``.geojson``/``.json``
   file or a zipped shapefile into a :class:`~analysis.boundary_read.BoundaryFile` in
   EPSG:4326.
2. :func:`prepare_boundaries` takes the code column the user chose (and optionally a
   name column, the boundary vintage and a layer name), checks every feature and
   returns :class:`PreparedBoundaries`: a :class:`~analysis.geo.BoundaryLayer`
   prepared exactly as the bundled layers are (:func:`analysis.geo_prepare.prepare`)
   and a :class:`BoundarySummary`. :meth:`analysis.store.Store.save_boundaries`
   stores it.

Every problem a user can cause raises :class:`~analysis.errors.LoadRejected` listing
all of them (nothing is written): a file that is not GeoJSON or not readable, a zip
without a shapefile, an unknown coordinate reference system, a missing code or name
column (the message names the columns there are), empty or duplicate codes,
geometries that are not polygons, polygons that stay invalid after repair, and no
code matching a site (``site_code`` or ``boundary_code`` in the sites table).
Issues name the feature by its number in the file (the first feature is 1) in the
``row`` field. Invalid polygons that ``make_valid`` can repair (e.g. a bow-tie) are
repaired, and a note says how many.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
import pandas as pd
import shapely

from analysis.boundary_read import BoundaryFile, read_boundary_file
from analysis.errors import InputIssue, LoadRejected
from analysis.geo import BoundaryLayer
from analysis.geo_prepare import POLYGONAL, feature_collection, prepare, repair
from analysis.readers import DEFAULT_MAX_BYTES

TOLERANCE = 0.0005
"""Coverage simplification tolerance in degrees (about 50 m), as for the bundled layers."""
EXAMPLES = 5


@dataclass(frozen=True)
class BoundarySummary:
    """What a checked boundary file holds, for the Data page."""

    features: int
    matched: tuple[str, ...]
    """Codes in the file that are a site's ``site_code`` or ``boundary_code``."""
    unmatched: tuple[str, ...]
    """Codes in the file that match no site (drawn only if a site later uses them)."""
    repaired: int
    """Invalid polygons repaired by ``make_valid``."""
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreparedBoundaries:
    """A checked boundary file, ready for :meth:`analysis.store.Store.save_boundaries`."""

    file_name: str
    sha256: str
    layer: BoundaryLayer
    summary: BoundarySummary


def match_codes(sites: pd.DataFrame) -> frozenset[str]:
    """The codes a boundary can match: every site's ``site_code`` and ``boundary_code``."""
    codes: set[str] = set()
    for column in ("site_code", "boundary_code"):
        if column in sites:
            codes.update(str(c) for c in sites[column].dropna())
    return frozenset(codes)


def suggest_code_column(boundary_file: BoundaryFile, site_codes: Collection[str]) -> str | None:
    """The column whose values match the most site codes (else one named like a code)."""
    columns = boundary_file.columns
    if not columns:
        return None
    known = set(site_codes)
    matches = {c: _codes(boundary_file.frame[c]).isin(known).sum() for c in columns}
    best = max(columns, key=lambda c: matches[c])
    if matches[best] > 0:
        return best
    named = [c for c in columns if re.search(r"(cd|code)$", c, flags=re.IGNORECASE)]
    return named[0] if named else columns[0]


def suggest_name_column(boundary_file: BoundaryFile, code_column: str | None) -> str | None:
    """A column named like an area name (``LAD24NM``, ``name``), if there is one."""
    for column in boundary_file.columns:
        if column != code_column and re.search(r"(nm|name)$", column, flags=re.IGNORECASE):
            return column
    return None


def suggest_year(code_column: str | None) -> int | None:
    """The vintage an ONS-style code column names, e.g. ``LAD24CD`` → 2024."""
    found = re.fullmatch(r"[A-Za-z]+(\d{2})CD", code_column or "", flags=re.IGNORECASE)
    return 2000 + int(found.group(1)) if found else None


def prepare_boundaries(
    boundary_file: BoundaryFile,
    code_column: str,
    site_codes: Collection[str],
    name_column: str | None = None,
    year: int | None = None,
    layer_name: str | None = None,
) -> PreparedBoundaries:
    """Check every feature and prepare the layer as the bundled ones are prepared.

    ``code_column`` holds each area's code; ``name_column`` (optional) its display
    name (else the code is shown); ``year`` the boundary vintage; ``layer_name`` the
    label shown to users (default: the file name without its suffix). Raises
    :class:`LoadRejected` listing every problem.
    """
    name = boundary_file.file_name
    frame = boundary_file.frame
    problems: list[InputIssue] = []
    for column in (code_column, name_column):
        if column is not None and column not in boundary_file.columns:
            problems.append(
                InputIssue(
                    name,
                    None,
                    column,
                    f"there is no column '{column}'; the file's columns are: "
                    f"{', '.join(boundary_file.columns) or '(none)'}",
                )
            )
    if year is not None and not 1800 <= year <= 2200:
        problems.append(InputIssue(name, None, None, f"{year} is not a boundary year"))
    if problems:
        raise LoadRejected(problems)

    codes = _codes(frame[code_column])
    names = _codes(frame[name_column]) if name_column else codes
    problems += _code_issues(name, code_column, codes)
    geoms, repaired, geometry_issues = _geometries(name, frame.geometry.to_numpy(), codes)
    problems += geometry_issues
    known = set(site_codes)
    present = codes.dropna()
    matched = tuple(sorted(set(present[present.isin(known)])))
    unmatched = tuple(sorted(set(present[~present.isin(known)])))
    if not matched:
        problems.append(_no_match_issue(name, code_column, unmatched, len(known)))
    if problems:
        raise LoadRejected(problems)

    prepared = prepare(geoms, TOLERANCE)
    mismatched = sum(not e.is_empty for e in shapely.coverage_invalid_edges(prepared))
    label = layer_name.strip() if layer_name and layer_name.strip() else PurePath(name).stem
    collection = feature_collection(codes, names.fillna(codes), prepared, year)
    notes = [
        f"{len(frame)} area(s) read from {name} ({boundary_file.source_crs}); "
        f"{len(matched)} match a site, {len(unmatched)} do not"
        + (f" (e.g. {', '.join(unmatched[:EXAMPLES])})" if unmatched else "")
    ]
    if repaired:
        notes.append(f"{repaired} invalid polygon(s) repaired (make_valid by ring structure)")
    if mismatched:
        notes.append(
            f"{mismatched} area(s) have a border that does not exactly meet a neighbour's "
            "(overlaps or gaps in the file): small slivers may show on the map"
        )
    return PreparedBoundaries(
        name,
        boundary_file.sha256,
        BoundaryLayer(label, year, name, collection),
        BoundarySummary(len(frame), matched, unmatched, repaired, tuple(notes)),
    )


def load_boundary_file(
    file_name: str,
    data: bytes,
    code_column: str,
    site_codes: Collection[str],
    name_column: str | None = None,
    year: int | None = None,
    layer_name: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> PreparedBoundaries:
    """:func:`read_boundary_file` then :func:`prepare_boundaries`, in one call."""
    boundary_file = read_boundary_file(file_name, data, max_bytes)
    return prepare_boundaries(boundary_file, code_column, site_codes, name_column, year, layer_name)


def layer_table(
    layers: Sequence[BoundaryLayer], stored: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per layer: name, year, source, features (and load for stored layers).

    ``layers`` are parsed layers (e.g. the bundled ones); ``stored`` is
    :meth:`analysis.store.Store.boundary_overview`, which counts without parsing.
    """
    rows = [
        {
            "layer": layer.name,
            "year": layer.year,
            "source": layer.source,
            "features": len(layer.features["features"]),
            "load_id": None,
        }
        for layer in layers
    ]
    if stored is not None:
        rows += [
            {
                "layer": r.name,
                "year": None if pd.isna(r.year) else int(r.year),
                "source": r.file_name,
                "features": int(r.features),
                "load_id": int(r.load_id),
            }
            for r in stored.itertuples(index=False)
        ]
    table = pd.DataFrame(rows, columns=["layer", "year", "source", "features", "load_id"])
    return table.astype({"year": "Int64", "load_id": "Int64"})


def _codes(values: pd.Series) -> pd.Series:
    """Codes as trimmed text (whole numbers without '.0'); blank = NA."""
    if pd.api.types.is_float_dtype(values) and values.dropna().mod(1).eq(0).all():
        values = values.astype("Int64")
    text = values.astype("str").str.strip()
    return text.where(values.notna() & (text != "")).reset_index(drop=True)


def _code_issues(name: str, column: str, codes: pd.Series) -> list[InputIssue]:
    issues = [
        InputIssue(name, int(i) + 1, column, f"feature {int(i) + 1} has no code")
        for i in codes.index[codes.isna()]
    ]
    repeated = codes[codes.duplicated(keep=False) & codes.notna()]
    for code, where in repeated.groupby(repeated, sort=True):
        numbers = [int(i) + 1 for i in where.index]
        issues.append(
            InputIssue(
                name,
                numbers[1],
                column,
                f"code '{code}' is used by features {', '.join(map(str, numbers))}: "
                "each area needs its own code (dissolve the parts into one feature)",
            )
        )
    return issues


def _geometries(
    name: str, geoms: np.ndarray, codes: pd.Series
) -> tuple[np.ndarray, int, list[InputIssue]]:
    """Polygons repaired where they can be; issues for the ones that are not polygons."""
    issues: list[InputIssue] = []
    repaired = 0
    out = np.empty(len(geoms), dtype=object)
    for i, geom in enumerate(geoms):
        where = f"feature {i + 1}" + (f" (code {codes[i]})" if pd.notna(codes[i]) else "")
        if geom is None or geom.is_empty:
            issues.append(InputIssue(name, i + 1, "geometry", f"{where} has no geometry"))
            continue
        if geom.geom_type not in POLYGONAL:
            issues.append(
                InputIssue(
                    name,
                    i + 1,
                    "geometry",
                    f"{where} is a {geom.geom_type}, not a polygon: boundaries must be "
                    "Polygon or MultiPolygon",
                )
            )
            continue
        if geom.is_valid:
            out[i] = geom
            continue
        reason = shapely.is_valid_reason(geom)
        fixed = repair(np.array([geom], dtype=object))[0]
        if fixed.is_empty or fixed.area == 0:
            issues.append(
                InputIssue(
                    name,
                    i + 1,
                    "geometry",
                    f"{where} is an invalid polygon ({reason}) with no area left after "
                    "repair: fix or remove it",
                )
            )
            continue
        out[i] = fixed
        repaired += 1
    return out, repaired, issues


def _no_match_issue(name: str, column: str, unmatched: tuple[str, ...], known: int) -> InputIssue:
    if not known:
        message = "the sites table is empty: load sites first, so that areas can be matched"
    else:
        examples = ", ".join(unmatched[:EXAMPLES]) or "none"
        message = (
            f"none of the {len(unmatched)} code(s) in column '{column}' matches a site's "
            f"site_code or boundary_code (e.g. {examples}): choose the column that holds the "
            "codes your sites use, or add boundary_code to the sites file"
        )
    return InputIssue(name, None, column, message)
