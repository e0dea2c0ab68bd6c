"""One test per validation error kind: the message names file, row and column,
and the database is exactly as it was before the rejected load."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from analysis.errors import LoadRejected
from analysis.ingest import prepare_batch
from tests.helpers import assert_same, fixture_store, load, snapshot

HEADER = "site_code,period,measure,numerator,denominator\n"
GOOD = "E08000015,2024/25,falls_admissions_65plus,100,5000\n"

# (case id, file name, content, expected row, expected column, words in the message)
CASES = [
    (
        "missing column",
        "m.csv",
        "site_code,period,numerator\nE08000015,2024/25,3\n",
        None,
        "measure",
        "required column 'measure' is missing",
    ),
    (
        "unknown site",
        "m.csv",
        HEADER + GOOD + "X99,2024/25,falls_admissions_65plus,1,10\n",
        3,
        "site_code",
        "site code 'X99' is not in the sites table",
    ),
    (
        "bad period",
        "m.csv",
        HEADER + "E08000015,2024/2x,falls_admissions_65plus,1,10\n",
        2,
        "period",
        "'2024/2x' is not a period",
    ),
    (
        "bad financial year",
        "m.csv",
        HEADER + GOOD + "E08000015,2024/26,falls_admissions_65plus,1,10\n",
        3,
        "period",
        "expected 2024/25",
    ),
    (
        "negative count",
        "m.csv",
        HEADER + GOOD + GOOD.replace("2024/25", "2025/26").replace("100", "-4"),
        3,
        "numerator",
        "numerator -4 is negative",
    ),
    (
        "non-integer count",
        "m.csv",
        HEADER + "E08000015,2024/25,falls_admissions_65plus,2.5,10\n",
        2,
        "numerator",
        "not a whole number",
    ),
    (
        "not a number",
        "m.csv",
        HEADER + "E08000015,2024/25,falls_admissions_65plus,lots,10\n",
        2,
        "numerator",
        "'lots' is not a number",
    ),
    (
        "zero denominator",
        "m.csv",
        HEADER + GOOD + "E08000013,2024/25,falls_admissions_65plus,0,0\n",
        3,
        "denominator",
        "denominator is zero",
    ),
    ("duplicate key", "m.csv", HEADER + GOOD + GOOD, 3, "site_code", "duplicate"),
    ("empty file", "m.csv", "", None, None, "the file is empty"),
    ("header only", "m.csv", HEADER, None, None, "no data rows"),
    ("unknown kind", "m.csv", "foo,bar\n1,2\n", 1, None, "cannot tell what kind of file"),
    (
        "bad group",
        "s.csv",
        "site_code,site_name,group\nZ1,Zed,treated\n",
        2,
        "group",
        "group 'treated' is not intervention, comparator or empty",
    ),
    (
        "intervention without start",
        "s.csv",
        "site_code,site_name,group\nZ1,Zed,intervention\n",
        2,
        "start_date",
        "needs a start_date",
    ),
    (
        "bad imd decile",
        "s.csv",
        "site_code,site_name,imd_decile\nZ1,Zed,11\n",
        2,
        "imd_decile",
        "outside 1 to 10",
    ),
    (
        "negative unit cost",
        "c.csv",
        "measure,item,cost_gbp,share\nfalls,hospital,-5,0.5\n",
        2,
        "cost_gbp",
        "outside at least 0",
    ),
    (
        "share above one",
        "c.csv",
        "measure,item,cost_gbp,share\nfalls,hospital,5,1.5\n",
        2,
        "share",
        "outside 0 to 1",
    ),
]


@pytest.fixture
def store(tmp_path):
    s = fixture_store(tmp_path / "t.duckdb")
    yield s
    s.close()


@pytest.mark.parametrize(
    ("case", "name", "content", "row", "column", "words"), CASES, ids=[c[0] for c in CASES]
)
def test_rejected_with_location_and_nothing_changes(store, case, name, content, row, column, words):
    before = snapshot(store)
    with pytest.raises(LoadRejected) as caught:
        load(store, (name, content.encode()))
    matching = [i for i in caught.value.issues if words in i.message]
    assert matching, [str(i) for i in caught.value.issues]
    issue = matching[0]
    assert issue.file == name
    assert issue.row == row
    assert issue.column == column
    assert_same(before, snapshot(store))


def test_numerator_above_denominator_for_a_proportion(store):
    definitions = "measure,kind\nscreen_uptake,proportion\n"
    load(store, ("d.csv", definitions.encode()))
    before = snapshot(store)
    bad = "site_code,period,measure,numerator,denominator\nE08000015,2023,screen_uptake,11,10\n"
    with pytest.raises(LoadRejected) as caught:
        load(store, ("p.csv", bad.encode()))
    (issue,) = caught.value.issues
    assert (issue.row, issue.column) == (2, "numerator")
    assert "larger than the denominator" in issue.message
    assert_same(before, snapshot(store))


def test_file_over_the_upload_limit(store):
    before = snapshot(store)
    data = (HEADER + GOOD * 100).encode()
    with pytest.raises(LoadRejected) as caught:
        store.apply(prepare_batch([("big.csv", data)], store.catalogue(), max_bytes=1000))
    assert "over the upload limit" in caught.value.issues[0].message
    assert caught.value.issues[0].file == "big.csv"
    assert_same(before, snapshot(store))


def test_undecodable_bytes_are_reported(store):
    before = snapshot(store)
    data = HEADER.encode() + b"E08000015,2024/25,falls_admissions_65plus,1,\x81\x8d\n"
    with pytest.raises(LoadRejected) as caught:
        load(store, ("bad.csv", data))
    issue = caught.value.issues[0]
    assert issue.row == 2 and "neither UTF-8 nor Windows-1252" in issue.message
    assert_same(before, snapshot(store))


def test_utf16_is_refused_with_advice(store):
    with pytest.raises(LoadRejected) as caught:
        load(store, ("u16.csv", (HEADER + GOOD).encode("utf-16")))
    assert "UTF-16" in caught.value.issues[0].message


def test_one_bad_file_rejects_the_whole_batch(store):
    before = snapshot(store)
    good = (HEADER + GOOD).encode()
    bad = (HEADER + "E08000015,2024/25,falls_admissions_65plus,-1,10\n").encode()
    with pytest.raises(LoadRejected):
        load(store, ("good.csv", good), ("bad.csv", bad))
    assert_same(before, snapshot(store))


def test_every_error_is_listed_not_just_the_first(store):
    rows = "".join(f"E08000015,{2000 + i}/{(i + 1) % 100:02d},m,-1,10\n" for i in range(5))
    with pytest.raises(LoadRejected) as caught:
        load(store, ("many.csv", (HEADER + rows).encode()))
    assert [i.row for i in caught.value.issues if "negative" in i.message] == [2, 3, 4, 5, 6]


def test_error_rows_count_blank_lines_like_a_spreadsheet(store):
    content = HEADER + GOOD + "\n" + "E08000015,2025/26,falls_admissions_65plus,-1,10\n"
    with pytest.raises(LoadRejected) as caught:
        load(store, ("gap.csv", content.encode()))
    assert caught.value.issues[0].row == 4


def test_cli_prints_file_row_column_and_exits_2(tmp_path, capsys):
    from analysis.cli import main

    fixture_store(tmp_path / "c.duckdb").close()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "E08000015,2024/25,falls_admissions_65plus,-1,10\n")
    code = main(["load", str(bad), "--db", str(tmp_path / "c.duckdb")])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{bad}:2:numerator: numerator -1 is negative" in err


def test_excel_and_parquet_give_the_same_rows(store, tmp_path):
    frame = pd.read_csv(io.StringIO(HEADER + GOOD))
    xlsx, parquet = io.BytesIO(), io.BytesIO()
    frame.to_excel(xlsx, index=False)
    frame.to_parquet(parquet, index=False)
    a = prepare_batch([("m.xlsx", xlsx.getvalue())], store.catalogue())[0].rows
    b = prepare_batch([("m.parquet", parquet.getvalue())], store.catalogue())[0].rows
    c = prepare_batch([("m.csv", (HEADER + GOOD).encode())], store.catalogue())[0].rows
    for other in (a, b):
        pd.testing.assert_frame_equal(other.reset_index(drop=True), c.reset_index(drop=True))
