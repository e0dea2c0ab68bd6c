"""Charts and tables as files a person can keep: PNG, SVG and CSV, each with a footer line.

Charts are rendered offline by ``vl-convert`` (the Vega-Lite compiler and Vega renderer
bundled in a Python wheel: no browser, no network). Every export carries one footer line
naming the source, the date it was produced and the disclosure rule, so a chart pasted
into a board paper still says where it came from. Exports are made from the same
DataFrames the pages show, which the store has already passed through small-number
suppression (:mod:`analysis.disclosure`), so an export can never show more than the page.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import altair as alt
import pandas as pd
import vl_convert as vlc

from analysis.charts import AnyChart
from analysis.provenance import tool_version

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0 "
    "(OHID Fingertips; NHS England; MHCLG; ONS). Boundaries contain OS data © Crown copyright "
    "and database right."
)
SUPPRESSION_NOTE = "Counts of 1-7 suppressed (*)"


@dataclass(frozen=True)
class Footer:
    """The line at the foot of every export: source, date produced, disclosure rule."""

    source: str = "Health inequalities outcomes dashboard"
    produced: dt.date | None = None
    rounded_to: int | None = None

    def text(self) -> str:
        """``Source: … · produced 2026-11-23 by hiod 0.1.0 · counts of 1-7 suppressed (*)``."""
        produced = (self.produced or dt.date.today()).isoformat()
        rule = SUPPRESSION_NOTE
        if self.rounded_to:
            rule += f"; other counts rounded to the nearest {self.rounded_to}"
        return f"Source: {self.source} · produced {produced} by hiod {tool_version()} · {rule}"


def with_footer(chart: AnyChart, footer: Footer) -> alt.VConcatChart:
    """The chart with the footer line drawn under it (a bottom-anchored title).

    Layered, concatenated and faceted charts are wrapped in a one-panel ``vconcat`` so
    the footer sits under the whole figure, not under one panel; a top-level ``config``
    (``configure_*``) moves to the wrapper, where Vega-Lite requires it.
    """
    if isinstance(chart, alt.VConcatChart):
        wrapped = chart
    else:
        inner = chart.copy(deep=False)
        config = inner.config
        inner.config = alt.Undefined
        wrapped = alt.vconcat(inner)
        wrapped.config = config
    return wrapped.properties(
        title=alt.TitleParams(
            footer.text(),
            orient="bottom",
            anchor="start",
            fontSize=9,
            fontWeight="normal",
            color="#505a5f",
        )
    )


def chart_svg(chart: AnyChart, footer: Footer | None = None) -> str:
    """The chart as a standalone SVG document (text), with the footer line if given."""
    spec = with_footer(chart, footer) if footer else chart
    return vlc.vegalite_to_svg(spec.to_json(validate=False))


def chart_png(chart: AnyChart, footer: Footer | None = None, scale: float = 2) -> bytes:
    """The chart as a PNG image (``scale`` times its size in pixels), footer line if given."""
    spec = with_footer(chart, footer) if footer else chart
    return vlc.vegalite_to_png(spec.to_json(validate=False), scale=scale)


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""Characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection)."""

_NUMBER = re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def neutralise_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, made inert.

    OWASP "CSV Injection": a cell beginning with ``=``, ``+``, ``-``, ``@``, tab
    or carriage return is prefixed with a single quote, which spreadsheets show
    as text. Numbers written as text (``-12.5``, ``+3``) are left as they are,
    and so is every cell that is not text.
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if _NUMBER.fullmatch(value.strip()):
        return value
    return "'" + value


def safe_csv(frame: pd.DataFrame) -> str:
    """The table as CSV with every text cell and header neutralised (:func:`neutralise_cell`)."""
    out = frame.copy()
    out.columns = [str(neutralise_cell(str(c))) for c in out.columns]
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].astype(object).map(neutralise_cell)
    return out.to_csv(index=False)


def table_csv(frame: pd.DataFrame, footer: Footer) -> str:
    """The table as CSV (formula cells neutralised) with the footer as a final ``#`` line.

    ``pandas.read_csv(…, comment="#")`` and spreadsheet programs read the rows and
    leave the footer as a trailing note.
    """
    return safe_csv(frame) + f"# {footer.text()}. {ATTRIBUTION}\n"
