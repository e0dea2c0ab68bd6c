"""The impact report as a document: heading, framing sections, and the whole page.

The heading (title, date, what it covers), the one-page summary
(:mod:`analysis.report_summary`), the programme and its areas, caveats, methods and
references, and last the data and provenance (tool version, database file, the command
that reproduces it; no local path), each a function of the computed
:class:`analysis.report.ReportData` returning an HTML fragment;
:func:`render` puts them in order around the per-measure findings of
:mod:`analysis.report_findings`. Only tables the analysis functions have already passed
through small-number suppression appear here.
"""

from __future__ import annotations

import hashlib
import shlex
from pathlib import PurePath

import pandas as pd

from analysis.defaults import DEFAULT_DIR
from analysis.exports import ATTRIBUTION, SUPPRESSION_NOTE
from analysis.report import SECTIONS, ReportData, ReportOptions
from analysis.report_findings import effects_section, inequality_section, savings_section
from analysis.report_html import (
    bullets,
    document,
    esc,
    para,
    section,
    table,
    unavailable,
)
from analysis.report_summary import summary_section

MIN_TREATED_CLUSTERS = 10
SITE_TYPE_WORDS = {
    "practice": "GP practice",
    "pcn": "PCN",
    "la": "local authority",
    "sub_icb": "sub-ICB location",
    "icb": "ICB",
    "region": "region",
    "country": "country",
    "other": "other",
}
REFERENCES = (
    "Wilson EB (1927). Probable inference, the law of succession, and statistical inference. "
    "Journal of the American Statistical Association 22:209-212 (proportions' intervals).",
    "Breslow NE, Day NE (1987). Statistical Methods in Cancer Research vol. II: Byar's "
    "approximation to the Poisson interval (rates).",
    "Dobson AJ, Kuulasmaa K, Eberle E, Scherer J (1991). Confidence intervals for weighted sums "
    "of Poisson parameters. Statistics in Medicine 10:457-462 (directly standardised rates).",
    "Callaway B, Sant'Anna PHC (2021). Difference-in-differences with multiple time periods. "
    "Journal of Econometrics 225:200-230 (staggered starts).",
    "Abadie A, Diamond A, Hainmueller J (2010). Synthetic control methods for comparative case "
    "studies. Journal of the American Statistical Association 105:493-505.",
    "Cameron AC, Miller DL (2015). A practitioner's guide to cluster-robust inference. Journal "
    "of Human Resources 50:317-372 (few intervention sites).",
    "Roth J (2022). Pretest with caution: event-study estimates after testing for parallel "
    "trends. American Economic Review: Insights 4:305-322.",
    "NHS England. Making Data Count: statistical process control (XmR charts).",
    "UKHSA. PHEindicatormethods R package: phe_sii (slope and relative index of inequality), "
    "phe_proportion, phe_rate, phe_dsr.",
    "HM Treasury (2022). The Green Book: appraisal and evaluation in central government "
    "(discount rate 3.5% a year).",
    "Briggs A, Claxton K, Sculpher M (2006). Decision Modelling for Health Economic "
    "Evaluation. OUP (probabilistic sensitivity analysis).",
    "Drummond MF et al. (2015). Methods for the Economic Evaluation of Health Care Programmes, "
    "4th ed. OUP (return on investment, benefit-cost ratio).",
)


def _date(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%d %b %Y}"


def reproduce_command(data: ReportData) -> str:
    """The command line that rebuilds this report from the same database (by its file name)."""
    o = data.options
    db = PurePath(data.db_path).name
    args = ["python", "-m", "analysis", "report", "--out", "report.html", "--db", db]
    for f in data.findings:
        args += ["--measure", f.measure]
    if tuple(o.sections) != tuple(SECTIONS):
        for s in o.sections:
            args += ["--section", s]
    if o.programme_cost:
        args += ["--programme-cost", f"{o.programme_cost:g}"]
    if o.title != ReportOptions.title:
        args += ["--title", o.title]
    return shlex.join(args)


def heading(data: ReportData) -> str:
    """Title, date and what the report covers (provenance is at the end)."""
    labels = "; ".join(f.label for f in data.findings) or "none"
    chosen = data.sites[data.sites["group"].eq("intervention")]
    programme = f"{len(chosen)} programme site(s)" if len(chosen) else "no programme sites set"
    return (
        f"<header><h1>{esc(data.options.title)}</h1>"
        f"<p class='meta'>{esc(f'{data.produced:%d %B %Y}')} · {esc(programme)} · "
        f"Measures: {esc(labels)}</p></header>"
    )


def provenance(data: ReportData) -> str:
    """Tool version, database file and the command that reproduces the report."""
    rows = [
        ("Produced", f"{data.produced:%d %B %Y %H:%M}"),
        ("Tool version", f"hiod {data.tool_version}"),
        ("Database", PurePath(data.db_path).name),
        ("Measures", ", ".join(f"{f.label} ({f.measure})" for f in data.findings) or "none"),
        ("Sections", ", ".join(SECTIONS[s] for s in data.options.sections)),
    ]
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return (
        f"<h3>How this report was made</h3><table>{body}</table>"
        f"<p class='meta'>To reproduce: <code>{esc(reproduce_command(data))}</code></p>"
    )


def programme_section(data: ReportData) -> str:
    """The intervention sites, their start dates (cohorts) and the comparators per measure."""
    sites = data.sites
    chosen = sites[sites["group"].eq("intervention")].sort_values(["start_date", "site_name"])
    if chosen.empty:
        parts = [unavailable("Programme areas", "no site is marked as an intervention site "
                             "(set a grouping on the Sites page)")]  # fmt: skip
    else:
        cohorts = chosen.groupby("start_date", dropna=False)["site_code"].count()
        parts = [
            para(
                f"{len(chosen)} intervention site(s) in {len(cohorts)} cohort(s) by start date: "
                + "; ".join(f"{_date(d)}: {n}" for d, n in cohorts.items())
                + "."
            ),
            table(
                ["Site", "Code", "Type", "Programme start"],
                (
                    (
                        r.site_name,
                        r.site_code,
                        SITE_TYPE_WORDS.get(r.site_type, r.site_type),
                        _date(r.start_date),
                    )
                    for r in chosen.itertuples()
                ),
            ),
        ]
    marked = int(sites["group"].eq("comparator").sum())
    parts.append(
        para(
            f"{marked} site(s) are marked as comparators."
            if marked
            else "No site is marked as a comparator: every other site of the same type that "
            "reports a measure is eligible as a comparator."
        )
    )
    if data.findings:
        parts.append(
            table(
                ["Measure", "Intervention sites reporting it", "Comparator sites"],
                (
                    (f"{f.label} ({f.measure})", len(f.intervention_sites), len(f.comparator_sites))
                    for f in data.findings
                ),
                numeric=(1, 2),
            )
        )
    return "".join(parts)


def data_section(data: ReportData) -> str:
    """Every load in the store (file, checksum, kind, rows, time, status) and the coverage."""
    loads = data.loads.sort_values("load_id")
    parts = [
        para(
            "Every file loaded into the database, with its SHA-256 checksum: the same files "
            "give the same figures. Rolled-back loads are listed but not used."
        ),
        table(
            ["Load", "File", "SHA-256", "Kind", "Rows", "Loaded", "Status"],
            (
                (
                    r.load_id,
                    r.file_name,
                    r.sha256,
                    r.kind,
                    f"{r.rows:,}",
                    f"{pd.Timestamp(r.loaded_at):%Y-%m-%d %H:%M}",
                    r.status,
                )
                for r in loads.itertuples()
            ),
            numeric=(0, 4),
        ),
    ]
    parts[-1] = _hash_cells(parts[-1], loads["sha256"])
    if len(data.overview):
        parts.append(
            table(
                ["Measure", "Kind", "Rows", "Sites", "First period", "Last period", "Counts"],
                (
                    (
                        r.measure,
                        r.kind,
                        f"{r.rows:,}",
                        f"{r.sites:,}",
                        r.first_period,
                        r.last_period,
                        "yes" if r.has_counts else "published values only",
                    )
                    for r in data.overview.itertuples()
                ),
                numeric=(2, 3),
            )
        )
    parts.append(para(f"Disclosure control: {SUPPRESSION_NOTE.lower()}. {ATTRIBUTION}", "meta"))
    parts.append(provenance(data))
    return "".join(parts)


def _hash_cells(html_table: str, hashes: pd.Series) -> str:
    for value in hashes.dropna().unique():
        html_table = html_table.replace(
            f"<td>{esc(value)}</td>", f'<td class="hash">{esc(value)}</td>'
        )
    return html_table


def methods_section(data: ReportData) -> str:
    """Each method by name, the ones used here first, with references."""
    used = sorted(
        {f.comparison.effect.method_label for f in data.findings if f.comparison is not None}
    )
    lines = [
        "Proportions: Wilson score interval. Rates: Byar's approximation (exact Poisson for "
        "small counts). Directly standardised rates: Dobson method (as PHEindicatormethods).",
        "Intervention vs comparator: the method is chosen from the data (shown with its reason "
        "for each measure): difference-in-differences (two-way fixed effects with standard "
        "errors clustered by site; Callaway & Sant'Anna for staggered starts; event-study "
        "pre-trend test), interrupted time series (segmented regression, Newey-West standard "
        "errors), or synthetic control (Abadie et al. 2010, in-space placebo p-value).",
        "Credibility scorecard: pre-trend test, placebo rank, pre-period fit, leave-one-out, "
        "periods before the start, number of intervention sites, small denominators; each "
        "threshold is stated beside its light.",
        "Inequality: slope and relative index of inequality across deprivation groups with "
        "population-weighted ranks and simulated intervals (PHEindicatormethods phe_sii); the "
        "gap between the most and least deprived fifths; whether it narrowed by "
        "difference-in-differences on the gap with bootstrap intervals.",
        "Savings: events avoided × unit cost × share, by item and year, discounted at 3.5% a "
        "year (HM Treasury Green Book); uncertainty by Monte Carlo simulation.",
        "Statistical process control, where used on the dashboard: NHS Making Data Count XmR "
        "charts.",
    ]
    used_text = para("Methods used in this report: " + "; ".join(used) + ".") if used else ""
    return used_text + bullets(lines) + "<h3>References</h3>" + bullets(REFERENCES)


def example_grouping(loads: pd.DataFrame) -> bool:
    """Whether the grouping in use is the bundled example's (its sites file, nothing later)."""
    bundled = DEFAULT_DIR / "sites.csv"
    if not bundled.exists():
        return False
    digest = hashlib.sha256(bundled.read_bytes()).hexdigest()
    active = loads[loads["status"].eq("active")]
    later = active[active["kind"].isin(["sites", "grouping"])]
    return bool(len(later)) and later.sort_values("load_id")["sha256"].iloc[-1] == digest


def caveats_section(data: ReportData) -> str:
    """Plain-English caveats, general and those the data raise."""
    lines = [
        "These are observational comparisons, not a randomised trial: an effect is the "
        "programme's only if the comparator areas show what would have happened without it.",
        "An interval that includes zero means the data cannot tell the effect apart from no "
        "effect; it is not proof that the programme made no difference.",
        "Costs avoided are not cash released: fewer admissions free capacity for other patients; "
        "budgets fall only if that capacity is taken out.",
        "Inequality indices describe areas, not individuals (an area-level, ecological picture).",
        "Counts of 1 to 7 are suppressed, with the values derived from them.",
    ]
    few = [
        f.label
        for f in data.findings
        if f.comparison is not None and f.comparison.effect.n_intervention < MIN_TREATED_CLUSTERS
    ]
    if few:
        lines.append(
            f"Few intervention sites ({', '.join(few)}): with fewer than {MIN_TREATED_CLUSTERS} "
            "the standard errors are too small and the intervals too narrow (Cameron & Miller "
            "2015); read them as optimistic."
        )
    red = [
        f"{f.label}: {c.name.lower()}"
        for f in data.findings
        if f.comparison is not None
        for c in f.comparison.checks
        if c.status == "red"
    ]
    if red:
        lines.append("Red checks on the scorecard: " + "; ".join(red) + ".")
    if example_grouping(data.loads):
        lines.append(
            "The intervention grouping is the bundled example (the community programme areas "
            "named in the data's notes), not a real programme's: set your own on the Sites page "
            "before quoting any figure."
        )
    missing = [f.label for f in data.findings if f.comparison is None]
    if missing:
        lines.append(
            "No effect could be estimated for: " + ", ".join(missing) + " (see each section)."
        )
    return bullets(lines)


RENDERERS = {
    "summary": summary_section,
    "programme": programme_section,
    "data": data_section,
    "effects": effects_section,
    "savings": savings_section,
    "inequality": inequality_section,
    "methods": methods_section,
    "caveats": caveats_section,
}


def render(data: ReportData) -> str:
    """The whole report: heading, then each chosen section in the standard order."""
    chosen = [s for s in SECTIONS if s in data.options.sections]
    body = heading(data) + "".join(
        section(key, SECTIONS[key], RENDERERS[key](data)) for key in chosen
    )
    footer = para(
        f"Produced {data.produced:%d %B %Y} by hiod {data.tool_version}. {ATTRIBUTION}", "meta"
    )
    return document(data.options.title, body + f"<footer>{footer}</footer>")
