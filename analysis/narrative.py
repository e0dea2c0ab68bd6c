"""Plain-English sentences about an effect that never claim more than the checks allow."""

from __future__ import annotations

from collections.abc import Sequence

from analysis.credibility import Check
from analysis.effect import Effect


def _amount(x: float, unit: str) -> str:
    text = f"{abs(x):,.3g}" if abs(x) < 1000 else f"{abs(x):,.0f}"
    return f"{text} {unit}".strip() if unit not in ("%",) else f"{text} percentage points"


def effect_sentence(
    effect: Effect, label: str, checks: Sequence[Check], higher_is_better: bool | None
) -> str:
    """One or two sentences: direction, size, interval, method, and the caveat that binds.

    The claim weakens with the evidence: an interval that includes zero says the
    data are consistent with no effect; a red check is named as the reason for
    caution; a positive-sounding word ("improved") is used only when polarity
    is known and the interval excludes zero.
    """
    direction = "fell" if effect.estimate < 0 else "rose"
    size = _amount(effect.estimate, effect.unit)
    interval = (
        f"{effect.confidence:.0%} CI {effect.ci_low:,.3g} to {effect.ci_high:,.3g}"
        if effect.ci_low == effect.ci_low
        else "no interval"
    )
    sites = (
        f"the {effect.n_intervention} intervention site{'s' if effect.n_intervention != 1 else ''}"
    )
    others = f"{effect.n_comparator} comparator site{'s' if effect.n_comparator != 1 else ''}"
    excludes_zero = effect.ci_low > 0 or effect.ci_high < 0
    if excludes_zero:
        text = f"{label} in {sites} {direction} by {size} more than in {others} ({interval}; "
        text += f"{effect.method_label})."
        if higher_is_better is not None:
            good = (effect.estimate > 0) == bool(higher_is_better)
            text += " That is an improvement." if good else " That is a deterioration."
    else:
        text = (
            f"{label} in {sites} {direction} by {size} relative to {others}, but the interval "
            f"({interval}; {effect.method_label}) includes no effect: the data are consistent "
            "with the programme having made no difference."
        )
    red = [c.name.lower() for c in checks if c.status == "red"]
    if red:
        plural = "s" if len(red) > 1 else ""
        text += f" Treat this with caution: the {' and '.join(red)} check{plural} failed."
    return text
