"""Data: upload files, see what was detected and every error, history and roll-back."""

import pandas as pd
import streamlit as st

from analysis.disclosure import display
from analysis.errors import HiodError, LoadRejected
from analysis.usecases import (
    POLARITY_WORDS,
    definitions_table,
    load_files,
    save_definitions,
)
from pages import _ui
from pages._boundary_upload import boundary_section

st.title("Data")
store = _ui.get_store()

st.markdown(
    "Upload **measures** (site_code, period, measure, numerator, denominator or value), "
    "**sites** (site_code, site_name, group, start_date, imd_decile…), **measure definitions**, "
    "**unit costs**, a **grouping**, or a **Fingertips CSV export**: CSV, XLSX or Parquet. "
    "The kind of each file is detected from its columns. A load is all or nothing: if any "
    "file has a problem, nothing is written and every problem is listed."
)
uploads = st.file_uploader(
    "Files to load", type=["csv", "xlsx", "parquet"], accept_multiple_files=True, key="uploads"
)
check_col, load_col = st.columns(2)
check = check_col.button("Check only", disabled=not uploads, width="stretch")
load = load_col.button("Check and load", type="primary", disabled=not uploads, width="stretch")

if uploads and (check or load):
    files = [(u.name, u.getvalue()) for u in uploads]
    bar = st.progress(0.0, text="reading…")

    def report(fraction: float, message: str) -> None:
        """Move the bar (the loader's ``progress`` callback, scaled to stop at 95%)."""
        bar.progress(min(fraction * 0.95, 0.95), text=message)

    try:
        result = load_files(store, files, report, write=load)
        prepared = result.prepared
        detected = pd.DataFrame(
            [
                {
                    "file": p.file_name,
                    "kind": p.summary.kind_label,
                    "rows": p.summary.rows,
                    "sites": p.summary.sites,
                    "measures": ", ".join(p.summary.measures),
                    "first period": p.summary.first_period,
                    "last period": p.summary.last_period,
                    "notes": "; ".join(p.notes),
                }
                for p in prepared
            ]
        )
        st.session_state["detected"] = detected
        if load:
            st.cache_data.clear()
            for o in result.outcomes:
                st.success(f"{o.file_name}: {o.status} ({o.rows:,} rows, load #{o.load_id})")
        else:
            st.success("All files passed the checks. Nothing was written yet.")
        st.session_state.pop("load_errors", None)
    except LoadRejected as exc:
        errors = pd.DataFrame([i.__dict__ for i in exc.issues])
        st.session_state["load_errors"] = errors
        st.session_state.pop("detected", None)
        st.error(f"Nothing was loaded: {len(errors)} problem(s) found.")
    except HiodError as exc:
        _ui.show_error(exc)
    bar.empty()

if "detected" in st.session_state:
    st.subheader("Detected")
    st.dataframe(st.session_state["detected"], hide_index=True, width="stretch")
    _ui.download_csv(st.session_state["detected"], "loaded_files.csv", key="dl_detected")
if "load_errors" in st.session_state:
    st.subheader("Problems (file, row, column)")
    errors = st.session_state["load_errors"]
    st.dataframe(errors, hide_index=True, width="stretch", key="errors_table")
    _ui.download_csv(errors, "load_problems.csv", "Download problems as CSV")

st.subheader("Load history")
loads = store.loads()
st.dataframe(loads, hide_index=True, width="stretch")
_ui.download_csv(loads, "loads.csv", key="dl_loads")
active = loads[loads["status"] == "active"]
if len(active):
    choice = st.selectbox(
        "Roll back a load",
        active["load_id"].tolist(),
        format_func=lambda i: f"#{i}: {active.set_index('load_id').loc[i, 'file_name']}",
        key="rollback_choice",
    )
    if st.button("Roll back", key="rollback"):
        try:
            store.rollback(int(choice))
            st.cache_data.clear()
            st.success(
                f"Load #{choice} rolled back; earlier versions of its rows are current again."
            )
            st.rerun()
        except HiodError as exc:
            _ui.show_error(exc)

st.subheader("Measure definitions")
st.caption(
    "What each measure is: its label, kind (proportion, rate, count or value), multiplier "
    "(100 for %, 100000 for per 100,000) and whether higher is better. A measure with no "
    "polarity gets no better/worse judgement and no events avoided until you say. Saving "
    "stores the table as a load, which can be rolled back like any other."
)
definitions = definitions_table(_ui.overview(_ui.store_version()))
if definitions.empty:
    st.info("No measures loaded yet.")
else:
    edited = st.data_editor(
        definitions,
        hide_index=True,
        width="stretch",
        disabled=["measure"],
        column_config={
            "kind": st.column_config.SelectboxColumn(
                "kind", options=["proportion", "rate", "count", "value"], required=True
            ),
            "multiplier": st.column_config.NumberColumn("multiplier", min_value=0.0),
            "polarity": st.column_config.SelectboxColumn(
                "polarity",
                options=list(POLARITY_WORDS.values()),
                help="empty: not stated (no better/worse, no events avoided)",
            ),
        },
        key="definitions_editor",
    )
    changed = not edited.equals(definitions)
    if st.button("Save the definitions", disabled=not changed, key="save_definitions"):
        try:
            load_id = save_definitions(store, edited)
            st.cache_data.clear()
            st.success(f"Definitions saved as load #{load_id}.")
        except LoadRejected as exc:
            st.error("Not saved:\n\n" + "\n".join(f"- {i}" for i in exc.issues))
        except HiodError as exc:
            _ui.show_error(exc)

boundary_section(store)

st.subheader("Download a table")
table_name = st.selectbox(
    "Table", ["measures", "sites", "measure definitions", "unit costs"], key="download_table"
)
if table_name == "measures":
    measure = _ui.measure_picker()
    if measure:
        rows = _ui.measure_rows(measure, _ui.store_version(), _ui.disclosure_rule().round_to)
        shown = display(
            rows.drop(columns=["load_id"]), ["numerator", "value", "lower_ci", "upper_ci"]
        )
        st.dataframe(shown.head(1000), hide_index=True, width="stretch")
        st.caption(f"{len(rows):,} rows (first 1,000 shown); counts 1–7 shown as *.")
        _ui.download_csv(shown, f"{measure}.csv", key="dl_measure_rows")
else:
    frame = {
        "sites": store.sites,
        "measure definitions": store.definitions,
        "unit costs": store.unit_costs,
    }[table_name]()
    st.dataframe(frame, hide_index=True, width="stretch")
    _ui.download_csv(frame, f"{table_name.replace(' ', '_')}.csv", key="dl_table")
