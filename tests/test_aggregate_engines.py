"""One recipe, three engines, one answer (issue 16).

A hand-written extract with the edge cases (ages 64/65 at the band edge, codes
W00/W19/W20/V99 and S00-T98 at the range edges, an admission on 31 March
discharged in April, a missing practice, two episodes of one spell, a practice
with no denominator, screening tests on the first and last day of a look-back
window) is counted on DuckDB, local PySpark and a real PostgreSQL server that
this module starts (initdb + pg_ctl in a temporary folder, as the ``postgres``
user when run as root). The measures files must be byte-identical, and equal
to the answer counted by hand below.

Spark skips without Java or pyspark, PostgreSQL without Debian's ``postgresql``
package or psycopg (``pip install -r requirements-scale.txt``; ``.ci/run``
installs both).
"""

from __future__ import annotations

import dataclasses
import glob
import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("ibis", reason="ibis-framework is not installed (requirements.txt)")

from analysis.aggregate import aggregate
from analysis.cli import main
from analysis.denominators import population_rows
from analysis.engines import connect, records_table
from analysis.recipes import load_recipe

FALLS = pd.DataFrame(
    [
        # spell, episode, practice, admitted, discharged, age, method, diagnosis, cause
        ("S01", 1, "A81001", "2023-03-31", "2023-04-02", "65", "21", "S72.0", "W01"),  # edge age
        ("S02", 1, "A81001", "2023-04-10", "2023-04-12", "64", "21", "S72", "W01"),  # too young
        ("S03", 1, "A81001", "2023-04-11", "2023-04-11", "80", "21", "S06", "W00"),  # W00
        ("S04", 1, "A81001", "2023-04-12", "2023-04-20", "70", "21", "S06", "W19.9"),  # W19
        ("S05", 1, "A81001", "2023-04-13", "2023-04-14", "70", "21", "S06", "W20"),  # not a fall
        ("S06", 1, "A81001", "2023-04-14", "2023-04-15", "70", "21", "S06", "V99"),  # transport
        ("S07", 1, "A81001", "2023-04-15", "2023-04-16", "90", "11", "S72", "W10"),  # elective
        ("S08", 1, "A81001", "2023-04-16", "2023-04-17", "75", "2A", "T98", "W05"),  # T98 edge
        ("S09", 1, "A81001", "2023-04-17", "2023-04-18", "75", "21", "I21", "W05"),  # not injury
        ("S10", 1, "A81002", "2023-04-20", "2023-04-22", "85", "21", "S72", "W18"),  # spell …
        ("S10", 2, "A81002", "2023-04-20", "2023-04-22", "85", "21", "S72", "W18"),  # … counts once
        ("S11", 1, None, "2023-04-21", "2023-04-22", "85", "21", "S72", "W18"),  # no practice
        ("S12", 1, "A81002", "2023-05-31", "2023-06-01", "66", "22", "s72 0", "w01"),  # case
        ("S13", 1, "A81003", "2023-04-05", "2023-04-06", "70", "21", "S00", "W01"),  # no denom.
        ("S14", 1, "A81001", "2023-04-18", "2023-04-19", None, "21", "S72", "W01"),  # no age
    ],
    columns=[
        "spell_id",
        "episode",
        "practice_code",
        "admission_date",
        "discharge_date",
        "age",
        "admission_method",
        "primary_diagnosis",
        "external_cause",
    ],
)

FALLS_POPULATION = pd.DataFrame(
    [
        # practice, year, band, sex, count: only 65+ bands add up; "All" is a total
        ("A81001", year, band, sex, n)
        for year in ("2022", "2023")
        for band, sex, n in [
            ("60-64", "Female", 500),
            ("65-69", "Female", 60),
            ("65-69", "Male", 40),
            ("70-74", "Female", 80),
            ("90+", "Female", 20),
            ("All", "Female", 2000),
        ]
    ]
    + [("A81002", year, "65 to 69", "Male", 50) for year in ("2022", "2023")]
    + [("A81002", year, "85 and over", "Female", 30) for year in ("2022", "2023")],
    columns=["Practice Code", "Year", "Age Band", "Sex", "Number of Patients"],
)

# Counted by hand: A81001 March S01 (65, admitted 31 March), April S03 S04 S08; A81002
# April S10 (two episodes, one spell), May S12. Denominators: 60+40+80+20 and 50+30.
FALLS_MONTHLY = pd.DataFrame(
    [
        ("A81001", "2023-03", 1, 200),
        ("A81001", "2023-04", 3, 200),
        ("A81001", "2023-05", 0, 200),
        ("A81002", "2023-03", 0, 80),
        ("A81002", "2023-04", 1, 80),
        ("A81002", "2023-05", 1, 80),
    ],
    columns=["site_code", "period", "numerator", "denominator"],
)
FALLS_FINANCIAL_YEAR = pd.DataFrame(
    [
        ("A81001", "2022/23", 1, 200),
        ("A81001", "2023/24", 3, 200),
        ("A81002", "2022/23", 0, 80),
        ("A81002", "2023/24", 2, 80),
    ],
    columns=["site_code", "period", "numerator", "denominator"],
)

SCREENING = pd.DataFrame(
    [
        ("W1", "P00001", "2019-04-01", "53"),  # first day of the data; tested again …
        ("W1", "P00001", "2021-05-01", "55"),  # … counted once per window
        ("W2", "P00001", "2020-03-31", "70"),  # last day before the 2022/23 window
        ("W3", "P00001", "2020-04-01", "60"),  # first day of the 2022/23 window
        ("W4", "P00001", "2022-06-01", "52"),  # too young
        ("W5", "P00001", "2022-07-01", "71"),  # too old
        ("W6", "P00001", "2023-03-31", "65"),  # last day of 2022/23
        ("W7", "P00002", "2022-04-01", "58"),
    ],
    columns=["patient_id", "practice_code", "test_date", "age"],
)
SCREENING_POPULATION = pd.DataFrame(
    [
        (period, "P00001", band, sex, n)
        for period in ("2021/22", "2022/23")
        for band, sex, n in [
            ("45-49", "F", 40),
            ("53-54", "F", 10),
            ("55-59", "F", 20),
            ("55-59", "M", 30),
            ("60-64", "F", 20),
            ("65-69", "F", 15),
            ("70", "F", 5),
            ("71+", "F", 25),
        ]
    ]
    + [(period, "P00002", "53-70", "Female", 40) for period in ("2021/22", "2022/23")],
    columns=["period", "site_code", "age_band", "sex", "population"],
)
# Windows of 36 months: 2021/22 = 2019-04-01…2022-03-31 (W1, W2, W3); 2022/23 =
# 2020-04-01…2023-03-31 (W1, W3, W6; W7 at P00002). Earlier years' windows start before
# the first record and are not reported.
SCREENING_COVERAGE = pd.DataFrame(
    [
        ("P00001", "2021/22", 3, 70),
        ("P00001", "2022/23", 3, 70),
        ("P00002", "2021/22", 0, 40),
        ("P00002", "2022/23", 1, 40),
    ],
    columns=["site_code", "period", "numerator", "denominator"],
)

FALLS_MONTHLY_RECIPE = dataclasses.replace(load_recipe("falls_65plus"), granularity="month")
CASES = {
    "falls_monthly": (FALLS_MONTHLY_RECIPE, FALLS, FALLS_POPULATION, FALLS_MONTHLY),
    "falls_financial_year": (
        load_recipe("falls_65plus"),
        FALLS,
        FALLS_POPULATION,
        FALLS_FINANCIAL_YEAR,
    ),
    "screening": (
        load_recipe("breast_screening_coverage"),
        SCREENING,
        SCREENING_POPULATION,
        SCREENING_COVERAGE,
    ),
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server of its own in a temporary folder, stopped at the end."""
    pytest.importorskip("psycopg", reason="psycopg is not installed (requirements-scale.txt)")
    found = shutil.which("initdb") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)), None
    )
    if found is None:
        pytest.skip("PostgreSQL server not installed (Debian package postgresql)")
    bindir = Path(found).parent
    base = Path(tempfile.mkdtemp(prefix="hiod-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root
        shutil.chown(base, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = base / "data", _free_port()
    run = [*as_user, str(bindir / "pg_ctl"), "-D", str(data)]
    subprocess.run(
        [*as_user, str(bindir / "initdb"), "-D", str(data), "-U", "hiod", "-A", "trust", "-N"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [*run, "-l", str(base / "log"), "-o", options, "-w", "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql://hiod@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run, "-m", "fast", "-w", "stop"], check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    """Ibis on a local Spark (two threads), stopped at the end."""
    if importlib.util.find_spec("pyspark") is None:
        pytest.skip("pyspark is not installed (requirements-scale.txt)")
    if shutil.which("java") is None:
        pytest.skip("Java is not installed (Debian package default-jre-headless)")
    con = connect("spark", "local[2]")
    yield con
    con.disconnect()


def _warehouse_table(records: pd.DataFrame) -> pd.DataFrame:
    """The records as a warehouse holds them: dates as dates, ages as integers."""
    typed = records.copy()
    for column in typed.columns:
        if column.endswith("_date"):
            typed[column] = pd.to_datetime(typed[column]).dt.date
    typed["age"] = pd.to_numeric(typed["age"]).astype("Int64")
    return typed


def _measures_csv(engine: str, case: str, tmp_path: Path, request: pytest.FixtureRequest) -> bytes:
    """The case's measures file, counted on ``engine``, as CSV bytes."""
    recipe, records, population, _ = CASES[case]
    rows = population_rows(population.astype("string"), recipe.denominator, "population.csv")
    if engine == "postgres":
        con = connect("postgres", request.getfixturevalue("postgres_url"))
        name = f"records_{case}_{uuid.uuid4().hex[:8]}"
        con.create_table(name, _warehouse_table(records))
        table = records_table(con, "postgres", f"public.{name}")
    else:
        path = tmp_path / f"{case}.csv"
        records.to_csv(path, index=False)
        con = request.getfixturevalue("spark") if engine == "spark" else connect("duckdb")
        table = records_table(con, engine, str(path))  # type: ignore[arg-type]
    try:
        result = aggregate(table, recipe, rows, f"{case}.csv")
    finally:
        if engine != "spark":  # the module's Spark session is stopped at the end
            con.disconnect()
    return result.measures.to_csv(index=False).encode()


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("engine", ["duckdb", "spark", "postgres"])
def test_each_engine_gives_the_hand_counted_answer(engine, case, tmp_path, request):
    expected = CASES[case][3].assign(measure=CASES[case][0].measure)
    got = pd.read_csv(pd.io.common.BytesIO(_measures_csv(engine, case, tmp_path, request)))
    pd.testing.assert_frame_equal(
        got, expected[["site_code", "period", "measure", "numerator", "denominator"]]
    )


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_three_measures_files_are_identical(case, tmp_path, request):
    files = {e: _measures_csv(e, case, tmp_path, request) for e in ("duckdb", "spark", "postgres")}
    assert files["spark"] == files["duckdb"]
    assert files["postgres"] == files["duckdb"]


def test_notes_say_what_was_left_out(tmp_path):
    recipe, records, population, _ = CASES["falls_monthly"]
    path = tmp_path / "falls.csv"
    records.to_csv(path, index=False)
    rows = population_rows(population.astype("string"), recipe.denominator, "population.csv")
    result = aggregate(records_table(connect("duckdb"), "duckdb", str(path)), recipe, rows, "x")
    assert "1 with no site left out" in result.notes
    assert any("site-periods with no denominator" in n and "A81003" in n for n in result.notes)


def test_cli_writes_a_measures_file_that_loads(tmp_path, capsys):
    records, population = tmp_path / "falls.parquet", tmp_path / "population.csv"
    FALLS.to_parquet(records, index=False)
    FALLS_POPULATION.to_csv(population, index=False)
    out, db = tmp_path / "measures.csv", tmp_path / "hiod.duckdb"
    sites = tmp_path / "sites.csv"
    sites.write_text("site_code,site_name\nA81001,First practice\nA81002,Second practice\n")
    assert main(["load", str(sites), "--db", str(db)]) == 0  # measures name known sites
    argv = ["aggregate", "--recipe", "falls_65plus", "--records", str(records)]
    argv += ["--denominators", str(population), "--out", str(out), "--load", "--db", str(db)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "4 rows of falls_admissions_65plus_from_records" in printed
    assert "measures.csv: loaded" in printed, printed
    assert main(["load", str(out), "--db", str(db)]) == 0  # loading it again changes nothing
    written = pd.read_csv(out)
    expected = FALLS_FINANCIAL_YEAR.assign(measure="falls_admissions_65plus_from_records")
    pd.testing.assert_frame_equal(written, expected[written.columns.tolist()])


def test_cli_refuses_record_files_on_postgres(tmp_path, capsys):
    argv = ["aggregate", "--recipe", "falls_65plus", "--records", "falls.csv"]
    argv += ["--denominators", "p.csv", "--out", str(tmp_path / "m.csv")]
    argv += ["--engine", "postgres", "--connection", "postgresql://nobody@127.0.0.1:1/x"]
    assert main(argv) == 2
    assert "give the name of the table in the warehouse" in capsys.readouterr().err
