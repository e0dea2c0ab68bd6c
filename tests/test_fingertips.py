"""Fingertips exports as downloaded: rows naming no indicator left out, apportioned counts kept."""

from __future__ import annotations

import pytest

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


def _with_an_apportioned_count() -> bytes:
    """The fixture slice with one row's Count made non-whole (Fingertips apportions some)."""
    lines = (FIXTURES / "fingertips_smoking_export_slice.csv").read_text("utf-8").splitlines()
    cells = lines[2].split(",")
    cells[17] = "52554.5"
    return "\n".join([lines[0], lines[1], ",".join(cells), *lines[3:]]).encode("utf-8")


def test_an_apportioned_count_is_kept_as_published_with_a_note(tmp_path):
    store = Store(tmp_path / "f.duckdb")
    (outcome,) = load(store, ("export.csv", _with_an_apportioned_count()))
    assert outcome.status == "loaded"
    note = next(n for n in outcome.notes if "not a whole number" in n)
    assert note.startswith("1 row(s) with a Count") and "rows 3)" in note  # the file's line 3
    rows = store.panel_rows("smoking_prevalence_qof")
    assert 52554.5 in set(rows["numerator"])
    store.close()


def test_a_measures_file_with_a_non_whole_numerator_is_still_refused(tmp_path):
    from analysis.errors import LoadRejected

    store = Store(tmp_path / "f.duckdb")
    sites = b"site_code,site_name\nA81001,A\n"
    measures = b"site_code,period,measure,numerator,denominator\nA81001,2023-04,m,2.5,100\n"
    with pytest.raises(LoadRejected, match="not a whole number"):
        load(store, ("sites.csv", sites), ("measures.csv", measures))
    store.close()
