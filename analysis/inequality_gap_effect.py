"""Did the programme narrow the gap? The inequality index as observed against its counterfactual.

For an area's sites after the programme start, the slope index of inequality
(SII) and the least-vs-most deprived fifth gap as observed, against the same
indices with each intervention site's values replaced by its counterfactual
from the comparison chosen on Compare (difference-in-differences, interrupted
time series or synthetic control; :mod:`analysis.compare`). This works for a
programme aimed at one deprivation group (e.g. Core20PLUS5 practices all in the
most deprived fifth), where a difference-in-differences of the gap cannot
(:mod:`analysis.inequality_change` needs both arms in every quintile).

How, for deprivation groups ``q`` (deciles or quintiles, 1 = most deprived):

* the post period's counts are pooled per group: ``x_q`` events, ``n_q``
  people, value ``y_q = x_q ÷ n_q × multiplier`` (as :mod:`analysis.inequality_view`);
* the counterfactual of an intervention site in a period from its own start is
  its observed value minus the programme effect ``e`` (intervention minus
  counterfactual, display unit), so the group's counterfactual value is
  ``y_q − e · f_q`` with ``f_q`` the share of the group's denominator in treated
  site-periods (limited to 0 … multiplier for proportions, ≥ 0 for rates);
* both indices use the same population weights ``a_q = n_q ÷ Σ n`` and relative
  ranks ``b_q`` (Low & Low 2004; PHE SII technical guide): SII = the weighted
  least-squares slope of ``y`` on ``b`` (:func:`analysis.inequality.weighted_fit`),
  i.e. the least deprived end minus the most deprived end; gap = least deprived
  fifth minus most deprived fifth. **Positive: higher in less deprived areas.**
* the programme's effect on the SII is ``SII(observed) − SII(counterfactual)``;
  the share of the gap closed is ``1 − gap(observed) ÷ gap(counterfactual)``;
* interval **by simulation**: ``e`` is drawn ``draws`` times from a normal
  distribution matching the comparison's interval (se = (upper − lower) ÷ 2z)
  and both indices recomputed; the limits are the 2.5th and 97.5th percentiles.
  The chance variation of the observed counts is common to both indices and
  cancels in their difference, so the interval is the effect's uncertainty.

What it assumes (said with every answer, :attr:`GapEffect.assumptions`): one
effect for every intervention site and period after its start (the
comparison's average); comparator and other sites unaffected (no spill-over);
populations as observed; a straight line across the deprivation groups; areas,
not people (ecological).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.disclosure import DEFAULT_RULE, DisclosureRule
from analysis.effect import Effect, _finite_or_none
from analysis.inequality import relative_ranks, weighted_fit
from analysis.inequality_groups import site_quantile
from analysis.inequality_indices import DEFAULT_SEED
from analysis.inequality_view import number_text, unit_words
from analysis.rates import MethodInputError, z_value

DEFAULT_DRAWS = 10_000
MIN_QUINTILE_SITES = 3
"""Intervention sites a quintile needs for its own effect estimate."""


@dataclass(frozen=True)
class QuintileEffect:
    """The programme effect at the intervention sites of one IMD quintile (or why there is none)."""

    quintile: int
    n_intervention: int
    estimate: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    method: str | None = None
    problem: str | None = None


@dataclass(frozen=True)
class GapEffect:
    """The programme's effect on the SII and on the least-vs-most deprived fifth gap.

    Indices in the measure's display unit (percentage points for a %), positive
    when values are higher in less deprived areas; ``*_change`` = observed −
    counterfactual; ``share_closed`` = 1 − observed gap ÷ counterfactual gap
    (None when the counterfactual gap is 0 or a fifth is missing).
    """

    method: str
    method_label: str
    effect: float
    effect_ci: tuple[float, float]
    unit: str
    quantiles: int
    period_text: str
    n_sites: int
    n_intervention: int
    intervention_groups: tuple[int, ...]
    sii_observed: float
    sii_counterfactual: float
    sii_change: float
    sii_change_ci: tuple[float, float]
    gap_observed: float | None
    gap_counterfactual: float | None
    gap_change: float | None
    gap_change_ci: tuple[float, float] | None
    share_closed: float | None
    share_closed_ci: tuple[float, float] | None
    by_quintile: tuple[QuintileEffect, ...]
    draws: int
    seed: int

    @property
    def group_word(self) -> str:
        """``"decile"`` or ``"quintile"``."""
        return "decile" if self.quantiles == 10 else "quintile"

    @property
    def assumptions(self) -> tuple[str, ...]:
        """What the answer assumes, in plain words."""
        groups = ", ".join(map(str, self.intervention_groups))
        return (
            f"Each intervention site's counterfactual is its observed value minus the effect "
            f"estimated on Compare ({self.method_label}): the same effect at every intervention "
            "site and period after its start.",
            "Comparator and other sites are as observed: the programme did not change them.",
            f"The intervention sites are in IMD {self.group_word}(s) {groups}: the change in the "
            "index comes from moving those groups' values; the index assumes a straight line "
            "across the groups and describes areas, not people.",
            f"Interval by simulation: the effect is redrawn {self.draws:,} times from its 95% "
            "interval and both indices recomputed; the counts' own chance variation is common "
            "to both and cancels.",
        )

    def sentence(self, area_phrase: str) -> str:
        """The answer in one or two sentences (``area_phrase``: e.g. "the ICB's GP practices")."""
        words = unit_words(self.unit)
        low, high = self.sii_change_ci
        interval = f"95% interval {number_text(low)} to {number_text(high)}"
        ends = (
            f"from a counterfactual {number_text(self.sii_counterfactual)} to "
            f"{number_text(self.sii_observed)}"
        )
        if low <= 0 <= high:
            text = (
                f"{self.period_text}: the programme made no clear difference to the slope index "
                f"of inequality across {area_phrase}: a change of {number_text(self.sii_change)} "
                f"{words} ({interval}, which includes zero), {ends}."
            )
        else:
            verb = (
                "narrowed" if abs(self.sii_observed) < abs(self.sii_counterfactual) else "widened"
            )
            text = (
                f"{self.period_text}: the programme {verb} the slope index of inequality across "
                f"{area_phrase} by {number_text(abs(self.sii_change))} {words} (a change of "
                f"{number_text(self.sii_change)}, {interval}), {ends}."
            )
        if self.share_closed is not None and self.share_closed_ci is not None:
            s_low, s_high = self.share_closed_ci
            text += (
                f" It closed {self.share_closed:.0%} of the gap between the least and most "
                f"deprived fifth (95% interval {s_low:.0%} to {s_high:.0%})."
            )
        return text

    def to_json_dict(self) -> dict[str, Any]:
        """The ``gap_effect`` object of ``inequality --json``."""
        return _finite_or_none(
            {
                "sii_change": self.sii_change,
                "sii_change_ci": list(self.sii_change_ci),
                "method": self.method,
                "method_label": self.method_label,
                "effect": self.effect,
                "effect_ci": list(self.effect_ci),
                "unit": self.unit,
                "groups": f"IMD {self.group_word}s (1 = most deprived)",
                "period": self.period_text,
                "sii_observed": self.sii_observed,
                "sii_counterfactual": self.sii_counterfactual,
                "gap_observed": self.gap_observed,
                "gap_counterfactual": self.gap_counterfactual,
                "gap_change": self.gap_change,
                "gap_change_ci": None if self.gap_change_ci is None else list(self.gap_change_ci),
                "share_of_gap_closed": self.share_closed,
                "share_of_gap_closed_ci": (
                    None if self.share_closed_ci is None else list(self.share_closed_ci)
                ),
                "n_sites": self.n_sites,
                "n_intervention": self.n_intervention,
                "intervention_groups": list(self.intervention_groups),
                "by_quintile": [q.__dict__ for q in self.by_quintile],
                "assumptions": list(self.assumptions),
                "draws": self.draws,
                "seed": self.seed,
            }
        )


def intervention_quintiles(rows: pd.DataFrame) -> dict[int, list[str]]:
    """The intervention sites of ``rows`` by IMD quintile (1 = most deprived)."""
    chosen = rows[rows["group"].eq("intervention")]
    fifth = site_quantile(chosen, 5)
    out: dict[int, list[str]] = {}
    for q, part in chosen.assign(_q=fifth).dropna(subset=["_q"]).groupby("_q"):
        out[int(q)] = sorted(part["site_code"].unique())
    return out


def _treated(rows: pd.DataFrame) -> pd.Series:
    start = pd.to_datetime(rows["start_date"])
    return rows["group"].eq("intervention") & start.notna() & (rows["period_start"] >= start)


def _pooled(post: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    frame = post.assign(_g=groups.to_numpy(), _t=post["denominator"].where(_treated(post), 0.0))
    return frame.groupby("_g")[["numerator", "denominator", "_t"]].sum()


def _interval(values: np.ndarray) -> tuple[float, float]:
    low, high = np.nanpercentile(values, [2.5, 97.5])
    return float(low), float(high)


def _period_text(first: str, last: str) -> str:
    return f"After the start ({first})" if first == last else f"After the start ({first} to {last})"


def gap_effect(
    rows: pd.DataFrame,
    effect: Effect,
    *,
    quantiles: int,
    kind: str,
    multiplier: float,
    by_quintile: tuple[QuintileEffect, ...] = (),
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
    rule: DisclosureRule = DEFAULT_RULE,
) -> GapEffect:
    """The programme's effect on the SII and the gap of ``rows`` (module docstring).

    ``rows``: one area's unsuppressed site rows (counts, ``group``,
    ``start_date``, IMD decile or quintile); ``effect``: the comparison's
    effect (display unit, intervention minus counterfactual). Raises
    :class:`~analysis.rates.MethodInputError` when the area has no intervention
    site after its start, a group has no sites or counts, or a group pools a
    count of 1–7 (its value could be worked back from the indices).
    """
    counted = rows[rows["numerator"].notna() & (rows["denominator"] > 0)]
    counted = counted[site_quantile(counted, quantiles).notna()]
    starts = pd.to_datetime(counted.loc[counted["group"].eq("intervention"), "start_date"])
    if starts.dropna().empty:
        raise MethodInputError("no intervention site with counts and deprivation in this area")
    first = starts.min()
    post = counted[counted["period_start"] >= first]
    if not _treated(post).any():
        raise MethodInputError("no period after the programme start yet")
    pooled = _pooled(post, site_quantile(post, quantiles))
    missing = sorted(set(range(1, quantiles + 1)) - {int(q) for q in pooled.index})
    if missing:
        raise MethodInputError(
            f"IMD {'decile' if quantiles == 10 else 'quintile'}(s) "
            f"{', '.join(map(str, missing))} have no sites with counts after the start"
        )
    fifths = _pooled(post, site_quantile(post, 5))
    for table in (pooled, fifths):
        x = table["numerator"]
        if rule.enabled and ((x >= rule.low) & (x <= rule.high)).any():
            raise MethodInputError("a deprivation group pools a count of 1–7 after the start")
    se = (effect.ci_high - effect.ci_low) / (2 * z_value(effect.confidence))
    rng = np.random.default_rng(seed)
    e = np.r_[effect.estimate, rng.normal(effect.estimate, se, draws)][:, None]
    upper = multiplier if kind == "proportion" else np.inf

    def indices(table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Observed and counterfactual values per draw (row 0: the point estimate)."""
        observed = (table["numerator"] / table["denominator"] * multiplier).to_numpy(float)
        share = (table["_t"] / table["denominator"]).to_numpy(float)
        return observed, np.clip(observed - e * share, 0.0, upper)

    observed, counterfactual = indices(pooled)
    population = pooled["denominator"].to_numpy(float)
    weight, rank = population / population.sum(), relative_ranks(population)
    sii_obs = float(weighted_fit(weight, rank, observed)[1])
    sii_cf = weighted_fit(weight, rank, counterfactual)[1]
    change = sii_obs - sii_cf
    gap_obs = gap_cf = gap_change = share = None
    gap_ci = share_ci = None
    if {1, 5} <= {int(q) for q in fifths.index}:
        f_obs, f_cf = indices(fifths)
        positions = [list(fifths.index).index(q) for q in (1, 5)]
        gap_o = f_obs[positions[1]] - f_obs[positions[0]]
        gaps = f_cf[:, positions[1]] - f_cf[:, positions[0]]
        gap_obs, gap_cf, gap_change = float(gap_o), float(gaps[0]), float(gap_o - gaps[0])
        gap_ci = _interval(gap_o - gaps[1:])
        if gaps[0] != 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                closed = 1 - gap_o / gaps
            share, share_ci = float(closed[0]), _interval(closed[1:])
    treated_groups = site_quantile(post[_treated(post)], quantiles).dropna()
    period_labels = post.sort_values("period_start")["period_label"]
    return GapEffect(
        method=effect.method,
        method_label=effect.method_label,
        effect=effect.estimate,
        effect_ci=(effect.ci_low, effect.ci_high),
        unit=effect.unit,
        quantiles=quantiles,
        period_text=_period_text(period_labels.iloc[0], period_labels.iloc[-1]),
        n_sites=int(post["site_code"].nunique()),
        n_intervention=int(post.loc[_treated(post), "site_code"].nunique()),
        intervention_groups=tuple(sorted(int(q) for q in treated_groups.unique())),
        sii_observed=sii_obs,
        sii_counterfactual=float(sii_cf[0]),
        sii_change=float(change[0]),
        sii_change_ci=_interval(change[1:]),
        gap_observed=gap_obs,
        gap_counterfactual=gap_cf,
        gap_change=gap_change,
        gap_change_ci=gap_ci,
        share_closed=share,
        share_closed_ci=share_ci,
        by_quintile=by_quintile,
        draws=draws,
        seed=seed,
    )
