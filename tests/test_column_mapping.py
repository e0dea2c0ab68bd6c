"""Any reasonable file comes in: column mapping on the Data page and the CLI, remembered
by the file's header; templates and worked examples that load; messages once, with the fix."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.column_mapping import (
    ColumnMapping,
    apply_mapping,
    header_key,
    parse_columns_option,
    suggest,
)
from analysis.errors import LoadRejected
from analysis.ingest import Catalogue, prepare_batch
from analysis.store import Store
from analysis.templates import FOREIGN_EXAMPLE, TEMPLATES, TEMPLATES_DIR
from analysis.usecases import file_headers, load_files
from tests.helpers import app_on, fixture_store

COLUMNS = "site_code=Practice Code,period=Month,numerator=Screened,denominator=Invited"
SITES = ("sites_example.csv", (TEMPLATES_DIR / "sites_example.csv").read_bytes())
FOREIGN = (FOREIGN_EXAMPLE, (TEMPLATES_DIR / FOREIGN_EXAMPLE).read_bytes())
MEASURE = "bowel_uptake"


def current_measures(store: Store) -> pd.DataFrame:
    return store.query(
        "SELECT * EXCLUDE (load_id) FROM measures_current WHERE measure = $m "
        "ORDER BY site_code, period_start",
        {"m": MEASURE},
    )


def test_parse_columns_option():
    mapping = parse_columns_option(COLUMNS, MEASURE)
    assert mapping.as_dict() == {
        "site_code": "Practice Code",
        "period": "Month",
        "numerator": "Screened",
        "denominator": "Invited",
    }
    assert mapping.measure == MEASURE
    assert parse_columns_option(mapping.to_option(), MEASURE) == mapping
    assert ColumnMapping.from_json(mapping.to_json()).as_dict() == mapping.as_dict()
    assert parse_columns_option("Site Code=Org", None).as_dict() == {"site_code": "Org"}
    with pytest.raises(ValueError, match="'sitecode_x' is not a column of the data contract"):
        parse_columns_option("sitecode_x=Org")
    with pytest.raises(ValueError, match="should be contract_column=Your Column"):
        parse_columns_option("site_code")
    with pytest.raises(ValueError, match="given twice"):
        parse_columns_option("period=Month,period=Year")


def test_header_key_ignores_case_spacing_and_order():
    assert header_key(["Practice Code", "Month"]) == header_key(["month", "practice_code"])


def test_suggest_guesses_an_exports_columns():
    guess = suggest(["Practice Code", "Month", "Screened", "Invited"])
    assert guess == {
        "site_code": "Practice Code",
        "period": "Month",
        "numerator": "Screened",
        "denominator": "Invited",
    }


def test_mapping_problems_name_file_and_column():
    cells = pd.DataFrame({"Practice Code": ["A"], "Month": ["2024-04"]}, index=[2])
    _, issues = apply_mapping("f.csv", cells, ColumnMapping.of({"period": "Mnth"}, "1bad id"))
    messages = [str(i) for i in issues]
    assert any(m.startswith("f.csv:1:Mnth: the column 'Mnth' chosen for period") for m in messages)
    assert any("measure id '1bad id'" in m for m in messages)
    _, issues = apply_mapping(
        "f.csv", cells, ColumnMapping.of({"site_code": "Month", "period": "Month"})
    )
    assert "chosen for both site_code and period" in issues[0].message


def test_unrecognised_file_says_how_to_fix_it_in_words(tmp_path):
    with pytest.raises(LoadRejected) as caught:
        prepare_batch([SITES, FOREIGN], Catalogue())
    (issue,) = caught.value.issues
    assert issue.file == FOREIGN_EXAMPLE and issue.row == 1
    assert "README" not in issue.message
    assert "Match your columns" in issue.message and "--columns" in issue.message


def test_zero_denominator_is_reported_once_for_a_proportion():
    from analysis.validate import Issues, validate_measures

    cells = pd.DataFrame(
        {"site_code": ["A"], "period": ["2024-04"], "measure": ["m"], "numerator": ["3"]}
        | {"denominator": ["0"]},
        index=[2],
    )
    issues = Issues("f.csv")
    validate_measures(cells, issues, {"A"}, {"m": "proportion"})
    (issue,) = issues.items
    assert issue.message.startswith("denominator is zero: give the number of people eligible")


def test_cli_and_page_load_the_same_rows_and_the_mapping_is_remembered(
    tmp_path, monkeypatch, capsys
):
    from analysis.cli import main

    cli_db, page_db = tmp_path / "cli.duckdb", tmp_path / "page.duckdb"
    export = tmp_path / FOREIGN_EXAMPLE
    export.write_bytes(FOREIGN[1])
    sites = tmp_path / SITES[0]
    sites.write_bytes(SITES[1])
    args = ["load", str(sites), str(export), "--db", str(cli_db)]
    assert main([*args, "--columns", COLUMNS, "--measure", MEASURE]) == 0
    assert "columns matched: site_code ← Practice Code" in capsys.readouterr().out

    fixture_store(page_db).close()  # not empty, so the app does not load its defaults
    with app_on(page_db, monkeypatch) as at:
        at.run()
        at.switch_page("pages/data.py").run()
        at.file_uploader[0].set_value(
            [(name, data, "text/csv") for name, data in (SITES, FOREIGN)]
        ).run()
        assert any(m.value == "**Match your columns**" for m in at.markdown)
        assert at.selectbox(key="map_1_measures_site_code").value == "Practice Code"
        assert at.selectbox(key="map_1_measures_denominator").value == "Invited"
        at.text_input(key="map_1_measure_id").set_value(MEASURE).run()
        next(b for b in at.button if b.label == "Check and load").click().run()
        assert not at.exception, [e.message for e in at.exception]
        assert any(f"{FOREIGN_EXAMPLE}: loaded" in s.value for s in at.success), [
            e.value for e in at.error
        ]
        # the same header again: the mapping is remembered, nothing to pick
        at.file_uploader[0].set_value([(FOREIGN[0], FOREIGN[1], "text/csv")]).run()
        assert not any(m.value == "**Match your columns**" for m in at.markdown)
        assert any("remembered from load" in c.value for c in at.caption)

    a, b = Store(cli_db), Store(page_db)
    try:
        pd.testing.assert_frame_equal(current_measures(a), current_measures(b))
        assert len(current_measures(a)) == 6 * 15
    finally:
        a.close()
        b.close()

    # the CLI remembers too: a revised export with the same header loads with no --columns
    revised = tmp_path / "screening_revised.csv"
    revised.write_text(re.sub(r"X10001,2024-06,\d+,", "X10001,2024-06,10,", FOREIGN[1].decode()))
    store = Store(cli_db)
    try:
        (header,) = file_headers(store, [(revised.name, revised.read_bytes())])
        assert header.remembered is not None and not header.needs_mapping
        result = load_files(store, [(revised.name, revised.read_bytes())])
        assert result.outcomes[0].status == "loaded"
        assert any("as remembered from load #" in n for n in result.outcomes[0].notes)
    finally:
        store.close()


def test_every_worked_example_loads_together(tmp_path):
    store = Store(tmp_path / "e.duckdb")
    try:
        files = [(t.example, t.example_csv()) for t in TEMPLATES]
        outcomes = load_files(store, files).outcomes
        assert {o.status for o in outcomes} == {"loaded"}
        assert {o.kind for o in outcomes} == {t.kind.name for t in TEMPLATES}
        for template in TEMPLATES:
            header = template.template_csv().decode().strip().split(",")
            assert header[: len(template.kind.required)] == list(template.kind.required) or set(
                template.kind.required
            ) <= set(header)
    finally:
        store.close()
