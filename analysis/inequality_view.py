"""Who is left behind? A measure by deprivation, its slope index over time, and the gap.

What the Inequalities page and ``python -m analysis inequality`` show, per
period, from a measure's unsuppressed rows grouped by deprivation
(:mod:`analysis.inequality_groups`: :func:`~analysis.inequality_groups.site_quantile`,
:func:`~analysis.inequality_groups.choose_basis`):

1. **Each group's value** (:func:`quantile_table`), on one of three bases:
   ``counts`` (Σ numerator ÷ Σ denominator, with a Wilson or Byar/exact
   Poisson interval), ``published`` (one site per group: its published value
   and interval, e.g. directly standardised rates) or ``values`` (value-only
   sites: mean of the site values with a Student's t interval).
2. **Slope and relative index of inequality** per period
   (:func:`analysis.inequality_indices.slope_indices`, as PHEindicatormethods
   ``phe_sii``). **Sign: SII = fitted value at the least deprived end minus the most
   deprived end**, so a positive SII means higher values in less deprived areas;
   RII = the ratio of the two ends.
3. **The most-vs-least deprived fifth gap** per period
   (:func:`analysis.inequality_indices.gap_table`): **gap = least deprived fifth minus
   most deprived fifth**, so that, like the SII, a positive gap means higher values in
   less deprived areas (one sign convention everywhere, :data:`SIGN_CONVENTIONS`).

Whether the gap narrowed is :mod:`analysis.inequality_change_view`.

Group values computed from a count of 1–7 are suppressed, and so is the SII of
that period (the other groups and the SII would give the hidden one away).
What this shows and does not: area-level (ecological) inequality and a
straight line across deprivation ranks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import SupportsFloat, TypedDict

import numpy as np
import pandas as pd
from scipy import stats

from analysis.disclosure import DEFAULT_RULE, DisclosureRule, publishable, suppress
from analysis.inequality import relative_ranks
from analysis.inequality_groups import (
    ALL_AREAS,
    BREAKDOWN_TYPE,
    Basis,
    area_options,
    area_rows,
    choose_basis,
    default_quantiles,
    inequality_site_types,
    is_breakdown,
    quantile_options,
    reading_text,
    site_quantile,
    site_type_label,
)
from analysis.inequality_indices import DEFAULT_REPS, DEFAULT_SEED, gap_table, slope_indices
from analysis.rates import (
    MethodInputError,
    confidence_level,
    count_limits,
    wilson_limits,
    z_value,
)
from analysis.site_intervals import published_is_crude
from analysis.site_levels import type_phrase

BASIS_TEXT = {
    "counts": "pooled counts (Σ numerator ÷ Σ denominator) per group",
    "published": "each group's published value and interval (one row per group)",
    "values": "mean of the sites' published values per group (Student's t interval)",
}
SIGN_CONVENTIONS = (
    "The SII and the gap are both positive when values are higher in less deprived areas: "
    "SII = the fitted value at the least deprived end minus the most deprived end; gap = the "
    "least deprived fifth minus the most deprived fifth. RII = least ÷ most deprived end "
    "(above 1: higher in less deprived areas)."
)
GLOSSARY: tuple[tuple[str, str], ...] = (
    (
        "SII",
        "Slope index of inequality: a straight line is fitted across the deprivation groups "
        "(each weighted by its population, placed at the middle of its share of the "
        "population); the SII is the line's least deprived end minus its most deprived end, in "
        "the measure's unit (Low & Low 2004; PHE technical guide).",
    ),
    ("RII", "Relative index of inequality: the same line's least ÷ most deprived end; 1 = none."),
    (
        "The gap",
        "The least deprived fifth's value minus the most deprived fifth's (pooled counts).",
    ),
    (
        "By simulation",
        "The interval comes from redrawing each group's value many times from its own "
        "uncertainty, refitting the line each time and keeping the middle 95% of the results.",
    ),
    (
        "Programme effect on the gap",
        "The index after the start as observed minus the same index with each intervention "
        "site's values replaced by what the comparison says they would have been without the "
        "programme (its counterfactual).",
    ),
)


class TableSettings(TypedDict):
    """The arguments every table of :func:`inequality_result` shares."""

    kind: str
    multiplier: float
    basis: Basis
    confidence: float


def quantile_table(
    rows: pd.DataFrame,
    *,
    quantiles: int,
    kind: str,
    multiplier: float,
    basis: Basis,
    confidence: float = 0.95,
    rule: DisclosureRule = DEFAULT_RULE,
) -> pd.DataFrame:
    """Each deprivation group's value per period, with interval, on ``basis``.

    Returns one row per period and group: ``period_start``, ``period_label``,
    ``quantile``, ``n_sites``, ``numerator``, ``denominator``, ``population``
    (the SII weight: denominator, else the sites' population, else the number
    of sites), ``value``, ``lower_ci``, ``upper_ci``, ``se`` (standard error
    on the display scale, ``values`` basis only), ``method`` and
    ``suppressed``. Rows without a group are left out.
    """
    level = confidence_level(confidence)
    data = rows.assign(quantile=site_quantile(rows, quantiles)).dropna(subset=["quantile"])
    keys = ["period_start", "quantile"]
    grouped = data.groupby(keys, sort=True)
    out = grouped.agg(
        period_label=("period_label", "first"),
        n_sites=("site_code", "nunique"),
        numerator=("numerator", lambda s: s.sum(min_count=len(s))),
        denominator=("denominator", lambda s: s.sum(min_count=len(s))),
        site_population=("population", lambda s: s.sum(min_count=len(s))),
        value_mean=("value", "mean"),
        value_sd=("value", "std"),
        value_count=("value", "count"),
        lower_first=("lower_ci", "first"),
        upper_first=("upper_ci", "first"),
    ).reset_index()
    x, n = out["numerator"].to_numpy(float), out["denominator"].to_numpy(float)
    lower = np.full(len(out), np.nan)
    upper = np.full(len(out), np.nan)
    se = np.full(len(out), np.nan)
    if basis == "counts":
        value = x / n * multiplier
        if kind == "proportion":
            lo, hi = wilson_limits(x, n, level)
            method = "pooled counts, Wilson score interval"
        else:
            lo, hi, _ = count_limits(x, level)
            lo, hi = lo / n, hi / n
            method = "pooled counts, Byar's / exact Poisson interval"
        lower, upper = lo * multiplier, hi * multiplier
        population = n
    elif basis == "published":
        value = out["value_mean"].to_numpy(float)
        lower, upper = out["lower_first"].to_numpy(float), out["upper_first"].to_numpy(float)
        population = np.where(np.isnan(n), out["site_population"].to_numpy(float), n)
        method = "published value and interval"
    else:
        value = out["value_mean"].to_numpy(float)
        count = out["value_count"].to_numpy(float)
        se = out["value_sd"].to_numpy(float) / np.sqrt(count)
        with np.errstate(invalid="ignore"):
            half = stats.t.ppf(0.5 + level / 2, count - 1) * se
        lower, upper = value - half, value + half
        site_pop = out["site_population"].to_numpy(float)
        population = np.where(np.isnan(site_pop), out["n_sites"].to_numpy(float), site_pop)
        method = "mean of site values, Student's t interval"
    out["value"], out["lower_ci"], out["upper_ci"], out["se"] = value, lower, upper, se
    out["population"] = population
    out["method"] = method
    out = out[
        [
            "period_start",
            "period_label",
            "quantile",
            "n_sites",
            "numerator",
            "denominator",
            "population",
            "value",
            "lower_ci",
            "upper_ci",
            "se",
            "method",
        ]
    ]
    return suppress(out, ("numerator",), ("value", "lower_ci", "upper_ci", "se"), rule)


def fifths_table(
    rows: pd.DataFrame,
    qtable: pd.DataFrame,
    *,
    quantiles: int,
    kind: str,
    multiplier: float,
    basis: Basis,
    confidence: float = 0.95,
    rule: DisclosureRule = DEFAULT_RULE,
) -> pd.DataFrame:
    """The groups as fifths (quintiles) of deprivation, for the gap and the CLI.

    Quintiles are ``qtable`` itself; from deciles, sites are regrouped by
    quintile (counts, values) or, for one published row per decile, the two
    deciles of each fifth are combined: the population-weighted mean of their
    values, with a normal-approximation interval from their published ones.
    """
    if quantiles == 5:
        return qtable
    if basis != "published":
        return quantile_table(
            rows,
            quantiles=5,
            kind=kind,
            multiplier=multiplier,
            basis=basis,
            confidence=confidence,
            rule=rule,
        )
    z95, z = z_value(0.95), z_value(confidence)
    data = qtable.assign(
        _fifth=np.ceil(qtable["quantile"] / 2),
        _se=(qtable["upper_ci"] - qtable["lower_ci"]) / (2 * z95),
    )
    rows_out = []
    for (start, fifth), part in data.groupby(["period_start", "_fifth"], sort=True):
        weight = part["population"] / part["population"].sum()
        value = float((weight * part["value"]).sum(min_count=len(part)))
        se = float(np.sqrt((weight**2 * part["_se"] ** 2).sum(min_count=len(part))))
        rows_out.append(
            {
                "period_start": start,
                "period_label": part["period_label"].iloc[0],
                "quantile": fifth,
                "n_sites": int(part["n_sites"].sum()),
                "numerator": part["numerator"].sum(min_count=len(part)),
                "denominator": part["denominator"].sum(min_count=len(part)),
                "population": part["population"].sum(),
                "value": value,
                "lower_ci": value - z * se,
                "upper_ci": value + z * se,
                "se": se,
                "method": "population-weighted mean of two deciles' published values; "
                "interval by normal approximation",
                "suppressed": bool(part["suppressed"].any()),
            }
        )
    out = pd.DataFrame(rows_out)
    hidden = out["suppressed"]
    out.loc[hidden, ["value", "lower_ci", "upper_ci", "se"]] = np.nan
    return out


def period_summary(
    rows: pd.DataFrame,
    groups: pd.DataFrame,
    fifths: pd.DataFrame,
    *,
    quantiles: int,
    kind: str,
    multiplier: float,
    basis: Basis,
    confidence: float = 0.95,
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """The one per-period table of indices: :func:`slope_indices` joined to :func:`gap_table`.

    Every SII and gap per period (all sites here, one arm in
    :func:`analysis.inequality_change.inequality_by_period`) comes from this
    function, so a period is skipped by one rule (``note`` / ``gap_note`` say
    why) and seeded one way. Gap columns are prefixed ``gap``; ``n_sites``
    counts the sites of ``rows`` in each period.
    """
    common = TableSettings(kind=kind, multiplier=multiplier, basis=basis, confidence=confidence)
    sii = slope_indices(groups, quantiles=quantiles, reps=reps, seed=seed, **common)
    gap = gap_table(fifths, **common)
    summary = sii.merge(
        gap.drop(columns=["period_label"]).rename(
            columns={"method": "gap_method", "note": "gap_note"}
        ),
        on="period_start",
        how="outer",
    )
    summary["n_sites"] = summary["period_start"].map(
        rows.groupby("period_start")["site_code"].nunique()
    )
    return summary


@dataclass(frozen=True)
class InequalityResult:
    """A measure by deprivation in one area: group values, SII/RII and gap per period.

    ``groups`` is :func:`quantile_table`, ``fifths`` :func:`fifths_table`,
    ``summary`` one row per period joining :func:`slope_indices` and
    :func:`gap_table` (gap columns prefixed ``gap``), in the measure's display
    unit (percentage points for '%'); ``starts`` the programme start dates of
    the intervention sites among the rows analysed (none for breakdowns);
    ``site_label`` what the sites were read as
    (:func:`~analysis.inequality_groups.site_type_label`).
    """

    site_type: str
    area_code: str
    area_name: str
    quantiles: int
    basis: Basis
    kind: str
    multiplier: float
    confidence: float
    groups: pd.DataFrame
    fifths: pd.DataFrame
    summary: pd.DataFrame
    notes: tuple[str, ...]
    starts: tuple[pd.Timestamp, ...] = ()
    site_label: str = ""

    @property
    def group_word(self) -> str:
        """``"decile"`` or ``"quintile"``."""
        return "decile" if self.quantiles == 10 else "quintile"

    @property
    def sites_phrase(self) -> str:
        """The sites analysed, inside a sentence: "the GP practices in NHS Cheshire … ICB"."""
        kind = "sites" if self.site_type == BREAKDOWN_TYPE else type_phrase(self.site_type)
        return f"all {kind}" if self.area_code == ALL_AREAS else f"the {kind} in {self.area_name}"

    @property
    def method(self) -> str:
        """The methods behind the numbers, for display beside them."""
        sii = self.summary["method"].dropna()
        parts = [f"Groups: {BASIS_TEXT[self.basis]}."]
        if len(sii):
            parts.append(f"{sii.iloc[-1]}.")
        gaps = self.summary["gap_method"].dropna()
        if len(gaps):
            parts.append(f"Gap: {gaps.iloc[-1]}.")
        return " ".join(parts)

    def latest(self) -> pd.Series | None:
        """The latest period with an SII, else the latest with a gap, else None."""
        with_sii = self.summary[self.summary["sii"].notna()]
        if len(with_sii):
            return with_sii.iloc[-1]
        with_gap = self.summary[self.summary["gap"].notna()]
        return with_gap.iloc[-1] if len(with_gap) else None


def inequality_result(
    rows: pd.DataFrame,
    sites: pd.DataFrame,
    *,
    kind: str,
    multiplier: float,
    site_type: str | None = None,
    area: str | None = None,
    quantiles: int | None = None,
    confidence: float = 0.95,
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
    rule: DisclosureRule = DEFAULT_RULE,
) -> InequalityResult:
    """Everything the Inequalities page and CLI show for one measure, site type and area.

    Defaults: the first of :func:`~analysis.inequality_groups.inequality_site_types`
    (a pseudo-site breakdown when there is one), the first of
    :func:`~analysis.inequality_groups.area_options` (England, or all sites),
    and deciles for a breakdown by decile, else quintiles.
    ``rows`` are the measure's **unsuppressed** rows; suppression is applied
    to every group value here. Raises :class:`~analysis.rates.MethodInputError`
    when no site has deprivation data.
    """
    if kind not in ("proportion", "rate"):
        raise MethodInputError(f"inequality needs a proportion or a rate (this measure: {kind})")
    types = inequality_site_types(rows)
    if not types:
        raise MethodInputError(
            "no sites reporting this measure have an IMD decile or quintile: add them in a "
            "sites file (imd_decile, 1 = most deprived)"
        )
    site_type = site_type or types[0]
    options = area_options(rows, sites, site_type)
    if options.empty:
        raise MethodInputError(f"no {type_phrase(site_type)} have deprivation data")
    area = area or options["area_code"].iloc[0]
    chosen = options[options["area_code"] == area]
    area_name = chosen["area_name"].iloc[0] if len(chosen) else str(area)
    data = area_rows(rows, sites, site_type, area)
    data = data[site_quantile(data, 5).notna()]
    if data.empty:
        raise MethodInputError(f"no sites with deprivation data in {area_name}")
    allowed = quantile_options(data)
    if not allowed:
        raise MethodInputError(f"no sites with deprivation data in {area_name}")
    if quantiles is None:
        quantiles = default_quantiles(rows, site_type, allowed)
    if quantiles not in allowed:
        raise MethodInputError(
            f"these sites have no IMD {'deciles' if quantiles == 10 else 'quintiles'}"
        )
    basis = choose_basis(data, quantiles, multiplier)
    common = TableSettings(kind=kind, multiplier=multiplier, basis=basis, confidence=confidence)
    groups = quantile_table(data, quantiles=quantiles, rule=rule, **common)
    fifths = fifths_table(data, groups, quantiles=quantiles, rule=rule, **common)
    summary = period_summary(
        data, groups, fifths, quantiles=quantiles, reps=reps, seed=seed, **common
    )
    reading = reading_text(rows, site_type)
    notes = [reading] if reading else []
    if basis == "counts" and not bool(published_is_crude(data, multiplier).all()):
        notes.append(
            "The published values are standardised and cannot be pooled across sites: groups "
            "use crude rates pooled from the counts, so they differ from the published values."
        )
    if basis == "values":
        notes.append(
            "Value-only data: each group is the mean of its sites' values, weighted in the SII "
            "by "
            + (
                "population."
                if groups["population"].gt(groups["n_sites"]).all()
                else "the number of sites (populations unknown)."
            )
        )
    if groups["suppressed"].any():
        notes.append("Some group values come from counts of 1–7 and are suppressed (*).")
    starts: tuple[pd.Timestamp, ...] = ()
    if {"group", "start_date"} <= set(data.columns):
        intervention = data.loc[data["group"].eq("intervention"), "start_date"].dropna()
        starts = tuple(pd.Timestamp(t) for t in sorted(pd.to_datetime(intervention).unique()))
    return InequalityResult(
        site_type=site_type,
        area_code=str(area),
        area_name=str(area_name),
        quantiles=quantiles,
        basis=basis,
        kind=kind,
        multiplier=multiplier,
        confidence=confidence_level(confidence),
        groups=groups,
        fifths=fifths,
        summary=summary,
        notes=tuple(notes),
        starts=starts,
        site_label=site_type_label(site_type, is_breakdown(rows, site_type)),
    )


def fitted_line(groups: pd.DataFrame, summary_row: pd.Series | None) -> pd.DataFrame | None:
    """The SII's fitted line at each group's population-weighted rank: most + SII × rank.

    ``groups`` is one period of :func:`quantile_table`; ``summary_row`` that
    period's summary row. None when the period has no SII.
    """
    if summary_row is None or pd.isna(summary_row.get("sii")):
        return None
    part = groups.sort_values("quantile")
    rank = relative_ranks(part["population"].to_numpy(float))
    fitted = summary_row["fitted_most"] + summary_row["sii"] * rank
    return pd.DataFrame({"quantile": part["quantile"].to_numpy(), "fitted": fitted})


def unit_words(unit: str) -> str:
    """What a difference in ``unit`` is called (``%`` → percentage points)."""
    return "percentage points" if unit == "%" else (unit or "units")


def number_text(x: float) -> str:
    """A value for a sentence: one decimal from 10, two below."""
    return f"{x:,.1f}" if abs(x) >= 10 else f"{x:,.2f}"


def sii_sentence(row: pd.Series, unit: str, higher_is_better: bool | None) -> str:
    """The SII of one period in plain words, with its sign convention."""
    sii, lo, hi = row["sii"], row["sii_lower_ci"], row["sii_upper_ci"]
    words = unit_words(unit)
    if lo <= 0 <= hi:
        verdict = "the interval includes zero: no clear gradient by deprivation in this period"
    else:
        more = "higher" if sii > 0 else "lower"
        verdict = (
            f"values are {number_text(abs(sii))} {words} {more} at the least deprived end than at "
            "the most deprived end"
        )
        if higher_is_better is not None:
            least_better = (sii > 0) == bool(higher_is_better)
            verdict += (
                " (the most deprived fare worse)"
                if least_better
                else " (the most deprived fare better)"
            )
    return (
        f"{row['period_label']}: SII {number_text(sii)} {words} (95% CI {number_text(lo)} to "
        f"{number_text(hi)}): {verdict}."
    )


def gap_sentence(row: pd.Series, unit: str, higher_is_better: bool | None) -> str:
    """The most-vs-least deprived fifth gap of one period in plain words (least − most)."""
    gap = row["gap"]
    words = unit_words(unit)
    text = (
        f"{row['period_label']}: the least deprived fifth is at "
        f"{number_text(row['least_deprived'])}"
        f"{' ' + unit if unit and unit != '%' else unit}, the most deprived at "
        f"{number_text(row['most_deprived'])}"
        f"{' ' + unit if unit and unit != '%' else unit}: a gap "
        f"(least minus most deprived) of {number_text(gap)} {words}"
    )
    if pd.notna(row["gap_lower_ci"]):
        low, high = number_text(row["gap_lower_ci"]), number_text(row["gap_upper_ci"])
        text += f" (95% CI {low} to {high})"
    if higher_is_better is not None and gap != 0:
        worse = (gap > 0) == bool(higher_is_better)
        text += "; the most deprived fare worse" if worse else "; the most deprived fare better"
    return text + "."


def summary_table(result: InequalityResult) -> pd.DataFrame:
    """The per-period indices for screens and downloads: rounded, missing cells empty."""
    columns = [
        "period_label",
        "n_sites",
        "n_groups",
        "sii",
        "sii_lower_ci",
        "sii_upper_ci",
        "rii",
        "rii_lower_ci",
        "rii_upper_ci",
        "gap",
        "gap_lower_ci",
        "gap_upper_ci",
        "most_deprived",
        "least_deprived",
        "method",
        "gap_method",
        "note",
        "gap_note",
    ]
    values = tuple(c for c in columns[3:14])
    return publishable(
        result.summary.reindex(columns=columns),
        count_columns=("n_sites", "n_groups"),
        value_columns=values,
        decimals=3,
    )


def summary_display(result: InequalityResult, unit: str) -> pd.DataFrame:
    """The per-period indices as a reader sees them: labelled columns, each interval in one cell.

    The same figures as :func:`summary_table` (which keeps the machine names for
    downloads), two decimals, ``unit`` in the headers of the SII and the gap.
    """
    table = publishable(
        result.summary.reindex(
            columns=[
                "period_label", "n_sites", "n_groups", "sii", "sii_lower_ci", "sii_upper_ci",
                "rii", "rii_lower_ci", "rii_upper_ci", "gap", "gap_lower_ci", "gap_upper_ci",
                "most_deprived", "least_deprived", "note",
            ]
        ),
        count_columns=("n_sites", "n_groups"),
        value_columns=(
            "sii", "sii_lower_ci", "sii_upper_ci", "rii", "rii_lower_ci", "rii_upper_ci",
            "gap", "gap_lower_ci", "gap_upper_ci", "most_deprived", "least_deprived",
        ),
    )  # fmt: skip

    def span(low: pd.Series, high: pd.Series) -> pd.Series:
        both = (low != "") & (high != "")
        return (low + " to " + high).where(both, "")

    return pd.DataFrame(
        {
            "Period": table["period_label"],
            "Sites": table["n_sites"],
            "Groups": table["n_groups"],
            f"SII ({unit})": table["sii"],
            "SII 95% CI": span(table["sii_lower_ci"], table["sii_upper_ci"]),
            "RII": table["rii"],
            "RII 95% CI": span(table["rii_lower_ci"], table["rii_upper_ci"]),
            f"Gap ({unit})": table["gap"],
            "Gap 95% CI": span(table["gap_lower_ci"], table["gap_upper_ci"]),
            "Most deprived": table["most_deprived"],
            "Least deprived": table["least_deprived"],
            "Note": table["note"],
        }
    )


def result_records(result: InequalityResult, measure: str, unit: str) -> list[dict]:
    """One JSON-ready object per period: SII, RII, gap with intervals, and the group values."""
    records = []
    for row in result.summary.itertuples(index=False):
        groups = result.groups[result.groups["period_start"] == row.period_start]
        fifths = result.fifths[result.fifths["period_start"] == row.period_start]
        records.append(
            {
                "measure": measure,
                "period": row.period_label,
                "unit": unit,
                "site_type": result.site_type,
                "area": result.area_code,
                "area_name": result.area_name,
                "groups": f"IMD {result.group_word}s (1 = most deprived)",
                "basis": result.basis,
                "sii": _num(row.sii),
                "sii_ci": [_num(row.sii_lower_ci), _num(row.sii_upper_ci)],
                "rii": _num(row.rii),
                "rii_ci": [_num(row.rii_lower_ci), _num(row.rii_upper_ci)],
                "gap": _num(row.gap),
                "gap_ci": [_num(row.gap_lower_ci), _num(row.gap_upper_ci)],
                "confidence": result.confidence,
                "method": row.method if isinstance(row.method, str) else None,
                "gap_method": row.gap_method if isinstance(row.gap_method, str) else None,
                "note": row.note if isinstance(row.note, str) else None,
                "quantile_values": _group_records(groups),
                "quintile_values": _group_records(fifths),
            }
        )
    return records


def _group_records(frame: pd.DataFrame) -> list[dict]:
    return [
        {
            "quantile": int(g.quantile),
            "value": None if g.suppressed else _num(g.value),
            "lower_ci": None if g.suppressed else _num(g.lower_ci),
            "upper_ci": None if g.suppressed else _num(g.upper_ci),
            "n_sites": int(g.n_sites),
            "suppressed": bool(g.suppressed),
        }
        for g in frame.sort_values("quantile").itertuples(index=False)
    ]


def _num(x: SupportsFloat | None) -> float | None:
    return None if x is None or pd.isna(x) else float(x)
