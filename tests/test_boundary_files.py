"""A user's own boundaries: GeoJSON and zipped shapefiles are checked, prepared and stored.

Bad files get a message naming the file, the feature and the column, and the database
is exactly as it was before (compared table by table, as in test_store).
"""

from __future__ import annotations

import io
import json
import zipfile

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon

from analysis.boundary_files import (
    load_boundary_file,
    match_codes,
    suggest_code_column,
    suggest_year,
)
from analysis.boundary_read import read_boundary_file
from analysis.errors import LoadRejected
from tests.helpers import assert_same, fixture_store, snapshot

WIRRAL, ST_HELENS = "E08000015", "E08000013"


def square(x: float, y: float, size: float = 0.1) -> list:
    """An anticlockwise square ring (GeoJSON order [lon, lat])."""
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def feature(code: str | None, name: str, geometry: dict | None) -> dict:
    props = {"LAD24CD": code, "LAD24NM": name, "OTHER": "x"}
    return {"type": "Feature", "properties": props, "geometry": geometry}


def polygon(ring: list) -> dict:
    return {"type": "Polygon", "coordinates": [ring]}


def geojson(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


GOOD = geojson(
    feature(WIRRAL, "Wirral", polygon(square(-3.1, 53.3))),
    feature(ST_HELENS, "St. Helens", polygon(square(-3.0, 53.3))),
    feature("E99999999", "Nowhere", polygon(square(-2.9, 53.3))),
)


@pytest.fixture
def store(tmp_path):
    s = fixture_store(tmp_path / "s.duckdb")
    yield s
    s.close()


def load(store, name: str, data: bytes, code_column: str = "LAD24CD", **options):
    prepared = load_boundary_file(
        name, data, code_column, match_codes(store.sites()), name_column="LAD24NM", **options
    )
    outcome = store.save_boundaries(
        prepared.layer, prepared.file_name, prepared.sha256, prepared.summary.notes
    )
    return prepared, outcome


def rejected(store, name: str, data: bytes, code_column: str = "LAD24CD") -> list[str]:
    """The messages of a rejected load; asserts the database did not change."""
    before = snapshot(store)
    with pytest.raises(LoadRejected) as caught:
        load(store, name, data, code_column)
    assert_same(before, snapshot(store))
    return [str(i) for i in caught.value.issues]


def test_good_geojson_is_stored_and_read_back(store):
    prepared, outcome = load(store, "areas.geojson", GOOD, year=2024)
    assert outcome.status == "loaded" and outcome.rows == 3
    assert prepared.summary.matched == (ST_HELENS, WIRRAL)
    assert prepared.summary.unmatched == ("E99999999",)
    assert prepared.summary.repaired == 0
    (layer,) = store.boundary_layers()
    assert (layer.name, layer.year, layer.source) == ("areas", 2024, "areas.geojson")
    assert layer.codes == {WIRRAL, ST_HELENS, "E99999999"}
    first = layer.features["features"][0]
    assert first["properties"] == {"code": WIRRAL, "name": "Wirral", "year": 2024}
    ring = first["geometry"]["coordinates"][0]
    assert not shapely.LinearRing(ring).is_ccw  # clockwise exterior, for d3-geo
    history = store.loads().set_index("load_id")
    assert history.loc[outcome.load_id, "kind"] == "boundaries"
    assert history.loc[outcome.load_id, "rows"] == 3
    overview = store.boundary_overview()
    assert overview[["name", "features"]].values.tolist() == [["areas", 3]]


def test_zipped_shapefile_in_british_national_grid_is_stored(store, tmp_path):
    frame = gpd.GeoDataFrame(
        {"code": [WIRRAL, ST_HELENS], "label": ["Wirral", "St. Helens"]},
        geometry=[Polygon(square(-3.1, 53.3)), Polygon(square(-3.0, 53.3))],
        crs="EPSG:4326",
    ).to_crs("EPSG:27700")
    frame.to_file(tmp_path / "lad.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for suffix in (".shp", ".shx", ".dbf", ".prj"):
            archive.write(tmp_path / f"lad{suffix}", f"folder/lad{suffix}")
    data = buffer.getvalue()
    boundary_file = read_boundary_file("lad.zip", data)
    assert boundary_file.source_crs == "EPSG:27700"
    assert suggest_code_column(boundary_file, match_codes(store.sites())) == "code"
    prepared = load_boundary_file("lad.zip", data, "code", match_codes(store.sites()), "label")
    outcome = store.save_boundaries(prepared.layer, "lad.zip", prepared.sha256)
    assert outcome.status == "loaded"
    (layer,) = store.boundary_layers()
    minx, miny, _, _ = shapely.bounds(
        shapely.geometry.shape(layer.features["features"][0]["geometry"])
    )
    assert (minx, miny) == pytest.approx((-3.1, 53.3), abs=2e-4)  # back in longitude/latitude


def test_loading_the_same_file_twice_changes_nothing(store):
    load(store, "areas.geojson", GOOD)
    before = snapshot(store)
    _, outcome = load(store, "areas.geojson", GOOD)
    assert outcome.status == "unchanged"
    assert_same(before, snapshot(store))


def test_rollback_removes_the_layer_and_brings_back_the_earlier_one(store):
    _, first = load(store, "areas.geojson", GOOD, year=2023)
    _, second = load(store, "areas.geojson", GOOD, year=2024)
    assert [layer.year for layer in store.boundary_layers()] == [2024]
    store.rollback(second.load_id)
    assert [layer.year for layer in store.boundary_layers()] == [2023]
    store.rollback(first.load_id)
    assert store.boundary_layers() == []
    assert store.loads().set_index("load_id").loc[first.load_id, "status"] == "rolled_back"


def test_a_repairable_bow_tie_is_repaired_and_counted(store):
    bow_tie = [[-3.0, 53.3], [-2.9, 53.4], [-2.9, 53.3], [-3.0, 53.4], [-3.0, 53.3]]
    data = geojson(
        feature(WIRRAL, "Wirral", polygon(square(-3.1, 53.3))),
        feature(ST_HELENS, "St. Helens", polygon(bow_tie)),
    )
    prepared, outcome = load(store, "bow.geojson", data)
    assert prepared.summary.repaired == 1
    assert any("1 invalid polygon(s) repaired" in n for n in outcome.notes)
    geometry = shapely.geometry.shape(
        store.boundary_layers()[0].features["features"][1]["geometry"]
    )
    assert geometry.is_valid and geometry.area > 0


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("sites.csv", b"site_code,site_name\nE1,x\n", "unknown boundary file type"),
        ("sites.geojson", b"site_code,site_name\nE1,x\n", "not GeoJSON: not valid JSON"),
        ("garbage.json", b"\xff\xfe\x00\x01garbage", "not GeoJSON"),
        ("list.json", b"[1, 2, 3]", "not GeoJSON"),
        ("empty.geojson", geojson(), "holds no features"),
        ("bad.zip", b"PK not really a zip", "not a zip file"),
    ],
)
def test_a_file_that_is_not_boundaries_is_named(store, name, data, words):
    (message,) = rejected(store, name, data)
    assert message.startswith(f"{name}: ") and words in message


def test_a_zip_without_a_shapefile_says_what_is_missing(store):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "no shapefile here")
    (message,) = rejected(store, "none.zip", buffer.getvalue())
    assert "holds 0 shapefiles" in message


def test_missing_code_column_names_the_columns_there_are(store):
    (message,) = rejected(store, "areas.geojson", GOOD, code_column="CODE")
    assert message.startswith("areas.geojson:CODE: there is no column 'CODE'")
    assert "LAD24CD, LAD24NM, OTHER" in message


def test_no_matching_codes_says_how_many_and_gives_examples(store):
    (message,) = rejected(store, "areas.geojson", GOOD, code_column="LAD24NM")
    assert message.startswith("areas.geojson:LAD24NM: none of the 3 code(s) in column 'LAD24NM'")
    assert (
        "matches a site's site_code or boundary_code (e.g. Nowhere, St. Helens, Wirral)" in message
    )


def test_duplicate_and_empty_codes_name_the_features(store):
    data = geojson(
        feature(WIRRAL, "Wirral", polygon(square(-3.1, 53.3))),
        feature(None, "No code", polygon(square(-3.0, 53.3))),
        feature(WIRRAL, "Wirral again", polygon(square(-2.9, 53.3))),
    )
    messages = rejected(store, "dup.geojson", data)
    assert "dup.geojson:2:LAD24CD: feature 2 has no code" in messages
    assert f"dup.geojson:3:LAD24CD: code '{WIRRAL}' is used by features 1, 3" in messages[1]


def test_a_line_and_an_unrepairable_polygon_are_named(store):
    flat = [[-3.0, 53.3], [-2.9, 53.4], [-2.8, 53.5], [-3.0, 53.3]]  # no area at all
    data = geojson(
        feature(WIRRAL, "Wirral", {"type": "LineString", "coordinates": square(-3.1, 53.3)}),
        feature(ST_HELENS, "St. Helens", polygon(flat)),
    )
    line, collapsed = rejected(store, "lines.geojson", data)
    assert line.startswith(f"lines.geojson:1:geometry: feature 1 (code {WIRRAL}) is a LineString")
    assert collapsed.startswith(f"lines.geojson:2:geometry: feature 2 (code {ST_HELENS})")
    assert "invalid polygon" in collapsed and "no area left after repair" in collapsed


@pytest.mark.filterwarnings("ignore:'crs' was not provided")
def test_projected_coordinates_without_a_crs_are_refused(store, tmp_path):
    frame = gpd.GeoDataFrame(
        {"code": [WIRRAL]}, geometry=[Polygon(square(330000, 390000, 1000))], crs=None
    )
    frame.to_file(tmp_path / "bng.shp")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for suffix in (".shp", ".shx", ".dbf"):
            archive.write(tmp_path / f"bng{suffix}", f"bng{suffix}")
    (message,) = rejected(store, "bng.zip", buffer.getvalue(), code_column="code")
    assert "coordinate reference system is unknown" in message and ".prj" in message


def test_metres_in_a_geojson_that_says_longitude_latitude_are_refused(store):
    data = geojson(feature(WIRRAL, "Wirral", polygon(square(330000, 390000, 1000))))
    (message,) = rejected(store, "bng.geojson", data)
    assert "are not longitude/latitude" in message and "EPSG:27700" in message


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(LoadRejected, match="over the upload limit"):
        read_boundary_file("big.geojson", GOOD, max_bytes=100)


def test_suggestions():
    boundary_file = read_boundary_file("areas.geojson", GOOD)
    assert suggest_code_column(boundary_file, {WIRRAL}) == "LAD24CD"
    assert suggest_code_column(boundary_file, set()) == "LAD24CD"
    assert suggest_year("LAD24CD") == 2024 and suggest_year("code") is None


@pytest.fixture
def data_page(app):
    """The Data page of the app on the falls fixture."""
    app.run()
    app.switch_page("pages/data.py")
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def table_with(app, column: str):
    """The first table on the page with ``column`` (AppTest tables have no key)."""
    return next(d.value for d in app.dataframe if column in d.value.columns)


def test_data_page_stores_boundaries_and_lists_them(data_page):
    layers = table_with(data_page, "features")
    assert len(layers) == 4 and set(layers["source"]) == {"bundled"}
    data_page.file_uploader(key="boundary_upload").set_value(
        ("areas.geojson", GOOD, "application/geo+json")
    )
    data_page.run()
    assert data_page.selectbox(key="boundary_code_column").value == "LAD24CD"
    assert data_page.selectbox(key="boundary_name_column").value == "LAD24NM"
    assert data_page.number_input(key="boundary_year").value == 2024
    data_page.button(key="boundary_store").click().run()
    assert not data_page.exception, [e.message for e in data_page.exception]
    loaded = "areas.geojson: loaded as layer 'areas' (3 areas"
    assert any(loaded in s.value for s in data_page.success)
    layers = table_with(data_page, "features")
    assert layers.set_index("layer").loc["areas", "features"] == 3
    history = data_page.dataframe[0].value
    assert history.iloc[0]["Kind"] == "boundaries"  # a kind with no file-contract label


def test_data_page_shows_boundary_problems(data_page):
    data_page.file_uploader(key="boundary_upload").set_value(("areas.geojson", GOOD, "text/plain"))
    data_page.run()
    data_page.selectbox(key="boundary_code_column").set_value("OTHER").run()
    data_page.button(key="boundary_store").click().run()
    assert not data_page.exception
    assert any("Nothing was stored" in e.value for e in data_page.error)
    problems = table_with(data_page, "message")
    assert set(problems["column"]) == {"OTHER"}
    assert table_with(data_page, "features")["source"].eq("bundled").all()
