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

from analysis.usecases.comparison import (
    EventsFigure,
    Window,
    comparison_for,
    comparison_from_rows,
    comparison_json,
    definitions_from_overview,
    events_figure,
    events_for,
    format_p,
    measure_definition,
)
from analysis.usecases.inequality import (
    InequalityOutcome,
    gap_change_from,
    gap_effect_from,
    inequality_for,
    inequality_from,
)
from analysis.usecases.loading import (
    DEFINITION_COLUMNS,
    POLARITY_WORDS,
    LoadResult,
    definitions_table,
    file_headers,
    load_files,
    save_definitions,
)
from analysis.usecases.programmes import (
    programme_in_use,
    save_grouping_as_programme,
    save_programme,
    saved_programmes,
    use_programme,
)
from analysis.usecases.records import (
    ENGINE_ERROR_MODULES,
    AggregateOutcome,
    measures_from_records,
    records_preview,
)
from analysis.usecases.savings import (
    SavingsOutcome,
    SavingsSettings,
    savings_for,
    savings_from,
    stored_costs,
)

__all__ = [
    "DEFINITION_COLUMNS",
    "ENGINE_ERROR_MODULES",
    "POLARITY_WORDS",
    "AggregateOutcome",
    "EventsFigure",
    "InequalityOutcome",
    "LoadResult",
    "SavingsOutcome",
    "SavingsSettings",
    "Window",
    "comparison_for",
    "comparison_from_rows",
    "comparison_json",
    "definitions_from_overview",
    "definitions_table",
    "events_figure",
    "events_for",
    "file_headers",
    "format_p",
    "gap_change_from",
    "gap_effect_from",
    "inequality_for",
    "inequality_from",
    "load_files",
    "measure_definition",
    "measures_from_records",
    "programme_in_use",
    "records_preview",
    "save_definitions",
    "save_grouping_as_programme",
    "save_programme",
    "saved_programmes",
    "savings_for",
    "savings_from",
    "stored_costs",
    "use_programme",
]
