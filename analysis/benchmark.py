"""Compare areas to a benchmark the Fingertips way: by their confidence intervals.

Fingertips colours each area by comparing its confidence interval with the
benchmark (usually England): if the area's 95% (or 99.8%) interval lies
wholly above or below the benchmark value, the area is significantly higher
or lower; otherwise similar. With a polarity the words are better / worse.
When the benchmark has an interval of its own (e.g. a region compared with
another region) the two intervals are compared: no overlap means different.
Reference: OHID Fingertips Public Health Technical Guidance, "Comparing
indicator values with a benchmark"; Public Health England, Technical guide:
confidence intervals (2018).

This is a screening rule, not a hypothesis test between two estimates:
overlapping intervals do not prove that two values are equal, and at 95%
about 1 in 20 areas will differ from the benchmark by chance alone.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from analysis.rates import ArrayLike, MethodInputError, confidence_level, level_suffix

Comparison = Literal["better", "similar", "worse", "higher", "lower", "not compared"]

NOT_COMPARED = "not compared"


def compare_to_benchmark(
    lower: ArrayLike,
    upper: ArrayLike,
    benchmark: ArrayLike,
    higher_is_better: bool | None = None,
    benchmark_lower: ArrayLike | None = None,
    benchmark_upper: ArrayLike | None = None,
) -> np.ndarray:
    """Classify each area against a benchmark by its confidence interval (Fingertips rule).

    Parameters
    ----------
    lower, upper:
        Each area's confidence limits (same unit as the benchmark); use the
        95% limits for the usual comparison or the 99.8% limits for the
        stricter one.
    benchmark:
        The benchmark value (one number, or one per area).
    higher_is_better:
        Polarity: True or False gives ``"better"`` / ``"worse"``; None (no
        judgement, e.g. prevalence) gives ``"higher"`` / ``"lower"``.
    benchmark_lower, benchmark_upper:
        The benchmark's own interval, if it has one; then an area differs only
        when the two intervals do not overlap.

    Returns
    -------
    numpy.ndarray of str
        ``"better"``, ``"similar"``, ``"worse"`` (or ``"higher"``, ``"similar"``,
        ``"lower"``), and ``"not compared"`` where a limit or the benchmark is
        missing.
    """
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    bench = np.broadcast_to(np.asarray(benchmark, dtype=float), lo.shape)
    if (benchmark_lower is None) != (benchmark_upper is None):
        raise MethodInputError("give both benchmark_lower and benchmark_upper, or neither")
    if benchmark_lower is None:
        b_lo = b_hi = bench
    else:
        b_lo = np.broadcast_to(np.asarray(benchmark_lower, dtype=float), lo.shape)
        b_hi = np.broadcast_to(np.asarray(benchmark_upper, dtype=float), lo.shape)
    if np.any(lo > hi):
        raise MethodInputError("a lower limit is above its upper limit")
    above = lo > b_hi
    below = hi < b_lo
    missing = np.isnan(lo) | np.isnan(hi) | np.isnan(b_lo) | np.isnan(b_hi)
    if higher_is_better is None:
        up, down = "higher", "lower"
    else:
        up, down = ("better", "worse") if higher_is_better else ("worse", "better")
    out = np.where(above, up, np.where(below, down, "similar")).astype(object)
    out[missing] = NOT_COMPARED
    return out


def compare_frame_to_benchmark(
    data: pd.DataFrame,
    benchmark: float,
    higher_is_better: bool | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Add ``comparison_<level>`` to a table from ``phe_proportion``/``phe_rate``/``phe_dsr``.

    Reads ``lower_ci_95``/``upper_ci_95`` (or ``lower_ci``/``upper_ci`` when the
    table has one level, which must then be ``confidence``) and compares each
    row with ``benchmark`` by :func:`compare_to_benchmark`. Returns a new
    DataFrame; the input is not modified.
    """
    level = confidence_level(confidence)
    suffix = level_suffix(level)
    lo_col, hi_col = f"lower_ci_{suffix}", f"upper_ci_{suffix}"
    if lo_col not in data.columns:
        if "lower_ci" not in data.columns:
            raise MethodInputError(f"the table has no {round(level * 100, 6):g}% interval columns")
        lo_col, hi_col = "lower_ci", "upper_ci"
        stated = set(data.get("confidence", pd.Series(dtype=object)).dropna())
        if stated and stated != {f"{round(level * 100, 6):g}%"}:
            raise MethodInputError(
                f"the table's interval is {', '.join(sorted(stated))}, not {level * 100:g}%"
            )
    out = data.copy()
    out[f"comparison_{suffix}"] = compare_to_benchmark(
        out[lo_col], out[hi_col], benchmark, higher_is_better
    )
    return out
