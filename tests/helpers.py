"""Helpers for tests: a real DuckDB store on disk, loaded from the fixtures."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from analysis.ingest import prepare_batch
from analysis.store import Store

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_FILES = ("sites_nw_slice.csv", "definitions.csv", "falls_nw_slice.csv")


def load(store: Store, *files: tuple[str, bytes]):
    """Validate and load files into ``store`` in one transaction."""
    return store.apply(prepare_batch(list(files), store.catalogue()))


def fixture_store(path: Path) -> Store:
    """A store at ``path`` holding the North West falls fixture."""
    store = Store(path)
    load(store, *[(name, (FIXTURES / name).read_bytes()) for name in FIXTURE_FILES])
    return store


def release_app_store() -> None:
    """Close the app's cached store: clear the resource cache and collect its cycles.

    Page objects can hold the store in a reference cycle, so it lives until the
    garbage collector runs; while it does, DuckDB refuses a second connection to
    the file with another configuration (e.g. a test's read-only one).
    """
    st.cache_resource.clear()
    gc.collect()


@contextmanager
def app_on(db: Path, monkeypatch: pytest.MonkeyPatch, timeout: float = 60) -> Iterator[AppTest]:
    """Streamlit's AppTest of ``app.py`` on the store at ``db``, caches cleared around it."""
    monkeypatch.setenv("HIOD_DB", str(db))
    release_app_store()
    st.cache_data.clear()
    try:
        yield AppTest.from_file(str(REPO / "app.py"), default_timeout=timeout)
    finally:
        release_app_store()


def snapshot(store: Store) -> dict[str, pd.DataFrame]:
    """Every table's full contents, for before/after comparisons."""
    tables = store.query(
        "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
    )["table_name"]
    return {
        t: store.query(f'SELECT * FROM "{t}" ORDER BY ALL').reset_index(drop=True)
        for t in sorted(tables)
    }


def assert_same(before: dict[str, pd.DataFrame], after: dict[str, pd.DataFrame]) -> None:
    """Assert two snapshots hold the same tables with the same rows."""
    assert before.keys() == after.keys()
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name], check_dtype=False, obj=name)
