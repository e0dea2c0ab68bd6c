"""Boundaries simplified for the browser: GeoJSON, EPSG:4326, clockwise exteriors.

Each layer is read, kept to England (codes starting ``E``) and prepared by
:func:`analysis.geo_prepare.prepare` (the same code prepares a user's own
boundaries): repaired (``make_valid`` by ring structure, keeping only
polygons), snapped to a 0.0001° grid (about 10 m) and simplified as a
*coverage* (``shapely.coverage_simplify``: shared borders are simplified
once, so neighbours keep meeting without gaps or overlaps where the input was
a clean coverage). Exteriors are then made clockwise, which
Altair's ``mark_geoshape`` (d3-geo) needs to fill the inside of a shape.
Properties are ``code``, ``name`` and ``year`` (the boundary vintage).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely

from analysis.geo_prepare import feature_collection, prepare
from build.common import Report
from build.reference import read_topojson_districts


@dataclass(frozen=True)
class Layer:
    """One boundary layer to write."""

    source: str
    out: str
    code: str
    name: str
    year: int
    tolerance: float
    """Coverage simplification tolerance in degrees (0 = none)."""


LAYERS = (
    Layer(
        "districts_uk_2024.geojson", "districts_2024.geojson", "LAD24CD", "LAD24NM", 2024, 0.0005
    ),
    Layer(
        "districts_england_2016.topojson",
        "districts_2016.geojson",
        "LAD13CD",
        "LAD13NM",
        2016,
        0.003,
    ),
    Layer(
        "counties_unitary_uk_2023.geojson",
        "counties_unitary_2023.geojson",
        "CTYUA23CD",
        "CTYUA23NM",
        2023,
        0.0005,
    ),
    Layer("icb_2023.geojson", "icb_2023.geojson", "ICB23CD", "ICB23NM", 2023, 0.0005),
)


def build_layer(path: Path, layer: Layer) -> tuple[dict, int]:
    """The layer as a GeoJSON FeatureCollection (dict), sorted by code.

    Also returns how many areas have a border that does not match its
    neighbours' exactly (``shapely.coverage_invalid_edges``), for the summary.
    """
    if path.suffix == ".topojson":
        frame = read_topojson_districts(path)
    else:
        frame = gpd.read_file(path).to_crs("EPSG:4326")
    frame = frame[frame[layer.code].str.startswith("E")].sort_values(layer.code)
    geoms = prepare(frame.geometry.to_numpy(), layer.tolerance)
    collection = feature_collection(frame[layer.code], frame[layer.name], geoms, layer.year)
    mismatched = sum(not e.is_empty for e in shapely.coverage_invalid_edges(geoms))
    return collection, mismatched


def write_geo(data: Path, out: Path, report: Report, root: Path) -> None:
    """Write every layer under ``out`` and record it in the summary."""
    out.mkdir(parents=True, exist_ok=True)
    for layer in LAYERS:
        collection, mismatched = build_layer(data / "geography" / layer.source, layer)
        target = out / layer.out
        target.write_text(
            json.dumps(collection, separators=(",", ":"), ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
        report.written.append(
            (
                target.relative_to(root).as_posix(),
                len(collection["features"]),
                target.stat().st_size,
            )
        )
        report.note(
            "geo",
            f"{layer.out}: {len(collection['features'])} areas from geography/{layer.source}, "
            f"coverage-simplified at {layer.tolerance}°; {mismatched} area(s) with a border "
            "not exactly matching a neighbour's",
        )
