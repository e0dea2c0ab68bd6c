"""The committed default data (data/default): the contract, the grouping, the maps, the build.

Pandas-level checks of the files themselves, the app's own validation of them
(``analysis.ingest.prepare_batch``), and that ``data/build_default_data.py``
rebuilds them byte for byte from ``../shared`` (skipped when it is absent).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from analysis.errors import LoadRejected
from analysis.ingest import Catalogue, prepare_batch

REPO = Path(__file__).resolve().parents[1]
DEFAULT = REPO / "data" / "default"
SCRIPT = REPO / "data" / "build_default_data.py"

MEASURE_FILES = [
    "breast_screening_coverage.csv",
    "cervical_screening_coverage_2017-12.csv",
    "cervical_screening_qof_pcn_2022-23.csv",
    "falls_admissions_65plus.csv",
    "falls_admissions_65plus_dsr_2010.csv",
    "practice_imd_quintile_icb.csv",
    "practice_imd_quintile_region.csv",
    "smoking_prevalence_qof.csv",
]
GEO_FILES = [
    "counties_unitary_2023.geojson",
    "districts_2016.geojson",
    "districts_2024.geojson",
    "icb_2023.geojson",
]
INTERVENTION = {
    "E07000061": "2021-04-01",
    "E07000164": "2021-04-01",
    "E07000165": "2021-04-01",
    "E07000166": "2021-04-01",
    "E07000167": "2021-04-01",
    "E08000019": "2021-04-01",
    "E08000015": "2021-04-01",
    "E06000049": "2023-04-01",
    "E08000027": "2023-04-01",
    "E08000013": "2023-04-01",
    "E09000032": "2023-04-01",
}


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def sites() -> pd.DataFrame:
    return read(DEFAULT / "sites.csv")


@pytest.fixture(scope="module")
def definitions() -> pd.DataFrame:
    return read(DEFAULT / "measure_definitions.csv")


@pytest.fixture(scope="module")
def measures() -> dict[str, pd.DataFrame]:
    return {name: read(DEFAULT / "measures" / name) for name in MEASURE_FILES}


def test_every_output_exists():
    expected = [
        "README.md",
        "sites.csv",
        "measure_definitions.csv",
        *(f"measures/{n}" for n in MEASURE_FILES),
        *(f"geo/{n}" for n in GEO_FILES),
    ]
    missing = [name for name in expected if not (DEFAULT / name).is_file()]
    assert not missing
    assert sorted(p.name for p in (DEFAULT / "measures").glob("*.csv")) == MEASURE_FILES


def test_default_data_stays_small():
    total = sum(p.stat().st_size for p in DEFAULT.rglob("*") if p.is_file())
    assert total < 15_000_000


def test_measures_files_have_the_contract_columns(measures):
    columns = ["site_code", "period", "measure", "numerator", "denominator", "value"]
    for name, frame in measures.items():
        assert list(frame.columns) == [*columns, "lower_ci", "upper_ci"], name
        assert len(frame) > 0, name


def test_every_measures_site_is_a_site(sites, measures):
    known = set(sites["site_code"])
    for name, frame in measures.items():
        unknown = set(frame["site_code"]) - known
        assert not unknown, f"{name}: {sorted(unknown)[:5]}"


def test_no_duplicate_keys(sites, definitions, measures):
    assert not sites["site_code"].duplicated().any()
    assert not definitions["measure"].duplicated().any()
    for name, frame in measures.items():
        assert not frame.duplicated(["site_code", "period", "measure"]).any(), name


def test_counts_follow_the_contract(definitions, measures):
    kinds = dict(zip(definitions["measure"], definitions["kind"], strict=True))
    for name, frame in measures.items():
        num = pd.to_numeric(frame["numerator"].replace("", None))
        den = pd.to_numeric(frame["denominator"].replace("", None))
        value = pd.to_numeric(frame["value"].replace("", None))
        assert (num.dropna() >= 0).all() and (num.dropna() % 1 == 0).all(), name
        assert (den.dropna() > 0).all(), name
        assert not (num.notna() & den.isna()).any(), name
        assert (num.notna() | value.notna()).all(), name
        proportion = frame["measure"].map(kinds).eq("proportion")
        assert not (proportion & (num > den)).any(), name


def test_every_measure_has_a_definition(definitions, measures):
    used = set().union(*(set(f["measure"]) for f in measures.values()))
    assert used <= set(definitions["measure"])
    assert set(definitions["kind"]) <= {"proportion", "rate", "count", "value"}
    assert set(definitions["higher_is_better"]) <= {"true", "false", ""}
    falls = definitions.set_index("measure").loc["falls_admissions_65plus"]
    assert (falls["kind"], falls["multiplier"], falls["higher_is_better"]) == (
        "rate",
        "100000",
        "false",
    )


def test_intervention_grouping_is_the_example(sites):
    grouped = sites[sites["group"] != ""]
    assert set(grouped["group"]) == {"intervention"}
    assert dict(zip(grouped["site_code"], grouped["start_date"], strict=True)) == INTERVENTION
    assert set(grouped["site_type"]) == {"la"}
    assert (sites.loc[sites["group"] == "", "start_date"] == "").all()


def test_sites_use_the_contract_types_and_ranges(sites):
    assert set(sites["site_type"]) <= {
        "practice",
        "pcn",
        "la",
        "sub_icb",
        "icb",
        "region",
        "country",
        "other",
    }
    decile = pd.to_numeric(sites["imd_decile"].replace("", None)).dropna()
    quintile = pd.to_numeric(sites["imd_quintile"].replace("", None)).dropna()
    assert decile.between(1, 10).all() and quintile.between(1, 5).all()
    parents = set(sites["parent_code"]) - {""}
    assert parents <= set(sites["site_code"])


def test_deprivation_pseudo_sites(sites, measures):
    other = sites.set_index("site_code")
    deciles = [f"E92000001-DLAD-{d:02d}" for d in range(1, 11)]
    assert other.loc[deciles, "imd_decile"].tolist() == [str(d) for d in range(1, 11)]
    assert set(measures["falls_admissions_65plus.csv"]["site_code"]) >= set(deciles)
    assert other.loc["E54000008-PQ1-2", "imd_quintile"] == "1"
    assert other.loc["E92000001-PQ5", "imd_quintile"] == "5"
    # Lancashire county must not sit beside its districts as a comparator.
    assert other.loc["E10000017", "site_type"] == "other"


def test_the_app_accepts_the_files():
    files = [DEFAULT / "sites.csv", DEFAULT / "measure_definitions.csv"]
    files += [DEFAULT / "measures" / name for name in MEASURE_FILES]
    try:
        prepared = prepare_batch(
            [(p.name, p.read_bytes()) for p in files], Catalogue(), max_bytes=1 << 31
        )
    except LoadRejected as exc:
        pytest.fail(f"the app rejects the default data: {exc}")
    by_name = {p.file_name: p for p in prepared}
    assert by_name["sites.csv"].kind == "sites"
    assert by_name["measure_definitions.csv"].kind == "measure_definitions"
    assert {by_name[n].kind for n in MEASURE_FILES} == {"measures"}
    assert not any(p.new_definitions is not None for p in prepared)


@pytest.mark.parametrize("name", GEO_FILES)
def test_geojson_parses_with_clockwise_exteriors(name):
    path = DEFAULT / "geo" / name
    assert path.stat().st_size < 1_500_000
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection" and collection["features"]
    codes = []
    for feature in collection["features"]:
        assert set(feature["properties"]) == {"code", "name", "year"}
        codes.append(feature["properties"]["code"])
        geom = shape(feature["geometry"])
        assert geom.geom_type in ("Polygon", "MultiPolygon") and geom.is_valid
        minx, miny, maxx, maxy = geom.bounds
        assert minx > -7 and maxx < 2 and miny > 49 and maxy < 56.5  # England, lon/lat
        for polygon in shapely.get_parts(geom):
            assert not polygon.exterior.is_ccw, feature["properties"]["code"]
    assert all(code.startswith("E") for code in codes)
    assert codes == sorted(set(codes))


def test_geo_codes_cover_the_intervention_areas():
    codes = set()
    for name in ("districts_2016.geojson", "districts_2024.geojson"):
        collection = json.loads((DEFAULT / "geo" / name).read_text(encoding="utf-8"))
        codes |= {f["properties"]["code"] for f in collection["features"]}
    assert set(INTERVENTION) <= codes


@pytest.fixture
def shared_or_skip(request) -> Path:
    try:
        return request.getfixturevalue("shared_dir")
    except pytest.fail.Exception:
        pytest.skip("../shared (the public source data) is not present: cannot rebuild to compare")


def test_rebuild_reproduces_the_committed_files(shared_or_skip, tmp_path):
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--shared", str(shared_or_skip), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Files written" in result.stdout
    built = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(DEFAULT).as_posix()
        for p in DEFAULT.rglob("*")
        if p.is_file() and p.name != "README.md"
    )
    assert built == committed
    differ = [n for n in built if (tmp_path / n).read_bytes() != (DEFAULT / n).read_bytes()]
    assert not differ, f"rebuilt files differ from the committed ones: {differ}"


def test_the_example_grouping_note_shows_only_while_the_bundled_grouping_is_in_force():
    import hashlib

    import pandas as pd

    from analysis.defaults import DEFAULT_DIR, bundled_grouping_in_use

    bundled = hashlib.sha256((DEFAULT_DIR / "sites.csv").read_bytes()).hexdigest()

    def loads(*rows):
        return pd.DataFrame(rows, columns=["load_id", "kind", "sha256", "status"])

    assert bundled_grouping_in_use(loads((1, "sites", bundled, "active")))
    assert not bundled_grouping_in_use(
        loads((1, "sites", bundled, "active"), (2, "grouping", "abc", "active"))
    )
    assert not bundled_grouping_in_use(loads((1, "sites", "user", "active")))
    assert not bundled_grouping_in_use(loads((1, "sites", bundled, "rolled back")))
