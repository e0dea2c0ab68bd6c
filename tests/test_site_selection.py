"""Sites in bulk: filter by parent, deprivation, list size or pasted codes, and mark every
site shown at once as one load (history and roll-back like any other)."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.site_selection import (
    SiteFilter,
    bulk_grouping,
    filter_sites,
    parse_codes,
    unknown_codes,
)
from analysis.store import Store
from analysis.templates import TEMPLATES_DIR
from analysis.usecases import load_files
from tests.helpers import app_on

SITES_EXAMPLE = TEMPLATES_DIR / "sites_example.csv"


@pytest.fixture
def sites(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    try:
        load_files(store, [("sites_example.csv", SITES_EXAMPLE.read_bytes())])
        return store.sites()
    finally:
        store.close()


def test_parse_codes_takes_any_separator():
    assert parse_codes("X10001, X10002;X10003\n'X10004'\tX10001") == (
        "X10001",
        "X10002",
        "X10003",
        "X10004",
    )


def test_filters(sites):
    practices = SiteFilter(types=("practice",))
    assert len(filter_sites(sites, practices)) == 6
    south = filter_sites(sites, SiteFilter(types=("practice",), parents=("U90002",)))
    assert sorted(south["site_code"]) == ["X10004", "X10005", "X10006"]
    deprived = filter_sites(sites, SiteFilter(types=("practice",), deciles=(1, 3)))
    assert sorted(deprived["site_code"]) == ["X10001", "X10002", "X10003"]
    big = filter_sites(sites, SiteFilter(types=("practice",), population=(8000, 20000)))
    assert sorted(big["site_code"]) == ["X10002", "X10004", "X10006"]
    pasted = filter_sites(sites, SiteFilter(codes=("x10001", "X10005", "NOPE")))
    assert sorted(pasted["site_code"]) == ["X10001", "X10005"]
    assert unknown_codes(sites, ("x10001", "NOPE")) == ("NOPE",)


def test_bulk_grouping_needs_a_start_for_intervention(sites):
    chosen = sites[sites["site_code"].isin(["X10004", "X10005"])]
    with pytest.raises(ValueError, match="need the date"):
        bulk_grouping(chosen, "intervention")
    grouping = bulk_grouping(chosen, "intervention", pd.Timestamp("2024-04-01"))
    assert grouping["group"].eq("intervention").all()
    assert grouping["start_date"].eq(pd.Timestamp("2024-04-01")).all()
    cleared = bulk_grouping(chosen, "eligible comparator")
    assert cleared["group"].isna().all() and cleared["start_date"].isna().all()


def test_sites_page_marks_a_pcns_practices_in_one_load(tmp_path, monkeypatch):
    db = tmp_path / "page.duckdb"
    store = Store(db)
    load_files(store, [("sites_example.csv", SITES_EXAMPLE.read_bytes())])
    store.close()
    with app_on(db, monkeypatch) as at:
        at.run()
        at.switch_page("pages/sites.py").run()
        assert not at.exception, [e.message for e in at.exception]
        assert at.multiselect(key="site_types").value == ["practice"]  # the programme's type
        at.multiselect(key="site_parents").set_value(["U90002"]).run()
        assert len(at.data_editor[0].value) == 3
        at.selectbox(key="bulk_group").set_value("intervention").run()
        at.date_input(key="bulk_start").set_value(pd.Timestamp("2024-04-01").date()).run()
        at.button(key="bulk_apply").click().run()
        assert not at.exception, [e.message for e in at.exception]
        assert any("3 site(s) marked intervention" in s.value for s in at.success)
        assert any("intervention: 5" in c.value for c in at.caption)
    store = Store(db)
    try:
        loads = store.loads()
        assert loads.iloc[0]["kind"] == "grouping" and loads.iloc[0]["rows"] == 3
        chosen = store.sites().set_index("site_code").loc[["X10004", "X10005", "X10006"]]
        assert chosen["group"].eq("intervention").all()
        store.rollback(int(loads.iloc[0]["load_id"]))
        assert store.sites().set_index("site_code").loc["X10004", "group"] is None or pd.isna(
            store.sites().set_index("site_code").loc["X10004", "group"]
        )
    finally:
        store.close()
