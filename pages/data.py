"""Data: upload files (matching their columns where needed), every problem, history, roll-back."""

import pandas as pd
import streamlit as st

from analysis.column_mapping import COLUMN_WORDS, MAPPABLE, ColumnMapping, suggest
from analysis.disclosure import display
from analysis.errors import HiodError, InputIssue, LoadRejected
from analysis.ingest import FileHeader
from analysis.schema import KINDS
from analysis.templates import FOREIGN_EXAMPLE, TEMPLATES, TEMPLATES_DIR
from analysis.usecases import (
    POLARITY_WORDS,
    definitions_table,
    file_headers,
    load_files,
    save_definitions,
)
from pages import _ui
from pages._boundary_upload import boundary_section
from pages._records_upload import records_section

NONE = "(not in this file)"
KIND_LABELS = {k.name: k.label for k in KINDS}
SHOWN_PROBLEMS = 200

st.title("Data")
store = _ui.get_store()

st.markdown(
    "Upload **measures** (one row per site, period and measure, with counts or a value), "
    "**sites** (names, types, parents, deprivation, programme start dates), **measure "
    "definitions**, **unit costs**, a **grouping**, or a **Fingertips CSV export**: CSV, "
    "XLSX or Parquet. Columns named otherwise (e.g. *Practice Code, Month, Screened, "
    "Invited*) can be matched below after upload. A load is all or nothing: if any file "
    "has a problem, nothing is written and every problem is listed."
)

with st.expander("Templates and worked examples of each file"):
    st.caption(
        "A template is the header row to fill in; a worked example is a small file that "
        "loads as it stands (made-up practices, simulated counts)."
    )
    for template in TEMPLATES:
        name = template.kind.name
        text_col, template_col, example_col = st.columns([4, 1, 1], vertical_alignment="center")
        text_col.markdown(f"**{template.kind.label}**: {template.purpose}")
        template_col.download_button(
            "Template",
            template.template_csv(),
            file_name=f"{name}_template.csv",
            mime="text/csv",
            key=f"template_{name}",
            on_click="ignore",
        )
        example_col.download_button(
            "Example",
            template.example_csv(),
            file_name=template.example,
            mime="text/csv",
            key=f"example_{name}",
            on_click="ignore",
        )
    text_col, _, example_col = st.columns([4, 1, 1], vertical_alignment="center")
    text_col.markdown(
        "**An export with its own column names** (Practice Code, Month, Screened, Invited): "
        "upload it with the sites example to try matching the columns."
    )
    example_col.download_button(
        "Example",
        (TEMPLATES_DIR / FOREIGN_EXAMPLE).read_bytes(),
        file_name=FOREIGN_EXAMPLE,
        mime="text/csv",
        key="example_foreign",
        on_click="ignore",
    )

uploads = st.file_uploader(
    "Files to load", type=["csv", "xlsx", "parquet"], accept_multiple_files=True, key="uploads"
)
files = [(u.name, u.getvalue()) for u in uploads or []]


def headers_of(files: list[tuple[str, bytes]]) -> list[FileHeader]:
    """Each upload's header, read once per upload (kept in the session)."""
    key = tuple((name, len(data), hash(data)) for name, data in files)
    cached = st.session_state.get("upload_headers")
    if cached is None or cached[0] != key:
        cached = (key, file_headers(store, files))
        st.session_state["upload_headers"] = cached
    return cached[1]


def mapping_form(index: int, header: FileHeader) -> ColumnMapping:
    """Pickers for which of the file's columns is which; the mapping they make."""
    st.markdown("**Match your columns**")
    st.text(
        f"{header.file_name}: its columns ({', '.join(header.columns)}) are not all named as "
        "the data contract expects. Say which column holds what; the choice is remembered "
        "for files with the same columns."
    )
    kinds = list(MAPPABLE)
    kind = st.radio(
        "This file holds",
        kinds,
        index=kinds.index(header.kind) if header.kind in kinds else 0,
        format_func=lambda k: KIND_LABELS[k],
        horizontal=True,
        key=f"map_kind_{index}",
    )
    guess = suggest(header.columns, kind)
    options = [NONE, *header.columns]
    chosen: dict[str, str] = {}
    pickers = st.columns(3)
    for i, target in enumerate(MAPPABLE[kind]):
        picked = pickers[i % 3].selectbox(
            COLUMN_WORDS[target],
            options,
            index=options.index(guess[target]) if target in guess else 0,
            key=f"map_{index}_{kind}_{target}",
        )
        if picked != NONE:
            chosen[target] = picked
    measure = None
    if kind == "measures" and "measure" not in chosen:
        measure = st.text_input(
            "The file has no measure column: measure id for every row",
            key=f"map_{index}_measure_id",
            placeholder="e.g. bowel_screening_uptake",
            help="Letters, digits and underscores. Use an id already loaded to add to that "
            "measure, or a new one (then set its label and polarity under Measure definitions).",
        )
    return ColumnMapping.of(chosen, measure)


mappings: dict[str, ColumnMapping] = {}
for index, header in enumerate(headers_of(files)):
    if header.problem is not None:
        continue
    if header.remembered is not None:
        mapping, load_id = header.remembered
        st.caption(
            f"Columns matched as remembered from load #{load_id} (roll that load back to "
            "match them afresh):"
        )
        st.text(f"{header.file_name}: {mapping.describe()}")
    elif header.needs_mapping:
        with st.container(border=True):
            mappings[header.file_name] = mapping_form(index, header)

check_col, load_col = st.columns(2)
check = check_col.button("Check only", disabled=not uploads, width="stretch")
load = load_col.button("Check and load", type="primary", disabled=not uploads, width="stretch")


def dated(frame: pd.DataFrame) -> pd.DataFrame:
    """The table with its date columns as dates (``01 Apr 2018``), not timestamps."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[column]):
            out[column] = out[column].dt.strftime("%d %b %Y")
    return out


def problems_table(issues: list[InputIssue]) -> pd.DataFrame:
    """The problems with labelled columns (for the expander and the download)."""
    frame = pd.DataFrame([i.__dict__ for i in issues], columns=["file", "row", "column", "message"])
    frame["row"] = frame["row"].astype("Int64")
    return frame


if uploads and (check or load):
    bar = st.progress(0.0, text="reading…")

    def report(fraction: float, message: str) -> None:
        """Move the bar (the loader's ``progress`` callback, scaled to stop at 95%)."""
        bar.progress(min(fraction * 0.95, 0.95), text=message)

    try:
        result = load_files(store, files, report, write=load, mappings=mappings)
        prepared = result.prepared
        detected = pd.DataFrame(
            [
                {
                    "File": p.file_name,
                    "Kind": p.summary.kind_label,
                    "Rows": p.summary.rows,
                    "Sites": p.summary.sites,
                    "Measures": ", ".join(p.summary.measures),
                    "First period": p.summary.first_period,
                    "Last period": p.summary.last_period,
                }
                for p in prepared
            ]
        )
        st.session_state["detected"] = detected
        st.session_state["detected_notes"] = [
            f"{p.file_name}: {note}" for p in prepared for note in p.notes
        ]
        if load:
            st.cache_data.clear()
            for o in result.outcomes:
                st.success(f"{o.file_name}: {o.status} ({o.rows:,} rows, load #{o.load_id})")
        else:
            st.success("All files passed the checks. Nothing was written yet.")
        st.session_state.pop("load_errors", None)
    except LoadRejected as exc:
        st.session_state["load_errors"] = exc.issues
        st.session_state.pop("detected", None)
    except HiodError as exc:
        _ui.show_error(exc)
    bar.empty()

if "detected" in st.session_state:
    st.subheader("Detected")
    st.dataframe(st.session_state["detected"], hide_index=True, width="stretch")
    for note in st.session_state.get("detected_notes", []):
        st.text(note)
    _ui.download_csv(st.session_state["detected"], "loaded_files.csv", key="dl_detected")
if "load_errors" in st.session_state:
    issues = sorted(st.session_state["load_errors"], key=lambda i: (i.file, i.row or 0))
    st.error(
        f"Nothing was loaded: {len(issues)} problem(s) found. Each says where it is (file, "
        "row as a spreadsheet numbers it, column) and what to change; fix them and upload "
        "the files again."
    )
    with st.container(border=True):
        for issue in issues[:SHOWN_PROBLEMS]:
            where = [issue.file]
            if issue.row is not None:
                where.append(f"row {issue.row}")
            if issue.column:
                where.append(f"column {issue.column}")
            st.text(f"{', '.join(where)}: {issue.message}")
        if len(issues) > SHOWN_PROBLEMS:
            st.text(f"… and {len(issues) - SHOWN_PROBLEMS} more: download them all below.")
    errors = problems_table(issues)
    with st.expander("Problems as a table"):
        st.dataframe(errors, hide_index=True, width="stretch", key="errors_table")
    _ui.download_csv(errors, "load_problems.csv", "Download problems as CSV")

records_section(store)

st.subheader("Load history")
loads = store.loads()
history = pd.DataFrame(
    {
        "Load": loads["load_id"],
        "File": loads["file_name"],
        "Kind": loads["kind"].map(lambda k: KIND_LABELS.get(k, str(k).replace("_", " "))),
        "Rows": loads["rows"],
        "Loaded": pd.to_datetime(loads["loaded_at"]).dt.strftime("%d %b %Y %H:%M"),
        "Status": loads["status"].str.replace("_", " "),
        "Rolled back": pd.to_datetime(loads["rolled_back_at"])
        .dt.strftime("%d %b %Y %H:%M")
        .fillna(""),
        "Notes": loads["notes"].fillna(""),
    }
)
st.dataframe(
    history,
    hide_index=True,
    width="stretch",
    column_config={
        "Rows": st.column_config.NumberColumn("Rows", format="localized"),
        "Notes": st.column_config.TextColumn("Notes", width="large"),
    },
)
_ui.download_csv(history, "loads.csv", key="dl_loads")
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
            "measure": st.column_config.TextColumn("Measure id"),
            "label": st.column_config.TextColumn("Label", width="large"),
            "kind": st.column_config.SelectboxColumn(
                "Kind", options=["proportion", "rate", "count", "value"], required=True
            ),
            "multiplier": st.column_config.NumberColumn(
                "Multiplier", min_value=0.0, help="100 for %, 100000 for per 100,000"
            ),
            "polarity": st.column_config.SelectboxColumn(
                "Polarity",
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
        st.dataframe(dated(shown.head(1000)), hide_index=True, width="stretch")
        st.caption(f"{len(rows):,} rows (first 1,000 shown); counts 1–7 shown as *.")
        _ui.download_csv(shown, f"{measure}.csv", key="dl_measure_rows")
else:
    frame = {
        "sites": store.sites,
        "measure definitions": store.definitions,
        "unit costs": store.unit_costs,
    }[table_name]()
    st.dataframe(dated(frame), hide_index=True, width="stretch")
    _ui.download_csv(frame, f"{table_name.replace(' ', '_')}.csv", key="dl_table")
