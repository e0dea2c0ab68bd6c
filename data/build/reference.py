"""Lookups the build joins to: practices, PCNs, ICBs, areas and their deprivation."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from build.common import Report, read_cells, to_number


@dataclass(frozen=True)
class Reference:
    """Reference tables, one row per code, columns named as in the sites contract."""

    practices: pd.DataFrame
    """GP practice → PCN → sub-ICB → ICB → region, January 2026 (ODS and ONS codes)."""
    register: pd.DataFrame
    """GP practice register: name, lat, lon, registered patients."""
    imd_practices: pd.DataFrame
    """IMD 2019 score and decile (among practices) of each practice's registered population."""
    imd_pcns: pd.DataFrame
    """The same for PCNs (decile among PCNs)."""
    imd_districts: pd.DataFrame
    """District IMD 2019 average score, with deciles and quintiles derived from its rank."""
    icbs: pd.DataFrame
    """ICBs April 2023 (ONS E54 codes) with names and label points."""
    sub_icbs: pd.DataFrame
    """Sub-ICB locations April 2023 with names and label points."""
    areas: pd.DataFrame
    """Local authority names and label points from the boundary files (newest first)."""


def _geojson_table(path: Path, code: str, name: str, source: str) -> pd.DataFrame:
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    props = pd.DataFrame([f["properties"] for f in features])
    return pd.DataFrame(
        {
            "code": props[code].astype("str"),
            "name": props[name].astype("str"),
            "lat": props["LAT"].astype("float64"),
            "lon": props["LONG"].astype("float64"),
            "source": source,
        }
    )


def district_deciles(scores: pd.DataFrame) -> pd.DataFrame:
    """Deciles and quintiles of districts by IMD 2019 average score (1 = most deprived).

    Districts are ranked by score, highest (most deprived) first, ties broken
    by code; decile = floor((rank − 1) × 10 / n) + 1 and quintile likewise
    with 5, so with n = 317 the deciles hold 31 or 32 districts each.
    """
    ordered = scores.sort_values(["imd_score", "code"], ascending=[False, True])
    rank = pd.Series(range(len(ordered)), index=ordered.index)
    n = len(ordered)
    out = ordered.copy()
    out["imd_decile"] = (rank * 10 // n + 1).astype("float64")
    out["imd_quintile"] = (rank * 5 // n + 1).astype("float64")
    return out.sort_values("code").reset_index(drop=True)


def load_reference(data: Path, report: Report) -> Reference:
    """Read every lookup under ``data`` (``shared/data``)."""
    geo = data / "geography"
    raw = read_cells(geo / "practice_pcn_icb_map_2026-01.csv")
    practices = pd.DataFrame(
        {
            "practice_code": raw["PRACTICE_CODE"],
            "practice_name": raw["PRACTICE_NAME"],
            "pcn_code": raw["PCN_CODE"],
            "pcn_name": raw["PCN_NAME"],
            "sub_icb_code": raw["ONS_SUB_ICB_LOCATION_CODE"],
            "sub_icb_name": raw["SUB_ICB_LOCATION_NAME"],
            "icb_code": raw["ONS_ICB_CODE"],
            "icb_ods": raw["ICB_CODE"],
            "region_code": raw["ONS_COMM_REGION_CODE"],
            "region_name": raw["COMM_REGION_NAME"],
        }
    )
    reg = read_cells(geo / "gp_practices_england.csv")
    register = pd.DataFrame(
        {
            "practice_code": reg["Practice_Code"],
            "name": reg["GP_Practice_Name"],
            "lat": to_number(reg["Latitude"]),
            "lon": to_number(reg["Longitude"]),
            "population": to_number(reg["Registered Patients"]),
        }
    )
    missing = set(practices["practice_code"]) - set(register["practice_code"])
    report.codes(
        "geography/gp_practices_england.csv", "mapped practices not in the register", missing
    )

    dep = data / "deprivation"
    imd_p = read_cells(dep / "imd2019_practices.csv")
    imd_practices = pd.DataFrame(
        {
            "practice_code": imd_p["practice_code"],
            "name": imd_p["practice_name"],
            "imd_score": to_number(imd_p["imd_score"]),
            "imd_decile": to_number(imd_p["imd_decile"]),
        }
    )
    imd_n = read_cells(dep / "imd2019_pcns.csv")
    imd_n = imd_n[imd_n["pcn_code"] != "U"]
    imd_pcns = pd.DataFrame(
        {
            "pcn_code": imd_n["pcn_code"],
            "imd_score": to_number(imd_n["imd_score"]),
            "imd_decile": to_number(imd_n["imd_decile"]),
        }
    )
    imd_d = read_cells(dep / "imd2019_districts.csv")
    imd_districts = district_deciles(
        pd.DataFrame({"code": imd_d["LAD19CD"], "imd_score": to_number(imd_d["Score"])})
    )

    icbs = _geojson_table(geo / "icb_2023.geojson", "ICB23CD", "ICB23NM", "icb_2023")
    sub_icbs = _geojson_table(geo / "sub_icb_2023.geojson", "SICBL23CD", "SICBL23NM", "sub_icb")
    lad24 = _geojson_table(geo / "districts_uk_2024.geojson", "LAD24CD", "LAD24NM", "lad24")
    cty23 = _geojson_table(
        geo / "counties_unitary_uk_2023.geojson", "CTYUA23CD", "CTYUA23NM", "ctyua23"
    )
    lad13 = read_topojson_districts(geo / "districts_england_2016.topojson")
    points = shapely.point_on_surface(
        shapely.make_valid(lad13.geometry.to_numpy(), method="structure", keep_collapsed=False)
    )
    lad13_table = pd.DataFrame(
        {
            "code": lad13["LAD13CD"].astype("str"),
            "name": lad13["LAD13NM"].astype("str"),
            "lat": shapely.get_y(points),
            "lon": shapely.get_x(points),
            "source": "lad13",
        }
    )
    areas = pd.concat([lad24, cty23, lad13_table], ignore_index=True)
    areas = areas[areas["code"].str.startswith("E")].drop_duplicates("code", keep="first")
    return Reference(
        practices=practices,
        register=register,
        imd_practices=imd_practices,
        imd_pcns=imd_pcns,
        imd_districts=imd_districts,
        icbs=icbs,
        sub_icbs=sub_icbs,
        areas=areas.reset_index(drop=True),
    )


def read_topojson_districts(path: Path) -> gpd.GeoDataFrame:
    """The ``lad`` object of the 2016 TopoJSON, read by GDAL's TopoJSON driver (CRS84)."""
    frame = gpd.read_file(path, layer="lad")
    return frame.set_crs("EPSG:4326") if frame.crs is None else frame.to_crs("EPSG:4326")
