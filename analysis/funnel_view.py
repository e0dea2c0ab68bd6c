"""A funnel plot of one period's sites, ready to draw: points, control limits, outliers.

Assembles what the Funnel page shows from :mod:`analysis.funnel` (limits and
flags as PHEindicatormethods and Fingertips compute them: Wilson-based limits
for proportions, exact Poisson for rates, at 95% and 99.8%) and, when asked,
:mod:`analysis.funnel_overdispersion` (Spiegelhalter 2005 random-effects
widening of the limits). Rates whose published value is not the crude rate
(directly standardised rates) use the DSR funnel of PHEindicatormethods (the
population axis is derived as events ÷ rate; sites with fewer than 10 events
are not assessed).

Small-number suppression is applied to the points before they leave this
module: a site with a count of 1–7 has no value, flag or label (its
denominator, an aggregate count of people, stays as the x position is not
drawn for it). The limits and the overall value are aggregates over all sites.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.arms import assign_arms
from analysis.disclosure import DEFAULT_RULE, DisclosureRule, suppress
from analysis.funnel import (
    DSR_NOT_APPLICABLE,
    HIGH_95,
    HIGH_998,
    LOW_95,
    LOW_998,
    RateType,
    Statistic,
    funnel_limits,
    funnel_points,
    funnel_significance,
    funnel_z_scores,
)
from analysis.funnel_overdispersion import (
    Overdispersion,
    adjusted_z_scores,
    overdispersed_limits,
    overdispersion,
    significance_from_z,
)
from analysis.rates import MethodInputError
from analysis.site_intervals import published_is_crude

SUPPRESSED = "suppressed"


@dataclass(frozen=True)
class FunnelView:
    """Points and limits of one funnel plot (see :func:`funnel_view`).

    ``points``: ``site_code``, ``site_name``, ``group`` (arm: intervention,
    comparator, not compared), ``numerator``, ``denominator``, ``size`` (the
    x position: people, or population per year for rates), ``value``,
    ``significance`` (the funnel wording, or ``"suppressed"``), ``outside_95``,
    ``outside_99_8``, ``direction`` (high/low/None), ``verdict`` (better/worse
    or higher/lower with the polarity; ``within limits``), ``z`` (the z-score
    of the test that set ``significance``: the limits' own test, see
    :func:`analysis.funnel.funnel_z_scores`, or with overdispersion the
    adjusted z), ``suppressed`` and ``label`` (True for the outliers
    the chart names). ``limits``: long table ``size``, ``value``, ``limit``
    (e.g. ``"99.8% upper"``), ``level`` (``"95%"``/``"99.8%"``).
    """

    points: pd.DataFrame
    limits: pd.DataFrame
    baseline: float
    statistic: str
    size_title: str
    method: str
    overdispersion: Overdispersion | None
    notes: tuple[str, ...]

    @property
    def outliers(self) -> pd.DataFrame:
        """Sites outside the 95% limits, 99.8% first, then by distance (|z|)."""
        out = self.points[self.points["outside_95"]].copy()
        out["_order"] = (~out["outside_99_8"]).astype(int)
        out["_abs_z"] = -out["z"].abs()
        out = out.sort_values(["_order", "_abs_z"]).drop(columns=["_order", "_abs_z"])
        return out.reset_index(drop=True)

    @property
    def assessed(self) -> int:
        """Sites flagged against the limits (not suppressed, not excluded)."""
        p = self.points
        return int((~p["suppressed"] & ~p["significance"].isin([DSR_NOT_APPLICABLE])).sum())


def _verdict(direction: np.ndarray, higher_is_better: bool | None) -> np.ndarray:
    if higher_is_better is None:
        up, down = "higher", "lower"
    else:
        up, down = ("better", "worse") if higher_is_better else ("worse", "better")
    return np.where(direction == "high", up, np.where(direction == "low", down, "within limits"))


def funnel_view(
    frame: pd.DataFrame,
    *,
    measure_kind: str | None,
    multiplier: float,
    higher_is_better: bool | None = None,
    adjust_overdispersion: bool = False,
    rule: DisclosureRule = DEFAULT_RULE,
    label_limit: int = 8,
) -> FunnelView:
    """Funnel plot data for one period's sites from their **unsuppressed** counts.

    Parameters
    ----------
    frame:
        One row per site (one period): ``site_code``, ``site_name``,
        ``site_type``, ``group``, ``numerator``, ``denominator``, ``value``.
        Rows without counts are left out (a note says how many).
    measure_kind:
        ``"proportion"`` or ``"rate"`` (other kinds have no funnel).
    multiplier:
        Display scale (100 = %, 100,000 = per 100,000).
    higher_is_better:
        Polarity for the verdict words; None gives higher / lower.
    adjust_overdispersion:
        Widen the limits by Spiegelhalter's τ² (arcsine transform for
        proportions, 10% Winsorised; log (SHMI) for rates, 10% truncated) and
        flag by adjusted z.
    rule:
        Disclosure rule for the points (counts 1–7 suppressed).
    label_limit:
        How many outliers the chart names (the most extreme first).
    """
    if measure_kind not in ("proportion", "rate"):
        raise MethodInputError("a funnel plot needs a proportion or a rate with counts")
    counted = frame[
        frame["numerator"].notna() & frame["denominator"].notna() & (frame["denominator"] > 0)
    ].reset_index(drop=True)
    if len(counted) < 3:
        raise MethodInputError(
            "a funnel plot needs counts (numerator and denominator) for at least 3 sites"
        )
    notes = []
    left_out = len(frame) - len(counted)
    if left_out:
        notes.append(f"{left_out:,} site(s) without counts are left out.")
    x = counted["numerator"].to_numpy(float)
    d = counted["denominator"].to_numpy(float)
    data = pd.DataFrame({"numerator": x, "denominator": d})
    statistic: Statistic
    if measure_kind == "proportion":
        statistic, size_title = "proportion", "Denominator (people eligible)"
        flags = funnel_significance(data, "numerator", "denominator", statistic="proportion")
        z = funnel_z_scores(data, "numerator", "denominator", statistic="proportion")
        curves = funnel_limits(
            data, "numerator", "denominator", statistic="proportion", multiplier=multiplier
        )
        size, value = d, x / d * multiplier
        limits = _long_limits(curves["Population"], curves, "{bound}_{tag}_limit")
        method = "Wilson score control limits around the overall proportion"
    else:
        crude = bool(published_is_crude(counted, multiplier).all())
        rate_type: RateType = "crude" if crude else "dsr"
        data["_rate"] = x / d * multiplier if crude else counted["value"].to_numpy(float)
        den = "denominator" if crude else None
        statistic = "rate"
        size_title = "Population (per year)" if crude else "Population (derived: events ÷ rate)"
        flags = funnel_significance(
            data,
            "numerator",
            den,
            statistic="rate",
            multiplier=multiplier,
            rate="_rate",
            rate_type=rate_type,
        )
        z = funnel_z_scores(
            data,
            "numerator",
            den,
            statistic="rate",
            multiplier=multiplier,
            rate="_rate",
            rate_type=rate_type,
        )
        curves = funnel_limits(
            data,
            "numerator",
            den,
            statistic="rate",
            multiplier=multiplier,
            years_of_data=1,
            rate="_rate",
            rate_type=rate_type,
        )
        placed = funnel_points(
            data,
            "numerator",
            "_rate",
            rate_type=rate_type,
            years_of_data=1,
            multiplier=multiplier,
            denominator=den,
        )
        size = placed["denominator_derived"].to_numpy(float)
        value = placed["_rate_chart"].to_numpy(float)
        limits = _long_limits(
            None, curves, "{bound}_{tag}_limit", "{bound}_{tag}_population_1_year"
        )
        method = "exact Poisson control limits around the overall rate" + (
            "" if crude else " (directly standardised rates; fewer than 10 events not assessed)"
        )
    baseline = float(curves["baseline"].iloc[0])
    positive = ~np.isnan(size) & (size > 0)
    usable = positive & ((x > 0) if statistic == "rate" else True)  # log(0) is undefined
    model = overdispersion(x[usable], size[usable], statistic, trim=0.1)
    significance = flags["significance"].astype(str).to_numpy(dtype=object)
    if adjust_overdispersion:
        adjusted_z = np.full(len(x), np.nan)
        adjusted_z[usable] = adjusted_z_scores(x[usable], size[usable], model)
        adjusted = significance_from_z(adjusted_z)
        keep = pd.isna(adjusted) | (significance == DSR_NOT_APPLICABLE)
        significance = np.where(keep, significance, adjusted)
        z = np.where(keep, z, adjusted_z)
        if (positive & ~usable).any():
            notes.append(
                f"{int((positive & ~usable).sum()):,} site(s) with no events are left out of the "
                "overdispersion estimate (log scale) and keep their unadjusted flag."
            )
        grid = np.geomspace(max(np.nanmin(size[usable]), 1.0), np.nanmax(size[usable]), 200)
        wide = overdispersed_limits(grid, model, (0.95, 0.998), multiplier)
        limits = _long_limits(wide["size"], wide, "{bound}_{pct}")
        baseline = float(wide["baseline"].iloc[0])
        source = ", as SHMI and FunnelPlotR" if model.trimming == "truncated" else ""
        method += f"; widened for overdispersion (Spiegelhalter 2005; {model.label}{source})"
        if not model.overdispersed:
            notes.append("No overdispersion was detected (τ² = 0): the limits are not widened.")
        if model.n_sites < 20:
            notes.append("τ² estimated from fewer than 20 sites is unreliable.")
    smallest = np.nanmin(size[positive]) if positive.any() else 0.0
    limits = limits[(limits["size"] >= 0.5 * smallest)].reset_index(drop=True)
    hidden = suppress(pd.DataFrame({"numerator": x}), ("numerator",), (), rule)
    hidden_mask = hidden["suppressed"].to_numpy(bool)
    outside_998 = np.isin(significance, [HIGH_998, LOW_998]) & ~hidden_mask
    outside_95 = (outside_998 | np.isin(significance, [HIGH_95, LOW_95])) & ~hidden_mask
    high = np.isin(significance, [HIGH_998, HIGH_95])
    # numpy's stubs reject None as an array-like; np.where takes it (an object array)
    direction = np.where(outside_95, np.where(high, "high", "low"), None)  # type: ignore[call-overload]
    significance = np.where(hidden_mask, SUPPRESSED, significance)
    verdict = np.where(hidden_mask, SUPPRESSED, _verdict(direction, higher_is_better))
    value = np.where(hidden_mask, np.nan, value)
    z = np.where(hidden_mask, np.nan, z)
    label = spaced_labels(size, value, z, outside_95, outside_998, label_limit)
    points = pd.DataFrame(
        {
            "site_code": counted["site_code"].to_numpy(),
            "site_name": counted["site_name"].to_numpy(),
            "group": assign_arms(counted).to_numpy(),
            "numerator": hidden["numerator"].to_numpy(float),
            "denominator": d,
            "size": size,
            "value": value,
            "significance": significance,
            "outside_95": outside_95,
            "outside_99_8": outside_998,
            "direction": direction,
            "verdict": verdict,
            "z": z,
            "suppressed": hidden_mask,
            "label": label,
        }
    )
    if hidden_mask.any():
        notes.append(
            f"{int(hidden_mask.sum()):,} site(s) with a count of 1–7 are suppressed and not drawn."
        )
    assessed = int((~hidden_mask & (significance != DSR_NOT_APPLICABLE)).sum())
    n95, n998 = int(outside_95.sum()), int(outside_998.sum())
    if assessed:
        notes.append(
            f"{n95:,} of {assessed:,} sites lie outside the 95% limits (about "
            f"{0.05 * assessed:,.0f} expected by chance) and {n998:,} outside 99.8% (about "
            f"{0.002 * assessed:,.1f} expected)."
        )
    else:
        notes.append("No site can be placed against the limits: there is nothing to flag.")
    if not adjust_overdispersion and model.overdispersed and n998 > max(3, 0.02 * assessed):
        notes.append(
            "Far more sites lie outside the limits than chance allows: the sites differ for "
            "reasons beyond chance (overdispersion). Consider the adjusted limits."
        )
    return FunnelView(
        points=points,
        limits=limits,
        baseline=baseline,
        statistic=statistic,
        size_title=size_title,
        method=method + " (PHEindicatormethods; Fingertips technical guidance), 95% and 99.8%",
        overdispersion=model if adjust_overdispersion else None,
        notes=tuple(notes),
    )


def spaced_labels(
    size: np.ndarray,
    value: np.ndarray,
    z: np.ndarray,
    outside_95: np.ndarray,
    outside_998: np.ndarray,
    limit: int,
    min_gap: float = 0.06,
) -> np.ndarray:
    """Which outliers to name: 99.8% first, most extreme (|z|) first, not crowding each other.

    A candidate is skipped when it lies within ``min_gap`` of an already named
    point, distances measured as fractions of the plotted x and y ranges, so
    that names do not print over one another.
    """
    label = np.zeros(len(size), dtype=bool)
    candidates = np.flatnonzero(outside_95 & np.isfinite(value) & np.isfinite(size))
    if not len(candidates):
        return label
    order = candidates[np.lexsort((-np.abs(z[candidates]), ~outside_998[candidates]))]
    x_span = np.nanmax(size) - np.nanmin(size) or 1.0
    y_span = np.nanmax(value) - np.nanmin(value) or 1.0
    chosen: list[int] = []
    for i in order:
        if len(chosen) == limit:
            break
        near = any(
            abs(size[i] - size[j]) / x_span < min_gap * 4
            and abs(value[i] - value[j]) / y_span < min_gap
            for j in chosen
        )
        if not near:
            chosen.append(i)
    label[chosen] = True
    return label


def _long_limits(
    size: pd.Series | None, wide: pd.DataFrame, value_pattern: str, size_pattern: str | None = None
) -> pd.DataFrame:
    """The four limit curves as one long table (size, value, limit, level) for drawing."""
    sizes, values, names, levels_ = [], [], [], []
    for tag, pct, level in (("2s", "95", "95%"), ("3s", "99_8", "99.8%")):
        for bound in ("lower", "upper"):
            keys = {"bound": bound, "tag": tag, "pct": pct}
            x = size if size_pattern is None else wide[size_pattern.format(**keys)]
            sizes.append(np.asarray(x, dtype=float))
            values.append(wide[value_pattern.format(**keys)].to_numpy(float))
            names += [f"{level} {bound}"] * len(wide)
            levels_ += [level] * len(wide)
    out = pd.DataFrame(
        {
            "size": np.concatenate(sizes),
            "value": np.concatenate(values),
            "limit": names,
            "level": levels_,
        }
    )
    return out[np.isfinite(out["size"]) & np.isfinite(out["value"])].reset_index(drop=True)
