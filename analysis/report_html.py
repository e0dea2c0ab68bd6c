"""HTML building blocks for the impact report: escaped text, tables, figures, the page shell.

Everything a user or the data supplies passes through :func:`esc` (``html.escape``).
Charts are inline SVG from :func:`analysis.exports.chart_svg` (vl-convert, offline), so
the file makes no request: no scripts, no external fonts, styles, images or links.
The stylesheet is inline, with ``@media print`` rules so a browser prints it to PDF
with each section on a new page.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence

from analysis.charts import AnyChart
from analysis.exports import Footer, chart_svg

CHART_WIDTH = 620
STATUS_COLOURS = {"green": "#00703c", "amber": "#b35900", "red": "#d4351c", "grey": "#505a5f"}

STYLE = """
body { font-family: Arial, Helvetica, sans-serif; color: #0b0c0c; max-width: 60rem;
  margin: 0 auto; padding: 1.5rem; line-height: 1.45; font-size: 11pt; }
h1 { font-size: 1.9rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.4rem; border-bottom: 2px solid #1d70b8; padding-bottom: 0.2rem;
  margin-top: 2.2rem; }
h3 { font-size: 1.15rem; margin-top: 1.6rem; }
table { border-collapse: collapse; margin: 0.6rem 0 1rem; font-size: 0.9rem; }
th, td { border: 1px solid #b1b4b6; padding: 0.25rem 0.5rem; text-align: left;
  vertical-align: top; }
th { background: #f3f2f1; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.hash { font-family: "Courier New", monospace; font-size: 0.7rem; word-break: break-all;
          min-width: 33ch; }
.headline { font-size: 1.25rem; font-weight: bold; }
.sentence { background: #f3f2f1; border-left: 5px solid #1d70b8; padding: 0.5rem 0.8rem; }
.unavailable { background: #fff7e6; border-left: 5px solid #b35900; padding: 0.5rem 0.8rem; }
.status { display: inline-block; min-width: 4.2rem; padding: 0.05rem 0.35rem; color: #fff;
  font-weight: bold; font-size: 0.8rem; text-align: center; border-radius: 0.2rem; }
.meta { color: #505a5f; font-size: 0.9rem; }
figure { margin: 0.8rem 0; page-break-inside: avoid; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
code { font-family: "Courier New", monospace; font-size: 0.85rem; }
.summary-measure { break-inside: avoid; page-break-inside: avoid; }
.summary-measure h3 { margin: 0.9rem 0 0.2rem; }
.verdict { margin: 0.2rem 0; font-weight: bold; }
table.summary { width: 100%; margin: 0.3rem 0 0.6rem; }
table.summary th { width: 10rem; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  section.report-section { break-before: page; page-break-before: always; }
  section.report-section:first-of-type { break-before: auto; page-break-before: auto; }
  table, figure, .sentence { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
}
@page { size: A4; margin: 16mm; }
"""


def esc(value: object) -> str:
    """Text for HTML: ``None`` and NaN as an em dash, everything else escaped."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return html.escape(str(value), quote=True)


def para(text: str, css: str | None = None) -> str:
    """A paragraph of escaped text."""
    attr = f' class="{css}"' if css else ""
    return f"<p{attr}>{esc(text)}</p>"


def unavailable(what: str, reason: str) -> str:
    """The plain statement that a part of the report cannot be shown, and why."""
    reason = reason[:1].upper() + reason[1:]
    return f'<p class="unavailable"><strong>{esc(what)}: not available.</strong> {esc(reason)}</p>'


def bullets(lines: Iterable[str]) -> str:
    """An unordered list of escaped lines."""
    return "<ul>" + "".join(f"<li>{esc(line)}</li>" for line in lines) + "</ul>"


def table(
    header: Sequence[str], rows: Iterable[Sequence[object]], numeric: Sequence[int] = ()
) -> str:
    """A table of escaped cells; columns listed in ``numeric`` are right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="num">{esc(c)}</td>' if i in numeric else f"<td>{esc(c)}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def status_badge(status: str) -> str:
    """A coloured label with the status word (readable in greyscale print too)."""
    colour = STATUS_COLOURS.get(status, STATUS_COLOURS["grey"])
    return f'<span class="status" style="background:{colour}">{esc(status.upper())}</span>'


def figure(chart: AnyChart, caption: str, footer: Footer) -> str:
    """The chart as inline SVG with a caption (its alternative text)."""
    svg = chart_svg(chart.properties(width=CHART_WIDTH), footer)
    if svg.startswith("<?xml"):
        svg = svg.split("?>", 1)[1]
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{esc(caption)}" ', 1)
    return f"<figure>{svg}<figcaption class='meta'>{esc(caption)}</figcaption></figure>"


def section(key: str, title: str, body: str) -> str:
    """One report section (a new printed page)."""
    return f'<section class="report-section" id="{esc(key)}"><h2>{esc(title)}</h2>{body}</section>'


def document(title: str, body: str) -> str:
    """The whole self-contained HTML file."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )
