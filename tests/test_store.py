"""The DuckDB store: one transaction per load, idempotent, versions kept, roll-back."""

from __future__ import annotations

import subprocess
import sys
import threading

import pandas as pd
import pytest

from analysis.errors import HiodError, StoreBusy
from analysis.store import Store
from tests.helpers import FIXTURE_FILES, FIXTURES, assert_same, fixture_store, load, snapshot

HEADER = "site_code,period,measure,numerator,denominator\n"


@pytest.fixture
def store(tmp_path):
    s = fixture_store(tmp_path / "s.duckdb")
    yield s
    s.close()


def falls(store, site="E08000015", period="2018/19"):
    rows = store.measure_rows("falls_admissions_65plus")
    return rows[(rows["site_code"] == site) & (rows["period_label"] == period)].iloc[0]


def test_fixture_loads_every_row(store):
    rows = store.measure_rows("falls_admissions_65plus")
    assert len(rows) == 66
    assert rows["site_code"].nunique() == 11
    wirral = falls(store)
    # Fingertips 22401, Wirral 2018/19: published count and denominator
    assert (wirral["numerator"], wirral["denominator"]) == (1855, 69093)
    assert wirral["value"] == pytest.approx(2648.718)  # the published DSR is kept


def test_loading_the_same_file_twice_changes_nothing(store):
    before = snapshot(store)
    data = (FIXTURES / "falls_nw_slice.csv").read_bytes()
    (outcome,) = load(store, ("falls_nw_slice.csv", data))
    assert outcome.status == "unchanged"
    assert_same(before, snapshot(store))


def test_revision_wins_and_rollback_restores(store):
    original = falls(store)["numerator"]
    revised = HEADER + f"E08000015,2018/19,falls_admissions_65plus,{int(original) + 10},69093\n"
    (outcome,) = load(store, ("revision.csv", revised.encode()))
    assert falls(store)["numerator"] == original + 10
    history = store.query(
        "SELECT count(*) AS n FROM measures_history WHERE site_code = 'E08000015' "
        "AND period_label = '2018/19'"
    )["n"].iloc[0]
    assert history == 2
    store.rollback(outcome.load_id)
    assert falls(store)["numerator"] == original
    assert store.loads().set_index("load_id").loc[outcome.load_id, "status"] == "rolled_back"


def test_rollback_of_a_sites_load_in_use_is_refused(store):
    with pytest.raises(HiodError, match="Roll those loads back first"):
        store.rollback(1)


def test_rollback_twice_is_refused(store):
    (outcome,) = load(
        store, ("r.csv", (HEADER + "E08000015,2030/31,falls_admissions_65plus,5,9\n").encode())
    )
    store.rollback(outcome.load_id)
    with pytest.raises(HiodError, match="already rolled back"):
        store.rollback(outcome.load_id)


def test_a_failure_mid_load_leaves_nothing(store, monkeypatch):
    from analysis import store as store_module

    before = snapshot(store)
    calls = {"n": 0}
    original = store_module._insert

    def failing_insert(cur, table, rows, load_id):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("disk full")
        original(cur, table, rows, load_id)

    monkeypatch.setattr(store_module, "_insert", failing_insert)
    files = [
        ("a.csv", (HEADER + "E08000015,2031/32,falls_admissions_65plus,5,9\n").encode()),
        ("b.csv", (HEADER + "E08000015,2032/33,falls_admissions_65plus,5,9\n").encode()),
    ]
    with pytest.raises(RuntimeError):
        load(store, *files)
    assert_same(before, snapshot(store))


def test_small_counts_are_suppressed_with_derived_values(store):
    load(
        store,
        ("small.csv", (HEADER + "E08000014,2030/31,falls_admissions_65plus,3,900\n").encode()),
    )
    rows = store.measure_rows("falls_admissions_65plus")
    small = rows[rows["period_label"] == "2030/31"].iloc[0]
    assert small["suppressed"]
    assert pd.isna(small["numerator"]) and pd.isna(small["value"])
    raw = store.panel_rows("falls_admissions_65plus")
    assert raw.loc[raw["period_label"] == "2030/31", "numerator"].iloc[0] == 3


def test_readers_are_not_blocked_by_a_writer(store):
    """Threads read through their own cursors while a load is written."""
    big = HEADER + "".join(
        f"E08000015,{1000 + i}/{(i + 1) % 100:02d},falls_admissions_65plus,5,90\n"
        for i in range(900)
    )
    counts, errors = [], []

    def reader():
        try:
            for _ in range(20):
                counts.append(len(store.measure_rows("falls_admissions_65plus")))
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    load(store, ("big.csv", big.encode()))
    for t in threads:
        t.join()
    assert not errors
    assert set(counts) <= {66, 966}  # each read sees before or after, never half a load


def test_second_process_gets_a_plain_message(store, tmp_path):
    code = (
        "from analysis.cli import main; import sys; "
        f"sys.exit(main(['load', '--defaults', '--db', r'{store.path}']))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert "is open in process" in done.stderr and "--db" in done.stderr


def test_store_busy_is_raised_for_a_held_file(store):
    probe = subprocess.run(
        [sys.executable, "-c", f"from analysis.store import Store; Store(r'{store.path}')"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "StoreBusy" in probe.stderr
    assert StoreBusy.__name__ == "StoreBusy"


def test_real_fingertips_export_loads(tmp_path, shared_dir):
    """The unmodified Fingertips smoking export (91547) from shared/data loads as it is."""
    store = Store(tmp_path / "f.duckdb")
    path = shared_dir / "data" / "fingertips" / "smoking_91547_export.csv"
    (outcome,) = load(store, (path.name, path.read_bytes()))
    assert outcome.kind == "fingertips"
    rows = store.panel_rows("smoking_prevalence_qof")
    england = rows[(rows["site_code"] == "E92000001") & (rows["period_label"] == "2013/14")].iloc[0]
    assert england["numerator"] == 8935216
    assert england["value"] == pytest.approx(19.17076526)
    kinds = store.definitions().set_index("measure")
    assert kinds.loc["smoking_prevalence_qof", "kind"] == "proportion"
    sites = store.sites().set_index("site_code")
    assert sites.loc["E92000001", "site_type"] == "country"
    store.close()


def test_fixture_slice_of_fingertips_export(store):
    (outcome,) = load(
        store, ("fx.csv", (FIXTURES / "fingertips_smoking_export_slice.csv").read_bytes())
    )
    assert outcome.status == "loaded"
    assert any("breakdown row" in n for n in outcome.notes)


def test_a_locked_store_loads_but_reads_no_file_and_keeps_its_settings(tmp_path):
    """Store.lock_down (DESIGN.md: enable_external_access=false): loads work, file reads do not."""
    import duckdb

    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    store = Store(tmp_path / "locked.duckdb")
    store.lock_down()
    load(store, *[(name, (FIXTURES / name).read_bytes()) for name in FIXTURE_FILES])
    assert len(store.measure_rows())
    with pytest.raises(duckdb.Error, match="disabled by configuration"):
        store.query(f"SELECT * FROM read_csv('{secret}')")
    with pytest.raises(duckdb.Error, match="Cannot change configuration"):
        store.query("SET enable_external_access = true")
    store.close()
