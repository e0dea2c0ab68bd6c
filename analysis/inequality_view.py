"""Who is left behind? A measure by deprivation, its slope index over time, and the gap.

What the Inequalities page and ``python -m analysis inequality`` show, from a
measure's unsuppressed rows and the sites table:

1. **Sites → deprivation groups** (:func:`site_quantile`): each site's IMD
   decile (``imd_decile``, 1 = most deprived tenth of England) or quintile
   (``imd_quintile``, else ⌈decile ÷ 2⌉). Deprivation pseudo-sites (site type
   ``other``, e.g. England's districts grouped by IMD decile, or an ICB's
   practices by practice IMD quintile) are one site per group and are read per
   parent area; real sites (practices, PCNs, local authorities) are pooled
   into groups, for all of England or within an area they belong to.
2. **Each group's value** (:func:`quantile_table`), on one of three bases
   (:func:`choose_basis`): ``counts`` (Σ numerator ÷ Σ denominator, with a
   Wilson or Byar/exact Poisson interval), ``published`` (one site per group:
   its published value and interval, e.g. directly standardised rates) or
   ``values`` (value-only sites: mean of the site values with a Student's t
   interval).
3. **Slope and relative index of inequality** per period
   (:func:`slope_indices`, via :func:`analysis.inequality.slope_index`, as
   PHEindicatormethods ``phe_sii``: population-weighted ranks, simulated
   intervals). **Sign: SII = fitted value at the least deprived end minus the
   most deprived end**, so a positive SII means higher values in less deprived
   areas; RII = the ratio of the two ends.
4. **The most-vs-least deprived fifth gap** per period (:func:`gap_table`):
   **gap = most deprived fifth minus least deprived fifth**, so a positive gap
   means higher values in the most deprived fifth (Newcombe / MOVER intervals
   from counts, as :func:`analysis.inequality.deprivation_gap`).
5. **Did the gap narrow?** (:func:`gap_change`): the difference-in-differences
   of :func:`analysis.inequality_change.inequality_change` for intervention vs
   comparator areas, with a plain-English statement.

Group values computed from a count of 1–7 are suppressed, and so is the SII of
that period (the other groups and the SII would give the hidden one away).
What this shows and does not: area-level (ecological) inequality, a straight
line across deprivation ranks, and (for the change) an effect only under
parallel trends; see :mod:`analysis.inequality_change`.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from analysis.areas import (
    ancestors,
    area_choices,
    is_in,
    publishable,
    published_is_crude,
    type_name,
    type_phrase,
)
from analysis.disclosure import DEFAULT_RULE, DisclosureRule, suppress
from analysis.inequality import deprivation_gap, log_scale_se, relative_ranks, slope_index
from analysis.inequality_change import InequalityChange, inequality_by_period, inequality_change
from analysis.panel import PanelError
from analysis.rates import (
    MethodInputError,
    confidence_level,
    count_limits,
    wilson_limits,
    z_value,
)

Basis = Literal["counts", "published", "values"]
BREAKDOWN_TYPE = "other"
"""Site type of deprivation pseudo-sites: one site per deprivation group of a parent area."""
ALL_AREAS = "all"
SUPPRESSED_TEXT = "suppressed"
DEFAULT_REPS = 10_000
DEFAULT_SEED = 20_240_401
BASIS_TEXT = {
    "counts": "pooled counts (Σ numerator ÷ Σ denominator) per group",
    "published": "each group's published value and interval (one row per group)",
    "values": "mean of the sites' published values per group (Student's t interval)",
}
SIGN_CONVENTIONS = (
    "SII = the fitted value at the least deprived end minus the most deprived end (positive: "
    "higher in less deprived areas). RII = least ÷ most deprived end. Gap = most deprived "
    "fifth minus least deprived fifth (positive: higher in the most deprived fifth)."
)


def site_quantile(rows: pd.DataFrame, quantiles: int) -> pd.Series:
    """Each row's deprivation group: IMD decile (10) or quintile (5); NaN when unknown."""
    decile = pd.to_numeric(rows["imd_decile"], errors="coerce")
    if quantiles == 10:
        return decile
    if quantiles == 5:
        quintile = pd.to_numeric(rows.get("imd_quintile"), errors="coerce")
        return quintile.fillna(np.ceil(decile / 2))
    raise MethodInputError("deprivation groups are deciles (10) or quintiles (5)")


def inequality_site_types(rows: pd.DataFrame) -> list[str]:
    """Site types with deprivation known: pseudo-site breakdowns first, then most sites first."""
    known = rows[site_quantile(rows, 5).notna()]
    counts = known.groupby("site_type")["site_code"].nunique()
    counts = counts[counts >= 2]
    ordered = sorted(counts.index, key=lambda t: (t != BREAKDOWN_TYPE, -counts[t]))
    return list(ordered)


def quantile_options(rows: pd.DataFrame) -> list[int]:
    """Deciles (10) when every site has one, and quintiles (5) whenever deprivation is known."""
    options = []
    if rows["imd_decile"].notna().all() and rows["imd_decile"].nunique() >= 5:
        options.append(10)
    if site_quantile(rows, 5).notna().any():
        options.append(5)
    return options


def default_quantiles(site_type: str, allowed: list[int]) -> int:
    """Deciles for a breakdown published by decile (e.g. England's districts), else quintiles."""
    if site_type == BREAKDOWN_TYPE and 10 in allowed:
        return 10
    return 5 if 5 in allowed else allowed[0]


def site_type_label(site_type: str) -> str:
    """Picker label: pseudo-site breakdowns say what they are."""
    if site_type == BREAKDOWN_TYPE:
        return "Deprivation groups (published, one row per group of an area)"
    return f"{type_name(site_type)} grouped by their IMD"


def area_options(rows: pd.DataFrame, sites: pd.DataFrame, site_type: str) -> pd.DataFrame:
    """Areas to read the inequality for: ``area_code``, ``area_name``, ``area_type``, ``n_sites``.

    Pseudo-sites (type ``other``) are read per parent area (their parent
    code), England first. Real sites may be pooled for all sites of the type
    (``area_code`` = :data:`ALL_AREAS`) or within any area above them except
    PCNs (too few sites for five groups).
    """
    typed = rows[(rows["site_type"] == site_type) & site_quantile(rows, 5).notna()]
    names = sites.drop_duplicates("site_code").set_index("site_code")
    if site_type == BREAKDOWN_TYPE:
        parents = typed.dropna(subset=["parent_code"]).groupby("parent_code")["site_code"]
        out = parents.nunique().rename("n_sites").reset_index()
        out = out.rename(columns={"parent_code": "area_code"})
        out["area_name"] = names["site_name"].reindex(out["area_code"]).to_numpy()
        out["area_type"] = names["site_type"].reindex(out["area_code"]).to_numpy()
        order = {"country": 0, "region": 1, "icb": 2}
        out["_o"] = out["area_type"].map(order).fillna(3)
        out = out.sort_values(["_o", "area_name"]).drop(columns="_o")
        return out[["area_code", "area_name", "area_type", "n_sites"]].reset_index(drop=True)
    first = pd.DataFrame(
        {
            "area_code": [ALL_AREAS],
            "area_name": [f"All {type_phrase(site_type)}"],
            "area_type": [None],
            "n_sites": [typed["site_code"].nunique()],
        }
    )
    above = area_choices(typed["site_code"], sites)
    above = above[(above["area_type"] != "pcn") & (above["n_sites"] >= 5)]
    return pd.concat([first, above], ignore_index=True)


def area_rows(
    rows: pd.DataFrame, sites: pd.DataFrame, site_type: str, area: str | None
) -> pd.DataFrame:
    """The rows of ``site_type`` in ``area`` (a parent for pseudo-sites, an ancestor otherwise)."""
    typed = rows[rows["site_type"] == site_type]
    if area in (None, ALL_AREAS):
        if site_type == BREAKDOWN_TYPE and typed["parent_code"].nunique() > 1:
            raise MethodInputError(
                "deprivation groups of several areas cannot be pooled: choose an area"
            )
        return typed
    if site_type == BREAKDOWN_TYPE:
        return typed[typed["parent_code"] == area]
    pairs = ancestors(sites)
    inside = pairs.loc[pairs["ancestor_code"] == area, "site_code"]
    return typed[is_in(typed["site_code"], inside)]


def choose_basis(rows: pd.DataFrame, quantiles: int, multiplier: float) -> Basis:
    """How group values are formed (module docstring): counts, published or values.

    Counts when every row has them and either the published value is the crude
    one or groups hold several sites (age-standardised values cannot be
    pooled; pooled crude rates are used instead); published when each group
    is one site; otherwise the mean of site values.
    """
    has_counts = bool((rows["numerator"].notna() & (rows["denominator"] > 0)).all())
    q = site_quantile(rows, quantiles)
    one_each = bool((rows.assign(_q=q).groupby(["period_start", "_q"]).size() == 1).all())
    crude = bool(published_is_crude(rows, multiplier).all()) if has_counts else False
    if has_counts and (crude or not one_each):
        return "counts"
    if one_each:
        return "published"
    return "values"


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


def slope_indices(
    qtable: pd.DataFrame,
    *,
    quantiles: int,
    kind: str,
    multiplier: float,
    basis: Basis,
    confidence: float = 0.95,
    reps: int = DEFAULT_REPS,
    seed: int = DEFAULT_SEED,
) -> pd.DataFrame:
    """SII and RII per period from a :func:`quantile_table` (``phe_sii`` method, simulated CIs).

    Values are passed as proportions of 1 or rates per person with
    ``multiplier`` (so the SII is in the display unit); standard errors from
    the counts (log scale for rates, logit for proportions), from the
    published intervals, or from the spread of site values (normal scale).
    A period is skipped, with ``note`` saying why, when a group is missing,
    suppressed, has no interval or (for counts) no events. Returns
    ``period_start``, ``period_label``, ``sii``, ``sii_lower_ci``,
    ``sii_upper_ci``, ``rii``, ``rii_lower_ci``, ``rii_upper_ci``,
    ``fitted_most``, ``fitted_least`` (the line's ends, display unit),
    ``n_groups``, ``method`` and ``note``.
    """
    rows = []
    rng = np.random.default_rng(seed)
    for start, part in qtable.groupby("period_start", sort=True):
        part = part.sort_values("quantile")
        row = {"period_start": start, "period_label": part["period_label"].iloc[0]}
        problem = _sii_problem(part, quantiles, kind, basis)
        period_seed = int(rng.integers(2**32))
        if problem:
            rows.append(row | {"n_groups": len(part), "note": problem})
            continue
        q = part["quantile"].to_numpy(float)
        pop = part["population"].to_numpy(float)
        value = part["value"].to_numpy(float) / multiplier
        args: dict = {"value_type": kind if basis != "values" else "normal"}
        if basis == "counts":
            x, n = part["numerator"].to_numpy(float), part["denominator"].to_numpy(float)
            args["se"] = log_scale_se(x, n, kind)
        elif basis == "published":
            args["lower_ci"] = part["lower_ci"].to_numpy(float) / multiplier
            args["upper_ci"] = part["upper_ci"].to_numpy(float) / multiplier
        else:
            args["se"] = part["se"].to_numpy(float) / multiplier
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            index = slope_index(
                q,
                pop,
                value,
                multiplier=multiplier,
                confidence=confidence,
                reps=reps,
                seed=period_seed,
                **args,
            )
        (sii_ci,), (rii_ci,) = index.sii_ci, index.rii_ci
        most = index.intercept * multiplier
        rows.append(
            row
            | {
                "sii": index.sii,
                "sii_lower_ci": sii_ci.lower,
                "sii_upper_ci": sii_ci.upper,
                "rii": index.rii,
                "rii_lower_ci": rii_ci.lower,
                "rii_upper_ci": rii_ci.upper,
                "fitted_most": most,
                "fitted_least": most + index.sii,
                "n_groups": index.n_quantiles,
                "method": index.method,
                "note": None,
            }
        )
    columns = [
        "period_start",
        "period_label",
        "sii",
        "sii_lower_ci",
        "sii_upper_ci",
        "rii",
        "rii_lower_ci",
        "rii_upper_ci",
        "fitted_most",
        "fitted_least",
        "n_groups",
        "method",
        "note",
    ]
    return pd.DataFrame(rows).reindex(columns=columns)


def _sii_problem(part: pd.DataFrame, quantiles: int, kind: str, basis: Basis) -> str | None:
    present = sorted(int(q) for q in part["quantile"])
    if len(present) < 5:
        return (
            f"the SII needs at least 5 deprivation groups; this period has {len(present)} "
            f"({', '.join(map(str, present))})"
        )
    if len(present) != quantiles:
        missing = sorted(set(range(1, quantiles + 1)) - set(present))
        return f"no sites in group(s) {', '.join(map(str, missing))}"
    if part["suppressed"].any():
        return "a group's count is 1–7 (suppressed), so the SII is not shown"
    no_interval = part["lower_ci"].isna().any() or part["upper_ci"].isna().any()
    if basis == "published" and no_interval:
        return (
            "the groups are published values without intervals (e.g. medians of practices): "
            "the SII needs each group's uncertainty and population"
        )
    if (part["population"] <= 0).any() or part["population"].isna().any():
        return "a group has no population to weight the SII by"
    if basis == "counts":
        x, n = part["numerator"], part["denominator"]
        if (x <= 0).any() or (kind == "proportion" and (x >= n).any()):
            return "a group has no events (or all), so its standard error is undefined"
    elif basis == "values" and part["se"].isna().any():
        return "a group has fewer than 2 sites, so the spread of its values is unknown"
    return None


def gap_table(
    fifths: pd.DataFrame,
    *,
    kind: str,
    multiplier: float,
    basis: Basis,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Most deprived fifth minus least deprived fifth per period, with its interval.

    From counts: :func:`analysis.inequality.deprivation_gap` (Newcombe's
    hybrid score interval for proportions; MOVER, Zou & Donner 2008, for
    rates). Otherwise the difference of the two values with a normal
    interval from their intervals (√(se₁² + se₅²)), or no interval when the
    values have none. Returns ``period_start``, ``period_label``, ``gap``,
    ``gap_lower_ci``, ``gap_upper_ci``, ``most_deprived``, ``least_deprived``,
    ``method`` and ``note``.
    """
    level = confidence_level(confidence)
    rows = []
    for start, part in fifths.groupby("period_start", sort=True):
        row = {"period_start": start, "period_label": part["period_label"].iloc[0]}
        ends = part.set_index("quantile")
        if 1 not in ends.index or 5 not in ends.index:
            rows.append(row | {"note": "the most or least deprived fifth has no sites"})
            continue
        most, least = ends.loc[1], ends.loc[5]
        if most["suppressed"] or least["suppressed"]:
            rows.append(row | {"note": "a fifth's count is 1–7 (suppressed)"})
            continue
        note = None
        if 2 not in ends.index:
            note = "the most deprived group also covers the second fifth, so the gap is understated"
        if basis == "counts":
            gap = deprivation_gap(
                (most["numerator"], least["numerator"]),
                (most["denominator"], least["denominator"]),
                "proportion" if kind == "proportion" else "rate",
                level,
                multiplier,
            )
            value, lower, upper, method = gap.value, gap.lower, gap.upper, gap.method
        else:
            value = float(most["value"] - least["value"])
            z95 = z_value(0.95)
            se = [
                e["se"] if not math.isnan(e["se"]) else (e["upper_ci"] - e["lower_ci"]) / (2 * z95)
                for e in (most, least)
            ]
            spread = math.hypot(*se) if not any(math.isnan(s) for s in se) else math.nan
            half = z_value(level) * spread
            lower, upper = value - half, value + half
            method = (
                "difference of values, normal interval from the groups' intervals"
                if not math.isnan(spread)
                else "difference of values (no interval: value-only data)"
            )
        rows.append(
            row
            | {
                "gap": value,
                "gap_lower_ci": lower,
                "gap_upper_ci": upper,
                "most_deprived": float(most["value"]),
                "least_deprived": float(least["value"]),
                "method": method,
                "note": note,
            }
        )
    columns = [
        "period_start",
        "period_label",
        "gap",
        "gap_lower_ci",
        "gap_upper_ci",
        "most_deprived",
        "least_deprived",
        "method",
        "note",
    ]
    return pd.DataFrame(rows).reindex(columns=columns)


@dataclass(frozen=True)
class InequalityResult:
    """A measure by deprivation in one area: group values, SII/RII and gap per period.

    ``groups`` is :func:`quantile_table`, ``fifths`` :func:`fifths_table`,
    ``summary`` one row per period joining :func:`slope_indices` and
    :func:`gap_table` (gap columns prefixed ``gap``), in the measure's display
    unit (percentage points for '%'); ``starts`` the programme start dates of
    the intervention sites among the rows analysed (none for breakdowns).
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

    @property
    def group_word(self) -> str:
        """``"decile"`` or ``"quintile"``."""
        return "decile" if self.quantiles == 10 else "quintile"

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

    Defaults: the first of :func:`inequality_site_types` (a pseudo-site
    breakdown when there is one), the first of :func:`area_options` (England,
    or all sites), and deciles for a breakdown by decile, else quintiles.
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
        quantiles = default_quantiles(site_type, allowed)
    if quantiles not in allowed:
        raise MethodInputError(
            f"these sites have no IMD {'deciles' if quantiles == 10 else 'quintiles'}"
        )
    basis = choose_basis(data, quantiles, multiplier)
    common = {"kind": kind, "multiplier": multiplier, "basis": basis, "confidence": confidence}
    groups = quantile_table(data, quantiles=quantiles, rule=rule, **common)
    fifths = fifths_table(data, groups, quantiles=quantiles, rule=rule, **common)
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
        data.groupby("period_start")["site_code"].nunique()
    )
    notes = []
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


def _unit_words(unit: str) -> str:
    return "percentage points" if unit == "%" else (unit or "units")


def _number(x: float) -> str:
    return f"{x:,.1f}" if abs(x) >= 10 else f"{x:,.2f}"


def sii_sentence(row: pd.Series, unit: str, higher_is_better: bool | None) -> str:
    """The SII of one period in plain words, with its sign convention."""
    sii, lo, hi = row["sii"], row["sii_lower_ci"], row["sii_upper_ci"]
    words = _unit_words(unit)
    if lo <= 0 <= hi:
        verdict = "the interval includes zero: no clear gradient by deprivation in this period"
    else:
        more = "higher" if sii > 0 else "lower"
        verdict = (
            f"values are {_number(abs(sii))} {words} {more} at the least deprived end than at "
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
        f"{row['period_label']}: SII {_number(sii)} {words} (95% CI {_number(lo)} to "
        f"{_number(hi)}): {verdict}."
    )


def gap_sentence(row: pd.Series, unit: str, higher_is_better: bool | None) -> str:
    """The most-vs-least deprived fifth gap of one period in plain words."""
    gap = row["gap"]
    words = _unit_words(unit)
    text = (
        f"{row['period_label']}: the most deprived fifth is at {_number(row['most_deprived'])}"
        f"{' ' + unit if unit and unit != '%' else unit}, the least deprived at "
        f"{_number(row['least_deprived'])}{' ' + unit if unit and unit != '%' else unit}: a gap "
        f"(most minus least deprived) of {_number(gap)} {words}"
    )
    if pd.notna(row["gap_lower_ci"]):
        text += f" (95% CI {_number(row['gap_lower_ci'])} to {_number(row['gap_upper_ci'])})"
    if higher_is_better is not None and gap != 0:
        worse = (gap < 0) == bool(higher_is_better)
        text += "; the most deprived fare worse" if worse else "; the most deprived fare better"
    return text + "."


@dataclass(frozen=True)
class GapChange:
    """The "Did the gap narrow?" answer: the DiD, its table and statement, or why not.

    ``change`` is None when the estimate cannot be made; ``problem`` then says
    why in plain words. ``by_arm`` is the SII and gap per arm and period
    (:func:`analysis.inequality_change.inequality_by_period`), shown either way.
    """

    change: InequalityChange | None
    table: pd.DataFrame | None
    statement: str
    problem: str | None
    by_arm: pd.DataFrame
    notes: tuple[str, ...]


def change_table(change: InequalityChange, hidden: frozenset[int] = frozenset()) -> pd.DataFrame:
    """One row per estimate (SII, gap, each quintile): DiD, interval, the four levels, direction.

    ``hidden`` lists quintiles whose pooled count in an arm and phase is 1–7: their rows
    (and the gap's, when quintile 1 or 5 is among them) are suppressed (NaN, ``suppressed``).
    """
    rows = []
    for estimate in (change.sii, change.gap, *change.by_quintile):
        rows.append(
            {
                "measure": estimate.measure,
                "estimate": estimate.estimate,
                "ci_low": estimate.ci_low,
                "ci_high": estimate.ci_high,
                "intervention_before": estimate.intervention_before,
                "intervention_after": estimate.intervention_after,
                "comparator_before": estimate.comparator_before,
                "comparator_after": estimate.comparator_after,
                "direction": _estimate_direction(estimate, change),
            }
        )
    out = pd.DataFrame(rows)
    flagged = [f"IMD quintile {q}" for q in sorted(hidden)]
    if hidden & {1, 5}:
        flagged.append(change.gap.measure)
    out["suppressed"] = out["measure"].isin(flagged)
    numbers = [c for c in out.columns if c not in ("measure", "direction", "suppressed")]
    out.loc[out["suppressed"], numbers] = np.nan
    out.loc[out["suppressed"], "direction"] = SUPPRESSED_TEXT
    return out


def _estimate_direction(estimate, change: InequalityChange) -> str:
    if estimate is change.sii or estimate is change.gap:
        return estimate.direction
    if estimate.ci_low <= 0 <= estimate.ci_high:
        return "no clear change"
    return "higher" if estimate.estimate > 0 else "lower"


def small_cells(
    panel: pd.DataFrame, programme_start: pd.Timestamp, rule: DisclosureRule = DEFAULT_RULE
) -> frozenset[int]:
    """IMD quintiles whose pooled count in some arm and phase (before/after) is 1–7."""
    if not rule.enabled:
        return frozenset()
    data = panel.dropna(subset=["numerator", "denominator", "imd_decile"])
    start = data["start_date"].where(data["group"] == "intervention", programme_start)
    after = data["period_start"] >= start.fillna(programme_start)
    quintile = np.ceil(data["imd_decile"] / 2)
    sums = data.groupby([data["group"], after.rename("after"), quintile])["numerator"].sum()
    small = sums[(sums >= rule.low) & (sums <= rule.high)]
    return frozenset(int(q) for q in small.index.get_level_values(-1))


def change_statement(change: InequalityChange, unit: str, higher_is_better: bool | None) -> str:
    """A careful plain-English reading of :func:`inequality_change`'s gap and SII estimates."""
    words = _unit_words(unit)
    gap, sii = change.gap, change.sii
    start = f"{change.programme_start:%B %Y}"
    lines = [
        f"Before and after {start} (intervention sites from their own start date), comparing "
        f"{change.n_intervention_sites:,} intervention with {change.n_comparator_sites:,} "
        "comparator sites:",
        f"- The gap between the most and least deprived fifth (most minus least deprived) went "
        f"from {_number(gap.intervention_before)} to {_number(gap.intervention_after)} {words} "
        f"in intervention areas and from {_number(gap.comparator_before)} to "
        f"{_number(gap.comparator_after)} in comparator areas. Difference-in-differences: "
        f"{_number(gap.estimate)} {words} (95% CI {_number(gap.ci_low)} to "
        f"{_number(gap.ci_high)}): relative to comparator areas the gap "
        + _direction_words(gap.direction)
        + ".",
        f"- The slope index (least minus most deprived end) changed by {_number(sii.estimate)} "
        f"{words} more in intervention than comparator areas (95% CI {_number(sii.ci_low)} to "
        f"{_number(sii.ci_high)}): the gradient " + _direction_words(sii.direction) + ".",
    ]
    q1 = change.by_quintile[0]
    if not q1.ci_low <= 0 <= q1.ci_high:
        better = (
            (q1.estimate > 0) == bool(higher_is_better) if higher_is_better is not None else None
        )
        judged = "" if better is None else (" (an improvement)" if better else " (a worsening)")
        lines.append(
            f"- In the most deprived fifth, intervention areas moved {_number(q1.estimate)} "
            f"{words} relative to comparators (95% CI {_number(q1.ci_low)} to "
            f"{_number(q1.ci_high)}){judged}."
        )
    lines.append(
        "This is a programme effect only if, without the programme, the gap would have changed "
        "alike in both groups of areas (parallel trends) and nothing else changed at the start. "
        "It describes areas, not individuals. An interval that includes zero means no clear "
        "change, not evidence of no change."
    )
    return "\n".join(lines)


def _direction_words(direction: str) -> str:
    return {
        "narrowed": "narrowed",
        "widened": "widened",
        "no clear change": "showed no clear change (the interval includes zero)",
    }[direction]


def gap_change(
    panel: pd.DataFrame,
    *,
    kind: str,
    multiplier: float,
    unit: str,
    higher_is_better: bool | None,
    reps: int = 2000,
    seed: int = DEFAULT_SEED,
    rule: DisclosureRule = DEFAULT_RULE,
) -> GapChange:
    """Whether the deprivation gap narrowed more in intervention than in comparator areas.

    ``panel`` is the estimator panel (:func:`analysis.arms.build_panel`):
    intervention and comparator sites with counts, IMD deciles and start
    dates. Returns a :class:`GapChange`; when the estimate cannot be made
    (value-only data, no intervention sites, a quintile without sites in an
    arm before or after the start) ``problem`` says so and what would help.
    """
    notes: list[str] = []
    by_arm = pd.DataFrame()
    counted = panel.dropna(subset=["numerator", "denominator", "imd_decile"])
    if kind in ("proportion", "rate") and not counted.empty:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            by_arm = inequality_by_period(
                counted, kind, multiplier=multiplier, seed=seed, reps=DEFAULT_REPS
            )
        notes += _skipped_arm_periods(counted, by_arm)
    if not (panel["group"] == "intervention").any():
        problem = "No intervention site reports this measure: set a grouping on the Sites page."
        return GapChange(None, None, "", problem, by_arm, tuple(notes))
    if kind not in ("proportion", "rate") or panel["numerator"].isna().all():
        problem = (
            "This needs counts (numerator and denominator) per site: this measure has published "
            "values only."
        )
        return GapChange(None, None, "", problem, by_arm, tuple(notes))
    try:
        change = inequality_change(panel, multiplier=multiplier, reps=reps, seed=seed)
    except PanelError as exc:
        problem = (
            f"The change cannot be estimated: {exc}. It needs intervention and comparator sites "
            "in every IMD quintile, both before and after the programme start (sites with counts "
            "and an IMD decile); with the current grouping there are not enough."
        )
        return GapChange(None, None, "", problem, by_arm, tuple(notes))
    hidden = small_cells(panel, change.programme_start, rule)
    table = change_table(change, hidden)
    notes += list(change.notes)
    if hidden:
        notes.append(
            "Quintile(s) " + ", ".join(map(str, sorted(hidden))) + " pool a count of 1–7 in an "
            "arm before or after the start: their estimates are suppressed."
        )
    if hidden & {1, 5}:
        return GapChange(change, table, "", None, by_arm, tuple(notes))
    return GapChange(
        change, table, change_statement(change, unit, higher_is_better), None, by_arm, tuple(notes)
    )


def _skipped_arm_periods(panel: pd.DataFrame, by_arm: pd.DataFrame) -> list[str]:
    """Plain notes on the arm-periods with no SII (a quintile without sites or events)."""
    labels = panel.drop_duplicates("period_start").set_index("period_start")["period_label"]
    notes = []
    for group, part in panel.groupby("group", sort=True):
        done = set(by_arm.loc[by_arm["group"] == group, "period_start"]) if len(by_arm) else set()
        missing = [labels[p] for p in sorted(part["period_start"].unique()) if p not in done]
        if missing:
            notes.append(
                f"No SII for {group} areas in {', '.join(missing)}: a deprivation quintile has "
                "no sites (or no events) in that group then."
            )
    return notes


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


def _num(x: object) -> float | None:
    return None if x is None or pd.isna(x) else float(x)
