"""Programmes as a first-class thing: named, saved as a load (history and roll-back), and
made the saved grouping that every method uses, without the bundled example's sites."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.programmes import ProgrammeError, make_programme
from analysis.store import Store
from analysis.templates import TEMPLATES_DIR
from analysis.usecases import (
    comparison_for,
    load_files,
    programme_in_use,
    save_grouping_as_programme,
    save_programme,
    saved_programmes,
    use_programme,
)
from tests.helpers import app_on, fixture_store

FALLS = "falls_admissions_65plus"


@pytest.fixture
def store(tmp_path):
    s = fixture_store(tmp_path / "p.duckdb")
    yield s
    s.close()


def mine(store):
    return make_programme(
        "Falls in Knowsley & Sefton",
        pd.DataFrame({"site_code": ["E08000011", "E08000014"], "start_date": ["2022-04-01"] * 2}),
        measures=[FALLS],
        known_sites=list(store.sites()["site_code"]),
    )


def test_a_programme_is_checked(store):
    known = list(store.sites()["site_code"])
    frame = pd.DataFrame({"site_code": ["E08000011"], "start_date": [None]})
    with pytest.raises(ProgrammeError, match="no start date: E08000011"):
        make_programme("x", frame, known_sites=known)
    with pytest.raises(ProgrammeError, match="give the programme a name"):
        make_programme("  ", frame.assign(start_date="2022-04-01"))
    with pytest.raises(ProgrammeError, match="not in the sites table: NOPE"):
        make_programme(
            "x",
            pd.DataFrame({"site_code": ["NOPE"], "start_date": ["2022-04-01"]}),
            known_sites=known,
        )


def test_saved_as_a_load_with_history_and_roll_back(store):
    first = save_programme(store, mine(store))
    assert first.status == "loaded" and first.kind == "programme"
    assert save_programme(store, mine(store)).status == "unchanged"
    assert [p.name for p, _ in saved_programmes(store)] == ["Falls in Knowsley & Sefton"]
    loads = store.loads()
    assert loads.iloc[0]["kind"] == "programme"
    store.rollback(first.load_id)
    assert saved_programmes(store) == []


def test_using_a_programme_replaces_the_grouping_and_the_comparison_follows(store):
    before = comparison_for(store, FALLS).effect
    assert before.n_intervention == 3
    save_programme(store, mine(store))
    load_id = use_programme(store, "Falls in Knowsley & Sefton")
    assert load_id is not None
    sites = store.sites().set_index("site_code")
    assert sorted(sites.index[sites["group"].eq("intervention")]) == ["E08000011", "E08000014"]
    assert programme_in_use(store).name == "Falls in Knowsley & Sefton"
    assert use_programme(store, "Falls in Knowsley & Sefton") is None  # already in use
    effect = comparison_for(store, FALLS).effect
    assert effect.n_intervention == 2  # the example's three districts are not in it
    store.rollback(load_id)
    assert programme_in_use(store) is None
    assert comparison_for(store, FALLS).effect.n_intervention == 3


def test_the_grouping_saved_as_a_programme(store):
    outcome = save_grouping_as_programme(store, "Example cohorts")
    ((programme, _),) = saved_programmes(store)
    assert outcome.rows == 3 and len(programme.intervention) == 3
    assert programme_in_use(store).name == "Example cohorts"


def test_sidebar_chooses_the_programme(tmp_path, monkeypatch):
    db = tmp_path / "app.duckdb"
    store = fixture_store(db)
    save_grouping_as_programme(store, "Example cohorts")
    save_programme(store, mine(store))
    store.close()
    with app_on(db, monkeypatch) as at:
        at.run()
        assert at.sidebar.selectbox(key="programme_choice").value == "Example cohorts"
        at.sidebar.selectbox(key="programme_choice").set_value("Falls in Knowsley & Sefton").run()
        assert not at.exception, [e.message for e in at.exception]
        at.switch_page("pages/sites.py").run()
        assert any("intervention: 2" in c.value for c in at.caption)
    store = Store(db)
    try:
        assert programme_in_use(store).name == "Falls in Knowsley & Sefton"
    finally:
        store.close()


def test_a_new_programme_from_the_sites_page(tmp_path, monkeypatch):
    db = tmp_path / "new.duckdb"
    store = Store(db)
    load_files(store, [("sites_example.csv", (TEMPLATES_DIR / "sites_example.csv").read_bytes())])
    store.close()
    with app_on(db, monkeypatch) as at:
        at.run()
        at.switch_page("pages/sites.py").run()
        at.text_input(key="programme_name").set_value("Bowel screening pilot").run()
        at.button(key="save_programme").click().run()
        assert not at.exception, [e.message for e in at.exception]
        assert any("Bowel screening pilot" in s.value for s in at.success)
    with app_on(db, monkeypatch) as at:  # a new visit: the sidebar offers it, in use
        at.run()
        assert at.sidebar.selectbox(key="programme_choice").value == "Bowel screening pilot"
