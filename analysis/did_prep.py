"""From the tidy panel to the arrays the comparison estimators need (checked once).

Data preparation is kept apart from estimation (as ``pysyncon.dataprep``):
:func:`prepare` checks the panel of :mod:`analysis.panel` and returns a
:class:`Design` of integer-coded sites and periods, the outcome, the treated
indicator (:func:`analysis.panel.is_post`) and each site's first post period.
``did``, ``event_study``, ``did_staggered`` and ``its`` all start here, so they
refuse the same panels with the same readable :class:`~analysis.panel.PanelError`.

Rules applied (each one reported in ``Design.notes``):

* rows without an outcome are left out (``value``; or numerator and a positive
  denominator for count models);
* an intervention site with no observed period before its start, or none on
  or after it, is left out: it has no before-and-after contrast, and in a
  fixed-effects regression it would act as a control;
* periods are numbered on the calendar of the panel's granularity (months,
  quarters, years, days), so event times count periods even across gaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from analysis.panel import COMPARATOR, INTERVENTION, PanelError, is_post, require_columns

Outcome = Literal["value", "counts"]
Weights = Literal["auto", "none", "denominator"]

NEVER = np.inf
"""Cohort of a comparator site: never starts."""

FEW_TREATED = 10
"""Below this many intervention sites, clustered SEs are too small (MacKinnon & Webb 2017)."""


@dataclass(frozen=True, eq=False)
class Design:
    """A checked panel as arrays: one entry per row kept (``site``, ``period``, …).

    ``y`` is the outcome (``value``, or the numerator for count models).
    ``site``/``period`` index ``site_codes``/``period_starts``; ``period_number``
    gives each period's position on the calendar (so ``cohort - period_number``
    is an event time in periods). ``cohort`` is per site: the calendar number of
    its first post period, or ``inf`` for comparators.
    """

    site: np.ndarray
    period: np.ndarray
    y: np.ndarray
    value: np.ndarray
    numerator: np.ndarray
    denominator: np.ndarray
    treated: np.ndarray
    site_codes: np.ndarray
    period_starts: np.ndarray
    period_number: np.ndarray
    cohort: np.ndarray
    granularity: str
    notes: tuple[str, ...]

    @property
    def n_sites(self) -> int:
        """Number of sites kept."""
        return len(self.site_codes)

    @property
    def n_periods(self) -> int:
        """Number of distinct periods observed."""
        return len(self.period_starts)

    @property
    def intervention(self) -> np.ndarray:
        """Per site: is it an intervention site."""
        return np.isfinite(self.cohort)

    @property
    def n_intervention(self) -> int:
        """Number of intervention sites kept."""
        return int(self.intervention.sum())

    @property
    def n_comparator(self) -> int:
        """Number of comparator sites kept."""
        return int((~self.intervention).sum())

    def few_treated_note(self) -> list[str]:
        """A warning when too few intervention sites for clustered standard errors."""
        if self.n_intervention >= FEW_TREATED:
            return []
        return [
            f"only {self.n_intervention} intervention site(s): standard errors clustered by "
            "site understate the uncertainty when so few sites are treated (MacKinnon & Webb "
            "2017), so the interval is too narrow and the p-value too small"
        ]

    def periods_around_start(self) -> tuple[int, int]:
        """Periods before the earliest start, and from it onwards (observed ones)."""
        first = self.cohort[self.intervention].min()
        pre = int((self.period_number < first).sum())
        return pre, self.n_periods - pre


def require_whole_counts(numerator: np.ndarray, measure: str) -> None:
    """Refuse a count scale when a numerator is not a whole number (raises :class:`PanelError`).

    Some Fingertips indicators publish apportioned counts (e.g. events shared
    between areas); they are kept as published, but a Poisson or binomial
    model, or events avoided from counts, needs whole numbers of events.
    """
    count = np.isfinite(numerator) & (numerator != np.round(numerator))
    if count.any():
        raise PanelError(
            f"{measure}: {int(count.sum())} row(s) have counts that are not whole numbers "
            "(apportioned, as some Fingertips indicators publish them); count-scale models "
            "need whole numbers of events, so there is no count scale"
        )


def period_numbers(starts: pd.DatetimeIndex, granularity: str) -> np.ndarray:
    """Calendar position of each period start: months, quarters, years or days."""
    year, month = starts.year.to_numpy(), starts.month.to_numpy()
    if granularity == "month":
        return year * 12 + month - 1
    if granularity == "quarter":
        return (year * 12 + month - 1) // 3
    if granularity in ("year", "financial_year", "multi_year"):
        return year
    return (starts - pd.Timestamp("1970-01-01")).days.to_numpy()


def _names(codes: np.ndarray, limit: int = 5) -> str:
    shown = ", ".join(str(c) for c in codes[:limit])
    return shown + (f" and {len(codes) - limit} more" if len(codes) > limit else "")


def prepare(
    panel: pd.DataFrame,
    measure: str,
    *,
    outcome: Outcome = "value",
    require_comparators: bool = True,
) -> Design:
    """Check ``panel`` (see :mod:`analysis.panel`) and code it for the estimators.

    Parameters
    ----------
    panel:
        The tidy panel of one measure; never modified.
    measure:
        The measure's id, used in messages.
    outcome:
        ``"value"`` (the measure in its display unit) or ``"counts"``
        (numerator with a positive denominator, for Poisson models).
    require_comparators:
        Whether comparator sites are needed (DiD: yes; interrupted time
        series: optional).

    Raises
    ------
    PanelError
        no rows with an outcome; counts that are not whole numbers (``outcome="counts"``,
        :func:`require_whole_counts`); a site in both groups; a group other than
        intervention/comparator; an intervention site without a start date,
        with two, or with rows lacking one; two rows for one site and period; one period only; mixed
        granularities; no intervention sites; no comparators (when required);
        no pre-period; no post period.
    """
    require_columns(panel, ("site_code", "group", "start_date", "period_start", "value"))
    notes: list[str] = []
    group = panel["group"]
    unknown = sorted(set(pd.unique(group.dropna().astype("str"))) - {INTERVENTION, COMPARATOR})
    if unknown or group.isna().any():
        shown = ", ".join(unknown) if unknown else "(empty)"
        raise PanelError(f"{measure}: unknown group(s) {shown} in the panel")
    is_int = (group == INTERVENTION).to_numpy(dtype=bool)
    codes, site_codes = pd.factorize(panel["site_code"])
    site_codes = np.asarray(site_codes, dtype=object)
    n_sites = len(site_codes)
    int_rows = np.bincount(codes, is_int, n_sites)
    rows_per_site = np.bincount(codes, minlength=n_sites)
    both = site_codes[(int_rows > 0) & (int_rows < rows_per_site)]
    if len(both):
        raise PanelError(
            f"{measure}: site(s) {_names(both)} are in both the intervention and the "
            "comparator group; each site must be in one group"
        )
    intervention_site = int_rows > 0

    if outcome == "counts":
        require_columns(panel, ("numerator", "denominator"))
        num = panel["numerator"].to_numpy(dtype=float, na_value=np.nan)
        den = panel["denominator"].to_numpy(dtype=float, na_value=np.nan)
        keep = np.isfinite(num) & np.isfinite(den) & (den > 0) & (num >= 0)
        require_whole_counts(num[keep], measure)
        what = "counts (numerator and a positive denominator)"
    else:
        keep = np.isfinite(panel["value"].to_numpy(dtype=float, na_value=np.nan))
        what = "values"
    if not keep.any():
        raise PanelError(f"{measure}: no {what} in the panel: every row is missing")
    if not keep.all():
        notes.append(f"{int((~keep).sum())} row(s) without {what} left out")

    gran = panel["granularity"].dropna().unique() if "granularity" in panel else np.array([])
    if len(gran) > 1:
        raise PanelError(f"{measure}: periods of mixed granularity ({', '.join(map(str, gran))})")
    granularity = str(gran[0]) if len(gran) else "date"

    start = pd.to_datetime(panel["start_date"]).to_numpy(dtype="datetime64[ns]")
    site_start = _site_starts(codes, start, is_int, site_codes, measure)
    no_start = intervention_site & np.isnat(site_start)
    if no_start.any():
        raise PanelError(
            f"{measure}: intervention site(s) {_names(site_codes[no_start])} have no start date"
        )
    gaps = np.bincount(codes, is_int & np.isnat(start), n_sites) > 0
    if gaps.any():
        raise PanelError(
            f"{measure}: intervention site(s) {_names(site_codes[gaps])} have rows without "
            "a start date"
        )
    treated = is_post(panel).to_numpy(dtype=bool)
    period_codes, grid = pd.factorize(
        pd.to_datetime(panel["period_start"]).to_numpy(dtype="datetime64[ns]")[keep], sort=True
    )
    grid = np.asarray(grid, dtype="datetime64[ns]")
    if len(grid) < 2:
        raise PanelError(f"{measure}: one period only; a comparison needs periods before and after")
    codes, treated, is_int = codes[keep], treated[keep], is_int[keep]
    numbers = period_numbers(pd.DatetimeIndex(grid), granularity)
    position = np.searchsorted(grid, site_start[intervention_site])
    cohort = np.full(n_sites, NEVER)
    cohort[intervention_site] = np.where(
        position < len(grid), numbers[np.minimum(position, len(grid) - 1)], NEVER
    )

    seen = np.bincount(codes, minlength=n_sites) > 0
    has_pre = np.bincount(codes, is_int & ~treated, n_sites) > 0
    has_post = np.bincount(codes, is_int & treated, n_sites) > 0
    late = intervention_site & seen & ~has_post
    no_pre = intervention_site & seen & has_post & ~has_pre
    if late.any():
        notes.append(
            f"intervention site(s) {_names(site_codes[late])} have no period on or after "
            "their start and were left out"
        )
    if no_pre.any():
        notes.append(
            f"intervention site(s) {_names(site_codes[no_pre])} have no period before their "
            "start and were left out"
        )
    if (~seen).any():
        notes.append(f"site(s) {_names(site_codes[~seen])} have no {what} and were left out")
    drop_site = late | no_pre | ~seen
    if not (intervention_site & ~drop_site).any():
        if no_pre.any():
            raise PanelError(
                f"{measure}: no pre-period: no intervention site has data before its start date"
            )
        if late.any():
            raise PanelError(
                f"{measure}: no post period: no intervention site has data on or after its "
                "start date"
            )
        raise PanelError(f"{measure}: no intervention sites in the panel")
    if require_comparators and not (~intervention_site & ~drop_site).any():
        raise PanelError(
            f"{measure}: no comparator sites; a difference-in-differences needs sites "
            "without the programme"
        )

    row = ~drop_site[codes]
    kept_sites = np.flatnonzero(~drop_site)
    site, period = codes, period_codes
    if not row.all():
        remap = np.cumsum(~drop_site) - 1
        site, period = remap[codes[row]], period_codes[row]
    used = np.bincount(period, minlength=len(grid)) > 0
    if used.sum() < 2:
        raise PanelError(f"{measure}: one period only; a comparison needs periods before and after")
    if not used.all():
        period = (np.cumsum(used) - 1)[period]
    n_periods = int(used.sum())
    pairs = np.bincount(site.astype(np.int64) * n_periods + period)
    if pairs.max() > 1:
        twice = np.unique(np.flatnonzero(pairs > 1) // n_periods)
        raise PanelError(
            f"{measure}: site(s) {_names(site_codes[kept_sites][twice])} have more than one "
            "row for a period"
        )
    take = np.flatnonzero(keep)[row] if not row.all() else np.flatnonzero(keep)
    everything = len(take) == len(panel)

    def column(name: str) -> np.ndarray:
        if name not in panel:
            return np.full(len(site), np.nan)
        values = panel[name].to_numpy(dtype=float, na_value=np.nan)
        return values if everything else values[take]

    value = column("value")
    numerator = column("numerator")
    return Design(
        site=site,
        period=period,
        y=numerator if outcome == "counts" else value,
        value=value,
        numerator=numerator,
        denominator=column("denominator"),
        treated=treated if row.all() else treated[row],
        site_codes=site_codes[kept_sites],
        period_starts=grid[used],
        period_number=numbers[used],
        cohort=cohort[kept_sites],
        granularity=granularity,
        notes=tuple(notes),
    )


def _site_starts(
    codes: np.ndarray,
    start: np.ndarray,
    is_int: np.ndarray,
    site_codes: np.ndarray,
    measure: str,
) -> np.ndarray:
    """One start date per site (NaT for comparators); two different dates are an error."""
    rows = is_int & ~np.isnat(start)
    out = np.full(len(site_codes), np.datetime64("NaT"), dtype="datetime64[ns]")
    out[codes[rows]] = start[rows]
    clash = np.unique(codes[rows][start[rows] != out[codes[rows]]])
    if len(clash):
        raise PanelError(
            f"{measure}: intervention site(s) {_names(site_codes[clash])} have more than one "
            "start date"
        )
    return out


def row_weights(
    design: Design, weights: Weights, measure: str
) -> tuple[np.ndarray | None, str, str | None]:
    """Regression weights per row: the denominator, or none; with a label and a note.

    ``"auto"`` weights by denominator when every row kept has a positive one
    (so a site's rate counts in proportion to its population) and otherwise
    leaves rows unweighted, saying so; ``"denominator"`` insists.
    """
    den = design.denominator
    usable = bool(np.all(np.isfinite(den) & (den > 0)))
    if weights == "none" or (weights == "auto" and not usable):
        note = None
        if weights == "auto" and np.isfinite(den).any():
            note = "not every row has a denominator: rows are unweighted"
        return None, "none", note
    if not usable:
        raise PanelError(
            f"{measure}: weighting by denominator needs a positive denominator in every row"
        )
    return den, "denominator", None
