"""Generated shapes of data a user may bring, for the page matrix (tests/test_page_matrix.py).

Each :class:`Shape` is a set of files (CSV bytes, as a user would upload them) loaded in one
batch through the real chain (:func:`analysis.ingest.prepare_batch` then
:meth:`analysis.store.Store.apply`), optionally followed by a step a user could take on the
Data page (roll every load back; load their own boundaries). :func:`build` writes a shape
into a real DuckDB file. The numbers are random but seeded: every run builds the same files.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.ingest import prepare_batch
from analysis.periods import parse_period
from analysis.store import Store

# Real ONS codes of North West local authorities, all in the bundled district boundaries
# (data/default/geo/districts_2024.geojson), with an IMD 2019 decile of about their rank.
LOCAL_AUTHORITIES = (
    ("E08000011", "Knowsley", 1),
    ("E08000012", "Liverpool", 1),
    ("E06000006", "Halton", 1),
    ("E08000013", "St. Helens", 2),
    ("E08000015", "Wirral", 3),
    ("E08000001", "Bolton", 3),
    ("E08000014", "Sefton", 4),
    ("E08000010", "Wigan", 4),
    ("E08000002", "Bury", 6),
    ("E06000007", "Warrington", 7),
    ("E06000050", "Cheshire West and Chester", 7),
    ("E06000049", "Cheshire East", 9),
)
LA_DEFINITIONS = (
    "measure,label,kind,multiplier,higher_is_better,description,source\n"
    "admissions_rate,Emergency admissions,rate,100000,false,Per 100000 residents,generated\n"
)


@dataclass(frozen=True)
class Shape:
    """One shape of data: the files of one load, then an optional step on the store."""

    name: str
    description: str
    files: tuple[tuple[str, bytes], ...]
    then: Callable[[Store], None] | None = field(default=None, compare=False)


def csv(frame: pd.DataFrame) -> bytes:
    """A table as the CSV bytes a user would upload (missing values left empty)."""
    return frame.to_csv(index=False).encode()


# ---- periods -------------------------------------------------------------------------------
def financial_years(first: int = 2018, n: int = 6) -> list[str]:
    """``2018/19``, ``2019/20``, …"""
    return [f"{y}/{(y + 1) % 100:02d}" for y in range(first, first + n)]


def calendar_years(first: int = 2017, n: int = 7) -> list[str]:
    """``2017``, ``2018``, …"""
    return [str(y) for y in range(first, first + n)]


def quarters(first: int = 2020, n: int = 16) -> list[str]:
    """``2020 Q1``, ``2020 Q2``, …"""
    return [f"{first + i // 4} Q{i % 4 + 1}" for i in range(n)]


def months(first: str = "2020-01", n: int = 48) -> list[str]:
    """``2020-01``, ``2020-02``, …"""
    return [str(p) for p in pd.period_range(first, periods=n, freq="M")]


# ---- sites ---------------------------------------------------------------------------------
def local_authorities(
    intervention: int = 3,
    start: str = "2021-04-01",
    boundary_codes: bool = False,
    deprivation: bool = True,
) -> pd.DataFrame:
    """The twelve local authorities; the first ``intervention`` of them in the programme.

    With ``boundary_codes`` the sites have the user's own codes (``LA01``…) and their ONS
    code as ``boundary_code``; otherwise the ONS code is the site code.
    """
    rows = []
    for i, (code, name, decile) in enumerate(LOCAL_AUTHORITIES):
        rows.append(
            {
                "site_code": f"LA{i + 1:02d}" if boundary_codes else code,
                "site_name": name,
                "site_type": "la",
                "group": "intervention" if i < intervention else None,
                "start_date": start if i < intervention else None,
                "imd_decile": decile if deprivation else None,
                "population": 150_000 + 25_000 * i,
                "boundary_code": code if boundary_codes else None,
            }
        )
    frame = pd.DataFrame(rows)
    return frame.dropna(axis="columns", how="all")


def practices(
    n: int = 60,
    pcns: int = 0,
    coordinates: bool = False,
    intervention: int = 10,
    start: str = "2021-04-01",
    deprivation: bool = False,
) -> pd.DataFrame:
    """``n`` GP practices (and ``pcns`` PCNs as their parents); the first ones intervention.

    Without ``coordinates`` the practices have no lat/lon (and no boundary code): a shape the
    map cannot place. PCNs never have a position of their own.
    """
    rng = np.random.default_rng(n + pcns)
    rows = []
    for p in range(pcns):
        rows.append({"site_code": f"U{p + 1:05d}", "site_name": f"PCN {p + 1}", "site_type": "pcn"})
    for i in range(n):
        row = {
            "site_code": f"N{81001 + i:05d}",
            "site_name": f"Practice {i + 1}",
            "site_type": "practice",
            "group": "intervention" if i < intervention else None,
            "start_date": start if i < intervention else None,
            "population": int(rng.integers(2_000, 15_000)),
        }
        if pcns:
            row["parent_code"] = f"U{i * pcns // n + 1:05d}"
        if coordinates:
            row["lat"] = round(53.3 + rng.uniform(0, 0.3), 5)
            row["lon"] = round(-3.1 + rng.uniform(0, 0.5), 5)
        if deprivation:
            row["imd_decile"] = int(i * 10 // n + 1)
        rows.append(row)
    return pd.DataFrame(rows)


# ---- measures ------------------------------------------------------------------------------
def counts(
    sites: pd.DataFrame,
    periods: list[str],
    measure: str,
    share: float,
    size: tuple[int, int],
    seed: int = 1,
) -> pd.DataFrame:
    """Numerator and denominator per site and period (binomial around ``share``).

    Sites in the programme fall by a tenth after their start, so there is an effect to find.
    """
    rng = np.random.default_rng(seed)
    starts = [parse_period(label).start for label in periods]
    rows = []
    for site in sites.itertuples(index=False):
        base = share * rng.uniform(0.7, 1.3)
        started = (
            pd.Timestamp(site.start_date) if pd.notna(getattr(site, "start_date", None)) else None
        )
        for label, begin in zip(periods, starts, strict=True):
            denominator = int(rng.integers(*size))
            p = base * (0.9 if started is not None and begin >= started else 1.0)
            rows.append(
                {
                    "site_code": site.site_code,
                    "period": label,
                    "measure": measure,
                    "numerator": int(rng.binomial(denominator, min(p, 1.0))),
                    "denominator": denominator,
                }
            )
    return pd.DataFrame(rows)


def values_only(
    sites: pd.DataFrame, periods: list[str], measure: str, seed: int = 2
) -> pd.DataFrame:
    """A published value per site and period, with no counts and no interval."""
    rng = np.random.default_rng(seed)
    rows = [
        {"site_code": code, "period": label, "measure": measure, "value": round(v, 2)}
        for code in sites["site_code"]
        for label, v in zip(periods, rng.normal(70, 8, len(periods)), strict=True)
    ]
    return pd.DataFrame(rows)


def small_counts(
    sites: pd.DataFrame, periods: list[str], measure: str, seed: int = 3
) -> pd.DataFrame:
    """Every numerator from 1 to 7: everything derived from them is suppressed."""
    rng = np.random.default_rng(seed)
    rows = [
        {
            "site_code": code,
            "period": label,
            "measure": measure,
            "numerator": int(rng.integers(1, 8)),
            "denominator": int(rng.integers(20_000, 80_000)),
        }
        for code in sites["site_code"]
        for label in periods
    ]
    return pd.DataFrame(rows)


# ---- steps after the load ------------------------------------------------------------------
def roll_everything_back(store: Store) -> None:
    """Roll back every load, newest first (what the Data page allows)."""
    for load_id in store.loads()["load_id"]:  # newest first
        store.rollback(int(load_id))


USER_AREAS = tuple((f"X{i + 1:08d}", f"Our area {i + 1}") for i in range(9))


def square(row: int, col: int, size: float = 0.1) -> list[list[list[float]]]:
    """A small square polygon near Liverpool, in a 3 × 3 grid."""
    x, y = -3.0 + col * size, 53.3 + row * size
    return [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]


def user_boundaries_geojson() -> bytes:
    """A user's own boundary file: nine square areas keyed by codes no bundled layer has."""
    features = [
        {
            "type": "Feature",
            "properties": {"area_code": code, "area_name": name},
            "geometry": {"type": "Polygon", "coordinates": square(i // 3, i % 3)},
        }
        for i, (code, name) in enumerate(USER_AREAS)
    ]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def load_user_boundaries(store: Store) -> None:
    """Load :func:`user_boundaries_geojson` as the Data page does."""
    from analysis.boundary_files import load_boundary_file, match_codes

    prepared = load_boundary_file(
        "our_areas.geojson",
        user_boundaries_geojson(),
        "area_code",
        match_codes(store.sites()),
        name_column="area_name",
        year=2023,
        layer_name="Our areas",
    )
    store.save_boundaries(
        prepared.layer, prepared.file_name, prepared.sha256, prepared.summary.notes
    )


def user_areas() -> pd.DataFrame:
    """Local authority-type areas with the user's own codes (no bundled boundary has them)."""
    return pd.DataFrame(
        {
            "site_code": [c for c, _ in USER_AREAS],
            "site_name": [n for _, n in USER_AREAS],
            "site_type": "la",
            "group": ["intervention"] * 3 + [None] * 6,
            "start_date": ["2021-04-01"] * 3 + [None] * 6,
        }
    )


# ---- the shapes ----------------------------------------------------------------------------
def _la_shape(name: str, description: str, periods: list[str], **site_options) -> Shape:
    sites = local_authorities(**site_options)
    rows = counts(sites, periods, "admissions_rate", 0.02, (20_000, 80_000))
    return Shape(
        name,
        description,
        (
            ("sites.csv", csv(sites)),
            ("definitions.csv", LA_DEFINITIONS.encode()),
            ("measures.csv", csv(rows)),
        ),
    )


def _practice_shape(name: str, description: str, periods: list[str], **site_options) -> Shape:
    sites = practices(**site_options)
    at_practices = sites[sites["site_type"] == "practice"]
    rows = counts(at_practices, periods, "screening_coverage", 0.7, (300, 3_000))
    return Shape(name, description, (("sites.csv", csv(sites)), ("measures.csv", csv(rows))))


def all_shapes() -> tuple[Shape, ...]:
    """Every shape in the matrix, in a fixed order."""
    fy = financial_years()
    las = local_authorities()
    users = user_areas()
    return (
        _practice_shape(
            "practices_no_coords",
            "60 practices, counts, no coordinates, parents or boundary codes",
            fy,
        ),
        _practice_shape(
            "practices_pcn",
            "6 PCNs and 60 practices (parent_code), counts by quarter, no coordinates",
            quarters(),
            pcns=6,
        ),
        _practice_shape(
            "practices_coords",
            "6 PCNs and 60 practices with lat/lon and IMD deciles",
            fy,
            pcns=6,
            coordinates=True,
            deprivation=True,
        ),
        _la_shape(
            "la_boundaries",
            "12 local authorities with own codes and ONS codes as boundary_code, IMD deciles, FY",
            fy,
            boundary_codes=True,
        ),
        _la_shape("yearly", "local authorities, calendar years", calendar_years()),
        _la_shape("quarterly", "local authorities, quarters", quarters()),
        _la_shape("monthly", "local authorities, months", months()),
        Shape(
            "value_only",
            "local authorities, a published value only (no counts, no interval)",
            (("sites.csv", csv(las)), ("measures.csv", csv(values_only(las, fy, "wellbeing")))),
        ),
        Shape(
            "small_counts",
            "local authorities, every count from 1 to 7 (all suppressed)",
            (
                ("sites.csv", csv(las)),
                ("definitions.csv", LA_DEFINITIONS.encode()),
                ("measures.csv", csv(small_counts(las, fy, "admissions_rate"))),
            ),
        ),
        _la_shape(
            "one_intervention", "local authorities, one intervention site", fy, intervention=1
        ),
        _la_shape("no_intervention", "local authorities, no intervention site", fy, intervention=0),
        _la_shape(
            "single_period",
            "local authorities, one period, the programme starting in it",
            ["2023/24"],
            start="2023-04-01",
        ),
        Shape(
            "empty_after_rollback",
            "local authorities loaded, then every load rolled back",
            _la_shape("x", "", fy).files,
            then=roll_everything_back,
        ),
        Shape(
            "user_boundaries_only",
            "areas with the user's own codes and the user's own boundary file",
            (
                ("sites.csv", csv(users)),
                ("measures.csv", csv(counts(users, fy, "admissions", 0.02, (20_000, 80_000)))),
            ),
            then=load_user_boundaries,
        ),
    )


SHAPES = {shape.name: shape for shape in all_shapes()}


def build(shape: Shape, path: Path) -> Path:
    """Write ``shape`` into a new DuckDB file at ``path`` through the real load chain."""
    store = Store(path)
    try:
        store.apply(prepare_batch(list(shape.files), store.catalogue()))
        if shape.then is not None:
            shape.then(store)
    finally:
        store.close()
    return path
