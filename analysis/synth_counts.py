"""Synthetic control on the count scale: observed, expected and placebo events.

The treated unit of :func:`analysis.synth_prep.panel_dataprep` is the
denominator-weighted mean of the intervention sites' values, so in period t
it is ``observed_t = m · N_t / D_t`` with ``N_t = Σ_i numerator_it`` and
``D_t = Σ_i denominator_it`` over the intervention sites with a value there,
and ``m`` the measure's multiplier (``value = numerator / denominator × m``).
A rate in period t becomes events with the factor ``f_t = D_t / m`` (equal to
``N_t / observed_t`` when ``N_t > 0``; ``D_t / m`` also covers periods with no
events). Over the post period P:

* observed events ``O = Σ_{t∈P} N_t``;
* expected (counterfactual) events ``E = Σ_{t∈P} f_t · synthetic_t``, the
  synthetic control's rate × the intervention denominators;
* events avoided ``E − O = −Σ_{t∈P} f_t · gap_t`` (positive = fewer events);
* each placebo's events ``−Σ_{t∈P} f_t · gap_jt``: its gap on the treated
  unit's count scale, the scores of the events interval in
  :func:`analysis.synth_inference.synth_count_scale`.

With staggered starts the post period runs from the earliest start (as the fit
does), so O and E count every intervention site from then on.

Synthetic control: Abadie, Diamond & Hainmueller (2010, JASA 105:493-505).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.did_prep import require_whole_counts
from analysis.panel import INTERVENTION, PanelError, require_columns

MULTIPLIER_RTOL = 1e-3
"""Largest relative spread of value / (numerator / denominator) across rows."""


@dataclass(frozen=True)
class PooledCounts:
    """The intervention sites' pooled events ``N_t`` and denominators ``D_t``, and ``m``."""

    events: pd.Series
    denominator: pd.Series
    multiplier: float

    @property
    def factor(self) -> pd.Series:
        """Events per unit of the measure in each period, ``f_t = D_t / m``."""
        return (self.denominator / self.multiplier).rename("factor")


@dataclass(frozen=True)
class SynthEvents:
    """Post-period events of the treated unit and, on its scale, of each placebo."""

    observed: float
    expected: float
    placebo: np.ndarray
    person_time: float

    @property
    def avoided(self) -> float:
        """Events avoided, ``E − O`` (positive = fewer events than the counterfactual)."""
        return self.expected - self.observed


def has_counts(panel: pd.DataFrame) -> bool:
    """Whether the panel has any numerator and denominator values at all."""
    if "numerator" not in panel or "denominator" not in panel:
        return False
    return bool(panel["numerator"].notna().any() and panel["denominator"].notna().any())


def pooled_counts(panel: pd.DataFrame, periods: pd.Index) -> PooledCounts:
    """``N_t``, ``D_t`` over the intervention rows with a value, in ``periods``, and ``m``.

    ``m`` is the median of value / (numerator / denominator) over rows with
    events. Raises :class:`PanelError` when an intervention row has no
    numerator or no positive denominator, or one that is not a whole number
    (:func:`analysis.did_prep.require_whole_counts`), when no row has events, or when the
    values are not one multiplier × numerator / denominator (e.g. standardised
    rates), since the rates could then not be turned into events.
    """
    require_columns(panel, ["group", "period_start", "value", "numerator", "denominator"])
    rows = panel.loc[(panel["group"] == INTERVENTION) & panel["value"].notna()]
    if rows["numerator"].isna().any() or not (rows["denominator"] > 0).all():
        raise PanelError("some intervention rows have no numerator or no positive denominator")
    require_whole_counts(rows["numerator"].to_numpy(float), "the intervention sites")
    counted = panel.loc[
        panel["value"].notna() & (panel["numerator"] > 0) & (panel["denominator"] > 0)
    ]
    if counted.empty:
        raise PanelError("no row has events, so the measure's multiplier is unknown")
    ratios = (counted["value"] * counted["denominator"] / counted["numerator"]).to_numpy(float)
    multiplier = float(np.median(ratios))
    if not np.allclose(ratios, multiplier, rtol=MULTIPLIER_RTOL, atol=0.0):
        raise PanelError(
            "the values are not numerator / denominator × one multiplier "
            "(standardised or published rates?), so they cannot be turned into events"
        )
    sums = rows.groupby("period_start")[["numerator", "denominator"]].sum().reindex(periods)
    if sums.isna().to_numpy().any():
        raise PanelError("the intervention counts do not cover every period fitted")
    return PooledCounts(sums["numerator"], sums["denominator"], multiplier)


def synth_events(
    counts: PooledCounts, synthetic: pd.Series, placebo_gaps: pd.DataFrame, post: np.ndarray
) -> SynthEvents:
    """O, E and the placebos' events over the post period (formulas in the module docstring).

    ``placebo_gaps`` has one column per placebo (rows as ``synthetic``). Raises
    :class:`PanelError` when there are no observed or no expected events (no
    rate ratio then).
    """
    factor = counts.factor.to_numpy(float)[post]
    observed = float(counts.events.to_numpy(float)[post].sum())
    expected = float(factor @ synthetic.to_numpy(float)[post])
    if observed <= 0:
        raise PanelError("no events in the intervention sites after the start")
    if expected <= 0:
        raise PanelError("the synthetic control expects no events after the start")
    return SynthEvents(
        observed=observed,
        expected=expected,
        placebo=-(factor @ placebo_gaps.to_numpy(float)[post]),
        person_time=float(counts.denominator.to_numpy(float)[post].sum()),
    )
