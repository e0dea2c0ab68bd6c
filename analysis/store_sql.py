"""The store's schema and the SQL it runs (all parameterised; no values pasted in).

Tables hold every version of every row with the ``load_id`` that brought it
(``*_history``); ``loads`` says which loads are active. Views give the current
version (latest active load wins). Measures are the one big table, so their
current version is kept materialised in ``measures_current`` and maintained on
each load and roll-back instead of being recomputed per query.
"""

SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS load_ids START 1;
CREATE TABLE IF NOT EXISTS loads (
    load_id INTEGER PRIMARY KEY, file_name VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
    kind VARCHAR NOT NULL, rows BIGINT NOT NULL, loaded_at TIMESTAMP NOT NULL,
    status VARCHAR NOT NULL, notes VARCHAR, rolled_back_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS sites_history (
    load_id INTEGER NOT NULL, site_code VARCHAR NOT NULL, site_name VARCHAR,
    site_type VARCHAR, parent_code VARCHAR, "group" VARCHAR, start_date DATE,
    imd_decile DOUBLE, imd_score DOUBLE, imd_quintile DOUBLE, population DOUBLE,
    lat DOUBLE, lon DOUBLE, boundary_code VARCHAR);
CREATE TABLE IF NOT EXISTS groupings_history (
    load_id INTEGER NOT NULL, site_code VARCHAR NOT NULL, "group" VARCHAR, start_date DATE);
CREATE TABLE IF NOT EXISTS definitions_history (
    load_id INTEGER NOT NULL, measure VARCHAR NOT NULL, label VARCHAR, kind VARCHAR,
    multiplier DOUBLE, higher_is_better BOOLEAN, description VARCHAR, source VARCHAR);
CREATE TABLE IF NOT EXISTS unit_costs_history (
    load_id INTEGER NOT NULL, measure VARCHAR NOT NULL, item VARCHAR NOT NULL,
    cost_gbp DOUBLE, share DOUBLE, price_year DOUBLE, source VARCHAR,
    cost_low DOUBLE, cost_high DOUBLE);
CREATE TABLE IF NOT EXISTS measures_history (
    load_id INTEGER NOT NULL, site_code VARCHAR NOT NULL, measure VARCHAR NOT NULL,
    period_start DATE NOT NULL, period_end DATE NOT NULL, granularity VARCHAR NOT NULL,
    period_label VARCHAR NOT NULL, numerator DOUBLE, denominator DOUBLE, value DOUBLE,
    lower_ci DOUBLE, upper_ci DOUBLE);
CREATE TABLE IF NOT EXISTS measures_current AS SELECT * FROM measures_history LIMIT 0;
CREATE TABLE IF NOT EXISTS column_mappings (
    load_id INTEGER NOT NULL, header_key VARCHAR NOT NULL, mapping VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS programmes (
    load_id INTEGER NOT NULL, name VARCHAR NOT NULL, spec VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS boundaries (
    load_id INTEGER NOT NULL, name VARCHAR NOT NULL, year INTEGER, file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL, features INTEGER NOT NULL, geojson VARCHAR NOT NULL);

CREATE OR REPLACE VIEW active_loads AS SELECT load_id FROM loads WHERE status = 'active';
CREATE OR REPLACE VIEW boundaries_current AS
    SELECT * FROM boundaries WHERE load_id IN (FROM active_loads)
    QUALIFY row_number() OVER (PARTITION BY name ORDER BY load_id DESC) = 1;
CREATE OR REPLACE VIEW column_mappings_current AS
    SELECT * FROM column_mappings WHERE load_id IN (FROM active_loads)
    QUALIFY row_number() OVER (PARTITION BY header_key ORDER BY load_id DESC) = 1;
CREATE OR REPLACE VIEW programmes_current AS
    SELECT * FROM programmes WHERE load_id IN (FROM active_loads)
    QUALIFY row_number() OVER (PARTITION BY name ORDER BY load_id DESC) = 1;
CREATE OR REPLACE VIEW definitions_current AS
    SELECT * EXCLUDE (load_id) FROM definitions_history WHERE load_id IN (FROM active_loads)
    QUALIFY row_number() OVER (PARTITION BY measure ORDER BY load_id DESC) = 1;
CREATE OR REPLACE VIEW unit_costs_current AS
    SELECT * EXCLUDE (load_id) FROM unit_costs_history WHERE load_id IN (FROM active_loads)
    QUALIFY row_number() OVER (PARTITION BY measure, item ORDER BY load_id DESC) = 1;
CREATE OR REPLACE VIEW sites_current AS
    WITH s AS (
        SELECT * FROM sites_history WHERE load_id IN (FROM active_loads)
        QUALIFY row_number() OVER (PARTITION BY site_code ORDER BY load_id DESC) = 1),
    g AS (
        SELECT * FROM groupings_history WHERE load_id IN (FROM active_loads)
        QUALIFY row_number() OVER (PARTITION BY site_code ORDER BY load_id DESC) = 1)
    SELECT s.site_code, s.site_name, s.site_type, s.parent_code,
        CASE WHEN g.load_id > s.load_id THEN g."group" ELSE s."group" END AS "group",
        CASE WHEN g.load_id > s.load_id THEN g.start_date ELSE s.start_date END AS start_date,
        s.imd_decile, s.imd_score, s.imd_quintile, s.population, s.lat, s.lon, s.boundary_code
    FROM s LEFT JOIN g USING (site_code);
"""

MEASURE_COLUMNS = (
    "site_code, measure, period_start, period_end, granularity, period_label, "
    "numerator, denominator, value, lower_ci, upper_ci"
)

# Value shown for a row: the published value, else numerator ÷ denominator × multiplier.
MEASURE_ROWS = """
SELECT m.site_code, m.measure, m.period_start, m.period_end, m.granularity, m.period_label,
    m.numerator, m.denominator,
    COALESCE(m.value, m.numerator / m.denominator * COALESCE(d.multiplier, 1)) AS value,
    m.lower_ci, m.upper_ci, m.load_id, d.kind AS measure_kind,
    s.site_name, s.site_type, s.parent_code, s."group", s.start_date,
    s.imd_decile, s.imd_score, s.imd_quintile, s.population
FROM measures_current m
LEFT JOIN definitions_current d USING (measure)
LEFT JOIN sites_current s USING (site_code)
WHERE ($measure IS NULL OR m.measure = $measure)
ORDER BY m.measure, m.site_code, m.period_start
"""

REPLACE_CURRENT = """
DELETE FROM measures_current AS m USING batch AS b
WHERE m.site_code = b.site_code AND m.measure = b.measure
  AND m.period_start = b.period_start AND m.granularity = b.granularity
"""

# After a roll-back: for the keys the rolled-back load held, bring back the
# latest version from the loads still active.
RESTORE_KEYS = """
INSERT INTO measures_current
SELECT h.* FROM measures_history AS h
JOIN restore_keys AS k USING (site_code, measure, period_start, granularity)
WHERE h.load_id IN (FROM active_loads)
QUALIFY row_number() OVER (
    PARTITION BY h.site_code, h.measure, h.period_start, h.granularity
    ORDER BY h.load_id DESC) = 1
"""

ORPHANED_SITES = """
SELECT DISTINCT m.site_code, m.load_id FROM measures_current AS m
WHERE m.load_id <> $load_id
  AND m.site_code IN (SELECT site_code FROM sites_history WHERE load_id = $load_id)
  AND m.site_code NOT IN (
      SELECT site_code FROM sites_history
      WHERE load_id <> $load_id AND load_id IN (FROM active_loads))
LIMIT 5
"""

SUMMARY = """
SELECT
    (SELECT count(*) FROM sites_current) AS sites,
    (SELECT count(DISTINCT measure) FROM measures_current) AS measures,
    (SELECT count(*) FROM measures_current) AS rows,
    (SELECT count(DISTINCT period_start) FROM measures_current) AS periods,
    (SELECT min(period_start) FROM measures_current) AS first_period,
    (SELECT max(period_end) FROM measures_current) AS last_period,
    (SELECT max(loaded_at) FROM loads WHERE status = 'active') AS last_load
"""

MEASURE_OVERVIEW = """
SELECT m.measure, any_value(d.label) AS label, any_value(d.kind) AS kind,
    any_value(d.multiplier) AS multiplier, any_value(d.higher_is_better) AS higher_is_better,
    count(*) AS rows, count(DISTINCT m.site_code) AS sites,
    arg_min(m.period_label, m.period_start) AS first_period,
    arg_max(m.period_label, m.period_start) AS last_period,
    bool_or(m.numerator IS NOT NULL) AS has_counts, mode(m.granularity) AS granularity
FROM measures_current m LEFT JOIN definitions_current d USING (measure)
GROUP BY m.measure ORDER BY m.measure
"""

# A user's boundary layers (one row per layer and load; the latest active load of a
# layer name wins). The same file, prepared the same way, as the layer's current
# version is not stored again.
BOUNDARY_ALREADY_LOADED = """
SELECT max(load_id) FROM boundaries_current
WHERE sha256 = $sha AND name = $name
  AND year IS NOT DISTINCT FROM $year AND geojson = $geojson
"""

BOUNDARY_OVERVIEW = """
SELECT b.name, b.year, b.file_name, b.features, b.load_id, l.loaded_at
FROM boundaries_current b JOIN loads l USING (load_id)
ORDER BY b.name
"""

BOUNDARY_LAYERS = "SELECT name, year, file_name, geojson FROM boundaries_current ORDER BY name"
