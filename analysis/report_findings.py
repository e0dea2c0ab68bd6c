"""The impact report's findings for each chosen measure, as HTML.

One block per measure and kind of finding: the effect (figures, sentence, chart and
credibility scorecard), the savings (events avoided and £ with intervals, by item, the
assumptions, ROI) and the inequality picture (SII/RII, gap, whether it narrowed). Each
takes the computed :class:`analysis.report.ReportData` and one
:class:`analysis.report.MeasureFindings`; a part the data cannot support says why
(:func:`analysis.report_html.unavailable`). Numbers are formatted as the pages show them.
"""

from __future__ import annotations

from analysis import charts_compare, charts_inequality, charts_savings
from analysis.exports import Footer
from analysis.inequality_view import (
    GLOSSARY,
    SIGN_CONVENTIONS,
    fitted_line,
    gap_sentence,
    sii_sentence,
)
from analysis.report import MeasureFindings, ReportData
from analysis.report_html import (
    bullets,
    esc,
    figure,
    para,
    status_badge,
    table,
    unavailable,
)
from analysis.savings_numbers import format_gbp
from analysis.usecases import format_p


def _footer(data: ReportData) -> Footer:
    return Footer(source="Health inequalities outcomes dashboard, impact report",
                  produced=data.produced.date())  # fmt: skip


def _interval(low: float, high: float, fmt=lambda x: f"{x:,.1f}") -> str:
    return f"{fmt(low)} to {fmt(high)}"


def _sig(x: float) -> str:
    """Three significant figures (whole numbers from 1,000), as the ``compare`` text output."""
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


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
        ("p-value", format_p(e.p_value)),
        ("Sites", f"{e.n_intervention} intervention vs {e.n_comparator} comparator"),
        ("Periods", f"{e.n_periods_pre} before, {e.n_periods_post} after the start"),
    ]
    if e.count_scale is not None:
        cs = e.count_scale
        rows.append(
            (
                "On the count scale",
                f"rate ratio {cs.rate_ratio:.3f} (95% CI {cs.rate_ratio_ci[0]:.3f} to "
                f"{cs.rate_ratio_ci[1]:.3f}, {cs.model})",
            )
        )
    if f.events is not None:
        rows.append((f.events.words.capitalize(), f.events.text()))
    elif f.events_problem:
        rows.append(("Events", f"not given: {f.events_problem}"))
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
            f"{(f.events.words if f.events else 'events avoided').capitalize()} over {years} years",
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
                f"{r.site_label}, {r.area_name}, by IMD {r.group_word} "
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
        parts.append(bullets(f"{term}: {meaning}" for term, meaning in GLOSSARY))
    parts.append("<h4>Did the programme narrow the gap?</h4>")
    e = f.gap_effect
    if r is None or e is None:
        parts.append(
            unavailable("Programme effect on the gap", f.gap_effect_problem or "not computed")
        )
    else:
        parts.append(para(e.sentence(r.sites_phrase), "headline"))
        parts.append(para("What this assumes:") + bullets(e.assumptions))
    parts.append("<h4>Did the gap narrow more than in comparator areas?</h4>")
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
