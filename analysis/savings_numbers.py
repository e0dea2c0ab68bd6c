"""Small number helpers shared by the savings modules.

Input checks (:class:`SavingsInputError`, :func:`checked_number`, the z for a
confidence level), percentile intervals of simulation draws, £ for prose and
JSON-safe floats. Used by :mod:`analysis.events_avoided`,
:mod:`analysis.discounting`, :mod:`analysis.savings`, :mod:`analysis.roi` and
:mod:`analysis.claims`.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from scipy.stats import norm

from analysis.errors import HiodError

QuantileMethod = Literal["linear", "inverted_cdf"]
"""The ``numpy.quantile`` methods used here (the default, and the empirical CDF's inverse)."""


class SavingsInputError(HiodError):
    """An input to a savings calculation that cannot be used; the message names it."""


def checked_number(value: Any, name: str, low: float = -math.inf, strict: bool = False) -> float:
    """``value`` as a finite float ≥ ``low`` (> ``low`` when ``strict``), else raise."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise SavingsInputError(f"{name} must be a number (got {value!r})") from None
    if not math.isfinite(x) or x < low or (strict and x == low):
        bound = f"greater than {low:g}" if strict else f"at least {low:g}"
        raise SavingsInputError(f"{name} must be a finite number {bound} (got {value!r})")
    return x


def z_for(confidence: float) -> float:
    """The two-sided normal z for ``confidence`` (0.95 → 1.96), after checking it."""
    checked_number(confidence, "confidence", 0, strict=True)
    if confidence >= 1:
        raise SavingsInputError(f"confidence must be between 0 and 1 (got {confidence})")
    return float(norm.ppf(0.5 + confidence / 2))


def percentile_interval(
    x: np.ndarray, confidence: float, method: QuantileMethod = "linear"
) -> tuple[float, float]:
    """The central ``confidence`` percentile interval of draws ``x``."""
    a = (1 - confidence) / 2
    lo, hi = np.quantile(x, [a, 1 - a], method=method)
    return float(lo), float(hi)


def finite_or_none(obj: Any) -> Any:
    """Replace NaN/inf by None recursively so the result is valid JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: finite_or_none(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite_or_none(v) for v in obj]
    return obj


def format_gbp(x: float) -> str:
    """£ for prose: £1.2m, £120k, £1,644, -£36k (the sign before the £)."""
    sign, x = ("-" if x <= -0.5 else ""), abs(x)
    if x >= 1e6:
        return sign + "£" + f"{x / 1e6:,.2f}".rstrip("0").rstrip(".") + "m"
    return sign + (f"£{x / 1e3:,.0f}k" if x >= 1e4 else f"£{x:,.0f}")
