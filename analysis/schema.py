"""The data contract (DESIGN.md): the kinds of file a user brings and their columns.

Column names are matched case-insensitively, ignoring spaces, underscores,
dots and hyphens (``Site Code`` = ``site_code`` = ``SITECODE``). A file's kind
is detected from its columns; the user never says it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SITE_TYPES = ("practice", "pcn", "la", "sub_icb", "icb", "region", "country", "other")
GROUPS = ("intervention", "comparator")
MEASURE_KINDS = ("proportion", "rate", "count", "value")


def normalise_column(name: str) -> str:
    """Fold a column name for matching: lower case, no spaces, underscores or dots."""
    return re.sub(r"[\s_.\-]+", "", str(name)).lower().lstrip("\ufeff")


@dataclass(frozen=True)
class FileKind:
    """One kind of input file: its canonical columns and which are required."""

    name: str
    label: str
    required: tuple[str, ...]
    optional: tuple[str, ...]
    key: tuple[str, ...]
    aliases: tuple[tuple[str, str], ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        """Every canonical column, required first."""
        return self.required + self.optional

    def alias_map(self) -> dict[str, str]:
        """Normalised alias → canonical column."""
        out = {normalise_column(c): c for c in self.columns}
        out.update({normalise_column(a): c for a, c in self.aliases})
        return out


MEASURES = FileKind(
    name="measures",
    label="Measures (long format)",
    required=("site_code", "period", "measure"),
    optional=("numerator", "denominator", "value", "lower_ci", "upper_ci"),
    key=("site_code", "period", "measure"),
)

SITES = FileKind(
    name="sites",
    label="Sites",
    required=("site_code", "site_name"),
    optional=(
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
    ),
    key=("site_code",),
    aliases=(("latitude", "lat"), ("longitude", "lon"), ("lng", "lon")),
)

GROUPING = FileKind(
    name="grouping",
    label="Grouping (intervention / comparator)",
    required=("site_code", "group"),
    optional=("start_date",),
    key=("site_code",),
)

MEASURE_DEFINITIONS = FileKind(
    name="measure_definitions",
    label="Measure definitions",
    required=("measure", "kind"),
    optional=("label", "multiplier", "higher_is_better", "description", "source"),
    key=("measure",),
)

UNIT_COSTS = FileKind(
    name="unit_costs",
    label="Unit costs",
    required=("measure", "item", "cost_gbp"),
    optional=("share", "price_year", "source", "cost_low", "cost_high"),
    key=("measure", "item"),
)

FINGERTIPS = FileKind(
    name="fingertips",
    label="Fingertips CSV export",
    required=("indicator_id", "area_code", "time_period"),
    optional=(
        "indicator_name",
        "area_name",
        "area_type",
        "sex",
        "age",
        "category_type",
        "category",
        "value",
        "lower_ci_95_0_limit",
        "upper_ci_95_0_limit",
        "count",
        "denominator",
    ),
    key=("indicator_id", "area_code", "time_period"),
)

KINDS: tuple[FileKind, ...] = (
    FINGERTIPS,
    MEASURES,
    SITES,
    UNIT_COSTS,
    MEASURE_DEFINITIONS,
    GROUPING,
)

# Fingertips indicator ids with a measure id of our own; others become ``fingertips_<id>``.
FINGERTIPS_MEASURES: dict[str, str] = {
    "22401": "falls_admissions_65plus",
    "94063": "breast_screening_coverage",
    "91547": "smoking_prevalence_qof",
}

# Fingertips "Area Type" → our site_type.
FINGERTIPS_AREA_TYPES: dict[str, str] = {
    "gps": "practice",
    "gp": "practice",
    "pcns": "pcn",
    "pcn": "pcn",
    "district": "la",
    "ua": "la",
    "county": "la",
    "districts & uas": "la",
    "counties & uas": "la",
    "icb sub-locations": "sub_icb",
    "ccg": "sub_icb",
    "icbs": "icb",
    "england": "country",
    "regions (statistical)": "region",
    "nhs region": "region",
}


def detect_kind(columns: list[str]) -> tuple[FileKind | None, dict[str, str]]:
    """Pick the kind whose columns best match ``columns``.

    Returns the kind (``None`` when no kind's required columns are even half
    present) and the mapping {original column → canonical column}. The best
    kind is the one with the most required columns present, ties broken by
    the most columns present overall, so a measures file that lacks
    ``measure`` is still reported as a measures file missing that column.
    """
    best: tuple[tuple[int, int, int], FileKind | None, dict[str, str]] = ((0, 0, 0), None, {})
    for kind in KINDS:
        aliases = kind.alias_map()
        mapping = {
            c: aliases[normalise_column(c)] for c in columns if normalise_column(c) in aliases
        }
        present = set(mapping.values())
        n_required = sum(c in present for c in kind.required)
        complete = int(n_required == len(kind.required))
        score = (complete, n_required, len(present))
        if n_required * 2 >= len(kind.required) and score > best[0]:
            best = (score, kind, mapping)
    return best[1], best[2]
