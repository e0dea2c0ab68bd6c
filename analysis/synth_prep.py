"""Synthetic control data preparation: the matrices X0, X1, Z0, Z1 for one fit.

Method: Abadie & Gardeazabal (2003, AER 93:113-32); Abadie, Diamond & Hainmueller
(2010, JASA 105:493-505; 2015, AJPS 59:495-510). Notation as in the papers and
pysyncon: ``X1`` (k predictors of the treated unit), ``X0`` (k × J donors),
``Z1``/``Z0`` the pre-period outcomes over which V is chosen.

Data preparation (:func:`dataprep`, :func:`panel_dataprep`) is separate from
estimation (:func:`analysis.synth.fit_synth`) and inference
(:func:`analysis.synth_inference.placebo_test`), as in pysyncon's ``Dataprep``.

Predictors a user chooses (:class:`PredictorChoice`, written ``NAME`` or
``NAME:FROM..TO`` on the command line, :func:`parse_predictor`) are each a mean
over a window of period starts (the whole pre-period by default) of: the
outcome itself (``outcome`` or the measure's own id), a site attribute from
the sites table (:data:`SITE_ATTRIBUTES`), or another loaded measure. As in
Abadie, Diamond & Hainmueller (2010, Table 1) and R's ``Synth`` (``predictors``
with ``predictors.op = "mean"``, ``special.predictors`` for outcome windows).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from analysis.panel import COMPARATOR, INTERVENTION, PanelError, require_columns

Predictor = tuple[str, Sequence[Any]]
"""A predictor: (column, periods over which its mean is taken)."""

OUTCOME = "outcome"
"""The predictor name for the outcome's own pre-period mean."""
SITE_ATTRIBUTES = ("imd_score", "imd_decile", "population")
"""Site attributes (sites table) that can be predictors."""


@dataclass(frozen=True, eq=False)
class PredictorChoice:
    """A predictor the user chose: the mean of ``name`` over period starts ``first``–``last``.

    ``name`` is :data:`OUTCOME`, a site attribute (:data:`SITE_ATTRIBUTES`) or
    another measure, whose rows (``site_code``, ``period_start``, ``value``)
    are ``rows``. ``first``/``last`` ``None``: the whole pre-period.
    """

    name: str
    first: pd.Timestamp | None = None
    last: pd.Timestamp | None = None
    rows: pd.DataFrame | None = None

    @property
    def kind(self) -> str:
        """``"outcome"``, ``"attribute"`` or ``"measure"``."""
        if self.name == OUTCOME:
            return "outcome"
        return "attribute" if self.name in SITE_ATTRIBUTES else "measure"


def parse_predictor(text: str) -> tuple[str, pd.Timestamp | None, pd.Timestamp | None]:
    """``NAME`` or ``NAME:FROM..TO`` (or ``NAME:PERIOD``) → name and window of period starts.

    Periods are written as dates are (``1964``, ``2019-04``, ``2019-04-01``).
    """
    name, _, window = text.strip().partition(":")
    if not name:
        raise PanelError(f"predictor '{text}': give a measure, outcome or site attribute")
    if not window:
        return name, None, None
    first, _, last = window.partition("..")
    try:
        start, end = pd.Timestamp(first.strip()), pd.Timestamp((last or first).strip())
    except ValueError as exc:
        raise PanelError(f"predictor '{text}': the window is written FROM..TO") from exc
    if end < start:
        raise PanelError(f"predictor '{text}': the window ends before it starts")
    return name, start, end


def resolve_predictors(
    texts: Sequence[str], measure: str, rows_of: Callable[[str], pd.DataFrame]
) -> list[PredictorChoice]:
    """:class:`PredictorChoice` for each text (:func:`parse_predictor`) of ``measure``'s comparison.

    The measure's own id is the outcome; another measure's rows come from
    ``rows_of`` (``Store.panel_rows``, which refuses unknown names).
    """
    chosen = []
    for text in texts:
        name, first, last = parse_predictor(text)
        if name in (OUTCOME, measure):
            chosen.append(PredictorChoice(OUTCOME, first, last))
        elif name in SITE_ATTRIBUTES:
            chosen.append(PredictorChoice(name, first, last))
        else:
            rows = rows_of(name)[["site_code", "period_start", "value"]]
            chosen.append(PredictorChoice(name, first, last, rows))
    return chosen


@dataclass(frozen=True)
class SynthData:
    """Matrices for one synthetic control fit (rows: predictors or periods; columns: donors).

    ``X0``/``X1`` are ``None`` when no predictors were asked for. ``Y0``/``Y1``
    hold the outcome over every period; ``Z0``/``Z1`` its pre-period rows used
    to choose V (and W for an outcomes-only fit). ``n_treated`` is the number of
    sites pooled into the treated unit; ``donor_weights`` (shaped as ``Y0``) the
    weight each donor would carry in such a pool in each period (``None``:
    equal weights), so that same-size placebos can be pooled the same way
    (:func:`analysis.synth_inference.placebo_test`); ``pooling`` names it.
    """

    treated: str
    treatment_time: Any
    X0: pd.DataFrame | None
    X1: pd.Series | None
    Z0: pd.DataFrame
    Z1: pd.Series
    Y0: pd.DataFrame
    Y1: pd.Series
    notes: tuple[str, ...] = ()
    n_treated: int = 1
    donor_weights: pd.DataFrame | None = None
    pooling: str = "unweighted mean"

    @property
    def pre(self) -> np.ndarray:
        """Flags of the periods before the treatment time (the pre-period)."""
        return np.asarray(self.Y1.index < self.treatment_time)


def dataprep(
    frame: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    treated: str,
    donors: Sequence[str],
    treatment_time: Any,
    predictors: Sequence[Predictor] = (),
    optimise_periods: Sequence[Any] | None = None,
    unit_predictors: pd.DataFrame | None = None,
) -> SynthData:
    """Build X0, X1, Z0, Z1 (and the full outcome series Y0, Y1) from a long frame.

    Each predictor is the mean of ``column`` over its periods (as pysyncon's
    ``Dataprep``); ``unit_predictors`` (one row per unit, one column per
    predictor) adds predictors already computed per unit. ``optimise_periods``
    (default: every pre-period) are the rows
    of Z. Periods where the treated outcome is missing are left out; donors with
    a missing outcome or predictor are dropped (and said so in ``notes``).
    Raises :class:`PanelError` for no donors, a unit in both groups, an all-missing
    treated outcome, or no pre-period.
    """
    donors = list(dict.fromkeys(donors))
    if treated in donors:
        raise PanelError(f"{treated} is both the treated unit and a donor")
    if not donors:
        raise PanelError("no donors (comparator sites) to build a synthetic control from")
    wide = frame.pivot_table(index=time, columns=unit, values=outcome, aggfunc="mean", dropna=False)
    if treated not in wide.columns or wide[treated].isna().all():
        raise PanelError(f"the treated unit {treated} has no {outcome} values")
    wide = wide.loc[wide[treated].notna()].sort_index()
    pre_periods = wide.index[wide.index < treatment_time]
    if len(pre_periods) == 0:
        raise PanelError(f"no pre-period: {treated} has no values before {treatment_time}")
    wanted = pre_periods if optimise_periods is None else optimise_periods
    opt = [p for p in wanted if p in pre_periods]
    if not opt:
        raise PanelError(f"no pre-period values of {treated} in the periods to optimise over")
    keep = [d for d in donors if d in wide.columns and wide[d].notna().all()]
    rows: dict[str, pd.Series] = {}
    for column, periods in predictors:
        label = f"{column} ({_span(periods)})"
        part = frame.loc[frame[time].isin(list(periods))]
        rows[label] = part.groupby(unit)[column].mean().reindex([treated, *donors])
    if unit_predictors is not None:
        for label in unit_predictors.columns:
            rows[str(label)] = unit_predictors[label].reindex([treated, *donors])
    X = pd.DataFrame(rows).T if rows else None
    if X is not None:
        missing = list(X.index[X[treated].isna()])
        if missing:
            raise PanelError(
                f"the treated unit {treated} has no value of the predictor(s) "
                f"{', '.join(map(str, missing))}"
            )
        keep = [d for d in keep if X[d].notna().all()]
    notes: tuple[str, ...] = ()
    if len(keep) < len(donors):
        dropped = [d for d in donors if d not in keep]
        notes = (f"{len(dropped)} donor(s) left out for missing values: {', '.join(dropped[:10])}",)
    if not keep:
        raise PanelError("no donors with complete values over the periods compared")
    return SynthData(
        treated=treated,
        treatment_time=treatment_time,
        X0=None if X is None else X[keep],
        X1=None if X is None else X[treated],
        Z0=wide.loc[opt, keep],
        Z1=wide.loc[opt, treated],
        Y0=wide[keep],
        Y1=wide[treated],
        notes=notes,
    )


def _span(periods: Sequence[Any]) -> str:
    dated = pd.Timestamp | np.datetime64
    values = [str(pd.Timestamp(p).date()) if isinstance(p, dated) else p for p in periods]
    return f"{values[0]}" if len(values) == 1 else f"{values[0]}–{values[-1]}"


def _check_panel(panel: pd.DataFrame) -> None:
    require_columns(panel, ["site_code", "group", "start_date", "period_start", "value"])
    groups = panel.groupby("site_code")["group"].nunique()
    both = sorted(groups.index[groups > 1])
    if both:
        raise PanelError(f"site(s) in both intervention and comparator groups: {', '.join(both)}")
    if not (panel["group"] == INTERVENTION).any():
        raise PanelError("no intervention sites in the panel")
    if panel.loc[panel["group"] == INTERVENTION, "start_date"].isna().all():
        raise PanelError("the intervention sites have no start date, so no pre/post periods")


def _weight_column(rows: pd.DataFrame) -> str | None:
    """The aggregation weight: denominator if every row has one, else population, else none."""
    for column in ("denominator", "population"):
        if column in rows and (rows[column] > 0).all():
            return column
    return None


def _weights(rows: pd.DataFrame, column: str | None) -> tuple[pd.Series, str]:
    """Aggregation weights of the rows in ``column`` (``None``: equal) and how they pool."""
    if column is None:
        return pd.Series(1.0, index=rows.index), "unweighted mean"
    return rows[column].astype(float), f"{column}-weighted mean"


def _donor_weights(
    donor_rows: pd.DataFrame, column: str | None, data: SynthData
) -> tuple[pd.DataFrame | None, str]:
    """Donors' weights per period (as ``data.Y0``) in the column pooling the treated sites.

    Equal weights (``None``) when the treated sites are not weighted or some
    donor row has no positive weight.
    """
    if column is None or not (donor_rows[column] > 0).all():
        return None, "unweighted mean"
    wide = donor_rows.pivot_table(
        index="period_start", columns="site_code", values=column, aggfunc="mean"
    )
    weights = wide.reindex(index=data.Y0.index, columns=data.Y0.columns).astype(float)
    if weights.isna().to_numpy().any():
        return None, "unweighted mean"
    return weights, f"{column}-weighted mean"


def panel_dataprep(
    panel: pd.DataFrame,
    *,
    predictors: bool = False,
    chosen: Sequence[PredictorChoice] = (),
) -> SynthData:
    """:func:`dataprep` for the tidy panel (:mod:`analysis.panel`): intervention sites vs donors.

    Several intervention sites are fitted as one treated unit, their
    denominator-weighted mean series (population-weighted when counts are
    missing, else the plain mean), treated from the earliest start date; the
    donors' weights in the same column are kept (``donor_weights``) so that
    placebos of as many donors are pooled alike.
    ``predictors=True`` adds as predictors the outcome mean in each quarter of the
    pre-period and the IMD score (or decile) when every site has one.
    ``chosen`` adds the user's predictors (:func:`unit_predictor_table`).
    """
    _check_panel(panel)
    rows = panel.loc[panel["value"].notna()].copy()
    treated_rows = rows.loc[rows["group"] == INTERVENTION]
    sites = sorted(panel.loc[panel["group"] == INTERVENTION, "site_code"].unique())
    if treated_rows.empty:
        raise PanelError(f"the intervention site(s) {', '.join(sites)} have no values")
    start = panel.loc[panel["group"] == INTERVENTION, "start_date"].min()
    column = _weight_column(treated_rows)
    weights, how = _weights(treated_rows, column)
    treated = sites[0] if len(sites) == 1 else f"intervention aggregate ({len(sites)} sites)"
    known = [c for c in ("imd_score", "imd_decile") if c in rows and rows[c].notna().all()]
    imd = known[0] if known else None
    columns = ["value", *known[:1]]
    sums = treated_rows[columns].mul(weights, axis=0).assign(_w=weights)
    agg = sums.groupby(treated_rows["period_start"]).sum()
    long = agg[columns].div(agg["_w"], axis=0).reset_index().assign(site_code=treated)
    donors = sorted(panel.loc[panel["group"] == COMPARATOR, "site_code"].unique())
    long = pd.concat([long, rows.loc[rows["group"] == COMPARATOR, long.columns]])
    preds: list[Predictor] = []
    pre_periods = sorted(long.loc[long["period_start"] < start, "period_start"].unique())
    if predictors and pre_periods:
        for block in np.array_split(np.asarray(pre_periods), min(4, len(pre_periods))):
            preds.append(("value", list(block)))
        if imd:
            preds.append((imd, pre_periods))
    data = dataprep(
        long,
        unit="site_code",
        time="period_start",
        outcome="value",
        treated=treated,
        donors=donors,
        treatment_time=start,
        predictors=preds,
        unit_predictors=(
            unit_predictor_table(chosen, rows, long, treated, start, weights) if chosen else None
        ),
    )
    if not (~data.pre).any():
        raise PanelError(f"no post-period: no intervention values on or after {start:%Y-%m-%d}")
    if len(sites) == 1:
        return data
    pooled = (
        f"fitted on the {how} of {len(sites)} intervention sites, "
        f"treated from the earliest start {start:%Y-%m-%d}"
    )
    donor_weights, pooling = _donor_weights(rows.loc[rows["group"] == COMPARATOR], column, data)
    return replace(
        data,
        notes=(*data.notes, pooled),
        n_treated=len(sites),
        donor_weights=donor_weights,
        pooling=pooling,
    )


def unit_predictor_table(
    chosen: Sequence[PredictorChoice],
    rows: pd.DataFrame,
    long: pd.DataFrame,
    treated: str,
    start: pd.Timestamp,
    weights: pd.Series,
) -> pd.DataFrame:
    """One row per unit (the treated unit and each donor), one column per chosen predictor.

    Each value is the mean over the predictor's window (default: period starts
    before ``start``) of the outcome (from ``long``, so the treated unit's is the
    mean of its pooled series), a site attribute or another measure's values.
    For attributes and other measures the treated unit's value is its sites'
    mean weighted by each site's sum of pooling weights (``weights``: the
    outcome's denominators or populations; 1 a row in an unweighted pool)
    over its pre-period rows.
    """
    treated_rows = rows.loc[rows["group"] == INTERVENTION]
    pre = treated_rows["period_start"] < start
    site_weight = weights[pre].groupby(treated_rows.loc[pre, "site_code"]).sum()
    granularity = str(rows["granularity"].mode().iloc[0]) if "granularity" in rows else "day"
    table: dict[str, pd.Series] = {}
    for choice in chosen:
        first = choice.first if choice.first is not None else long["period_start"].min()
        last = choice.last
        if choice.kind == "outcome":
            source, column = long, "value"
        elif choice.kind == "attribute":
            if choice.name not in rows or rows[choice.name].isna().all():
                raise PanelError(f"no site has a {choice.name} (add it to the sites file)")
            source, column = rows, choice.name
        elif choice.rows is None:
            raise PanelError(f"predictor {choice.name}: no rows of that measure were given")
        else:
            source, column = choice.rows, "value"
        when = pd.to_datetime(source["period_start"])
        inside = (when >= first) & ((when <= last) if last is not None else (when < start))
        means = source.loc[inside].groupby("site_code")[column].mean()
        if choice.kind != "outcome":
            sites = site_weight.index.intersection(means.dropna().index)
            share = site_weight[sites]
            pooled = float((means[sites] * share).sum() / share.sum()) if share.sum() > 0 else None
            means = means.drop(site_weight.index, errors="ignore")
            if pooled is not None:
                means[treated] = pooled
        table[_predictor_label(choice, first, last, start, granularity)] = means
    return pd.DataFrame(table)


def _predictor_label(
    choice: PredictorChoice,
    first: pd.Timestamp,
    last: pd.Timestamp | None,
    start: pd.Timestamp,
    granularity: str,
) -> str:
    """``name (FROM–TO)``, or the attribute's name alone when no window was given."""
    if choice.kind == "attribute" and choice.first is None:
        return choice.name
    fmt = {"month": "%b %Y", "quarter": "%b %Y", "day": "%Y-%m-%d"}.get(granularity, "%Y")
    end = f"before {start:{fmt}}" if last is None else f"{last:{fmt}}"
    begin = f"{first:{fmt}}"
    if choice.first is None or begin == end:
        return f"{choice.name} ({end})"
    return f"{choice.name} ({begin}–{end})"
