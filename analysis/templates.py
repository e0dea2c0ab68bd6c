"""Templates and worked examples of each kind of file, for the Data page's downloads.

A template is the header the data contract expects (:mod:`analysis.schema`), with
one line saying what each column holds; a worked example is a small file in
``data/templates/`` that loads as it stands (made-up practices, simulated counts).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from analysis.schema import GROUPING, MEASURE_DEFINITIONS, MEASURES, SITES, UNIT_COSTS, FileKind

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "data" / "templates"


@dataclass(frozen=True)
class FileTemplate:
    """One kind of file: what it is for, its template header and its example file."""

    kind: FileKind
    purpose: str
    columns: tuple[str, ...]
    example: str

    def template_csv(self) -> bytes:
        """The header row of the template (required columns first)."""
        return (",".join(self.columns) + "\n").encode()

    def example_csv(self) -> bytes:
        """The worked example's bytes."""
        return (TEMPLATES_DIR / self.example).read_bytes()


TEMPLATES: tuple[FileTemplate, ...] = (
    FileTemplate(
        SITES,
        "One row per practice, PCN or area: its name, type, parent (e.g. its PCN), "
        "deprivation decile, list size, and for intervention sites the start date.",
        (
            "site_code",
            "site_name",
            "site_type",
            "parent_code",
            "group",
            "start_date",
            "imd_decile",
            "population",
        ),
        "sites_example.csv",
    ),
    FileTemplate(
        MEASURES,
        "One row per site, period and measure: the count and its denominator (or a "
        "published value). Periods may be months (2024-04), quarters (2024 Q2), financial "
        "years (2024/25) or years.",
        ("site_code", "period", "measure", "numerator", "denominator", "value"),
        "measures_example.csv",
    ),
    FileTemplate(
        MEASURE_DEFINITIONS,
        "What each measure is: its label, kind (proportion, rate, count or value), multiplier "
        "and whether higher is better.",
        MEASURE_DEFINITIONS.columns,
        "measure_definitions_example.csv",
    ),
    FileTemplate(
        UNIT_COSTS,
        "What an event costs, for the savings: item, £ per event, the share of events that "
        "incur it, price year and source.",
        UNIT_COSTS.columns,
        "unit_costs_example.csv",
    ),
    FileTemplate(
        GROUPING,
        "Which sites are in the programme (intervention, with a start date) and which are "
        "comparators, without reloading the sites.",
        GROUPING.columns,
        "grouping_example.csv",
    ),
)

FOREIGN_EXAMPLE = "screening_export_example.csv"
"""The measures example with an export's own column names (Practice Code, Month…)."""
