"""Reading a user's boundary file: a GeoJSON file or a zipped shapefile, in EPSG:4326.

Step 1 of loading a user's boundaries (step 2, checking and preparing them, is
:mod:`analysis.boundary_files`): :func:`read_boundary_file` reads the bytes of a
``.geojson``/``.json`` file or a ``.zip`` holding a shapefile (``.shp``, ``.shx``,
``.dbf``, ``.prj``) with geopandas (pyogrio) into a :class:`BoundaryFile` and reprojects
it to EPSG:4326, so that the Data page can offer the file's columns before checking it.
A file that is not GeoJSON or not readable, a zip without a shapefile (or unpacking to
more than :data:`UNZIPPED_FACTOR` times the upload limit), an unknown coordinate
reference system, or coordinates that are not longitude/latitude raise
:class:`~analysis.errors.LoadRejected` naming the file.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath
from typing import NoReturn

import geopandas as gpd
import numpy as np

from analysis.errors import InputIssue, LoadRejected
from analysis.readers import DEFAULT_MAX_BYTES

SUFFIXES = {".geojson": "geojson", ".json": "geojson", ".zip": "shapefile"}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
UNZIPPED_FACTOR = 5
"""A zip may unpack to at most this many times the upload limit."""


@dataclass(frozen=True)
class BoundaryFile:
    """A boundary file as read: its features in EPSG:4326 and their attribute columns."""

    file_name: str
    sha256: str
    frame: gpd.GeoDataFrame = field(repr=False, compare=False)
    """One row per feature, in file order, reprojected to EPSG:4326."""
    source_crs: str
    """The coordinate reference system the file was in, e.g. ``EPSG:27700``."""

    @property
    def columns(self) -> tuple[str, ...]:
        """The attribute columns (everything but the geometry)."""
        return tuple(str(c) for c in self.frame.columns if c != self.frame.geometry.name)


def read_boundary_file(
    file_name: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES
) -> BoundaryFile:
    """Read a GeoJSON file or a zipped shapefile from its bytes, reprojected to EPSG:4326.

    Raises :class:`LoadRejected` naming the file when it is too big, empty, of an
    unknown type, not GeoJSON, not a readable shapefile, has no features, or has no
    (or an impossible) coordinate reference system.
    """
    name = str(file_name)
    sha = hashlib.sha256(data).hexdigest()
    if len(data) > max_bytes:
        _reject(
            name,
            f"the file is {len(data) / 1e6:.1f} MB, over the upload limit of "
            f"{max_bytes / 1e6:.0f} MB: simplify the boundaries first (e.g. mapshaper)",
        )
    if not data.strip():
        _reject(name, "the file is empty")
    form = SUFFIXES.get(PurePath(name).suffix.lower())
    if form is None:
        _reject(
            name,
            "unknown boundary file type: use GeoJSON (.geojson or .json) or a shapefile "
            "zipped with its .shx, .dbf and .prj (.zip)",
        )
    frame = _read_geojson(name, data) if form == "geojson" else _read_shapefile(name, data)
    if frame.empty:
        _reject(name, "the file holds no features")
    if frame.crs is None:
        _reject(
            name,
            "the coordinate reference system is unknown (a shapefile needs its .prj): "
            "add it and load the file again",
        )
    source_crs = frame.crs.to_string()
    if not frame.crs.equals("EPSG:4326"):
        frame = frame.to_crs("EPSG:4326")
    _check_lon_lat(name, frame, source_crs)
    return BoundaryFile(name, sha, frame.reset_index(drop=True), source_crs)


def _reject(file_name: str, message: str) -> NoReturn:
    raise LoadRejected([InputIssue(file_name, None, None, message)])


def _read_geojson(name: str, data: bytes) -> gpd.GeoDataFrame:
    """GeoJSON: checked as JSON first, so that a CSV or garbage gets a plain message."""
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        _reject(name, "not GeoJSON: the file is not UTF-8 text (is it a binary file?)")
    except json.JSONDecodeError as exc:
        _reject(name, f"not GeoJSON: not valid JSON (line {exc.lineno}: {exc.msg})")
    kind = parsed.get("type") if isinstance(parsed, dict) else None
    if kind == "Topology":
        _reject(
            name, "this is TopoJSON, not GeoJSON: convert it (e.g. mapshaper -o format=geojson)"
        )
    if kind not in ("FeatureCollection", "Feature"):
        _reject(
            name,
            'not GeoJSON: a GeoJSON file is a JSON object with "type": "FeatureCollection" '
            f"(this one's type is {kind!r})",
        )
    try:
        return gpd.read_file(io.BytesIO(data))
    except Exception as exc:  # pyogrio raises DataSourceError, GEOSException…
        _reject(name, f"not a readable GeoJSON file: {exc}")


def _read_shapefile(name: str, data: bytes) -> gpd.GeoDataFrame:
    """A zipped shapefile: its parts unpacked (by base name only) into a temporary folder."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        _reject(name, "not a zip file: zip the shapefile's .shp, .shx, .dbf and .prj together")
    with archive, tempfile.TemporaryDirectory() as folder:
        members = [
            m
            for m in archive.infolist()
            if not m.is_dir()
            and not m.filename.startswith("__MACOSX/")
            and not PurePosixPath(m.filename).name.startswith("._")
            and PurePosixPath(m.filename).suffix.lower() in SHAPEFILE_PARTS
        ]
        shps = [m for m in members if m.filename.lower().endswith(".shp")]
        if len(shps) != 1:
            found = ", ".join(m.filename for m in shps)
            _reject(
                name,
                f"the zip holds {len(shps)} shapefiles ({found or 'no .shp file'}): "
                "zip exactly one, with its .shx, .dbf and .prj",
            )
        stem = PurePosixPath(shps[0].filename).with_suffix("")
        parts = [m for m in members if PurePosixPath(m.filename).with_suffix("") == stem]
        have = {PurePosixPath(m.filename).suffix.lower() for m in parts}
        missing = [s for s in (".shx", ".dbf") if s not in have]
        if missing:
            _reject(
                name,
                f"the zip has {shps[0].filename} but not its {' or '.join(missing)}: "
                "zip every part of the shapefile (.shp, .shx, .dbf, .prj)",
            )
        if sum(m.file_size for m in parts) > UNZIPPED_FACTOR * DEFAULT_MAX_BYTES:
            _reject(name, "the shapefile is too big once unzipped: simplify it first")
        for m in parts:
            target = Path(folder) / ("layer" + PurePosixPath(m.filename).suffix.lower())
            target.write_bytes(archive.read(m))
        try:
            return gpd.read_file(Path(folder) / "layer.shp")
        except Exception as exc:  # pyogrio raises DataSourceError and others
            _reject(name, f"not a readable shapefile: {exc}")


def _check_lon_lat(name: str, frame: gpd.GeoDataFrame, source_crs: str) -> None:
    bounds = frame.geometry.total_bounds  # minx, miny, maxx, maxy (NaN if all empty)
    if np.isfinite(bounds).all() and (
        bounds[0] < -180 or bounds[2] > 180 or bounds[1] < -90 or bounds[3] > 90
    ):
        _reject(
            name,
            f"the coordinates (e.g. x up to {bounds[2]:,.0f}) are not longitude/latitude "
            f"although the file says {source_crs}: they look like metres (British National "
            "Grid is EPSG:27700); give the file its real coordinate reference system",
        )
