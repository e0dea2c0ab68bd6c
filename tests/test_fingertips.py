"""Fingertips exports as downloaded: rows that name no indicator are left out with a note."""

from __future__ import annotations

from analysis.store import Store
from tests.helpers import FIXTURES, load


def _with_blank_indicator_rows() -> bytes:
    """The fixture slice plus two copies of a data row with its Indicator ID emptied."""
    lines = (FIXTURES / "fingertips_smoking_export_slice.csv").read_text("utf-8").splitlines()
    stray = "," + lines[1].split(",", 1)[1]
    return "\n".join([*lines, stray, stray]).encode("utf-8")


def test_rows_without_an_indicator_id_are_left_out_with_a_note(tmp_path):
    store = Store(tmp_path / "f.duckdb")
    (outcome,) = load(store, ("export.csv", _with_blank_indicator_rows()))
    assert outcome.status == "loaded"
    assert any("no Indicator ID left out" in note for note in outcome.notes)
    measures = set(store.definitions()["measure"])
    assert "fingertips_nan" not in measures and "fingertips_None" not in measures
    assert "smoking_prevalence_qof" in measures
    store.close()
