"""The Data page counts a recipe's measure from uploaded record files (issue 16).

The hand-written falls extract of ``tests/test_aggregate_engines.py`` (its practices
renamed to sites of the North West fixture) is uploaded with its registered
population, counted on DuckDB, previewed with small counts suppressed, and loaded as
one load with the recipe's definition; a record file without the age column is
refused with a sentence naming the file and the column, and nothing changes.
"""

from __future__ import annotations

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

pytest.importorskip("ibis", reason="ibis-framework is not installed (requirements.txt)")

from analysis.store import Store
from tests.helpers import app_on, assert_same, fixture_store, snapshot
from tests.test_aggregate_engines import FALLS, FALLS_POPULATION

# A81003 stays unknown: it has records but no denominator, so the recipe leaves it out.
SITES = {"A81001": "E08000015", "A81002": "E08000013"}
MEASURE = "falls_admissions_65plus_from_records"


def records_csv(drop: tuple[str, ...] = ()) -> bytes:
    frame = FALLS.replace({"practice_code": SITES}).drop(columns=list(drop))
    return frame.to_csv(index=False).encode()


def population_csv() -> bytes:
    return FALLS_POPULATION.replace({"Practice Code": SITES}).to_csv(index=False).encode()


def data_page(at: AppTest) -> AppTest:
    at.run()
    at.switch_page("pages/data.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def upload_and_count(at: AppTest, records: bytes) -> AppTest:
    at.selectbox(key="records_recipe").set_value("falls_65plus")
    at.file_uploader(key="records_file").set_value(("hes extract.csv", records, "text/csv"))
    at.file_uploader(key="records_denominators").set_value(
        ("population.csv", population_csv(), "text/csv")
    )
    at.run()
    at.button(key="records_count").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def previews(at: AppTest) -> list[pd.DataFrame]:
    """The expander's preview tables (the page's only tables with a Site column)."""
    return [d.value for d in at.dataframe if "Site" in d.value.columns]


@pytest.fixture
def db(tmp_path):
    """A store holding the North West falls fixture (its three loads)."""
    path = tmp_path / "app.duckdb"
    fixture_store(path).close()
    return path


def test_records_are_counted_previewed_and_loaded(db, monkeypatch):
    # The app is driven inside ``app_on`` and dropped before the store is reopened: the
    # Data page's roll-back picker keeps the page's globals, and so the app's store, alive.
    with app_on(db, monkeypatch) as at:
        at = upload_and_count(data_page(at), records_csv())
        texts = [t.value for t in at.text]
        made = "From hes extract.csv over population.csv: 4 rows, 2 sites × 2 periods"
        assert any(made in t for t in texts)
        preview = previews(at)[0].set_index("Site")
        assert list(preview.columns) == ["Name", "2022/23", "2023/24"]
        assert preview.loc["E08000015", "Name"] == "Wirral"
        preview = preview.drop(columns="Name")
        # hand-counted (FALLS_FINANCIAL_YEAR): 1 and 3 at A81001, 0 and 2 at A81002; 1–7 hidden
        assert preview.loc["E08000015"].tolist() == ["*", "*"]
        assert preview.loc["E08000013"].tolist() == ["0", "*"]
        assert "1 with no site left out" in texts
        assert any("no denominator were left out" in t and "A81003" in t for t in texts)
        assert not at.error

        at.button(key="records_load").click().run()
        assert not at.exception, [e.message for e in at.exception]
        assert any("Loaded in one transaction" in s.value for s in at.success)
        history = next(d.value for d in at.dataframe if "Rolled back" in d.value.columns)
        new = history[history["File"].str.startswith("falls_65plus_from_hes extract")]
        assert sorted(new["File"]) == [
            "falls_65plus_from_hes extract.csv",
            "falls_65plus_from_hes extract.definition.csv",
        ]
        assert (new["Status"] == "active").all()
        assert previews(at) == []  # the preview is gone once loaded
        del at

    store = Store(db, read_only=True)
    try:
        rows = store.measure_rows(MEASURE).set_index(["site_code", "period_label"])
        definitions = store.definitions().set_index("measure")
        loads = store.loads()
    finally:
        store.close()
    assert len(rows) == 4
    assert rows.loc[("E08000015", "2023/24"), "denominator"] == 200
    assert definitions.loc[MEASURE, "kind"] == "rate"
    assert definitions.loc[MEASURE, "source"].startswith("OHID Fingertips indicator 22401")
    assert len(loads) == 5 and (loads["status"] == "active").all()


def test_a_record_file_without_the_age_column_is_refused_and_nothing_changes(db, monkeypatch):
    store = Store(db, read_only=True)
    before = snapshot(store)
    store.close()
    with app_on(db, monkeypatch) as at:
        at = upload_and_count(data_page(at), records_csv(drop=("age",)))
        assert any("Nothing was counted" in e.value for e in at.error)
        message = next(t.value for t in at.text if "no column 'age'" in t.value)
        assert "hes extract.csv" in message
        assert previews(at) == []
        assert not [b for b in at.button if b.key == "records_load"]
        del at
    store = Store(db, read_only=True)
    try:
        assert_same(before, snapshot(store))
    finally:
        store.close()


def test_practices_not_in_the_sites_table_are_named_and_nothing_can_be_loaded(db, monkeypatch):
    unknown = FALLS.to_csv(index=False).encode()  # practices A81001, A81002: not loaded sites
    with app_on(db, monkeypatch) as at:
        at.run()
        at.switch_page("pages/data.py")
        at.run()
        at.selectbox(key="records_recipe").set_value("falls_65plus")
        at.file_uploader(key="records_file").set_value(("hes extract.csv", unknown, "text/csv"))
        at.file_uploader(key="records_denominators").set_value(
            ("population.csv", FALLS_POPULATION.to_csv(index=False).encode(), "text/csv")
        )
        at.run()
        at.button(key="records_count").click().run()
        assert not at.exception, [e.message for e in at.exception]
        assert any("These measures cannot be loaded" in e.value for e in at.error)
        texts = [t.value for t in at.text]
        assert any(
            t.startswith("hes extract.csv, column practice_code: site code 'A81001'") for t in texts
        )
        assert not [b for b in at.button if b.key == "records_load"]
        del at
