"""The Data page's "Count measures from record-level data" expander (issue 16).

Widgets only: counting is :func:`analysis.usecases.measures_from_records` (a bundled
recipe on embedded DuckDB, in a temporary folder deleted afterwards), the preview
:func:`analysis.usecases.records_preview` (suppressed as every table), and loading
:func:`analysis.usecases.load_files`, so the measures and the recipe's definition
are one all-or-nothing load, rolled back like any other.
"""

from __future__ import annotations

import streamlit as st

from analysis.errors import HiodError, InputIssue, LoadRejected
from analysis.recipes import Recipe, RecipeError, load_recipe, recipe_names
from analysis.store import Store
from analysis.usecases import AggregateOutcome, load_files, measures_from_records, records_preview
from pages import _ui

OUTCOME = "records_outcome"  # session key: (inputs, AggregateOutcome or None, problems)
MESSAGE = "records_message"  # session key: the last load's outcome, shown after the rerun
SHOWN_PROBLEMS = 50


def records_section(store: Store) -> None:
    """Pick a recipe, upload records and denominators, count on DuckDB, preview, load."""
    with st.expander("Count measures from record-level data"):
        st.markdown(
            "Upload **record-level data** (one row per admission, screening test or call-out; "
            "CSV or Parquet) and the **registered population** that makes the denominator, "
            "and a bundled recipe counts the measure by site and period. The records are "
            "counted in a temporary folder on this server that is deleted afterwards: "
            "**no record-level row enters the database**, only the counts by site and period."
        )
        if MESSAGE in st.session_state:
            st.success(
                "Loaded in one transaction: the measures and the recipe's definition "
                "(each can be rolled back under Load history)."
            )
            for line in st.session_state.pop(MESSAGE):
                st.text(line)
        recipe = _recipe_picker()
        if recipe is None:
            return
        records = st.file_uploader("Record file", type=["csv", "parquet"], key="records_file")
        population = st.file_uploader(
            "Denominators: registered population (site_code, period, age_band, count[, sex])",
            type=["csv", "xlsx", "parquet"],
            key="records_denominators",
        )
        if records is None or population is None:
            st.caption("Upload both files to count the measure.")
            return
        inputs = (recipe.name, records.file_id, population.file_id)
        if st.button("Count the measure", type="primary", key="records_count"):
            _count(
                store,
                recipe,
                (records.name, records.getvalue()),
                (population.name, population.getvalue()),
                inputs,
            )
        held = st.session_state.get(OUTCOME)
        if held is None or held[0] != inputs:
            return
        _, outcome, problems = held
        if outcome is None:
            _problems("Nothing was counted", problems)
        else:
            _preview(store, outcome, problems)


def _recipe_picker() -> Recipe | None:
    """The bundled recipes by label, with the chosen one's source and the columns it reads."""
    recipes = {}
    for name in recipe_names():
        try:
            recipes[name] = load_recipe(name)
        except RecipeError as exc:
            st.text(f"Recipe {name} is not usable: {exc}")
    if not recipes:
        st.info("No bundled recipe can be used.")
        return None
    name = st.selectbox(
        "Recipe",
        list(recipes),
        format_func=lambda n: recipes[n].label,
        key="records_recipe",
    )
    recipe = recipes[name]
    st.caption(f"Source: {recipe.source}")
    st.text(
        f"Reads the columns {', '.join(recipe.columns)} of each record; "
        f"counts by {recipe.site_column} and {recipe.granularity.replace('_', ' ')} of "
        f"{recipe.date_column}"
        + (f", one per {recipe.unit_column}" if recipe.unit_column else "")
        + "."
    )
    return recipe


def _count(
    store: Store,
    recipe: Recipe,
    records: tuple[str, bytes],
    population: tuple[str, bytes],
    inputs: tuple[object, ...],
) -> None:
    """Count with a progress bar; keep the outcome and its problems in the session."""
    bar = st.progress(0.0, text="reading…")

    def report(fraction: float, message: str) -> None:
        """Move the bar (the counting's steps, scaled to leave room for the check)."""
        bar.progress(0.9 * fraction, text=message)

    try:
        outcome = measures_from_records(recipe, records, population, report)
    except LoadRejected as exc:
        bar.empty()
        st.session_state[OUTCOME] = (inputs, None, [_where(i) for i in exc.issues])
        return
    except HiodError as exc:
        bar.empty()
        st.session_state[OUTCOME] = (inputs, None, [str(exc)])
        return
    bar.progress(0.95, text="checking the measures against the loaded sites…")
    try:
        load_files(store, list(outcome.files), write=False)
        problems: list[str] = []
    except LoadRejected as exc:
        problems = _load_problems(outcome, exc.issues)
    except HiodError as exc:
        problems = [str(exc)]
    bar.empty()
    st.session_state[OUTCOME] = (inputs, outcome, problems)


def _preview(store: Store, outcome: AggregateOutcome, problems: list[str]) -> None:
    """The measures made (suppressed), the notes, and the load button."""
    recipe = outcome.recipe
    measures = outcome.measures
    st.markdown(f"**Measures made: {recipe.label}**")
    st.text(
        f"From {outcome.records_name} over {outcome.denominators_name}: "
        f"{len(measures):,} rows, {measures['site_code'].nunique():,} sites × "
        f"{measures['period'].nunique():,} periods, measure id {recipe.measure}."
    )
    table = records_preview(outcome, store.sites(), _ui.disclosure_rule())
    st.dataframe(table, hide_index=True, width="stretch", key="records_preview")
    st.caption(
        "Counts by site and period; counts 1–7 (and counts that would reveal them) shown as *."
    )
    st.markdown("**What was left out**")
    for note in outcome.notes or ("Nothing: every record passing the filters was counted.",):
        st.text(note)
    if problems:
        _problems("These measures cannot be loaded", problems)
        return
    if st.button("Load these measures", key="records_load"):
        try:
            result = load_files(store, list(outcome.files))
        except LoadRejected as exc:
            _problems("Nothing was loaded", _load_problems(outcome, exc.issues))
            return
        except HiodError as exc:
            _problems("Nothing was loaded", [str(exc)])
            return
        st.cache_data.clear()
        st.session_state.pop(OUTCOME, None)
        st.session_state[MESSAGE] = [
            f"{o.file_name}: {o.status} ({o.rows:,} rows, load #{o.load_id})"
            for o in result.outcomes
        ]
        st.rerun()


def _load_problems(outcome: AggregateOutcome, issues: tuple[InputIssue, ...]) -> list[str]:
    """The loader's problems with the made measures, said of the user's record file.

    A site code the sites table lacks came from the recipe's site column of the
    records; the measures file's row numbers mean nothing to the user, so each
    message is said once.
    """
    measures_file = outcome.files[0][0]
    lines = []
    for issue in issues:
        if issue.file == measures_file and issue.column == "site_code":
            column = outcome.recipe.site_column
            lines.append(f"{outcome.records_name}, column {column}: {issue.message}")
        elif issue.file == measures_file:
            lines.append(f"{outcome.records_name} (as counted): {issue.message}")
        else:
            lines.append(_where(issue))
    return list(dict.fromkeys(lines))


def _where(issue: InputIssue) -> str:
    where = [issue.file]
    if issue.row is not None:
        where.append(f"row {issue.row}")
    if issue.column:
        where.append(f"column {issue.column}")
    return f"{', '.join(where)}: {issue.message}"


def _problems(lead: str, lines: list[str]) -> None:
    """A plain error: a fixed lead sentence, then each problem as text (never markdown)."""
    st.error(f"{lead}: {len(lines)} problem(s) found. Fix the file(s) and count again.")
    for line in lines[:SHOWN_PROBLEMS]:
        st.text(line)
    if len(lines) > SHOWN_PROBLEMS:
        st.text(f"… and {len(lines) - SHOWN_PROBLEMS} more.")
