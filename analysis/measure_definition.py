"""What a measure is: its kind, scale, polarity and period, decoded once.

The store hands a measure's definition as one row of
``Store.measures_overview`` (missing values as NA); :func:`definition_from_row`
turns it into a :class:`MeasureDefinition` that every page, the command line
and the report use, so that a unit, a sign or the words for a benefit are
worked out in one place. It is frozen and hashable (a cache key).

Conventions (ARCHITECTURE.md): an effect is intervention minus counterfactual
in the measure's display unit; a *benefit* in events is positive when the
programme helped: events avoided where lower is better, extra events (people
screened) where higher is better. With no stated polarity there is no benefit
to speak of: :meth:`MeasureDefinition.require_polarity` says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from analysis.errors import HiodError

PERIODS_PER_YEAR = {
    "day": 365.25,
    "month": 12.0,
    "quarter": 4.0,
    "financial_year": 1.0,
    "year": 1.0,
}
PERIOD_WORD = {
    "day": "day",
    "month": "month",
    "quarter": "quarter",
    "financial_year": "year",
    "year": "year",
}


class PolarityUnknown(HiodError):
    """A benefit (events avoided, better or worse) was asked of a measure with no polarity."""


@dataclass(frozen=True)
class MeasureDefinition:
    """A measure's definition: what its numbers mean.

    ``kind``: ``proportion``, ``rate``, ``count`` or ``value`` (None when not
    stated); ``multiplier``: display scale (100 for %, 100,000 per 100,000;
    1 when not stated); ``higher_is_better``: True, False or None (not stated);
    ``granularity``: the period of its rows (``month``, ``quarter``,
    ``financial_year``, ``year``); ``has_counts``: numerator and denominator
    were loaded (else published values only).
    """

    measure: str
    label: str
    kind: str | None = None
    multiplier: float = 1.0
    higher_is_better: bool | None = None
    granularity: str | None = None
    has_counts: bool = True

    @property
    def unit(self) -> str:
        """The level's display unit: ``%``, ``per 100,000`` or ``""``."""
        if self.kind == "proportion" and self.multiplier == 100:
            return "%"
        if self.kind == "rate" and self.multiplier:
            return f"per {self.multiplier:,.0f}"
        return ""

    @property
    def period_word(self) -> str:
        """One period of the measure in words (``month``, ``quarter``, ``year``)."""
        return PERIOD_WORD.get(self.granularity or "year", "period")

    @property
    def periods_per_year(self) -> float:
        """How many of the measure's periods make a year (12 for monthly data)."""
        return PERIODS_PER_YEAR.get(self.granularity or "year", 1.0)

    @property
    def effect_unit(self) -> str:
        """The unit of an effect: a change in % is in percentage points; a rate names its period.

        A monthly rate per 100,000 changes by so many per 100,000 *a month*;
        a yearly one (Fingertips' usual) by so many per 100,000 (a year).
        """
        if self.unit == "%":
            return "percentage points"
        if self.kind == "rate" and self.unit and self.periods_per_year != 1:
            return f"{self.unit} a {self.period_word}"
        return self.unit

    @property
    def polarity_text(self) -> str:
        """Plain words for the polarity."""
        if self.higher_is_better is None:
            return "no judgement of better or worse"
        return "higher is better" if self.higher_is_better else "lower is better"

    @property
    def counted_things(self) -> str:
        """What the numerator counts: people for a proportion, events otherwise."""
        return "people" if self.kind == "proportion" else "events"

    @property
    def benefit_words(self) -> str:
        """The name of a benefit in events: ``events avoided`` or ``extra people``.

        Raises :class:`PolarityUnknown` when the polarity is not stated.
        """
        self.require_polarity()
        if self.higher_is_better:
            return f"extra {self.counted_things}"
        return "events avoided" if self.kind != "proportion" else "fewer people"

    def require_polarity(self) -> bool:
        """``higher_is_better``, or :class:`PolarityUnknown` with what to do about it."""
        if self.higher_is_better is None:
            raise PolarityUnknown(
                f"'{self.measure}' has no stated polarity: say whether higher is better "
                "(Data page, measure definitions; or load a definitions file with "
                "higher_is_better) before events avoided or better/worse can be shown"
            )
        return self.higher_is_better


def _present(value: object) -> bool:
    return value is not None and not bool(pd.isna(value))


def definition_from_row(measure: str, row: Mapping[str, object]) -> MeasureDefinition:
    """Decode one row of ``Store.measures_overview`` (NA for what is not stated)."""
    label = row.get("label")
    kind = row.get("kind")
    multiplier = row.get("multiplier")
    polarity = row.get("higher_is_better")
    granularity = row.get("granularity")
    has_counts = row.get("has_counts")
    return MeasureDefinition(
        measure=measure,
        label=str(label) if _present(label) and str(label) else measure,
        kind=str(kind) if _present(kind) else None,
        multiplier=float(multiplier) if _present(multiplier) and multiplier else 1.0,  # type: ignore[arg-type]
        higher_is_better=bool(polarity) if _present(polarity) else None,
        granularity=str(granularity) if _present(granularity) else None,
        has_counts=bool(has_counts) if _present(has_counts) else False,
    )
