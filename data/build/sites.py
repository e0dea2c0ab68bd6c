"""The sites table: every site a bundled measures file uses, plus the practice hierarchy.

Practices (January 2026 map) → PCNs → ICBs → NHS regions → England, sub-ICB
locations (→ ICB), local authorities, and the deprivation pseudo-sites. Places,
list sizes and deprivation come from :mod:`build.reference`; sites known only
from older data are added with the name their source gives.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from build.common import (
    ENGLAND,
    INTERVENTION_START,
    BuildError,
    Report,
    Source,
    format_number,
)
from build.reference import Reference

SITE_COLUMNS = [
    "site_code",
    "site_name",
    "site_type",
    "parent_code",
    "group",
    "start_date",
    "imd_decile",
    "imd_score",
    "imd_quintile",
    "population",
    "lat",
    "lon",
    "boundary_code",
]
TYPE_ORDER = ["country", "region", "icb", "sub_icb", "la", "pcn", "practice", "other"]
SECTION = "sites"


def _frame(**columns: object) -> pd.DataFrame:
    frame = pd.DataFrame(
        {k: v.to_numpy() if isinstance(v, pd.Series) else v for k, v in columns.items()}
    )
    return frame.reindex(columns=SITE_COLUMNS)


def _quintile(decile: pd.Series) -> pd.Series:
    return np.ceil(decile / 2)


def _weighted_places(practices: pd.DataFrame, key: str) -> pd.DataFrame:
    """Registered population and list-weighted centre of the practices in each ``key``."""
    weight = practices["population"].where(practices["lat"].notna() & practices["lon"].notna())
    weight = weight.fillna(0)
    frame = pd.DataFrame(
        {
            key: practices[key],
            "w": weight,
            "wlat": weight * practices["lat"],
            "wlon": weight * practices["lon"],
        }
    )
    sums = frame.groupby(key).sum()
    return pd.DataFrame(
        {
            "population": sums["w"],
            "lat": sums["wlat"] / sums["w"].replace(0, np.nan),
            "lon": sums["wlon"] / sums["w"].replace(0, np.nan),
        }
    )


def _hierarchy(ref: Reference, report: Report) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Practices of the 2026 map with places and deprivation; and their parents as sites."""
    p = ref.practices.merge(ref.register[["practice_code", "lat", "lon", "population"]], how="left")
    p = p.merge(ref.imd_practices[["practice_code", "imd_score", "imd_decile"]], how="left")
    unallocated = p["pcn_code"] == "U"
    report.note(SECTION, f"{int(unallocated.sum())} practices in PCN 'U' (Unallocated): no parent")
    practices = _frame(
        site_code=p["practice_code"],
        site_name=p["practice_name"],
        site_type="practice",
        parent_code=p["pcn_code"].where(~unallocated),
        imd_decile=p["imd_decile"],
        imd_score=p["imd_score"],
        imd_quintile=_quintile(p["imd_decile"]),
        population=p["population"],
        lat=p["lat"],
        lon=p["lon"],
    )

    allocated = p[~unallocated]
    icb_size = allocated.groupby(["pcn_code", "icb_code"])["population"].sum().reset_index()
    icb_size = icb_size.sort_values(
        ["pcn_code", "population", "icb_code"], ascending=[True, False, True]
    )
    split = icb_size[icb_size.duplicated("pcn_code", keep=False)]
    report.codes(
        SECTION,
        "PCNs with practices in two ICBs (parent = the ICB with more patients)",
        split["pcn_code"],
    )
    pcn_icb = icb_size.drop_duplicates("pcn_code").set_index("pcn_code")["icb_code"]
    pcn = allocated.drop_duplicates("pcn_code").set_index("pcn_code")
    places = _weighted_places(allocated, "pcn_code").reindex(pcn.index)
    imd = ref.imd_pcns.set_index("pcn_code").reindex(pcn.index)
    report.codes(
        SECTION,
        "PCNs of the 2026 map not in imd2019_pcns.csv (no IMD)",
        imd.index[imd["imd_score"].isna()],
    )
    pcns = _frame(
        site_code=pd.Series(pcn.index),
        site_name=pcn["pcn_name"],
        site_type="pcn",
        parent_code=pcn_icb.reindex(pcn.index),
        imd_decile=imd["imd_decile"],
        imd_score=imd["imd_score"],
        imd_quintile=_quintile(imd["imd_decile"]),
        population=places["population"],
        lat=places["lat"],
        lon=places["lon"],
    )

    sub = p.drop_duplicates("sub_icb_code").set_index("sub_icb_code")
    sub_geo = ref.sub_icbs.set_index("code").reindex(sub.index)
    sub_icbs = _frame(
        site_code=pd.Series(sub.index),
        site_name=sub["sub_icb_name"],
        site_type="sub_icb",
        parent_code=sub["icb_code"],
        population=p.groupby("sub_icb_code")["population"].sum().reindex(sub.index),
        lat=sub_geo["lat"],
        lon=sub_geo["lon"],
    )

    icb_region = p.drop_duplicates("icb_code").set_index("icb_code")["region_code"]
    icb = ref.icbs.set_index("code")
    icbs = _frame(
        site_code=pd.Series(icb.index),
        site_name=icb["name"],
        site_type="icb",
        parent_code=icb_region.reindex(icb.index),
        population=p.groupby("icb_code")["population"].sum().reindex(icb.index),
        lat=icb["lat"],
        lon=icb["lon"],
        boundary_code=pd.Series(icb.index),
    )

    region = p.drop_duplicates("region_code").set_index("region_code").sort_index()
    regions = _frame(
        site_code=pd.Series(region.index),
        site_name=region["region_name"],
        site_type="region",
        parent_code=ENGLAND,
        population=p.groupby("region_code")["population"].sum().reindex(region.index),
    )
    england = _frame(
        site_code=[ENGLAND],
        site_name=["England"],
        site_type="country",
        population=[p["population"].sum()],
    )
    return practices, pd.concat([england, regions, icbs, sub_icbs, pcns], ignore_index=True)


def _named(areas: pd.DataFrame) -> pd.DataFrame:
    """One row per code; the name from the newest source that gives one."""
    ordered = areas.sort_values("recency", ascending=False, kind="stable")
    named = ordered.dropna(subset=["site_name"]).drop_duplicates("site_code")
    out = ordered.drop_duplicates("site_code").drop(columns="site_name")
    return out.merge(named[["site_code", "site_name"]], how="left", on="site_code")


def _extra_practices(ref: Reference, requested: pd.DataFrame, report: Report) -> pd.DataFrame:
    known = set(ref.practices["practice_code"])
    extra = requested[~requested["site_code"].isin(known)].copy()
    reg = ref.register.set_index("practice_code").reindex(extra["site_code"])
    imd = ref.imd_practices.set_index("practice_code").reindex(extra["site_code"])
    name = (
        reg["name"]
        .fillna(pd.Series(extra["site_name"].to_numpy(), index=reg.index))
        .fillna(imd["name"])
    )
    report.codes(
        SECTION,
        "practices not in the 2026 map, added from older data with no parent",
        extra["site_code"],
        limit=6,
    )
    report.codes(
        SECTION,
        "of which with no name in any source (code used as name)",
        extra["site_code"][name.isna().to_numpy()],
    )
    return _frame(
        site_code=extra["site_code"],
        site_name=name.fillna(pd.Series(reg.index, index=reg.index)),
        site_type="practice",
        imd_decile=imd["imd_decile"],
        imd_score=imd["imd_score"],
        imd_quintile=_quintile(imd["imd_decile"]),
        population=reg["population"],
        lat=reg["lat"],
        lon=reg["lon"],
    )


def _extra_pcns(ref: Reference, requested: pd.DataFrame, report: Report) -> pd.DataFrame:
    extra = requested[~requested["site_code"].isin(set(ref.practices["pcn_code"]))]
    report.codes(
        SECTION,
        "PCNs not in the 2026 map, added from the 2022/23 QOF file",
        extra["site_code"],
        limit=6,
    )
    imd = ref.imd_pcns.set_index("pcn_code").reindex(extra["site_code"])
    return _frame(
        site_code=extra["site_code"],
        site_name=extra["site_name"],
        site_type="pcn",
        parent_code=extra["parent_code"],
        imd_decile=imd["imd_decile"],
        imd_score=imd["imd_score"],
        imd_quintile=_quintile(imd["imd_decile"]),
        population=extra["population"],
        lat=extra["lat"],
        lon=extra["lon"],
    )


def _local_authorities(ref: Reference, requested: pd.DataFrame, report: Report) -> pd.DataFrame:
    """Districts/UAs (``la``) and counties (typed ``other``: see the README)."""
    codes = pd.concat(
        [requested["site_code"], pd.Series(list(INTERVENTION_START))]
    ).drop_duplicates()
    codes = codes.sort_values().reset_index(drop=True)
    given = requested.set_index("site_code")["site_name"].reindex(codes)
    areas = ref.areas.set_index("code").reindex(codes)
    name = given.fillna(areas["name"])
    if name.isna().any():
        raise BuildError(f"no name for local authorities {list(codes[name.isna().to_numpy()])}")
    imd = ref.imd_districts.set_index("code").reindex(codes)
    is_county = codes.str.startswith("E10")
    la = codes[~is_county]
    report.codes(
        SECTION,
        "districts/UAs with no IMD 2019 district score (code not in the 2019 list)",
        la[imd["imd_score"].isna().to_numpy()[~is_county.to_numpy()]],
    )
    report.codes(
        SECTION,
        "districts/UAs with no place in the boundary files",
        codes[areas["lat"].isna().to_numpy()],
    )
    report.codes(
        SECTION, "counties typed 'other' (not compared with their own districts)", codes[is_county]
    )
    return _frame(
        site_code=codes,
        site_name=name,
        site_type=np.where(is_county, "other", "la"),
        imd_decile=imd["imd_decile"],
        imd_score=imd["imd_score"],
        imd_quintile=imd["imd_quintile"],
        lat=areas["lat"],
        lon=areas["lon"],
        boundary_code=codes,
    )


def build_sites(ref: Reference, sources: list[Source], report: Report) -> pd.DataFrame:
    """The sites table (typed values; :func:`sites_text` formats it)."""
    areas = pd.concat([s.areas.assign(recency=s.recency) for s in sources], ignore_index=True)
    areas = areas.reindex(columns=[*SITE_COLUMNS, "recency"])
    practices, parents = _hierarchy(ref, report)
    by_type = {t: _named(part) for t, part in areas.groupby("site_type")}
    empty = areas.iloc[:0]
    for kind in ("icb", "sub_icb", "country"):
        unknown = set(by_type.get(kind, empty)["site_code"]) - set(parents["site_code"])
        if unknown:
            raise BuildError(f"{kind} codes not in the reference lists: {sorted(unknown)}")
    local = pd.concat([by_type.get("la", empty), by_type.get("county", empty)])
    parts = [
        parents,
        _extra_pcns(ref, by_type.get("pcn", empty), report),
        practices,
        _extra_practices(ref, by_type.get("practice", empty), report),
        _local_authorities(ref, local, report),
        by_type.get("other", empty)[SITE_COLUMNS],
    ]
    other_kinds = set(by_type) - {
        "icb",
        "sub_icb",
        "country",
        "pcn",
        "practice",
        "la",
        "county",
        "other",
    }
    if other_kinds:
        raise BuildError(f"areas of unexpected types: {sorted(other_kinds)}")
    sites = pd.concat([p for p in parts if len(p)], ignore_index=True)
    start = sites["site_code"].map(INTERVENTION_START)
    sites["group"] = np.where(start.notna(), "intervention", "")
    sites["start_date"] = start
    if sites["site_code"].duplicated().any():
        twice = sites.loc[sites["site_code"].duplicated(), "site_code"]
        raise BuildError(f"duplicate site codes: {sorted(twice)}")
    order = sites["site_type"].map({t: i for i, t in enumerate(TYPE_ORDER)})
    return (
        sites.assign(_order=order)
        .sort_values(["_order", "site_code"])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def sites_text(sites: pd.DataFrame) -> pd.DataFrame:
    """Text cells of the sites table in fixed formats (empty = missing)."""
    text = sites.copy()
    for column, decimals in {
        "imd_decile": 0,
        "imd_score": 4,
        "imd_quintile": 0,
        "population": 0,
        "lat": 6,
        "lon": 6,
    }.items():
        text[column] = format_number(sites[column].astype("float64"), decimals)
    for column in ("site_name", "site_type", "parent_code", "group", "start_date", "boundary_code"):
        text[column] = sites[column].astype("str").fillna("")
    return text[SITE_COLUMNS]
