"""The Data page's "Boundaries for the map" section: upload, check and store a boundary file.

Widgets only; reading, checking and preparing are :mod:`analysis.boundary_files`, storing
is :meth:`analysis.store.Store.save_boundaries`.
"""

from __future__ import annotations

from pathlib import PurePath

import pandas as pd
import streamlit as st

from analysis.boundary_files import (
    layer_table,
    match_codes,
    prepare_boundaries,
    suggest_code_column,
    suggest_name_column,
    suggest_year,
)
from analysis.boundary_read import read_boundary_file
from analysis.errors import HiodError, LoadRejected
from analysis.geo import bundled_layers
from analysis.store import Store
from pages import _ui

NO_NAME = "(none: show the code)"


def boundary_section(store: Store) -> None:
    """Upload a GeoJSON file or zipped shapefile, choose its columns, check and store it."""
    st.subheader("Boundaries for the map")
    st.markdown(
        "Load your own boundaries as **GeoJSON** (.geojson, .json) or a **zipped shapefile** "
        "(.zip holding the .shp, .shx, .dbf and .prj). Each area is matched to a site by the "
        "code column you choose (a site's `site_code` or `boundary_code`). Invalid polygons "
        "are repaired where possible; the file is stored as one load, which can be rolled "
        "back above."
    )
    if "boundary_message" in st.session_state:
        st.success(st.session_state.pop("boundary_message"))
    upload = st.file_uploader(
        "Boundary file", type=["geojson", "json", "zip"], key="boundary_upload"
    )
    if upload is not None:
        _check_and_store(store, upload.name, upload.getvalue())
    st.markdown("**Boundary layers available to the map**")
    layers = layer_table(bundled_layers(), store.boundary_overview())
    st.dataframe(layers, hide_index=True, width="stretch")
    _ui.download_csv(layers, "boundary_layers.csv", key="dl_boundary_layers")


def _check_and_store(store: Store, file_name: str, data: bytes) -> None:
    try:
        boundary_file = read_boundary_file(file_name, data)
    except LoadRejected as exc:
        _show_problems(exc)
        return
    columns = list(boundary_file.columns)
    if not columns:
        st.error(f"{file_name}: the features have no attributes, so no column holds codes.")
        return
    site_codes = match_codes(store.sites())
    suggested = suggest_code_column(boundary_file, site_codes)
    code_col, name_col = st.columns(2)
    code_column = code_col.selectbox(
        "Code column",
        columns,
        index=columns.index(suggested) if suggested in columns else 0,
        key="boundary_code_column",
        help="The column holding each area's code, as used by your sites.",
    )
    suggested_name = suggest_name_column(boundary_file, code_column)
    names = [NO_NAME, *columns]
    name_column = name_col.selectbox(
        "Name column",
        names,
        index=names.index(suggested_name) if suggested_name in names else 0,
        key="boundary_name_column",
    )
    year_col, label_col = st.columns(2)
    year = year_col.number_input(
        "Boundary year (vintage)",
        min_value=1800,
        max_value=2200,
        value=suggest_year(code_column),
        step=1,
        key="boundary_year",
    )
    layer_name = label_col.text_input(
        "Layer name", value=PurePath(file_name).stem, key="boundary_layer_name"
    )
    if not st.button("Check and store boundaries", type="primary", key="boundary_store"):
        return
    try:
        prepared = prepare_boundaries(
            boundary_file,
            code_column,
            site_codes,
            name_column=None if name_column == NO_NAME else name_column,
            year=None if year is None else int(year),
            layer_name=layer_name,
        )
        outcome = store.save_boundaries(
            prepared.layer, prepared.file_name, prepared.sha256, prepared.summary.notes
        )
    except LoadRejected as exc:
        _show_problems(exc)
        return
    except HiodError as exc:
        _ui.show_error(exc)
        return
    st.cache_data.clear()
    notes = "; ".join(prepared.summary.notes)
    st.session_state["boundary_message"] = (
        f"{file_name}: {outcome.status} as layer '{prepared.layer.name}' "
        f"({prepared.summary.features} areas, load #{outcome.load_id}). {notes}"
    )
    st.rerun()


def _show_problems(exc: LoadRejected) -> None:
    st.error(f"Nothing was stored: {len(exc.issues)} problem(s) found.")
    problems = pd.DataFrame([i.__dict__ for i in exc.issues])
    st.dataframe(problems, hide_index=True, width="stretch")
    _ui.download_csv(problems, "boundary_problems.csv", key="dl_boundary_problems")
