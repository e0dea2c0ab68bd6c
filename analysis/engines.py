"""Where record-level data are aggregated: DuckDB, Spark or PostgreSQL, through Ibis.

Ibis (``ibis-framework``) compiles one expression to each engine's SQL or
DataFrame plan, so a recipe is counted where the records live and only the
counts come back (issue 16, "disclosure at the source").

* ``duckdb`` (default): embedded, in memory, reading CSV or Parquet record files
  (CSV cells are read as text and cast by the recipe, as Spark reads them), or
  a table of the DuckDB file named by ``connection``.
* ``spark``: a local Spark (``local[*]``, needs Java 17+) or the master URL in
  ``connection``; record files or a catalogue table.
* ``postgres``: the server at ``connection`` (``postgresql://user@host:port/db``);
  the records are a table there (``schema.table`` or ``table``).

Spark and PostgreSQL need ``pip install -r requirements-scale.txt``.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import TYPE_CHECKING, Literal

from analysis.errors import HiodError

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

Engine = Literal["duckdb", "spark", "postgres"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark", "postgres")
FILE_SUFFIXES = (".csv", ".parquet", ".pq")


class EngineUnavailable(HiodError):
    """An engine that cannot be used here (its package, Java or server is missing)."""


def connect(engine: Engine, connection: str | None = None) -> BaseBackend:
    """Open ``engine`` (see the module docstring for what ``connection`` means)."""
    try:
        import ibis
    except ImportError:
        raise EngineUnavailable(
            "aggregating records needs ibis-framework: pip install -r requirements.txt"
        ) from None
    if engine == "duckdb":
        return ibis.duckdb.connect(connection or ":memory:")
    if engine == "spark":
        return ibis.pyspark.connect(spark_session(connection or "local[*]"))
    if connection is None:
        raise EngineUnavailable("the postgres engine needs --connection postgresql://…")
    try:
        return ibis.connect(connection)
    except ImportError:
        raise EngineUnavailable(
            "the postgres engine needs psycopg: pip install -r requirements-scale.txt"
        ) from None
    except Exception as exc:  # the driver's own error: unreachable server, refused login
        raise EngineUnavailable(f"cannot connect to {connection}: {exc}".strip()) from None


def spark_session(master: str) -> object:
    """A Spark session on ``master`` with UTC dates and no web UI."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineUnavailable(
            "the spark engine needs pyspark and Java 17+: pip install -r requirements-scale.txt"
        ) from None
    return (
        SparkSession.builder.master(master)
        .appName("hiod-aggregate")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )


def check_source(engine: Engine, source: str) -> None:
    """Refuse a record file on postgres: the server reads its own tables, not our files."""
    if engine == "postgres" and PurePath(source).suffix.lower() in FILE_SUFFIXES:
        raise EngineUnavailable(
            f"{source}: the postgres engine counts records where they live: "
            "give the name of the table in the warehouse, or use --engine duckdb for files"
        )


def records_table(con: BaseBackend, engine: Engine, source: str) -> ir.Table:
    """The record source as an Ibis table: a CSV/Parquet file (not on postgres) or a table."""
    check_source(engine, source)
    suffix = PurePath(source).suffix.lower()
    if suffix in FILE_SUFFIXES:
        if suffix == ".csv":
            options = {"all_varchar": True} if engine == "duckdb" else {"header": True}
            return con.read_csv(source, **options)  # type: ignore[attr-defined]
        return con.read_parquet(source)  # type: ignore[attr-defined]
    schema, _, name = source.rpartition(".")
    return con.table(name, database=schema or None)
