"""Altair builders for the Map page: a choropleth, point sites and outline layers.

Drawn with ``mark_geoshape`` from GeoJSON passed as ``alt.InlineData`` (no tile server, no
request outside the app; DESIGN.md engineering notes), in a Mercator projection fitted to
the shapes and points shown. Colours come from :mod:`analysis.palette`: a sequential
colour-blind-safe scheme (viridis) for values, the Fingertips verdict colours for the
benchmark comparison, and a diverging green–vermillion scale centred on 0 for the
programme's effect (green where the change is an improvement, by the measure's polarity).
Suppressed values are never in the chart data: their shapes are grey and read ``*``.
"""

from __future__ import annotations

import json
from typing import Any, Final, Literal

import altair as alt
import numpy as np
import pandas as pd

from analysis import palette
from analysis.charts import AnyChart, Layered

ColourBy = Literal["value", "benchmark", "effect"]

AREA_SELECTION = "area"
LEGEND_LABEL_MAX = 32
"""Longer measure labels are shown as "Value" in the legend (the chart title names them)."""
SITE_SELECTION = "site"
SEQUENTIAL_SCHEME: Final = "viridis"
NEUTRAL = "#F7F7F7"
NO_DATA = "#FFFFFF"
SELECTED = "#CC79A7"  # reddish purple (Okabe & Ito)
OUTLINE = "#000000"
VERDICT_COLOURS = {
    "better": palette.BETTER,
    "similar": palette.SIMILAR,
    "worse": palette.WORSE,
    "higher": "#56B4E9",  # sky blue (Okabe & Ito)
    "lower": palette.INTERVENTION,
    "not compared": "#EEEEEE",
    "suppressed": palette.NOT_COMPARED,
}
FEATURE_FIELDS = (
    "code",
    "name",
    "group",
    "value",
    "value_text",
    "interval_text",
    "comparison",
    "effect",
    "effect_text",
    "suppressed",
    "denominator",
)


VIEW_KEYS = ("layer", "hconcat", "vconcat", "concat")


def _attr(spec: object, name: str) -> Any:
    """A property of an Altair object or a Vega-Lite dict (None when unset)."""
    value = spec.get(name) if isinstance(spec, dict) else getattr(spec, name, None)
    return None if value is alt.Undefined else value


def selection_names(chart: object) -> frozenset[str]:
    """The names of the selection parameters a chart defines, in any of its views.

    Walks the chart's layers, concatenations and facet/repeat spec as Vega-Lite does
    (and as ``st.altair_chart`` checks before it activates selections), without
    serialising the chart (a map's inline GeoJSON makes ``to_dict`` slow). A chart drawn
    with nothing to select (e.g. a map with no shapes and no points) has none.
    """
    names: set[str] = set()
    for param in _attr(chart, "params") or ():
        name, select = _attr(param, "name"), _attr(param, "select")
        if name and select is not None:
            names.add(str(name))
    for key in VIEW_KEYS:
        for view in _attr(chart, key) or ():
            names |= selection_names(view)
    inner = _attr(chart, "spec")
    if inner is not None and not isinstance(inner, str):
        names |= selection_names(inner)
    return frozenset(names)


def _plain(value: object) -> object:
    """A JSON-safe scalar: NaN/NA → None, numpy numbers → Python numbers."""
    if value is None:
        return None
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return None
    if value is pd.NA:
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def area_features(features: dict, values: pd.DataFrame) -> dict:
    """A FeatureCollection of the features whose code is in ``values``, fields in properties.

    ``values`` is :func:`analysis.geo_join.area_values` (optionally with effects); each
    feature's properties become the row's fields (:data:`FEATURE_FIELDS`). Features are
    matched on ``values["boundary"]`` when present (:attr:`analysis.geo_join.MapData.values`:
    the site's boundary code), else on ``code``; ``code`` stays the site's. The input is
    not modified.
    """
    key = "boundary" if "boundary" in values else "code"
    rows = values.drop_duplicates(key).set_index(key, drop=False)
    out = []
    for feature in features["features"]:
        code = feature["properties"]["code"]
        if code not in rows.index:
            continue
        row = rows.loc[code]
        props = {k: _plain(row[k]) for k in FEATURE_FIELDS if k in row.index}
        props.setdefault("effect", None)
        props.setdefault("effect_text", "")
        out.append({"type": "Feature", "geometry": feature["geometry"], "properties": props})
    return {"type": "FeatureCollection", "features": out}


def background_features(features: dict) -> dict:
    """Features with only code and name: a grey base map for point sites."""
    out = [
        {
            "type": "Feature",
            "geometry": f["geometry"],
            "properties": {"code": f["properties"]["code"], "name": f["properties"]["name"]},
        }
        for f in features["features"]
    ]
    return {"type": "FeatureCollection", "features": out}


AREAS_DATA = "map_areas"
BACKGROUND_DATA = "map_background"


def _geo(name: str) -> alt.NamedData:
    """A reference to GeoJSON held once in the chart's top-level ``datasets``.

    The FeatureCollection is attached as the last step of :func:`map_chart`: Altair deep-
    copies a chart's data on every chained method, seconds for a national layer.
    """
    return alt.NamedData(name=name, format=alt.DataFormat(property="features", type="json"))


def legend_title(colour_by: ColourBy, label: str, unit: str, benchmark_label: str) -> str:
    """The colour legend's title, with the unit."""
    if colour_by == "value":
        name = label if len(label) <= LEGEND_LABEL_MAX else "Value"
        return f"{name} ({unit})" if unit and f"({unit}" not in name else name
    if colour_by == "effect":
        return f"Effect, difference-in-differences ({unit or 'value'})"
    return f"Compared with {benchmark_label}"


def _colour(
    colour_by: ColourBy,
    field: str,
    title: str,
    higher_is_better: bool | None,
    domain_max: float | None,
) -> alt.Color:
    if colour_by == "benchmark":
        words = ("higher", "lower") if higher_is_better is None else ("better", "worse")
        domain = [w for w in VERDICT_COLOURS if w not in {"better", "worse", "higher", "lower"}]
        domain = [words[0], "similar", words[1], *domain[1:]]
        return alt.Color(
            f"{field}comparison:N",
            title=title,
            scale=alt.Scale(domain=domain, range=[VERDICT_COLOURS[w] for w in domain]),
        )
    if colour_by == "effect":
        good_up = higher_is_better is True
        low, high = (palette.WORSE, palette.BETTER) if good_up else (palette.BETTER, palette.WORSE)
        if higher_is_better is None:
            low, high = palette.INTERVENTION, palette.COMPARATOR
        bound = domain_max or 1.0
        return alt.Color(
            f"{field}effect:Q",
            title=title,
            scale=alt.Scale(domain=[-bound, 0, bound], range=[low, NEUTRAL, high]),
        )
    return alt.Color(
        f"{field}value:Q", title=title, scale=alt.Scale(scheme=SEQUENTIAL_SCHEME, zero=False)
    )


def _has_colour(colour_by: ColourBy, prefix: str) -> str:
    """Vega expression: the datum has something to colour by (not null, not suppressed)."""
    if colour_by == "benchmark":
        return f"isValid({prefix}comparison) && {prefix}comparison != 'suppressed'"
    return f"isValid({prefix}{colour_by}) && isFinite({prefix}{colour_by})"


def _tooltip(prefix: str, colour_by: ColourBy, unit: str) -> list[alt.Tooltip]:
    tips = [
        alt.Tooltip(f"{prefix}name:N", title="Name"),
        alt.Tooltip(f"{prefix}code:N", title="Code"),
        alt.Tooltip(f"{prefix}value_text:N", title=f"Value ({unit})" if unit else "Value"),
        alt.Tooltip(f"{prefix}interval_text:N", title="Interval"),
        alt.Tooltip(f"{prefix}comparison:N", title="Compared with benchmark"),
        alt.Tooltip(f"{prefix}group:N", title="Group"),
    ]
    if colour_by == "effect":
        tips.append(alt.Tooltip(f"{prefix}effect_text:N", title=f"Effect ({unit or 'value'})"))
    return tips


def _effect_bound(frame: pd.DataFrame | None) -> float | None:
    if frame is None or "effect" not in frame or frame["effect"].isna().all():
        return None
    return float(frame["effect"].abs().max()) or None


def map_chart(
    *,
    areas: dict | None = None,
    points: pd.DataFrame | None = None,
    background: dict | None = None,
    colour_by: ColourBy = "value",
    colour_points: bool = False,
    label: str = "Value",
    unit: str = "",
    benchmark_label: str = "benchmark",
    higher_is_better: bool | None = None,
    selected: str | None = None,
    title: str = "",
    width: int = 720,
    height: int = 620,
) -> Layered:
    """The map: shapes coloured by ``colour_by``, intervention outlines, points, selection.

    Parameters
    ----------
    areas:
        :func:`area_features` output (None: no choropleth). Shapes with a value are
        coloured; shapes without (suppressed, not compared, no effect) are grey or white.
    points:
        :func:`analysis.geo_join.site_points` rows (``lat``, ``lon``, ``denominator``…),
        drawn as circles sized by denominator; coloured like the areas when
        ``colour_points`` (a point-level map), else dark hollow circles over the areas.
    background:
        :func:`background_features`: a grey base map under points.
    colour_by:
        ``"value"``, ``"benchmark"`` (better / similar / worse, by polarity) or ``"effect"``
        (per-site difference-in-differences, :func:`analysis.geo_join.site_effects`).
    label, unit, benchmark_label, higher_is_better:
        For the legend title (units in it) and the effect colours.
    colour_points:
        Colour the points like areas (a map of point sites) or draw them neutral.
    selected:
        The code of the selected site, outlined in reddish purple.
    title, width, height:
        Chart title and size in pixels.

    Clicking a shape sets the point selection ``area`` (field ``code``), clicking a point
    sets ``site``; ``st.altair_chart(..., on_select="rerun")`` returns them.
    """
    legend = legend_title(colour_by, label, unit, benchmark_label)
    layers: list[AnyChart] = []
    if background is not None:
        layers.append(
            alt.Chart(_geo(BACKGROUND_DATA))
            .mark_geoshape(fill="#EEEEEE", stroke="#BBBBBB", strokeWidth=0.5)
            .encode(tooltip=[alt.Tooltip("properties.name:N", title="Area")])
        )
    if areas is not None and areas["features"]:
        frame = pd.DataFrame([f["properties"] for f in areas["features"]])
        pick = alt.selection_point(name=AREA_SELECTION, fields=["code"], on="click")
        tips = _tooltip("properties.", colour_by, unit)
        # every shape in grey first; those with a value drawn over it in colour (a null in
        # a colour field would be dropped by Vega-Lite's invalid-value filter, not greyed)
        layers.append(
            alt.Chart(_geo(AREAS_DATA))
            .transform_calculate(code="datum.properties.code")
            .mark_geoshape(fill=palette.NOT_COMPARED, stroke="white", strokeWidth=0.6)
            .encode(tooltip=tips)
            .add_params(pick)
        )
        colour = _colour(colour_by, "properties.", legend, higher_is_better, _effect_bound(frame))
        layers.append(
            alt.Chart(_geo(AREAS_DATA))
            .transform_calculate(code="datum.properties.code")
            .transform_filter(_has_colour(colour_by, "datum.properties."))
            .mark_geoshape(stroke="white", strokeWidth=0.6)
            .encode(color=colour, tooltip=tips)
            .add_params(pick)
        )
        if (frame["group"] == "intervention").any():
            layers.append(
                alt.Chart(_geo(AREAS_DATA))
                .transform_filter("datum.properties.group == 'intervention'")
                .transform_calculate(outline="'intervention area'")
                .mark_geoshape(filled=False, strokeWidth=2.2)
                .encode(
                    stroke=alt.Stroke(
                        "outline:N",
                        title="Outline",
                        scale=alt.Scale(domain=["intervention area"], range=[OUTLINE]),
                    ),
                    tooltip=_tooltip("properties.", colour_by, unit),
                )
            )
        if selected is not None and selected in set(frame["code"]):
            layers.append(
                alt.Chart(_geo(AREAS_DATA))
                .transform_filter(f"datum.properties.code == {json.dumps(selected)}")
                .mark_geoshape(filled=False, stroke=SELECTED, strokeWidth=3.5)
            )
    if points is not None and len(points):
        layers.append(
            _points(points, colour_by, colour_points, legend, unit, higher_is_better, selected)
        )
    chart = (
        alt.layer(*layers)
        .project(type="mercator")
        .properties(width=width, height=height)
        .configure_legend(titleLimit=320, labelLimit=240)
    )
    if title:
        chart = chart.properties(title=title)
    chart = chart.resolve_scale(color="independent")
    datasets = {AREAS_DATA: areas, BACKGROUND_DATA: background}
    chart.datasets = {k: v for k, v in datasets.items() if v is not None}
    return chart


def point_frame(points: pd.DataFrame) -> pd.DataFrame:
    """The point rows as chart data: only display fields (suppressed numbers already gone)."""
    keep = [c for c in (*FEATURE_FIELDS, "lat", "lon") if c in points]
    out = points[keep].copy()
    if "suppressed" in out:
        hidden = out["suppressed"].astype(bool)
        for column in ("value", "effect"):
            if column in out:
                out.loc[hidden, column] = np.nan
    return out


def _points(
    points: pd.DataFrame,
    colour_by: ColourBy,
    coloured: bool,
    legend: str,
    unit: str,
    higher_is_better: bool | None,
    selected: str | None,
) -> alt.Chart | Layered:
    data = point_frame(points)
    pick = alt.selection_point(name=SITE_SELECTION, fields=["code"], on="click")
    size = alt.Size("denominator:Q", title="Denominator (people)", scale=alt.Scale(range=[12, 400]))
    base = alt.Chart(data).encode(
        longitude="lon:Q",
        latitude="lat:Q",
        size=size,
        tooltip=[*_tooltip("", colour_by, unit), alt.Tooltip("denominator:Q", format=",.0f")],
    )
    if coloured:
        stroke = (
            alt.when(alt.datum.code == (selected or ""))
            .then(alt.value(SELECTED))
            .when(alt.datum.group == "intervention")
            .then(alt.value(OUTLINE))
            .otherwise(alt.value("#666666"))
        )
        colour = _colour(colour_by, "", legend, higher_is_better, _effect_bound(data))
        grey = base.mark_circle(opacity=0.9, strokeWidth=1.2, color=palette.NOT_COMPARED)
        shown = base.transform_filter(_has_colour(colour_by, "datum.")).mark_circle(
            opacity=0.9, strokeWidth=1.2
        )
        return alt.layer(
            grey.encode(stroke=stroke).add_params(pick),
            shown.encode(color=colour, stroke=stroke).add_params(pick),
        )
    return base.mark_circle(
        opacity=0.5, color="#333333", stroke="white", strokeWidth=0.5
    ).add_params(pick)
