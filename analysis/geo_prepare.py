"""Geometry preparation for the browser, shared by the bundled build and user uploads.

:func:`prepare` repairs polygons (``shapely.make_valid`` by ring structure, keeping only
the polygonal parts), snaps them to a 0.0001° grid (about 10 m), simplifies them as a
*coverage* (``shapely.coverage_simplify``: shared borders are simplified once, so
neighbours keep meeting without gaps or overlaps where the input was a clean coverage)
and orients exteriors clockwise, which Altair's ``mark_geoshape`` (d3-geo) needs to
fill the inside of a shape (DESIGN.md, engineering notes). :func:`feature_collection`
writes the result as a GeoJSON FeatureCollection with coordinates rounded to the grid
and the properties ``code``, ``name`` and ``year``.

``data/build/geo.py`` (the bundled layers) and :mod:`analysis.boundary_files` (a user's
own boundaries) both call these, so the two are prepared the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import shapely
import shapely.geometry

GRID = 1e-4  # degrees; coordinates are written with 4 decimals
POLYGONAL = ("Polygon", "MultiPolygon")


def repair(geoms: np.ndarray) -> np.ndarray:
    """Valid polygons: ``make_valid`` by ring structure, dropping collapsed parts.

    A geometry with no polygonal part left (e.g. a ring of collinear points) comes
    back empty.
    """
    valid = shapely.make_valid(geoms, method="structure", keep_collapsed=False)
    return np.array([polygonal(g) for g in valid], dtype=object)


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """Only the polygons of a geometry (a repair may leave lines or points beside them)."""
    if geom.geom_type in POLYGONAL:
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in POLYGONAL]
    return shapely.union_all(parts)


def prepare(geoms: np.ndarray, tolerance: float) -> np.ndarray:
    """Repair, snap to the grid, simplify as a coverage and orient exteriors clockwise.

    ``geoms`` are shapely geometries in EPSG:4326; ``tolerance`` is the coverage
    simplification tolerance in degrees (0 = none).
    """
    snapped = shapely.set_precision(repair(geoms), GRID)
    simple = shapely.coverage_simplify(snapped, tolerance) if tolerance else snapped
    return shapely.orient_polygons(repair(simple), exterior_cw=True)


def rounded(coords: Sequence[Any]) -> list[Any]:
    """GeoJSON coordinates (nested lists) rounded to the grid's 4 decimals."""
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], float):
        return [round(c, 4) for c in coords]
    return [rounded(c) for c in coords]


def feature_collection(
    codes: Iterable[str], names: Iterable[str], geoms: Iterable[shapely.Geometry], year: int | None
) -> dict:
    """A GeoJSON FeatureCollection (dict): one feature per code, properties code/name/year."""
    features = []
    for code, name, geom in zip(codes, names, geoms, strict=True):
        mapped = shapely.geometry.mapping(geom)
        features.append(
            {
                "type": "Feature",
                "properties": {"code": str(code), "name": str(name), "year": year},
                "geometry": {"type": mapped["type"], "coordinates": rounded(mapped["coordinates"])},
            }
        )
    return {"type": "FeatureCollection", "features": features}
