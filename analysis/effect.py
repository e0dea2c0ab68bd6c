"""Result types shared by the intervention-vs-comparator estimators.

Every estimator (``did``, ``its``, ``synth``) returns an :class:`Effect`; pages,
the CLI's JSON and the report print it. Conventions: 95% intervals unless
``confidence`` says otherwise; ``estimate`` is in the measure's display unit
(``unit``), intervention minus counterfactual, so a negative estimate is a fall.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Method = Literal["did", "did_staggered", "its", "synth"]


@dataclass(frozen=True)
class CountScaleEffect:
    """The effect on the count scale, for turning it into events avoided.

    ``rate_ratio`` (with its interval) comes from a Poisson/binomial model on
    the counts; ``events_avoided`` is counterfactual minus observed events in
    the intervention sites over the post period (positive = fewer events),
    with its interval.
    """

    rate_ratio: float
    rate_ratio_ci: tuple[float, float]
    observed_events: float
    expected_events: float
    events_avoided: float
    events_avoided_ci: tuple[float, float]
    person_time: float
    model: str


@dataclass(frozen=True)
class Effect:
    """An estimated programme effect with its interval and diagnostics."""

    measure: str
    method: Method
    method_label: str
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float | None
    unit: str
    n_intervention: int
    n_comparator: int
    n_periods_pre: int
    n_periods_post: int
    confidence: float = 0.95
    standard_error: float | None = None
    diagnostics: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    count_scale: CountScaleEffect | None = None
    notes: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        """Flatten to the CLI's JSON keys (DESIGN.md) with diagnostics at top level."""
        out = asdict(self)
        diagnostics = out.pop("diagnostics")
        extra = out.pop("extra")
        out.update(diagnostics)
        out.update(extra)
        return _finite_or_none(out)


def _finite_or_none(obj: Any) -> Any:
    """Replace NaN/inf by None recursively so the result is valid JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite_or_none(v) for v in obj]
    return obj
