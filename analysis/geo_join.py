"""Join a measure's sites to boundaries and map points: what the Map page draws.

Four pure steps, each a function:

1. **Layer matching** (:func:`match_layer`): area codes change between boundary years
   (districts merge, ICBs replace CCGs), so the codes a measure reports in one period are
   matched to every available layer (:func:`analysis.geo.bundled_layers` and any the user
   loaded) and the layer holding most of them wins; ties go to the layer whose vintage is
   nearest the period's year. The codes no layer shape has are listed, never dropped silently.
2. **Areas to draw** (:func:`area_values`): one row per area of the chosen level and period
   from the Compare-areas table (:func:`analysis.areas.compare_areas`, already suppressed), as
   plain map fields: value, interval, verdict, group, and the text shown in tooltips ("*" for a
   suppressed value, never the number).
3. **Point sites** (:func:`pcn_centres`, :func:`site_points`): practices and other sites with
   ``lat``/``lon``; a PCN has no national boundary, so it sits at the list-weighted centre of
   its practices (Σ population × lat ÷ Σ population, likewise lon) where the sites table
   has no position for it.
4. **Programme effect per site** (:func:`site_effects`): for each intervention site, a
   difference-in-differences of means (Angrist & Pischke 2009, ch. 5; per site, 2 × 2):
   its own change from the mean of its pre-start periods to the mean of its post-start
   periods, minus the same change in the comparator sites' mean (the pooled comparator,
   each period's unweighted mean of comparator values). Periods that straddle the start are
   left out. Rows come from the store's suppressed table, so a suppressed value is missing,
   and a site with no unsuppressed value on one side has no effect (shown as suppressed).

The functions never modify their inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import SupportsFloat

import numpy as np
import pandas as pd

from analysis.geo import BoundaryLayer
from analysis.site_levels import ancestors

AREA_TYPES = ("la", "icb", "sub_icb", "region")
"""Site types drawn as shapes (when a layer has their codes); the rest are points."""

POINTS_NOTE = (
    "Points: each site's own position; PCNs at the list-weighted centre of their practices "
    "(there is no national PCN boundary); sized by denominator."
)
EFFECT_METHOD = (
    "difference-in-differences per site: (its post-start mean − its pre-start mean) − "
    "(comparator mean post − comparator mean pre), periods straddling the start left out"
)
SUPPRESSED_TEXT = "*"


@dataclass(frozen=True)
class LayerMatch:
    """The layer chosen for a set of area codes, and which codes it has and lacks."""

    layer: BoundaryLayer
    matched: tuple[str, ...]
    unmatched: tuple[str, ...]
    year: int | None
    """The year the codes were matched for (the period's start year), if known."""

    @property
    def share(self) -> float:
        """Fraction of the codes found in the layer (0–1)."""
        total = len(self.matched) + len(self.unmatched)
        return len(self.matched) / total if total else 0.0

    @property
    def summary(self) -> str:
        """Which layer, and how many of the codes it has."""
        total = len(self.matched) + len(self.unmatched)
        return (
            f"Boundaries: {self.layer.name} ({self.layer.source}); "
            f"{len(self.matched):,} of {total:,} areas matched."
        )

    @property
    def note(self) -> str:
        """One sentence for the page: which layer, how many matched, which did not."""
        text = (
            f"Boundaries: {self.layer.name} ({self.layer.source}); "
            f"{len(self.matched):,} of {len(self.matched) + len(self.unmatched):,} areas matched"
        )
        if self.unmatched:
            shown = ", ".join(self.unmatched[:12])
            more = f" and {len(self.unmatched) - 12:,} more" if len(self.unmatched) > 12 else ""
            text += f"; not on this layer: {shown}{more}"
        return text + "."


def period_year(period_start: object) -> int | None:
    """The calendar year a period starts in (``2023/24`` starting 2023-04-01 → 2023)."""
    if period_start is None or pd.isna(period_start):
        return None
    return int(pd.Timestamp(period_start).year)


def match_layer(
    codes: Iterable[str], layers: Sequence[BoundaryLayer], year: int | None = None
) -> LayerMatch | None:
    """The layer holding most of ``codes``; ties go to the user's own layers, then by year.

    On a tie a layer the user loaded wins (their own boundaries are why they loaded them),
    then the vintage nearest ``year``; layers without a year rank after dated ones. Returns
    None when no layer has any of the codes.
    """
    wanted = sorted({c for c in codes if isinstance(c, str)})
    if not wanted or not layers:
        return None

    def rank(layer: BoundaryLayer) -> tuple[int, int, float]:
        hits = len(layer.codes.intersection(wanted))
        bundled = int(layer.source == "bundled")
        distance = abs(layer.year - year) if layer.year is not None and year is not None else 1e9
        return -hits, bundled, distance

    best = min(layers, key=rank)
    have = best.codes
    matched = tuple(c for c in wanted if c in have)
    if not matched:
        return None
    unmatched = tuple(c for c in wanted if c not in have)
    return LayerMatch(best, matched, unmatched, year)


def verdict_text(comparison: object, suppressed: bool) -> str:
    """The comparison word for a tooltip (``suppressed`` → ``*``)."""
    if suppressed:
        return SUPPRESSED_TEXT
    return str(comparison) if isinstance(comparison, str) else "not compared"


def _number_text(value: SupportsFloat | None, decimals: int = 1) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):,.{decimals}f}"


def area_values(table: pd.DataFrame, decimals: int = 1) -> pd.DataFrame:
    """Map fields per site from a Compare-areas table (:class:`analysis.areas.AreaComparison`).

    Returns ``code``, ``name``, ``group``, ``value``, ``lower_ci``, ``upper_ci``,
    ``denominator``, ``comparison``, ``suppressed``, ``value_text`` and ``interval_text``.
    In suppressed rows every number derived from the count is missing and the texts read
    ``*``: the number itself never leaves this function.
    """
    hidden = table["suppressed"].fillna(False).astype(bool).to_numpy()
    out = pd.DataFrame(
        {
            "code": table["site_code"].astype(str).to_numpy(),
            "name": table["site_name"].fillna(table["site_code"]).astype(str).to_numpy(),
            "group": table["group"].fillna("").astype(str).to_numpy(),
            "value": table["value"].astype(float).to_numpy(),
            "lower_ci": table["lower_ci"].astype(float).to_numpy(),
            "upper_ci": table["upper_ci"].astype(float).to_numpy(),
            "denominator": table["denominator"].astype(float).to_numpy(),
            "suppressed": hidden,
        }
    )
    for column in ("value", "lower_ci", "upper_ci"):
        out.loc[hidden, column] = np.nan
    out["comparison"] = [
        "suppressed" if s else verdict_text(c, False)
        for c, s in zip(table["comparison"], hidden, strict=True)
    ]
    out["value_text"] = [
        SUPPRESSED_TEXT if s else _number_text(v, decimals)
        for v, s in zip(out["value"], hidden, strict=True)
    ]
    out["interval_text"] = [
        SUPPRESSED_TEXT
        if s
        else (
            f"{_number_text(lo, decimals)} to {_number_text(hi, decimals)}"
            if pd.notna(lo) and pd.notna(hi)
            else "no interval"
        )
        for lo, hi, s in zip(out["lower_ci"], out["upper_ci"], hidden, strict=True)
    ]
    return out


def pcn_centres(sites: pd.DataFrame) -> pd.DataFrame:
    """Each parent's list-weighted centre: Σ population × lat ÷ Σ population (and lon).

    Uses practices (``site_type == "practice"``) with ``lat``, ``lon`` and a population
    above 0, grouped by ``parent_code``. Returns ``site_code`` (the parent), ``lat``,
    ``lon``, ``population`` (the summed list) and ``n_practices``.
    """
    p = sites[
        (sites["site_type"] == "practice")
        & sites["parent_code"].notna()
        & sites["lat"].notna()
        & sites["lon"].notna()
        & (sites["population"].fillna(0) > 0)
    ]
    w = p["population"].astype(float)
    sums = (
        pd.DataFrame(
            {
                "site_code": p["parent_code"].to_numpy(),
                "w": w.to_numpy(),
                "wlat": (w * p["lat"].astype(float)).to_numpy(),
                "wlon": (w * p["lon"].astype(float)).to_numpy(),
            }
        )
        .groupby("site_code", as_index=False)
        .agg(w=("w", "sum"), wlat=("wlat", "sum"), wlon=("wlon", "sum"), n=("w", "size"))
    )
    return pd.DataFrame(
        {
            "site_code": sums["site_code"],
            "lat": sums["wlat"] / sums["w"],
            "lon": sums["wlon"] / sums["w"],
            "population": sums["w"],
            "n_practices": sums["n"],
        }
    )


def site_positions(sites: pd.DataFrame) -> pd.DataFrame:
    """``site_code``, ``lat``, ``lon`` of every site that can be drawn as a point.

    A site's own position wins; PCNs (or any parent of practices) without one get the
    list-weighted centre of their practices (:func:`pcn_centres`).
    """
    own = sites.loc[sites["lat"].notna() & sites["lon"].notna(), ["site_code", "lat", "lon"]]
    centres = pcn_centres(sites)
    centres = centres[~centres["site_code"].isin(own["site_code"])][["site_code", "lat", "lon"]]
    both = pd.concat([own, centres], ignore_index=True)
    return both.drop_duplicates("site_code").reset_index(drop=True)


def site_points(values: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """:func:`area_values` rows with ``lat`` and ``lon`` added; sites with no position dropped."""
    positions = site_positions(sites)
    out = values.merge(positions, left_on="code", right_on="site_code", how="inner")
    return out.drop(columns="site_code").reset_index(drop=True)


@dataclass(frozen=True)
class SiteEffects:
    """Per intervention site: the programme's estimated effect (difference-in-differences)."""

    table: pd.DataFrame
    """``code``, ``name``, ``start_date``, ``pre_mean``, ``post_mean``, ``change``,
    ``comparator_change``, ``effect``, ``n_pre``, ``n_post`` (NaN effect when a side is
    empty or suppressed)."""
    method: str = EFFECT_METHOD


def site_effects(rows: pd.DataFrame) -> SiteEffects:
    """Each intervention site's own pre→post change minus the pooled comparator change.

    ``rows`` are one measure's **suppressed** rows (``Store.measure_rows``) at one site
    type, with ``site_code``, ``site_name``, ``group``, ``start_date``, ``period_start``,
    ``period_end`` and ``value`` (display unit). Pre = periods ending before the site's
    start; post = periods starting on or after it. The comparator series is the
    unweighted mean of comparator sites' values in each period (sites with ``group`` =
    ``comparator``; if none are marked, every non-intervention site). Method in the module
    docstring (a 2 × 2 difference-in-differences of means per site). Effects are in the
    measure's unit; negative is a fall.
    """
    cols = ["code", "name", "start_date", "pre_mean", "post_mean", "change"]
    cols += ["comparator_change", "effect", "n_pre", "n_post"]
    group = rows["group"].fillna("")
    treated = rows[group.eq("intervention") & rows["start_date"].notna()]
    comparators = rows[group.eq("comparator")]
    if comparators.empty:
        comparators = rows[~group.eq("intervention")]
    series = comparators.groupby("period_start")["value"].mean()
    ends = rows.drop_duplicates("period_start").set_index("period_start")["period_end"]
    out = []
    for code, site in treated.groupby("site_code", sort=True):
        start = pd.Timestamp(site["start_date"].iloc[0])
        pre = site[pd.to_datetime(site["period_end"]) < start]
        post = site[pd.to_datetime(site["period_start"]) >= start]
        pre_v, post_v = pre["value"].dropna(), post["value"].dropna()
        comp_pre = series[pd.to_datetime(ends.reindex(series.index)) < start]
        comp_post = series[pd.to_datetime(series.index) >= start]
        change = post_v.mean() - pre_v.mean() if len(pre_v) and len(post_v) else np.nan
        comp_change = (
            comp_post.mean() - comp_pre.mean() if len(comp_pre) and len(comp_post) else np.nan
        )
        out.append(
            (
                code,
                site["site_name"].iloc[0],
                start,
                pre_v.mean() if len(pre_v) else np.nan,
                post_v.mean() if len(post_v) else np.nan,
                change,
                comp_change,
                change - comp_change,
                len(pre_v),
                len(post_v),
            )
        )
    return SiteEffects(pd.DataFrame(out, columns=cols))


def effect_values(values: pd.DataFrame, effects: SiteEffects, decimals: int = 1) -> pd.DataFrame:
    """:func:`area_values` rows with ``effect`` and ``effect_text`` (``*`` where not estimable).

    Non-intervention sites get no effect and an empty text.
    """
    table = effects.table.set_index("code")
    out = values.copy()
    out["effect"] = table["effect"].reindex(out["code"]).to_numpy(float)
    is_treated = out["code"].isin(table.index)
    out["effect_text"] = [
        (_number_text(e, decimals) if pd.notna(e) else SUPPRESSED_TEXT) if t else ""
        for e, t in zip(out["effect"], is_treated, strict=True)
    ]
    return out


@dataclass(frozen=True)
class MapData:
    """Everything the Map page draws for one measure, level and period (suppressed)."""

    values: pd.DataFrame
    """:func:`area_values` (+ :func:`effect_values`) for the sites at the level."""
    match: LayerMatch | None
    """The boundary layer for area levels (None: the sites are drawn as points)."""
    points: pd.DataFrame | None
    """Point sites (:func:`site_points`) for point levels, else None."""
    background: dict | None
    """Grey base shapes under points: the areas (e.g. ICBs) that contain them."""
    effects: SiteEffects
    notes: tuple[str, ...]


def boundary_keys(codes: pd.Series, sites: pd.DataFrame) -> pd.Series:
    """Each site's code on a boundary layer: its ``boundary_code`` where given, else its own.

    A user whose site codes are their own (``LA01``) names the area each stands for in the
    sites file's ``boundary_code`` (e.g. the ONS code ``E08000012``); the map matches that.
    """
    codes = pd.Series(codes, dtype="object").reset_index(drop=True)
    if "boundary_code" not in sites:
        return codes.copy()
    known = sites.dropna(subset=["boundary_code"]).drop_duplicates("site_code")
    lookup = dict(
        zip(known["site_code"].astype(str), known["boundary_code"].astype(str), strict=True)
    )
    return codes.map(lambda c: lookup.get(c, c))


def background_for(
    codes: Iterable[str], sites: pd.DataFrame, layers: Sequence[BoundaryLayer]
) -> dict | None:
    """The shapes of the areas containing ``codes`` (their ancestors), from the best layer."""
    pairs = ancestors(sites)
    wanted = set(codes)
    up = pairs.loc[pairs["site_code"].isin(wanted), "ancestor_code"].unique().tolist()
    match = match_layer(boundary_keys(pd.Series(up, dtype="object"), sites), layers)
    if match is None:
        return None
    keep = set(match.matched)
    features = [f for f in match.layer.features["features"] if f["properties"]["code"] in keep]
    return {"type": "FeatureCollection", "features": features}


def map_data(
    table: pd.DataFrame,
    level_rows: pd.DataFrame,
    sites: pd.DataFrame,
    layers: Sequence[BoundaryLayer],
    site_type: str,
    period_start: object,
) -> MapData:
    """Join a Compare-areas ``table`` to boundaries or positions, with per-site effects.

    ``table`` is :attr:`analysis.areas.AreaComparison.table` (suppressed);
    ``level_rows`` the store's **suppressed** rows of the measure at this site type, every
    period (for :func:`site_effects`). Area types (:data:`AREA_TYPES`) are matched to the
    best layer for the period's year (:func:`match_layer`) by their :func:`boundary_keys`
    (``values`` keeps each site's key in ``boundary``; the match lists site codes); sites it
    lacks, and point sites without a position, are named in ``notes``.
    """
    effects = site_effects(level_rows)
    values = effect_values(area_values(table), effects)
    values["boundary"] = boundary_keys(values["code"], sites).to_numpy()
    notes: list[str] = []
    match = None
    if site_type in AREA_TYPES:
        match = _site_match(
            values, match_layer(values["boundary"], layers, period_year(period_start))
        )
    if match is not None:
        if match.unmatched:
            notes.append(match.note)
        return MapData(values, match, None, None, effects, tuple(notes))
    points = site_points(values, sites)
    missing = sorted(set(values["code"]) - set(points["code"]))
    if missing:
        notes.append(
            f"{len(missing):,} site(s) have no position (lat/lon) or boundary and are not "
            f"drawn: {', '.join(missing[:12])}{' …' if len(missing) > 12 else ''}."
        )
    background = background_for(points["code"], sites, layers)
    return MapData(values, None, points, background, effects, tuple(notes))


def _site_match(values: pd.DataFrame, match: LayerMatch | None) -> LayerMatch | None:
    """``match`` (made on boundary keys) with its matched and unmatched as the sites' codes."""
    if match is None:
        return None
    found = values["boundary"].isin(match.layer.codes)
    matched = tuple(sorted(set(values.loc[found, "code"])))
    unmatched = tuple(sorted(set(values.loc[~found, "code"])))
    return LayerMatch(match.layer, matched, unmatched, match.year)


def no_map_reason(data: MapData, sites_phrase: str) -> str | None:
    """Why a map of these sites would be empty (None when there is something to draw).

    ``sites_phrase`` names the sites in a sentence (``"GP practices"``,
    :func:`analysis.site_levels.type_phrase`).
    """
    if data.match is not None or (data.points is not None and len(data.points)):
        return None
    return (
        f"No map: the {sites_phrase} of this measure have no boundary in the loaded layers "
        "and no position (lat/lon). Add lat and lon (or a boundary_code that a boundary "
        "layer has) to the sites file, or load your own boundaries, on the Data page."
    )
