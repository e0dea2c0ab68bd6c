"""The use cases: the one path from the store to a method's answer.

Pages, the command line and the report call these and only draw or print, so a
figure has one value, sign, unit and name wherever it is shown:

- :func:`measure_definition`: a measure's :class:`MeasureDefinition`, decoded once;
- :func:`comparison_for` / :func:`comparison_from_rows`: did it work? (store →
  panel → method → :class:`~analysis.compare.Comparison`);
- :func:`events_for`: the comparison's effect as a benefit in events (events
  avoided where lower is better, extra people where higher is better) on the
  count scale of every method where counts exist, else a value-only rate ×
  population with the measure's own period length;
- :func:`savings_for` / :func:`savings_from`: events → £ with intervals and ROI;
- :func:`inequality_for`: the deprivation picture, whether the gap narrowed and the
  programme's effect on it (:func:`gap_effect_from`);
- :func:`load_files`: files a user brings (with a column mapping where their
  columns are named otherwise, :func:`file_headers`) → one all-or-nothing load;
- :func:`measures_from_records`: an uploaded record file counted by a recipe on
  DuckDB (:mod:`analysis.aggregate`) into measures that :func:`load_files` loads;
- :func:`save_programme` / :func:`use_programme`: a named programme saved as a load,
  and made the saved grouping that every method uses.

The ``*_for`` functions read the store; the ``*_from`` functions take what was
read (the pages cache it per store version) and compute the same answer.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

import pandas as pd

from analysis.aggregate import MeasuresResult, aggregate
from analysis.arms import build_panel, default_arms, restrict_window
from analysis.column_mapping import ColumnMapping
from analysis.compare import Comparison, MethodChoice, run_comparison
from analysis.costs import CostTable
from analysis.denominators import population_rows
from analysis.disclosure import DEFAULT_RULE, DisclosureRule, publishable, suppress
from analysis.discounting import GREEN_BOOK_RATE, FirstYear
from analysis.effect import Effect, _finite_or_none
from analysis.engines import FILE_SUFFIXES, connect, records_table
from analysis.errors import HiodError, LoadRejected
from analysis.events_avoided import EventsAvoided, events_avoided_from_effect
from analysis.inequality_change_view import GapChange, gap_change
from analysis.inequality_gap_effect import DEFAULT_DRAWS as GAP_EFFECT_DRAWS
from analysis.inequality_gap_effect import (
    MIN_QUINTILE_SITES,
    GapEffect,
    QuintileEffect,
    gap_effect,
    intervention_quintiles,
)
from analysis.inequality_groups import area_rows, is_breakdown
from analysis.inequality_indices import DEFAULT_SEED as INEQUALITY_SEED
from analysis.inequality_view import InequalityResult, inequality_result
from analysis.ingest import FileHeader, PreparedFile, inspect_file, prepare_batch
from analysis.measure_definition import MeasureDefinition, definition_from_row
from analysis.panel import PanelError
from analysis.periods import parse_period
from analysis.programmes import (
    Programme,
    ProgrammeError,
    matching_programme,
    programme_from_grouping,
    programme_grouping,
)
from analysis.rates import MethodInputError
from analysis.readers import ReadFailed, read_table
from analysis.recipes import Recipe
from analysis.roi import ReturnOnInvestment, return_on_investment
from analysis.savings import (
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    CostDistribution,
    SavingsEstimate,
    simulate_savings,
)
from analysis.savings_numbers import SavingsInputError
from analysis.store import LoadOutcome, Store
from analysis.synth_prep import PredictorChoice, resolve_predictors

Window = tuple[pd.Timestamp, pd.Timestamp]


def measure_definition(store: Store, measure: str) -> MeasureDefinition:
    """The stored definition of ``measure`` (raises UnknownName for a measure with no data)."""
    store.check_measure(measure)
    row = store.measures_overview().set_index("measure").loc[measure]
    return definition_from_row(measure, row.to_dict())


def definitions_from_overview(overview: pd.DataFrame) -> dict[str, MeasureDefinition]:
    """Every measure's definition from one ``Store.measures_overview`` table."""
    return {
        str(r["measure"]): definition_from_row(str(r["measure"]), r)
        for r in overview.to_dict("records")
    }


def comparison_from_rows(
    rows: pd.DataFrame,
    definition: MeasureDefinition,
    method: MethodChoice = "auto",
    *,
    intervention: Sequence[str] | None = None,
    comparators: Sequence[str] | None = None,
    window: Window | None = None,
    predictors: Sequence[PredictorChoice] = (),
) -> Comparison:
    """The comparison for a measure's rows (``Store.panel_rows``).

    The arms are the saved grouping unless ``intervention``/``comparators`` are
    given (the Compare page's choices); ``window`` keeps the periods starting
    between its two dates; ``predictors`` are synthetic control's.
    """
    if intervention is None and comparators is None:
        panel = build_panel(rows)
    else:
        panel = build_panel(rows, list(intervention or []), list(comparators or []))
    if window is not None:
        panel = restrict_window(panel, *window)
    return run_comparison(panel, definition, method, predictors)


def comparison_for(
    store: Store, measure: str, method: MethodChoice = "auto", predictors: Sequence[str] = ()
) -> Comparison:
    """The comparison for ``measure`` under the saved grouping.

    ``predictors``: synthetic control's, each ``NAME`` or ``NAME:FROM..TO``
    (:func:`analysis.synth_prep.resolve_predictors`).
    """
    definition = measure_definition(store, measure)
    chosen = resolve_predictors(predictors, measure, store.panel_rows)
    return comparison_from_rows(store.panel_rows(measure), definition, method, predictors=chosen)


def events_for(comparison: Comparison, population: float | None = None) -> EventsAvoided:
    """The comparison's effect as a benefit in events over its post period.

    Count scale (every method, where counts exist): Σ over post periods of
    (counterfactual − observed) events in the intervention sites, with the
    interval of the method's own inference, signed so that a benefit is
    positive. Value-only measures: Δrate × ``population`` × periods a year ×
    years ÷ multiplier (:func:`~analysis.events_avoided.events_avoided_from_rate`).
    Raises :class:`~analysis.measure_definition.PolarityUnknown` when the
    measure's polarity is not stated.
    """
    definition = comparison.definition
    higher_is_better = definition.require_polarity()
    if comparison.post_years <= 0:
        raise SavingsInputError("the comparison has no post period to count events in")
    return events_avoided_from_effect(
        comparison.effect,
        comparison.post_years,
        higher_is_better=higher_is_better,
        population=population,
        multiplier=definition.multiplier,
        periods_per_year=definition.periods_per_year,
    )


@dataclass(frozen=True)
class EventsFigure:
    """Events as every page, the CLI and the report state them.

    ``total`` over ``years`` (the post period), ``per_year`` = total ÷ years;
    ``words`` names them ("events avoided", "extra people"); positive is a
    benefit.
    """

    words: str
    total: float
    ci: tuple[float, float]
    years: float
    basis: str

    @property
    def per_year(self) -> float:
        """Events a year."""
        return self.total / self.years

    @property
    def per_year_ci(self) -> tuple[float, float]:
        """The interval of events a year."""
        return self.ci[0] / self.years, self.ci[1] / self.years

    def text(self) -> str:
        """One sentence: the figure, its interval and the period it covers."""
        low, high = self.ci
        return (
            f"{self.total:,.0f} {self.words} over {self.years:.1f} years of the programme "
            f"(95% interval {low:,.0f} to {high:,.0f}); {self.per_year:,.0f} a year"
        )

    def to_json_dict(self) -> dict[str, Any]:
        """The CLI's keys."""
        return {
            "events_words": self.words,
            "events_benefit": self.total,
            "events_benefit_ci": list(self.ci),
            "events_benefit_per_year": self.per_year,
            "events_benefit_per_year_ci": list(self.per_year_ci),
            "events_years": self.years,
            "events_basis": self.basis,
        }


def events_figure(comparison: Comparison, population: float | None = None) -> EventsFigure:
    """:func:`events_for` as the figure the pages, CLI and report show."""
    events = events_for(comparison, population)
    return EventsFigure(
        words=comparison.definition.benefit_words,
        total=events.events,
        ci=events.ci,
        years=events.years,
        basis=events.basis,
    )


def format_p(p: float | None) -> str:
    """A p-value as people read it: ``< 0.001``, ``0.034``, or ``—`` when there is none."""
    if p is None or not math.isfinite(p):
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def comparison_json(comparison: Comparison, population: float | None = None) -> dict[str, Any]:
    """The ``compare --json`` object (DESIGN.md keys), with the events where they can be given."""
    effect: Effect = comparison.effect
    definition = comparison.definition
    payload: dict[str, Any] = {
        **effect.to_json_dict(),
        "label": definition.label,
        "p_value_text": format_p(effect.p_value),
        "higher_is_better": definition.higher_is_better,
        "method_reason": comparison.method_reason,
        "sentence": comparison.sentence,
        "post_years": comparison.post_years,
        "checks": [c.__dict__ for c in comparison.checks],
    }
    try:
        payload |= events_figure(comparison, population).to_json_dict()
    except (HiodError, ValueError) as exc:
        payload["events_problem"] = str(exc)
    return _finite_or_none(payload)


@dataclass(frozen=True)
class SavingsSettings:
    """The simulation's settings (the Savings page's and the CLI's defaults)."""

    horizon_years: float = 3.0
    discount_rate: float = GREEN_BOOK_RATE
    draws: int = DEFAULT_DRAWS
    seed: int = DEFAULT_SEED
    first_year: FirstYear = "undiscounted"
    cost_distribution: CostDistribution = "triangular"


@dataclass(frozen=True)
class SavingsOutcome:
    """What the programme saved: the comparison, the events and the £ (and ROI)."""

    comparison: Comparison
    events: EventsAvoided
    figure: EventsFigure
    estimate: SavingsEstimate
    roi: ReturnOnInvestment | None

    def to_json_dict(self) -> dict[str, Any]:
        """The ``savings --json`` object (DESIGN.md keys)."""
        effect = self.comparison.effect
        return _finite_or_none(
            {
                **self.estimate.to_json_dict(),
                **self.figure.to_json_dict(),
                "events_avoided_per_year": self.estimate.events_avoided
                / self.estimate.assumptions.horizon_years,
                "comparison": {
                    "method": effect.method,
                    "method_label": effect.method_label,
                    "estimate": effect.estimate,
                    "ci_low": effect.ci_low,
                    "ci_high": effect.ci_high,
                    "unit": effect.unit,
                    "p_value_text": format_p(effect.p_value),
                    "rate_ratio": getattr(effect.count_scale, "rate_ratio", None),
                    "post_years": self.comparison.post_years,
                    "sentence": self.comparison.sentence,
                },
                "assumption_lines": list(self.estimate.assumptions.lines()),
                "roi": None if self.roi is None else self.roi.to_json_dict(),
            }
        )


def savings_from(
    comparison: Comparison,
    costs: CostTable,
    settings: SavingsSettings | None = None,
    *,
    population: float | None = None,
    programme_cost: float | None = None,
) -> SavingsOutcome:
    """Events avoided (:func:`events_for`) × unit costs, simulated; ROI when a cost is given."""
    settings = settings or SavingsSettings()
    events = events_for(comparison, population)
    estimate = simulate_savings(
        events,
        costs,
        settings.horizon_years,
        settings.discount_rate,
        settings.draws,
        settings.seed,
        first_year=settings.first_year,
        cost_distribution=settings.cost_distribution,
    )
    roi = return_on_investment(estimate, programme_cost) if programme_cost else None
    figure = EventsFigure(
        comparison.definition.benefit_words, events.events, events.ci, events.years, events.basis
    )
    return SavingsOutcome(comparison, events, figure, estimate, roi)


def stored_costs(store: Store) -> CostTable:
    """The unit-cost library in the store."""
    return CostTable.from_frame(store.unit_costs(), file="unit costs in the database")


def savings_for(
    store: Store,
    measure: str,
    method: MethodChoice = "auto",
    settings: SavingsSettings | None = None,
    *,
    population: float | None = None,
    programme_cost: float | None = None,
) -> SavingsOutcome:
    """:func:`savings_from` for ``measure`` under the saved grouping and the stored costs."""
    comparison = comparison_for(store, measure, method)
    return savings_from(
        comparison,
        stored_costs(store),
        settings,
        population=population,
        programme_cost=programme_cost,
    )


@dataclass(frozen=True)
class InequalityOutcome:
    """The deprivation picture, whether the gap narrowed, and the programme's effect on it.

    ``gap`` is the difference-in-differences of the gap (:func:`gap_change_from`);
    ``gap_effect`` the index as observed against its counterfactual
    (:func:`gap_effect_from`), or ``gap_effect_problem`` saying why there is none.
    """

    result: InequalityResult
    gap: GapChange | None
    gap_effect: GapEffect | None = None
    gap_effect_problem: str | None = None


def gap_change_from(
    rows: pd.DataFrame, definition: MeasureDefinition, rule: DisclosureRule = DEFAULT_RULE
) -> GapChange:
    """Whether the gap narrowed (:func:`gap_change`) under the saved grouping.

    When it cannot be estimated (value-only data, no intervention sites…)
    ``problem`` says why.
    """
    return gap_change(
        build_panel(rows),
        kind=definition.kind or "value",
        multiplier=definition.multiplier,
        unit=definition.unit,
        higher_is_better=definition.higher_is_better,
        rule=rule,
    )


def gap_effect_from(
    rows: pd.DataFrame,
    sites: pd.DataFrame,
    definition: MeasureDefinition,
    result: InequalityResult,
    method: MethodChoice = "auto",
    *,
    draws: int = GAP_EFFECT_DRAWS,
    seed: int = INEQUALITY_SEED,
    rule: DisclosureRule = DEFAULT_RULE,
) -> GapEffect:
    """The programme's effect on the SII and gap of ``result``'s sites and area.

    The effect is the comparison's (:func:`comparison_from_rows` under the saved
    grouping with ``method``, as on Compare); each intervention site's
    counterfactual is its observed value minus that effect
    (:func:`analysis.inequality_gap_effect.gap_effect`). Where the intervention
    sites span several IMD quintiles, the effect is also estimated for each
    quintile with at least :data:`MIN_QUINTILE_SITES` of them (same comparators).
    Raises :class:`~analysis.rates.MethodInputError` or
    :class:`~analysis.panel.PanelError` saying why when it cannot be given.
    """
    if is_breakdown(rows, result.site_type):
        raise MethodInputError(
            "published deprivation-group rows have no intervention sites: choose sites"
        )
    if result.basis != "counts":
        raise MethodInputError("it needs counts (numerator and denominator) per site")
    data = area_rows(rows, sites, result.site_type, result.area_code)
    comparison = comparison_from_rows(rows, definition, method)
    by_quintile = []
    groups = intervention_quintiles(data)
    _, comparators = default_arms(rows)
    for quintile, codes in groups.items():
        if len(groups) == 1:
            effect = comparison.effect
        elif len(codes) < MIN_QUINTILE_SITES:
            by_quintile.append(
                QuintileEffect(quintile, len(codes), problem="too few intervention sites")
            )
            continue
        else:
            effect = comparison_from_rows(
                rows, definition, method, intervention=codes, comparators=comparators
            ).effect
        by_quintile.append(
            QuintileEffect(
                quintile, len(codes), effect.estimate, effect.ci_low, effect.ci_high, effect.method
            )
        )
    return gap_effect(
        data,
        comparison.effect,
        quantiles=result.quantiles,
        kind=result.kind,
        multiplier=result.multiplier,
        by_quintile=tuple(by_quintile),
        draws=draws,
        seed=seed,
        rule=rule,
    )


def inequality_from(
    rows: pd.DataFrame,
    sites: pd.DataFrame,
    definition: MeasureDefinition,
    *,
    with_gap: bool = True,
    with_effect: bool = True,
    method: MethodChoice = "auto",
    **options: Any,
) -> InequalityOutcome:
    """SII/RII and the gap (:func:`inequality_result`), the gap change and the programme effect.

    ``options`` are :func:`inequality_result`'s (site type, area, groups, reps,
    seed, disclosure ``rule``); ``method`` the comparison's, for the effect on the
    gap (:func:`gap_effect_from`).
    """
    kind = definition.kind or "value"
    result = inequality_result(rows, sites, kind=kind, multiplier=definition.multiplier, **options)
    rule = options.get("rule", DEFAULT_RULE)
    gap = None
    if with_gap and kind in ("proportion", "rate") and len(rows):
        gap = gap_change_from(rows, definition, rule)
    effect, problem = None, None
    if with_effect:
        try:
            effect = gap_effect_from(
                rows,
                sites,
                definition,
                result,
                method,
                seed=options.get("seed", INEQUALITY_SEED),
                rule=rule,
            )
        except (HiodError, PanelError) as exc:
            problem = str(exc)
    return InequalityOutcome(result, gap, effect, problem)


def inequality_for(store: Store, measure: str, **options: Any) -> InequalityOutcome:
    """:func:`inequality_from` for ``measure`` as stored."""
    definition = measure_definition(store, measure)
    return inequality_from(store.panel_rows(measure), store.sites(), definition, **options)


@dataclass(frozen=True)
class LoadResult:
    """The files as checked (what was detected in each) and, when written, what each load did."""

    prepared: tuple[PreparedFile, ...]
    outcomes: tuple[LoadOutcome, ...]


def load_files(
    store: Store,
    files: Sequence[tuple[str, bytes]],
    progress: Callable[[float, str], None] | None = None,
    *,
    write: bool = True,
    mappings: Mapping[str, ColumnMapping] | None = None,
) -> LoadResult:
    """Validate ``files`` (name, bytes) together and, if ``write``, load them in one transaction.

    ``mappings`` gives, by file name, which of a file's columns is which
    (:class:`~analysis.column_mapping.ColumnMapping`); a mapping used in a load
    is stored with it and used again for the next file with the same header.
    Raises :class:`~analysis.errors.LoadRejected` listing every problem (file,
    row, column); then nothing is written.
    """
    prepared = prepare_batch(list(files), store.catalogue(), progress=progress, mappings=mappings)
    outcomes = store.apply(prepared) if write else []
    return LoadResult(tuple(prepared), tuple(outcomes))


def file_headers(store: Store, files: Sequence[tuple[str, bytes]]) -> list[FileHeader]:
    """Each file's columns, detected kind and remembered mapping (the Data page's mapping step)."""
    catalogue = store.catalogue()
    return [inspect_file(name, data, catalogue) for name, data in files]


def saved_programmes(store: Store) -> list[tuple[Programme, int]]:
    """Every saved programme (latest active version of each name) and its load id."""
    specs = store.programme_specs()
    return [(Programme.from_json(r.spec), int(r.load_id)) for r in specs.itertuples(index=False)]


def save_programme(store: Store, programme: Programme) -> LoadOutcome:
    """Store ``programme`` as a load (history and roll-back like any other)."""
    return store.save_programme(
        programme.name,
        programme.to_json(),
        len(programme.intervention) + len(programme.comparators),
    )


def save_grouping_as_programme(
    store: Store, name: str, measures: Sequence[str] = ()
) -> LoadOutcome:
    """The saved grouping as a programme called ``name`` (raises ProgrammeError if it has none)."""
    return save_programme(store, programme_from_grouping(store.sites(), name, measures))


def use_programme(store: Store, name: str) -> int | None:
    """Make the programme ``name`` the saved grouping (one grouping load); its id.

    None when the grouping already is that programme. Every page, the command line
    and the report then compare its sites; rolling the load back restores the grouping
    before it.
    """
    chosen = {p.name: p for p, _ in saved_programmes(store)}
    if name not in chosen:
        raise ProgrammeError(f"there is no saved programme called {name!r}")
    sites = store.sites()
    if matching_programme([chosen[name]], sites) is not None:
        return None
    grouping = programme_grouping(chosen[name], sites)
    return store.save_grouping(grouping, f"programme {name} in use")


def programme_in_use(store: Store) -> Programme | None:
    """The saved programme the current grouping is, if any."""
    return matching_programme([p for p, _ in saved_programmes(store)], store.sites())


POLARITY_WORDS = {True: "higher is better", False: "lower is better"}
DEFINITION_COLUMNS = ["measure", "label", "kind", "multiplier", "polarity"]


def definitions_table(overview: pd.DataFrame) -> pd.DataFrame:
    """The editable definitions of every loaded measure (:data:`DEFINITION_COLUMNS`).

    ``polarity`` is ``higher is better``, ``lower is better`` or empty (not stated).
    """
    frame = overview.reindex(columns=[*DEFINITION_COLUMNS[:4], "higher_is_better"]).copy()
    frame["polarity"] = [
        None if pd.isna(v) else POLARITY_WORDS[bool(v)] for v in frame.pop("higher_is_better")
    ]
    return frame.reset_index(drop=True)


def save_definitions(store: Store, table: pd.DataFrame, name: str = "definitions edited") -> int:
    """Store a definitions table (:func:`definitions_table`'s columns) as one load; its id.

    It goes through the same checks as a definitions file (a bad kind or a
    multiplier that is not a number is named by row and column) and is rolled
    back like any load.
    """
    words = {text: str(flag).lower() for flag, text in POLARITY_WORDS.items()}
    frame = table.reindex(columns=DEFINITION_COLUMNS).copy()
    frame["higher_is_better"] = [words.get(str(v), "") for v in frame.pop("polarity")]
    data = frame.to_csv(index=False).encode()
    result = load_files(store, [(f"{name}.csv", data)])
    return int(result.outcomes[0].load_id or 0)


@dataclass(frozen=True)
class AggregateOutcome:
    """A recipe's measures counted from an uploaded record file, as files that load like any.

    ``files`` are the measures file and the recipe's measure definition, (name,
    bytes) as :func:`load_files` takes them, so loading them is one all-or-nothing
    load (as ``aggregate --load`` does).
    """

    result: MeasuresResult
    records_name: str
    denominators_name: str
    files: tuple[tuple[str, bytes], ...]

    @property
    def recipe(self) -> Recipe:
        """The recipe that was counted."""
        return self.result.recipe

    @property
    def measures(self) -> pd.DataFrame:
        """The measures in the data contract, counts exact (suppress them before showing)."""
        return self.result.measures

    @property
    def notes(self) -> tuple[str, ...]:
        """What was left out and why."""
        return self.result.notes


def measures_from_records(
    recipe: Recipe,
    records: tuple[str, bytes],
    denominators: tuple[str, bytes],
    progress: Callable[[float, str], None] | None = None,
) -> AggregateOutcome:
    """Count ``recipe``'s measure from a record file (name, bytes) on embedded DuckDB.

    The records are written to a temporary folder, counted there by
    :func:`analysis.aggregate.aggregate` (only counts by site and period come
    back) and the folder is deleted before this returns: no record-level row
    is kept. ``denominators`` is a registered-population file (CSV, XLSX or
    Parquet; :mod:`analysis.denominators`). ``progress(fraction, message)`` is
    told each step. Raises :class:`~analysis.errors.HiodError` (a
    :class:`~analysis.errors.LoadRejected` listing file, row and column for the
    denominators) for a file that cannot be read or counted; nothing is written.
    """
    records_name, records_data = records
    denominators_name, denominators_data = denominators
    step = progress or (lambda fraction, message: None)
    suffix = PurePath(records_name).suffix.lower()
    if suffix not in FILE_SUFFIXES:
        raise HiodError(f"{records_name}: a record file is .csv or .parquet, not '{suffix}'")
    if not records_data.strip():
        raise HiodError(f"{records_name}: the file is empty")
    step(0.0, f"reading {denominators_name} and {records_name}…")
    try:
        cells = read_table(denominators_name, denominators_data).cells
    except ReadFailed as exc:
        raise LoadRejected([exc.issue]) from None
    population = population_rows(cells, recipe.denominator, denominators_name)
    with tempfile.TemporaryDirectory(prefix="hiod-records-") as folder:
        path = Path(folder) / f"records{suffix}"
        path.write_bytes(records_data)
        con = connect("duckdb")
        try:
            table = records_table(con, "duckdb", str(path))
            step(0.25, f"filtering and counting {records_name} with recipe {recipe.name}…")
            result = aggregate(table, recipe, population, records_name)
        except HiodError:
            raise
        except Exception as exc:
            if type(exc).__module__.split(".")[0] not in ENGINE_ERROR_MODULES:
                raise
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise HiodError(
                f"{records_name}: could not be counted as a {suffix[1:]} file of records ({first})"
            ) from None
        finally:
            con.disconnect()
    step(0.85, "writing the measures file…")
    stem = f"{recipe.name}_from_{PurePath(records_name).stem}"
    files = (
        (f"{stem}.csv", result.measures.to_csv(index=False).encode()),
        (f"{stem}.definition.csv", result.definition().to_csv(index=False).encode()),
    )
    step(1.0, "counted")
    return AggregateOutcome(result, records_name, denominators_name, files)


ENGINE_ERROR_MODULES = {"duckdb", "_duckdb", "ibis", "pyarrow"}
"""Where the errors of reading and counting a record file come from (bad input, not bugs)."""


def records_preview(
    outcome: AggregateOutcome, sites: pd.DataFrame, rule: DisclosureRule = DEFAULT_RULE
) -> pd.DataFrame:
    """The counts as text: a row per site (code, name), a column per period, small counts ``*``.

    Suppressed as every table the store hands out (:func:`analysis.disclosure.suppress`:
    counts 1–7, small complements, and secondary suppression within each parent
    and period), so that the screen shows nothing a measures page would hide.
    """
    measures = outcome.measures
    parents = sites.set_index("site_code")["parent_code"] if "parent_code" in sites else None
    frame = measures.assign(period_start=measures["period"])
    if parents is not None:
        frame["parent_code"] = frame["site_code"].map(parents)
    shown = publishable(suppress(frame, rule=rule))
    order = list(dict.fromkeys(sorted(measures["period"], key=lambda p: parse_period(p).start)))
    table = shown.pivot(index="site_code", columns="period", values="numerator")
    table = table.reindex(columns=order).reset_index()
    names = sites.set_index("site_code")["site_name"] if "site_name" in sites else None
    table.insert(1, "Name", table["site_code"].map(names) if names is not None else None)
    table["Name"] = table["Name"].astype(object).where(table["Name"].notna(), "")
    table.columns.name = None
    return table.rename(columns={"site_code": "Site"})
