"""Periods pooled: one row per site over a window (last 12 months, a financial year, all periods).

A practice month is 30–130 people, so a funnel plot, a comparison of areas or
an inequality index read one month at a time is mostly noise. Pooling sums
each site's counts over the periods of a window (:func:`pool_periods`), the
way Fingertips pools years for small areas:

- **counts**: value = Σ numerator ÷ Σ denominator × multiplier over the
  site's periods in the window. For a rate, Σ denominator is person-periods,
  so the pooled rate keeps the source's unit (per month for monthly data);
  ``granularity`` stays the source's for that reason.
- **value-only sites** (no counts): the denominator-weighted mean
  Σ(value × denominator) ÷ Σ denominator when every period has a
  denominator, else the plain mean of the values; the method says which.
- Published intervals do not pool: they are empty, except for a site with a
  single period in the window (its row is kept as it is). A published value
  that is not the crude rate (e.g. directly standardised) cannot be pooled
  from counts: the pooled value is the crude rate, and a note says so.
- A site missing periods keeps what it has: ``n_periods`` says how many it
  pooled, and a note how many sites fall short.

:func:`pooling_choices` lists the windows a measure offers and
:func:`default_choice` picks the one shown first: the last 12 months for
monthly and quarterly data (a site's denominator is otherwise tiny), the
latest period for yearly data. :func:`pooled_series` makes the series an SPC
chart needs: each period, rolling 12 months, or whole financial years.

Small-number suppression is not applied here: the rows are unsuppressed
inputs for the analysis functions (Funnel plot, Compare areas, SPC,
Inequalities), which suppress pooled counts of 1–7 as they do any count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.site_intervals import published_is_crude
from analysis.site_levels import has_counts, type_phrase

PoolKind = Literal["period", "last_12_months", "financial_year", "all"]
SeriesKind = Literal["period", "rolling_12_months", "financial_years"]

SUB_ANNUAL = ("date", "month", "quarter")
"""Granularities with more than one period a year: pooled over 12 months by default."""
PERIOD_WORDS = {
    "date": "days",
    "month": "months",
    "quarter": "quarters",
    "financial_year": "financial years",
    "year": "years",
    "multi_year": "periods",
}
POINT_WORDS = {"date": "Daily points", "month": "Monthly points", "quarter": "Quarterly points"}
TWELVE_MONTHS = pd.DateOffset(months=12)
ONE_DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Pooling:
    """A window of periods to pool: its kind, first and last day, and a label where it has one.

    ``period_label`` is the period itself for ``kind="period"`` and the
    financial year (``"2023/24"``) for ``kind="financial_year"``.
    """

    kind: PoolKind
    start: pd.Timestamp
    end: pd.Timestamp
    period_label: str | None = None

    @property
    def text(self) -> str:
        """What a period picker shows."""
        span = f"{self.start:%b %Y} – {self.end:%b %Y}"
        if self.kind == "period":
            return f"{self.period_label} (one period)"
        if self.kind == "last_12_months":
            return f"Last 12 months ({span})"
        if self.kind == "financial_year":
            return f"Financial year {self.period_label}"
        return f"All periods ({span})"

    @property
    def file_label(self) -> str:
        """The window in a file name: the period (``2023-24``), or ``2023-04_to_2024-03``."""
        if self.kind == "period":
            return str(self.period_label).replace("/", "-").replace(" ", "_")
        return f"{self.start:%Y-%m}_to_{self.end:%Y-%m}"


@dataclass(frozen=True)
class PooledRows:
    """The rows of a window, one per site (and granularity), with what was pooled.

    ``rows`` keep the input's columns, with ``period_start``/``period_end``
    the window's first and last day of data, ``period_label`` = ``label`` and
    ``n_periods`` the periods each site pooled. ``label`` reads like "Apr
    2023 – Mar 2024, 12 months pooled" (the period itself for one period);
    ``n_periods`` is the number of distinct periods in the window.
    """

    rows: pd.DataFrame
    pooling: Pooling
    label: str
    n_periods: int
    method: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class PooledSeries:
    """Rows of one series per site: each period, or rolling / financial-year windows, with notes."""

    rows: pd.DataFrame
    kind: SeriesKind
    notes: tuple[str, ...]


def is_sub_annual(rows: pd.DataFrame) -> bool:
    """True when some rows are days, months or quarters (more than one period a year)."""
    return bool(rows["granularity"].isin(SUB_ANNUAL).any())


def _finest(rows: pd.DataFrame) -> str:
    order = list(PERIOD_WORDS)
    present = [g for g in rows["granularity"].dropna().unique() if g in PERIOD_WORDS]
    return min(present, key=order.index) if present else "multi_year"


def _financial_year(day: pd.Timestamp) -> int:
    """The year a financial year (April–March) containing ``day`` starts in."""
    return day.year if day.month >= 4 else day.year - 1


def _fy_label(year: int) -> str:
    return f"{year}/{(year + 1) % 100:02d}"


def pooling_choices(rows: pd.DataFrame) -> list[Pooling]:
    """The windows ``rows`` can be pooled over, for a picker: pooled windows first, then periods.

    Sub-annual data (days, months, quarters): the last 12 months, each
    financial year with data (latest first), all periods. Yearly data: all
    periods (when there are two or more). Then every single period, latest
    first. Empty for empty ``rows``.
    """
    periods = rows.drop_duplicates("period_label").sort_values("period_start")
    singles = [
        Pooling("period", pd.Timestamp(r.period_start), pd.Timestamp(r.period_end), r.period_label)
        for r in periods.iloc[::-1].itertuples(index=False)
    ]
    if len(singles) <= 1:
        return singles
    first, last = (
        pd.Timestamp(periods["period_start"].min()),
        pd.Timestamp(rows["period_end"].max()),
    )
    windows = []
    if is_sub_annual(rows):
        windows.append(Pooling("last_12_months", max(first, last + ONE_DAY - TWELVE_MONTHS), last))
        years = sorted({_financial_year(pd.Timestamp(d)) for d in periods["period_start"]})
        windows += [
            Pooling(
                "financial_year",
                pd.Timestamp(year, 4, 1),
                pd.Timestamp(year + 1, 3, 31),
                _fy_label(year),
            )
            for year in reversed(years)
        ]
    windows.append(Pooling("all", first, last))
    return windows + singles


def default_choice(choices: list[Pooling]) -> int:
    """Index of the window shown first: the last 12 months when offered, else the latest period."""
    kinds = [c.kind for c in choices]
    return kinds.index("last_12_months") if "last_12_months" in kinds else kinds.index("period")


def _pool(rows: pd.DataFrame, windows: pd.DataFrame, multiplier: float) -> pd.DataFrame:
    """Each site's rows summed within each window (module rules), one row per window and site.

    ``windows`` has ``window_start``, ``window_end`` (the periods inside
    them are pooled), ``point_start`` and ``label`` (the output's
    ``period_start`` and ``period_label``); the output's ``period_end`` is
    ``window_end``. Rows with neither counts nor a value are left out.
    """
    data = rows[has_counts(rows) | rows["value"].notna()]
    periods = data[["period_start", "period_end"]].drop_duplicates()
    pairs = periods.merge(windows, how="cross")
    pairs = pairs[
        (pairs["period_start"] >= pairs["window_start"])
        & (pairs["period_end"] <= pairs["window_end"])
    ]
    joined = data.merge(pairs, on=["period_start", "period_end"]).sort_values("period_start")
    counted = has_counts(joined)
    weighted = joined["value"].notna() & (joined["denominator"] > 0)
    joined = joined.assign(
        _counted=counted,
        _crude=counted & published_is_crude(joined, multiplier),
        _num=joined["numerator"].where(counted),
        _den=joined["denominator"].where(counted),
        _valued=joined["value"].notna(),
        _weighted=weighted,
        _wv=(joined["value"] * joined["denominator"]).where(weighted),
        _w=joined["denominator"].where(weighted),
    )
    keys = ["label", "site_code", "granularity"]
    grouped = joined.groupby(keys, sort=False, dropna=False)
    agg = grouped.agg(
        n_periods=("period_start", "nunique"),
        n_rows=("period_start", "size"),
        n_counted=("_counted", "sum"),
        n_crude=("_crude", "sum"),
        numerator=("_num", "sum"),
        denominator=("_den", "sum"),
        n_valued=("_valued", "sum"),
        value_mean=("value", "mean"),
        n_weighted=("_weighted", "sum"),
        wv=("_wv", "sum"),
        w=("_w", "sum"),
    )
    out = joined.drop_duplicates(keys, keep="last").set_index(keys)
    out = out.drop(columns=[c for c in out.columns if c.startswith("_")])
    agg = agg.reindex(out.index)
    counts = agg["n_counted"] == agg["n_rows"]
    weights = ~counts & (agg["n_weighted"] == agg["n_valued"])
    single = agg["n_rows"] == 1
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(
            counts,
            agg["numerator"] / agg["denominator"] * multiplier,
            np.where(weights, agg["wv"] / agg["w"], agg["value_mean"]),
        )
    out["numerator"] = agg["numerator"].where(counts)
    out["denominator"] = np.where(counts, agg["denominator"], agg["w"].where(weights))
    out["value"] = np.where(single, out["value"], value)
    for column in ("lower_ci", "upper_ci"):
        if column in out:
            out[column] = out[column].where(single)
    out["n_periods"] = agg["n_periods"]
    out["pooled_by"] = np.where(counts, "counts", np.where(weights, "weighted mean", "mean"))
    out["pooled_standardised"] = counts & ~single & (agg["n_crude"] < agg["n_rows"])
    out["period_start"] = out["point_start"]
    out["period_end"] = out["window_end"]
    out = out.drop(columns=["period_label", "window_start", "window_end", "point_start"])
    out = out.reset_index().rename(columns={"label": "period_label"})
    return out.sort_values(["site_code", "period_start"]).reset_index(drop=True)


def _method(pooled: pd.DataFrame, multiplier: float) -> str:
    words = {
        "counts": f"Σ numerator ÷ Σ denominator × {multiplier:,.0f} over the periods pooled",
        "weighted mean": "denominator-weighted mean of the periods' values (no counts)",
        "mean": "mean of the periods' values (no counts or denominators)",
    }
    used = [words[k] for k in words if (pooled["pooled_by"] == k).any()]
    return "; ".join(used) or "nothing to pool"


def _notes(pooled: pd.DataFrame, expected: dict[str, int]) -> tuple[str, ...]:
    """Plain notes: sites short of periods (against ``expected`` per granularity), how pooled."""
    notes = []
    for (site_type, granularity), part in pooled.groupby(["site_type", "granularity"]):
        n_periods = expected[str(granularity)]
        word = PERIOD_WORDS.get(str(granularity), "periods")
        short = part[part["n_periods"] < n_periods]
        if len(short):
            notes.append(
                f"{len(short):,} of {part['site_code'].nunique():,} {type_phrase(site_type)} "
                f"report fewer than the {n_periods} {word} pooled (fewest: "
                f"{int(short['n_periods'].min())}): each one's value covers the periods it "
                "reports."
            )
    if (pooled["pooled_by"] != "counts").any():
        notes.append(
            "Sites without counts are pooled as a mean of their values; published intervals "
            "do not pool, so they have none."
        )
    if pooled["pooled_standardised"].any():
        notes.append(
            "Published values that are not the crude rate (e.g. directly standardised rates) "
            "cannot be pooled across periods: the pooled value is the crude rate of the summed "
            "counts."
        )
    return tuple(notes)


def pool_periods(rows: pd.DataFrame, pooling: Pooling, multiplier: float) -> PooledRows:
    """One row per site with its counts summed over the periods of ``pooling`` (module rules).

    Parameters
    ----------
    rows:
        A measure's **unsuppressed** rows (``Store.panel_rows``, or
        :func:`analysis.site_levels.level_rows`): site × period with
        ``numerator``, ``denominator``, ``value``, ``granularity``.
    pooling:
        From :func:`pooling_choices`. ``kind="period"`` keeps that period's
        rows as they are (``n_periods`` = 1); the others pool the periods
        lying wholly between ``pooling.start`` and ``pooling.end``.
    multiplier:
        The measure's display multiplier (100 for %, 100,000 per 100,000).

    Returns
    -------
    PooledRows
        The rows (input columns, the window as ``period_start``,
        ``period_end``, ``period_label``, and ``n_periods``), its label
        ("Apr 2023 – Mar 2024, 12 months pooled"), the method and notes. The
        input is not modified.
    """
    if pooling.kind == "period":
        part = rows[rows["period_label"] == pooling.period_label].copy()
        part["n_periods"] = 1
        return PooledRows(
            part.reset_index(drop=True), pooling, str(pooling.period_label), 1, "one period", ()
        )
    inside = rows[(rows["period_start"] >= pooling.start) & (rows["period_end"] <= pooling.end)]
    expected = inside.groupby("granularity")["period_label"].nunique().to_dict()
    finest = _finest(inside)
    n_periods = int(expected.get(finest, 0))
    if n_periods == 0:
        return PooledRows(
            rows.iloc[:0].assign(n_periods=pd.Series(dtype="int64")),
            pooling,
            pooling.text,
            0,
            "nothing to pool",
            (),
        )
    first, last = (
        pd.Timestamp(inside["period_start"].min()),
        pd.Timestamp(inside["period_end"].max()),
    )
    word = PERIOD_WORDS[finest]
    label = f"{first:%b %Y} – {last:%b %Y}, {n_periods} {word} pooled"
    if pooling.kind == "financial_year":
        label = f"{pooling.period_label}: {label}"
    window = pd.DataFrame(
        {"window_start": [first], "window_end": [last], "point_start": [first], "label": [label]}
    )
    pooled = _pool(inside, window, multiplier)
    notes = _notes(pooled, expected)
    method = _method(pooled, multiplier)
    out = pooled.drop(columns=["pooled_by", "pooled_standardised"])
    return PooledRows(out, pooling, label, n_periods, method, notes)


def series_choices(rows: pd.DataFrame) -> dict[SeriesKind, str]:
    """The series an SPC chart can show, as kind → label; empty for yearly data (no choice)."""
    if not is_sub_annual(rows):
        return {}
    return {
        "period": POINT_WORDS[_finest(rows)],
        "rolling_12_months": "Rolling 12 months",
        "financial_years": "Financial years",
    }


ROLLING_NOTE = (
    "Rolling 12 months: each point pools the 12 months to its date, so neighbouring points "
    "share 11 of them and are not independent. Runs and trends then appear more often than "
    "the SPC rules assume (Making Data Count advises against rolling figures on an XmR "
    "chart): read the level here, and judge signals on the single periods."
)


def pooled_series(rows: pd.DataFrame, kind: SeriesKind, multiplier: float) -> PooledSeries:
    """Each site's series of ``kind``: each period, rolling 12 months, or whole financial years.

    ``"period"`` returns the rows as they are. ``"rolling_12_months"``: one
    point per period end E (from the 12th month of the data on), pooling the
    periods within (E − 12 months, E], drawn at the start of its last period
    and labelled "12 months to Mar 2024". ``"financial_years"``: each whole
    financial year inside the data (April–March), labelled "2023/24". Counts
    are pooled as in :func:`pool_periods`; ``n_periods`` says how many periods
    each point pooled.
    """
    if kind == "period" or rows.empty:
        return PooledSeries(rows, kind, ())
    first, last = pd.Timestamp(rows["period_start"].min()), pd.Timestamp(rows["period_end"].max())
    if kind == "rolling_12_months":
        periods = rows[["period_start", "period_end"]].drop_duplicates().sort_values("period_end")
        ends = pd.to_datetime(periods["period_end"])
        starts = ends + ONE_DAY - TWELVE_MONTHS
        keep = (starts >= first).to_numpy()
        windows = pd.DataFrame(
            {
                "window_start": starts[keep].to_numpy(),
                "window_end": ends[keep].to_numpy(),
                "point_start": pd.to_datetime(periods["period_start"])[keep].to_numpy(),
                "label": [f"12 months to {e:%b %Y}" for e in ends[keep]],
            }
        )
        notes = [ROLLING_NOTE]
    else:
        years = range(_financial_year(first), _financial_year(last) + 1)
        whole = [
            y
            for y in years
            if pd.Timestamp(y, 4, 1) >= first and pd.Timestamp(y + 1, 3, 31) <= last
        ]
        windows = pd.DataFrame(
            {
                "window_start": [pd.Timestamp(y, 4, 1) for y in whole],
                "window_end": [pd.Timestamp(y + 1, 3, 31) for y in whole],
                "point_start": [pd.Timestamp(y, 4, 1) for y in whole],
                "label": [_fy_label(y) for y in whole],
            }
        )
        notes = [
            f"Whole financial years (April–March) inside the data ({first:%b %Y} – "
            f"{last:%b %Y}); months outside them are left out."
        ]
    if windows.empty:
        return PooledSeries(rows.iloc[:0].assign(n_periods=pd.Series(dtype="int64")), kind, ())
    out = _pool(rows, windows, multiplier).drop(columns=["pooled_by", "pooled_standardised"])
    return PooledSeries(out, kind, tuple(notes))
