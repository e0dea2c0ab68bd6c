"""The DuckDB store: one file, one transaction per load, every version kept.

The only module that imports ``duckdb``. One :class:`Store` per process owns
the file (DuckDB locks it per process); each call takes its own cursor, so
browser sessions (threads) may read while one load writes: DuckDB's MVCC lets
readers see the last committed state, and writers are serialised by a lock.

A load (:meth:`Store.apply`) writes every prepared file in one transaction:
all rows or none. A file already loaded (same SHA-256, still active) changes
nothing. A later load that revises a row keeps the earlier version; the latest
active load wins, and :meth:`Store.rollback` brings the earlier one back.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from analysis import store_sql as sql
from analysis.column_mapping import ColumnMapping
from analysis.disclosure import DEFAULT_RULE, DisclosureRule, suppress
from analysis.errors import HiodError, StoreBusy, UnknownName
from analysis.geo import BoundaryLayer
from analysis.ingest import Catalogue, PreparedFile

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DB = REPO / "data" / "hiod.duckdb"

HISTORY_TABLE = {
    "sites": "sites_history",
    "grouping": "groupings_history",
    "measure_definitions": "definitions_history",
    "unit_costs": "unit_costs_history",
    "measures": "measures_history",
    "fingertips": "measures_history",
}
TABLE_COLUMNS = {
    "sites_history": [
        "site_code",
        "site_name",
        "site_type",
        "parent_code",
        "group",
        "start_date",
        "imd_decile",
        "imd_score",
        "imd_quintile",
        "population",
        "lat",
        "lon",
        "boundary_code",
    ],
    "groupings_history": ["site_code", "group", "start_date"],
    "definitions_history": [
        "measure",
        "label",
        "kind",
        "multiplier",
        "higher_is_better",
        "description",
        "source",
    ],
    "unit_costs_history": [
        "measure",
        "item",
        "cost_gbp",
        "share",
        "price_year",
        "source",
        "cost_low",
        "cost_high",
    ],
    "measures_history": [c.strip() for c in sql.MEASURE_COLUMNS.split(",")],
}


def default_db_path() -> Path:
    """The database the app and CLI use: ``$HIOD_DB`` or ``data/hiod.duckdb``."""
    return Path(os.environ.get("HIOD_DB", DEFAULT_DB))


@dataclass(frozen=True)
class LoadOutcome:
    """What one file's load did."""

    file_name: str
    kind: str
    load_id: int
    rows: int
    status: str  # "loaded" or "unchanged"
    notes: tuple[str, ...]


class Store:
    """A DuckDB file holding sites, measures, definitions, unit costs and loads."""

    def __init__(self, path: str | Path | None = None, read_only: bool = False) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreBusy(_busy_message(self.path, str(exc))) from None
        self._write_lock = threading.Lock()
        if not read_only:
            self._con.execute(sql.SCHEMA)

    def close(self) -> None:
        """Close the connection (releases the file lock)."""
        self._con.close()

    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cursor = self._con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def query(self, statement: str, params: dict | list | None = None) -> pd.DataFrame:
        """Run a parameterised read and fetch it whole (results never outlive the call)."""
        with self._cursor() as cur:
            return cur.execute(statement, params or {}).df()

    # ---- writing -------------------------------------------------------------------------
    def catalogue(self) -> Catalogue:
        """Known site codes, measure kinds and active checksums, for validation."""
        sites = self.query("SELECT site_code FROM sites_current")["site_code"]
        kinds = self.query("SELECT measure, kind FROM definitions_current")
        loaded = self.query(
            "SELECT sha256, max(load_id) AS load_id FROM loads WHERE status = 'active' GROUP BY 1"
        )
        remembered = self.query("SELECT header_key, mapping, load_id FROM column_mappings_current")
        return Catalogue(
            column_mappings={
                r.header_key: (ColumnMapping.from_json(r.mapping), int(r.load_id))
                for r in remembered.itertuples(index=False)
            },
            site_codes=frozenset(sites),
            measure_kinds=dict(zip(kinds["measure"], kinds["kind"], strict=True)),
            loaded_checksums=dict(
                zip(loaded["sha256"], loaded["load_id"].astype(int), strict=True)
            ),
        )

    def apply(self, prepared: Sequence[PreparedFile]) -> list[LoadOutcome]:
        """Write prepared files in one transaction; on any error nothing is written."""
        outcomes: list[LoadOutcome] = []
        with self._write_lock, self._cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                for item in prepared:
                    outcomes.append(self._apply_one(cur, item))
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return outcomes

    def _apply_one(self, cur: duckdb.DuckDBPyConnection, item: PreparedFile) -> LoadOutcome:
        if item.already_loaded_as is not None:
            note = f"already loaded as load #{item.already_loaded_as}: nothing changed"
            return LoadOutcome(
                item.file_name, item.kind, item.already_loaded_as, 0, "unchanged", (note,)
            )
        load_id = int(_scalar(cur, "SELECT nextval('load_ids')"))
        cur.execute(
            "INSERT INTO loads VALUES "
            "($id, $name, $sha, $kind, $rows, $at, 'active', $notes, NULL)",
            {
                "id": load_id,
                "name": item.file_name,
                "sha": item.sha256,
                "kind": item.kind,
                "rows": len(item.rows),
                "at": datetime.now(),
                "notes": "\n".join(item.notes),
            },
        )
        if item.new_sites is not None and len(item.new_sites):
            _insert(cur, "sites_history", item.new_sites, load_id)
        if item.new_definitions is not None and len(item.new_definitions):
            _insert(cur, "definitions_history", item.new_definitions, load_id)
        if item.mapping is not None and item.header_key is not None:
            cur.execute(
                "INSERT INTO column_mappings VALUES ($id, $key, $mapping)",
                {"id": load_id, "key": item.header_key, "mapping": item.mapping.to_json()},
            )
        table = HISTORY_TABLE[item.kind]
        _insert(cur, table, item.rows, load_id)
        if table == "measures_history":
            batch = item.rows[["site_code", "measure", "period_start", "granularity"]]
            cur.register("batch", batch)
            cur.execute(sql.REPLACE_CURRENT)
            cur.unregister("batch")
            cur.execute(
                "INSERT INTO measures_current SELECT * FROM measures_history WHERE load_id = $id",
                {"id": load_id},
            )
        return LoadOutcome(item.file_name, item.kind, load_id, len(item.rows), "loaded", item.notes)

    def save_boundaries(
        self, layer: BoundaryLayer, file_name: str, sha256: str, notes: Sequence[str] = ()
    ) -> LoadOutcome:
        """Store a user's boundary layer as a load of kind ``boundaries``, in one transaction.

        The latest active load of a layer name is the layer shown; :meth:`rollback`
        removes it. The same file prepared the same way as the layer's current version
        changes nothing (status ``unchanged``).
        """
        geojson = json.dumps(layer.features, separators=(",", ":"), ensure_ascii=False)
        features = len(layer.features["features"])
        key = {"sha": sha256, "name": layer.name, "year": layer.year, "geojson": geojson}
        with self._write_lock, self._cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                same = _scalar(cur, sql.BOUNDARY_ALREADY_LOADED, key)
                if same is not None:
                    cur.execute("ROLLBACK")
                    note = f"already loaded as load #{same}: nothing changed"
                    return LoadOutcome(file_name, "boundaries", int(same), 0, "unchanged", (note,))
                load_id = int(_scalar(cur, "SELECT nextval('load_ids')"))
                cur.execute(
                    "INSERT INTO loads VALUES "
                    "($id, $name, $sha, 'boundaries', $rows, $at, 'active', $notes, NULL)",
                    {
                        "id": load_id,
                        "name": file_name,
                        "sha": sha256,
                        "rows": features,
                        "at": datetime.now(),
                        "notes": "\n".join(notes),
                    },
                )
                cur.execute(
                    "INSERT INTO boundaries VALUES "
                    "($id, $name, $year, $file, $sha, $features, $geojson)",
                    {"id": load_id, "file": file_name, "features": features, **key},
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return LoadOutcome(file_name, "boundaries", load_id, features, "loaded", tuple(notes))

    def save_programme(self, name: str, spec: str, sites: int) -> LoadOutcome:
        """Store a programme (its JSON ``spec``) as a load of kind ``programme``.

        The latest active load of a name is that programme; :meth:`rollback` brings the
        earlier version back. The same spec as the current version changes nothing.
        """
        with self._write_lock, self._cursor() as cur:
            cur.execute("BEGIN TRANSACTION")
            try:
                same = _scalar(
                    cur,
                    "SELECT max(load_id) FROM programmes_current WHERE name = $name "
                    "AND spec = $spec",
                    {"name": name, "spec": spec},
                )
                if same is not None:
                    cur.execute("ROLLBACK")
                    note = f"already saved as load #{same}: nothing changed"
                    return LoadOutcome(name, "programme", int(same), 0, "unchanged", (note,))
                load_id = int(_scalar(cur, "SELECT nextval('load_ids')"))
                cur.execute(
                    "INSERT INTO loads VALUES "
                    "($id, $name, $sha, 'programme', $rows, $at, 'active', NULL, NULL)",
                    {
                        "id": load_id,
                        "name": f"programme: {name}",
                        "sha": hashlib.sha256(spec.encode()).hexdigest(),
                        "rows": sites,
                        "at": datetime.now(),
                    },
                )
                cur.execute(
                    "INSERT INTO programmes VALUES ($id, $name, $spec)",
                    {"id": load_id, "name": name, "spec": spec},
                )
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise
        return LoadOutcome(name, "programme", load_id, sites, "loaded", ())

    def programme_specs(self) -> pd.DataFrame:
        """The saved programmes (latest active version of each name): name, spec, load_id."""
        return self.query("SELECT name, spec, load_id FROM programmes_current ORDER BY name")

    def rollback(self, load_id: int) -> None:
        """Undo a load: its rows stop counting and earlier versions come back."""
        with self._write_lock, self._cursor() as cur:
            row = cur.execute(
                "SELECT status FROM loads WHERE load_id = $id", {"id": load_id}
            ).fetchone()
            if row is None:
                raise UnknownName(f"there is no load #{load_id}")
            if row[0] != "active":
                raise HiodError(f"load #{load_id} was already rolled back")
            orphans = cur.execute(sql.ORPHANED_SITES, {"load_id": load_id}).fetchall()
            if orphans:
                codes = ", ".join(f"{code} (load #{lid})" for code, lid in orphans)
                raise HiodError(
                    f"load #{load_id} brought sites that later loads' measures use: {codes}. "
                    "Roll those loads back first."
                )
            cur.execute("BEGIN TRANSACTION")
            try:
                cur.execute(
                    "UPDATE loads SET status = 'rolled_back', rolled_back_at = $at "
                    "WHERE load_id = $id",
                    {"id": load_id, "at": datetime.now()},
                )
                cur.execute(
                    "CREATE OR REPLACE TEMP TABLE restore_keys AS SELECT site_code, measure, "
                    "period_start, granularity FROM measures_current WHERE load_id = $id",
                    {"id": load_id},
                )
                cur.execute("DELETE FROM measures_current WHERE load_id = $id", {"id": load_id})
                cur.execute(sql.RESTORE_KEYS)
                cur.execute("DROP TABLE restore_keys")
                cur.execute("COMMIT")
            except BaseException:
                cur.execute("ROLLBACK")
                raise

    # ---- reading -------------------------------------------------------------------------
    def is_empty(self) -> bool:
        """True when no load has ever been made."""
        return self.query("SELECT count(*) AS n FROM loads")["n"].iloc[0] == 0

    def summary(self) -> dict:
        """Counts of what is loaded: sites, measures, rows, periods, last load."""
        return self.query(sql.SUMMARY).iloc[0].to_dict()

    def loads(self) -> pd.DataFrame:
        """Every load, newest first."""
        return self.query("SELECT * FROM loads ORDER BY load_id DESC")

    def sites(self) -> pd.DataFrame:
        """The current sites table (latest active version of each site and its group)."""
        return self.query("SELECT * FROM sites_current ORDER BY site_type, site_code")

    def definitions(self) -> pd.DataFrame:
        """Current measure definitions."""
        return self.query("SELECT * FROM definitions_current ORDER BY measure")

    def unit_costs(self) -> pd.DataFrame:
        """Current unit costs."""
        return self.query("SELECT * FROM unit_costs_current ORDER BY measure, item")

    def measures_overview(self) -> pd.DataFrame:
        """One row per measure: label, kind, polarity, rows, sites, first and last period."""
        return self.query(sql.MEASURE_OVERVIEW)

    def measure_names(self) -> list[str]:
        """The measures with data."""
        return self.query("SELECT DISTINCT measure FROM measures_current ORDER BY 1")[
            "measure"
        ].tolist()

    def check_measure(self, measure: str) -> str:
        """Return ``measure`` if it has data, else raise UnknownName listing the choices."""
        names = self.measure_names()
        if measure not in names:
            raise UnknownName(f"no measure '{measure}'; loaded measures: {', '.join(names)}")
        return measure

    def measure_rows(
        self, measure: str | None = None, rule: DisclosureRule = DEFAULT_RULE
    ) -> pd.DataFrame:
        """Current rows with value computed and site details, small counts suppressed."""
        if measure is not None:
            self.check_measure(measure)
        return suppress(self.query(sql.MEASURE_ROWS, {"measure": measure}), rule=rule)

    def panel_rows(self, measure: str) -> pd.DataFrame:
        """Unsuppressed rows of one measure, for estimators (they publish only aggregates)."""
        self.check_measure(measure)
        return self.query(sql.MEASURE_ROWS, {"measure": measure})

    def boundary_layers(self) -> list[BoundaryLayer]:
        """The boundary layers users loaded (latest active load per layer name).

        The bundled layers are :func:`analysis.geo.bundled_layers`, not stored here.
        """
        rows = self.query(sql.BOUNDARY_LAYERS)
        return [
            BoundaryLayer(
                r.name, None if pd.isna(r.year) else int(r.year), r.file_name, json.loads(r.geojson)
            )
            for r in rows.itertuples(index=False)
        ]

    def boundary_overview(self) -> pd.DataFrame:
        """One row per user boundary layer: name, year, file_name, features, load_id, loaded_at."""
        return self.query(sql.BOUNDARY_OVERVIEW)

    def save_grouping(
        self, grouping: pd.DataFrame, label: str = "grouping saved in the app"
    ) -> int:
        """Store a grouping (site_code, group, start_date) as a new load; return its id."""
        from analysis.ingest import prepare_batch

        data = grouping[["site_code", "group", "start_date"]].to_csv(index=False).encode()
        prepared = prepare_batch([(f"{label}.csv", data)], self.catalogue())
        return self.apply(prepared)[0].load_id

    def lock_down(self) -> None:
        """Stop queries from reading files or changing settings (for the server process).

        Idempotent: connections to one file in one process share DuckDB's
        database, so a second store on a locked file is already locked.
        """
        with self._cursor() as cur:
            if _scalar(cur, "SELECT current_setting('lock_configuration')"):
                return
            cur.execute("SET enable_external_access = false")
            cur.execute("SET lock_configuration = true")


def _scalar(cur: duckdb.DuckDBPyConnection, query: str, parameters: object = None) -> Any:
    """The value of a query that always returns one row (``nextval``, an aggregate)."""
    row = cur.execute(query, parameters).fetchone()
    if row is None:
        raise HiodError(f"the store returned no row for {query.strip()!r}")
    return row[0]


def _insert(cur: duckdb.DuckDBPyConnection, table: str, rows: pd.DataFrame, load_id: int) -> None:
    columns = TABLE_COLUMNS[table]
    frame = rows.reindex(columns=columns)
    frame.insert(0, "load_id", load_id)
    cur.register("incoming", frame)
    quoted = ", ".join(f'"{c}"' for c in ["load_id", *columns])
    cur.execute(f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM incoming")
    cur.unregister("incoming")


def _busy_message(path: Path, error: str) -> str:
    pid = re.search(r"PID (\d+)", error)
    holder = f"process {pid.group(1)}" if pid else "another process"
    return (
        f"the database {path} is open in {holder} (probably the dashboard: DuckDB lets one "
        "process hold a file). Load the file from the dashboard's Data page, stop that process, "
        "or use --db to point at another database file."
    )
