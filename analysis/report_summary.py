"""The report's first page: an executive summary a funder can read without a statistician.

For each measure, in this order: did it work (a verdict that never claims more than the
interval allows), by how much (the effect with its unit and, on counts, the relative
change), with what certainty (the 95% interval, the p-value and the credibility checks'
lights), what it saved (costs avoided and the net saving when a programme cost is given),
whether the gap narrowed (when the inequality section estimated it) and the main caveat.
Every figure is one the later sections show in full; nothing here is computed afresh.
"""

from __future__ import annotations

from collections import Counter

from analysis.report import MeasureFindings, ReportData
from analysis.report_html import STATUS_COLOURS, esc, unavailable
from analysis.savings_numbers import format_gbp
from analysis.usecases import format_p

MIN_TREATED_SITES = 10
VERDICT_WORDS = {"green": "YES", "red": "NO", "grey": "UNCLEAR"}


def _number(x: float) -> str:
    """Three significant figures (whole numbers from 1,000), as the effect sections."""
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def verdict(f: MeasureFindings) -> tuple[str, str]:
    """(light, words) answering "did it work?" for one measure.

    Green "Yes" only when the interval excludes no effect and the change is in the
    good direction; red "No" when it excludes no effect in the bad direction; grey
    otherwise (no clear difference, or a measure with no stated polarity).
    """
    if f.comparison is None:
        return "grey", "Not estimated"
    e = f.comparison.effect
    if not (e.ci_low > 0 or e.ci_high < 0):
        return "grey", "Not shown: the data cannot tell the effect apart from no effect"
    if f.higher_is_better is None:
        return "grey", "Changed (the measure has no stated polarity, so no better or worse)"
    if (e.estimate > 0) == f.higher_is_better:
        return "green", "Yes: better in the programme's sites than in the comparison sites"
    return "red", "No: worse in the programme's sites than in the comparison sites"


def how_much(f: MeasureFindings) -> str:
    """The effect with its unit, and the relative change on the count scale where there is one."""
    assert f.comparison is not None
    e = f.comparison.effect
    unit = "percentage points" if e.unit == "%" else e.unit
    text = f"{_number(e.estimate)} {unit}".strip()
    if e.count_scale is not None:
        change = e.count_scale.rate_ratio - 1
        text += f" ({abs(change):.0%} {'lower' if change < 0 else 'higher'} than expected)"
    return text


def certainty(f: MeasureFindings) -> str:
    """The interval, the p-value and the checks' lights."""
    assert f.comparison is not None
    e = f.comparison.effect
    lights = Counter(c.status for c in f.comparison.checks)
    checks = ", ".join(
        f"{lights[s]} {s}" for s in ("green", "amber", "red", "grey") if lights.get(s)
    )
    p = format_p(e.p_value)
    p_text = "no p-value" if p == "—" else f"p {p}" if p.startswith("<") else f"p = {p}"
    method = e.method_label.split(" (")[0].split(",")[0]
    return (
        f"{e.confidence:.0%} interval {_number(e.ci_low)} to {_number(e.ci_high)}; {p_text}; "
        f"{method}, {e.n_intervention} programme sites against {e.n_comparator} comparison sites"
        + (f"; credibility checks: {checks}" if checks else "")
    )


def saved(data: ReportData, f: MeasureFindings) -> str:
    """Costs avoided with their interval (and net saving), or why they are not given."""
    s = f.savings
    if s is None:
        if f.events is not None:
            return f"{f.events.text()}; not valued in £ ({f.savings_problem or 'no unit costs'})"
        return f"Not estimated: {f.savings_problem or f.events_problem or 'no effect to value'}"
    low, high = s.savings_gbp_ci
    text = (
        f"{format_gbp(s.savings_gbp)} over {s.assumptions.horizon_years:g} years (present value; "
        f"95% interval {format_gbp(low)} to {format_gbp(high)})"
    )
    if f.roi is not None:
        r = f.roi
        text += (
            f"; net of the {format_gbp(r.programme_cost_gbp)} programme cost "
            f"{format_gbp(r.net_saving_gbp)}, a {r.probability_net_saving:.0%} chance of a "
            "net saving"
        )
    if low < 0:
        text += ". The interval includes a cost: do not quote the central figure alone"
    return text


def gap_narrowed(f: MeasureFindings) -> str | None:
    """The programme's effect on the deprivation gap, when the inequality section has it."""
    if f.gap_effect is not None and f.inequality is not None:
        return f.gap_effect.sentence(f.inequality.sites_phrase)
    g = f.gap
    if g is not None and not g.problem and g.statement:
        return g.statement.split("\n")[0]
    return None


def main_caveat(data: ReportData, f: MeasureFindings) -> str:
    """The one caveat that binds most (a red check, few sites, an amber check, or the design)."""
    if f.comparison is None:
        return f.comparison_problem or "no effect could be estimated"
    red = [c for c in f.comparison.checks if c.status == "red"]
    if red:
        return f"{red[0].name}: {red[0].explanation}"
    e = f.comparison.effect
    if e.n_intervention < MIN_TREATED_SITES:
        return (
            f"only {e.n_intervention} programme site(s): intervals from so few sites tend to be "
            "too narrow; read them as optimistic"
        )
    amber = [c for c in f.comparison.checks if c.status == "amber"]
    if amber:
        return f"{amber[0].name}: {amber[0].explanation}"
    return (
        "an observational comparison, not a trial: the effect is the programme's only if the "
        "comparison sites show what would have happened without it"
    )


def summary_section(data: ReportData) -> str:
    """The executive summary: one block per measure (see the module docstring)."""
    if not data.findings:
        return unavailable(
            "Summary", "no measure has intervention and comparator sites (set them on Sites)"
        )
    parts = []
    for f in data.findings:
        light, words = verdict(f)
        rows: list[tuple[str, str]] = []
        if f.comparison is not None:
            rows += [
                ("By how much", how_much(f)),
                ("With what certainty", certainty(f)),
            ]
        rows.append(("What it saved", saved(data, f)))
        if "inequality" in data.options.sections:
            gap = gap_narrowed(f)
            rows.append(
                (
                    "Did the gap narrow?",
                    gap or f"Not estimated: {f.gap_effect_problem or 'no deprivation data'}",
                )
            )
        rows.append(("Main caveat", main_caveat(data, f)))
        body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
        parts.append(
            f"<div class='summary-measure'><h3>{esc(f.label)}</h3>"
            f"<p class='verdict'><span class='meta'>Did it work?</span> "
            f"<span class='status' style='background:{STATUS_COLOURS[light]}'>"
            f"{VERDICT_WORDS[light]}</span> "
            f"{esc(words)}</p><table class='summary'>{body}</table></div>"
        )
    return "".join(parts)
