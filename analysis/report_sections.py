"""The impact report's sections as HTML, one small function per section.

Each function takes the computed :class:`analysis.report.ReportData` and returns an
HTML fragment; a part the data cannot support says so in words
(:func:`analysis.report_html.unavailable`). Numbers are formatted as the pages show
them (effect to one decimal place, p to three, £ with
:func:`analysis.savings.format_gbp`). Only aggregates and tables the analysis functions
have already passed through small-number suppression appear here.
"""

from __future__ import annotations

import hashlib
import shlex

import pandas as pd

from analysis import charts_compare, charts_inequality, charts_savings
from analysis.defaults import DEFAULT_DIR
from analysis.exports import ATTRIBUTION, SUPPRESSION_NOTE, Footer
from analysis.inequality_view import (
    SIGN_CONVENTIONS,
    fitted_line,
    gap_sentence,
    sii_sentence,
    site_type_label,
)
from analysis.report import SECTIONS, MeasureFindings, ReportData, ReportOptions
from analysis.report_html import (
    bullets,
    document,
    esc,
    figure,
    para,
    section,
    status_badge,
    table,
    unavailable,
)
from analysis.savings import format_gbp

MIN_TREATED_CLUSTERS = 10
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


def _footer(data: ReportData) -> Footer:
    return Footer(source="Health inequalities outcomes dashboard, impact report",
                  produced=data.produced.date())  # fmt: skip


def _date(value: object) -> str:
    return "—" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%d %b %Y}"


def _interval(low: float, high: float, fmt=lambda x: f"{x:,.1f}") -> str:
    return f"{fmt(low)} to {fmt(high)}"


def _sig(x: float) -> str:
    """Three significant figures (whole numbers from 1,000), as the ``compare`` text output."""
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def reproduce_command(data: ReportData) -> str:
    """The command line that rebuilds this report from the same database."""
    o = data.options
    args = ["python", "-m", "analysis", "report", "--out", "report.html", "--db", data.db_path]
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
    """Title, date, tool version, database and the measures covered."""
    labels = ", ".join(f"{f.label} ({f.measure})" for f in data.findings) or "none"
    rows = [
        ("Produced", f"{data.produced:%d %B %Y %H:%M}"),
        ("Tool version", f"hiod {data.tool_version}"),
        ("Database", data.db_path),
        ("Measures", labels),
        ("Sections", ", ".join(SECTIONS[s] for s in data.options.sections)),
    ]
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return (
        f"<header><h1>{esc(data.options.title)}</h1>"
        f"<p class='meta'>Health inequalities outcomes dashboard</p>"
        f"<table>{body}</table>"
        f"<p class='meta'>To reproduce: <code>{esc(reproduce_command(data))}</code></p></header>"
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
                    (r.site_name, r.site_code, r.site_type, _date(r.start_date))
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
    return "".join(parts)


def _hash_cells(html_table: str, hashes: pd.Series) -> str:
    for value in hashes.dropna().unique():
        html_table = html_table.replace(
            f"<td>{esc(value)}</td>", f'<td class="hash">{esc(value)}</td>'
        )
    return html_table


def effect_block(data: ReportData, f: MeasureFindings) -> str:
    """One measure's effect: the figures, the sentence, the chart and the scorecard."""
    title = f"<h3>{esc(f.label)} <span class='meta'>({esc(f.measure)})</span></h3>"
    if f.comparison is None:
        return title + unavailable("Effect estimate", f.comparison_problem or "not computed")
    c, e = f.comparison, f.comparison.effect
    unit = f" {e.unit}" if e.unit else ""
    rows = [
        ("Method", e.method_label),
        ("Why this method", c.method_reason),
        (f"Effect ({e.unit or 'value'})", f"{e.estimate:,.1f}"),
        (f"{e.confidence:.0%} interval", _interval(e.ci_low, e.ci_high)),
        ("p-value", "—" if e.p_value is None else f"{e.p_value:.3f}"),
        ("Sites", f"{e.n_intervention} intervention vs {e.n_comparator} comparator"),
        ("Periods", f"{e.n_periods_pre} before, {e.n_periods_post} after the start"),
    ]
    if e.count_scale is not None:
        cs = e.count_scale
        rows.append(
            (
                "On the count scale",
                f"rate ratio {cs.rate_ratio:.3f} (95% CI {cs.rate_ratio_ci[0]:.3f} to "
                f"{cs.rate_ratio_ci[1]:.3f}, {cs.model}); {cs.events_avoided:,.0f} events "
                f"avoided over the post period (95% CI "
                f"{_interval(*cs.events_avoided_ci, '{:,.0f}'.format)})",
            )
        )
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    headline = (
        f"<p class='headline'>Effect: {esc(_sig(e.estimate) + unit)} "
        f"({esc(f'{e.confidence:.0%}')} interval {esc(_interval(e.ci_low, e.ci_high, _sig))})</p>"
    )
    chart = figure(
        charts_compare.effect_chart(c.series, f.label, e.unit, f.start_dates),
        f"{f.label}: intervention and comparator series, the counterfactual dashed, the "
        "programme start marked.",
        _footer(data),
    )
    score = "".join(
        f"<tr><td>{status_badge(k.status)}</td><th>{esc(k.name)}</th><td>{esc(k.explanation)}"
        "</td></tr>"
        for k in c.checks
    )
    notes = bullets(e.notes) if e.notes else ""
    return (
        title
        + headline
        + para(c.sentence, "sentence")
        + f"<table>{body}</table>"
        + chart
        + "<h4>Credibility scorecard</h4>"
        + f"<table><thead><tr><th>Status</th><th>Check</th><th>What it means</th></tr></thead>"
        f"<tbody>{score}</tbody></table>" + notes
    )


def effects_section(data: ReportData) -> str:
    """The headline effect of each chosen measure."""
    if not data.findings:
        return unavailable("Effects", "no measure has intervention and comparator sites")
    return "".join(effect_block(data, f) for f in data.findings)


def savings_block(data: ReportData, f: MeasureFindings) -> str:
    """One measure's costs avoided with intervals, by item, assumptions and ROI."""
    title = f"<h3>{esc(f.label)} <span class='meta'>({esc(f.measure)})</span></h3>"
    s = f.savings
    if s is None:
        return title + unavailable("Savings", f.savings_problem or "not computed")
    years = f"{s.assumptions.horizon_years:g}"
    headline = (
        f"<p class='headline'>Costs avoided over {esc(years)} years (present value): "
        f"{esc(format_gbp(s.savings_gbp))} (95% interval "
        f"{esc(_interval(*s.savings_gbp_ci, format_gbp))})</p>"
    )
    rows = [
        (
            f"Events avoided over {years} years",
            f"{s.events_avoided:,.0f} (95% interval "
            f"{_interval(*s.events_avoided_ci, '{:,.0f}'.format)})",
        ),
        (
            "Costs avoided (present value)",
            f"{format_gbp(s.savings_gbp)} (95% interval "
            f"{_interval(*s.savings_gbp_ci, format_gbp)})",
        ),
        (
            "Per event avoided",
            f"{format_gbp(s.saving_per_event_gbp)} (95% interval "
            f"{_interval(*s.saving_per_event_gbp_ci, format_gbp)})",
        ),
    ]
    if f.roi is not None:
        r = f.roi
        rows += [
            ("Programme cost", format_gbp(r.programme_cost_gbp)),
            (
                "Net saving",
                f"{format_gbp(r.net_saving_gbp)} (95% interval "
                f"{_interval(*r.net_saving_gbp_ci, format_gbp)})",
            ),
            (
                "Return on investment",
                f"{r.roi:.0%} (95% interval {_interval(*r.roi_ci, '{:.0%}'.format)})",
            ),
            (
                "Benefit-cost ratio",
                f"{r.benefit_cost_ratio:,.2f} (95% interval "
                f"{_interval(*r.benefit_cost_ratio_ci, '{:,.2f}'.format)})",
            ),
            ("Probability of a net saving", f"{r.probability_net_saving:.0%}"),
        ]
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    items = table(
        ["Item", "£ per event", "Share", "Price year", "Costs avoided", "95% interval"],
        (
            (
                i.item,
                f"£{i.cost_gbp:,.0f}",
                f"{i.share:g}",
                "not stated"
                if i.price_year is None
                else f"{i.price_year}/{(i.price_year + 1) % 100:02d}",
                format_gbp(i.savings_gbp),
                _interval(*i.savings_gbp_ci, format_gbp),
            )
            for i in s.by_item
        ),
        numeric=(1, 2, 4),
    )
    chart = figure(
        charts_savings.savings_by_item(s.by_item_frame(), "Costs avoided by item"),
        f"{f.label}: costs avoided by item with 95% intervals.",
        _footer(data),
    )
    warn = (
        para(
            "The interval includes a cost rather than a saving: the data do not rule out that "
            "events rose. Do not quote the central figure on its own.",
            "unavailable",
        )
        if s.savings_gbp_ci[0] < 0
        else ""
    )
    return (
        title
        + headline
        + warn
        + f"<table>{body}</table>"
        + items
        + chart
        + "<h4>Assumptions</h4>"
        + bullets(
            [
                *s.assumptions.lines(),
                "Costs avoided are not cash released: fewer admissions free beds and staff time "
                "for other patients unless capacity is taken out.",
            ]
        )
    )


def savings_section(data: ReportData) -> str:
    """Costs avoided for each chosen measure (where unit costs and an effect exist)."""
    if not data.findings:
        return unavailable("Savings", "no measure was chosen")
    intro = para(
        "Events avoided (from the effect and its interval) × the cost of each event, by item, "
        f"over {data.options.horizon_years:g} years discounted at "
        f"{data.options.discount_rate:.1%} a year (HM Treasury Green Book); the uncertainty is "
        f"carried through {data.options.draws:,} simulation draws."
        + ("" if data.options.programme_cost else " No programme cost was given: no ROI.")
    )
    return intro + "".join(savings_block(data, f) for f in data.findings)


def inequality_block(data: ReportData, f: MeasureFindings) -> str:
    """One measure by deprivation: SII/RII and gap, and whether the gap narrowed."""
    title = f"<h3>{esc(f.label)} <span class='meta'>({esc(f.measure)})</span></h3>"
    parts = [title]
    r = f.inequality
    if r is None:
        parts.append(unavailable("Slope index and gap", f.inequality_problem or "not computed"))
    else:
        latest = r.latest()
        parts.append(
            para(
                f"{site_type_label(r.site_type)}, {r.area_name}, by IMD {r.group_word} "
                f"(1 = most deprived). {r.method}",
                "meta",
            )
        )
        if latest is None:
            why = r.summary["note"].dropna()
            parts.append(
                unavailable(
                    "Slope index and gap", why.iloc[-1] if len(why) else "no period has one"
                )
            )
        else:
            if latest.notna()["sii"]:
                parts.append(
                    para(
                        f"SII {latest['sii']:,.2f} (95% CI {latest['sii_lower_ci']:,.2f} to "
                        f"{latest['sii_upper_ci']:,.2f}); RII {latest['rii']:,.3f} (95% CI "
                        f"{latest['rii_lower_ci']:,.3f} to {latest['rii_upper_ci']:,.3f}); "
                        f"{latest['period_label']}.",
                        "headline",
                    )
                )
                parts.append(para(sii_sentence(latest, f.unit, f.higher_is_better)))
            if latest.notna()["gap"]:
                parts.append(para(gap_sentence(latest, f.unit, f.higher_is_better)))
            groups = r.groups[r.groups["period_label"] == latest["period_label"]]
            parts.append(
                figure(
                    charts_inequality.quantile_bars(
                        groups,
                        fitted_line(groups, latest),
                        unit=f.unit,
                        title=f"{f.label} by IMD {r.group_word}, {latest['period_label']}",
                        group_word=r.group_word,
                    ),
                    f"{f.label} by deprivation group with 95% intervals and the SII's fitted line.",
                    _footer(data),
                )
            )
        if r.notes:
            parts.append(bullets(r.notes))
        parts.append(para(f"Sign conventions: {SIGN_CONVENTIONS}", "meta"))
    parts.append("<h4>Did the gap narrow?</h4>")
    g = f.gap
    if g is None:
        parts.append(
            unavailable(
                "Change in the gap",
                f"it needs a proportion or a rate with site counts (this measure: {f.kind})",
            )
        )
    elif g.problem:
        parts.append(unavailable("Change in the gap", g.problem))
    elif not g.statement:
        parts.append(
            unavailable(
                "Change in the gap",
                "the most or least deprived fifth pools a count of 1–7 in an arm, so its "
                "estimates are suppressed",
            )
        )
    else:
        lines = g.statement.split("\n")
        parts.append(para(lines[0]) + bullets(x.removeprefix("- ") for x in lines[1:-1]))
        parts.append(para(lines[-1], "meta"))
    if g is not None and g.notes:
        parts.append(bullets(g.notes))
    return "".join(parts)


def inequality_section(data: ReportData) -> str:
    """The inequality picture for each chosen measure."""
    if not data.findings:
        return unavailable("Inequality picture", "no measure was chosen")
    return "".join(inequality_block(data, f) for f in data.findings)


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
        f"Produced {data.produced:%d %B %Y} by hiod {data.tool_version} from {data.db_path}. "
        f"{ATTRIBUTION}",
        "meta",
    )
    return document(data.options.title, body + f"<footer>{footer}</footer>")
