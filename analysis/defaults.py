"""The bundled default data (``data/default``, built by ``data/build_default_data.py``).

The app loads it into an empty database on first start, through the same
validation and one-transaction load as any user file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis.ingest import prepare_batch
from analysis.store import REPO, LoadOutcome, Store

DEFAULT_DIR = REPO / "data" / "default"


def default_files(folder: Path = DEFAULT_DIR) -> list[Path]:
    """The default files in load order: sites, definitions, unit costs, then measures."""
    first = [
        folder / "sites.csv",
        folder / "measure_definitions.csv",
        REPO / "data" / "unit_costs.csv",
    ]
    measures = sorted((folder / "measures").glob("*.csv"))
    return [p for p in first if p.exists()] + measures


def load_defaults(
    store: Store, progress: Callable[[float, str], None] | None = None
) -> list[LoadOutcome]:
    """Load the bundled default data as one all-or-nothing load."""
    files = [(p.name, p.read_bytes()) for p in default_files()]
    prepared = prepare_batch(files, store.catalogue(), max_bytes=1 << 31, progress=progress)
    if progress:
        progress(0.95, "writing to the database")
    return store.apply(prepared)


def published_neighbours(site_type: str) -> pd.DataFrame | None:
    """The published 10 nearest neighbours (``orig, dest, distance``) for PCNs or practices.

    R. Blackwell, display_nearest_neighbour_data (late 2023; BSD-3-Clause),
    bundled under ``data/default/comparators``. ``None`` for other site types.
    """
    name = {"pcn": "pcn_nearest_neighbours.csv", "practice": "practice_nearest_neighbours.csv"}
    if site_type not in name:
        return None
    return pd.read_csv(DEFAULT_DIR / "comparators" / name[site_type])


def bundled_grouping_in_use(loads: pd.DataFrame) -> bool:
    """True when the example grouping of the bundled sites file is the one in force.

    That is: the bundled ``sites.csv`` (by SHA-256) is an active load and no later active
    load of sites or a grouping has replaced it.
    """
    sha = hashlib.sha256((DEFAULT_DIR / "sites.csv").read_bytes()).hexdigest()
    active = loads[(loads["status"] == "active") & loads["kind"].isin(["sites", "grouping"])]
    if active.empty or sha not in set(active["sha256"]):
        return False
    return bool(active.sort_values("load_id").iloc[-1]["sha256"] == sha)
