"""Discounting: HM Treasury Green Book (2022), 3.5% a year.

Year *t* of the horizon (t = 1, 2, …) is discounted by 1/(1 + r)^(t − 1) when
``first_year="undiscounted"`` (the default: the first year is the Green
Book's year 0, the present) or by 1/(1 + r)^t when ``"discounted"``. A
fractional horizon counts its last year in part (:func:`year_weights`).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from analysis.savings_numbers import SavingsInputError, checked_number

FirstYear = Literal["undiscounted", "discounted"]
GREEN_BOOK_RATE = 0.035


def discount_factors(
    n_years: int, rate: float = GREEN_BOOK_RATE, first_year: FirstYear = "undiscounted"
) -> np.ndarray:
    """Green Book discount factors for years 1..n: 1/(1 + r)^(t − 1), or 1/(1 + r)^t."""
    rate = checked_number(rate, "discount_rate", 0)
    if first_year not in ("undiscounted", "discounted"):
        raise SavingsInputError(f"first_year must be 'undiscounted' or 'discounted' ({first_year})")
    t = np.arange(n_years) + (0 if first_year == "undiscounted" else 1)
    return (1 + rate) ** -t.astype(float)


def present_value(
    amounts_by_year: list[float] | np.ndarray,
    rate: float = GREEN_BOOK_RATE,
    first_year: FirstYear = "undiscounted",
) -> float:
    """Σ amount_t × discount factor_t (HM Treasury Green Book 2022, 3.5% a year)."""
    amounts = np.asarray(amounts_by_year, dtype=float)
    return float(amounts @ discount_factors(len(amounts), rate, first_year))


def year_weights(horizon_years: float) -> np.ndarray:
    """Weight of each year of the horizon: 1 for whole years, the fraction for a last part-year."""
    horizon = checked_number(horizon_years, "horizon_years", 0, strict=True)
    whole, part = int(horizon), horizon - int(horizon)
    return np.array([1.0] * whole + ([part] if part > 1e-9 else []))
