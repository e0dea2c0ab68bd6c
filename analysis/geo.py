"""Boundary layers: the bundled ones in ``data/default/geo`` and the ones a user loads.

A layer is a GeoJSON FeatureCollection in EPSG:4326 whose features carry the properties
``code``, ``name`` and ``year`` (the boundary vintage), with clockwise exteriors so that
Altair's ``mark_geoshape`` (d3-geo) fills the inside of each shape (DESIGN.md,
engineering notes). Area codes change between boundary years (e.g. the North Yorkshire
districts merged in 2023), so a measure is matched to the layer whose codes it uses.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

GEO_DIR = Path(__file__).resolve().parents[1] / "data" / "default" / "geo"

BUNDLED = {
    "districts_2024.geojson": ("Local authority districts (May 2024)", 2024),
    "districts_2016.geojson": ("Local authority districts (2016)", 2016),
    "counties_unitary_2023.geojson": ("Counties and unitary authorities (December 2023)", 2023),
    "icb_2023.geojson": ("Integrated care boards (April 2023)", 2023),
}


@dataclass(frozen=True)
class BoundaryLayer:
    """One set of boundaries: a label, its vintage, where it came from, its features."""

    name: str
    """A short label shown to users, e.g. ``Local authority districts (May 2024)``."""
    year: int | None
    """The boundary vintage (codes are valid for that year), if known."""
    source: str
    """``bundled`` or the file name the user loaded it from."""
    features: dict = field(repr=False, compare=False, hash=False)
    """GeoJSON FeatureCollection; each feature's properties hold ``code``, ``name``, ``year``."""

    @property
    def codes(self) -> frozenset[str]:
        """The area codes in this layer."""
        return frozenset(f["properties"]["code"] for f in self.features["features"])


@functools.cache
def bundled_layers() -> tuple[BoundaryLayer, ...]:
    """The boundary layers shipped with the app (built by ``data/build/geo.py``)."""
    layers = []
    for file_name, (label, year) in BUNDLED.items():
        features = json.loads((GEO_DIR / file_name).read_text(encoding="utf-8"))
        layers.append(BoundaryLayer(label, year, "bundled", features))
    return tuple(layers)
