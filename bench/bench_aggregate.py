"""Aggregation speed: the falls recipe through Ibis against hand-written DuckDB SQL, and on Spark.

Generates N admission episodes (default 20 M, about a national year; ``--records``
for smaller runs) as Parquet: 6,500 practices, three years of admission dates,
ages 0–104, a mix of admission methods, injury and non-injury diagnoses, fall
and other external causes, and about one spell in ten with a second episode.
Then counts falls admissions 65+ by practice and month (the falls_65plus recipe
at month granularity) with :func:`analysis.aggregate.event_counts` on DuckDB,
against a hand-written DuckDB query of the same counts (the ratio is the
figure: the aim is within 2×), and on a local Spark with its start-up timed
apart. Each count is checked to agree. Run:
``python -m bench.bench_aggregate [--records N] [--no-spark]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from analysis.aggregate import event_counts
from analysis.engines import connect, records_table
from analysis.recipes import load_recipe

HAND_SQL = """
SELECT practice_code AS site_code, year(admission_date) AS year,
       month(admission_date) AS part, count(DISTINCT spell_id) AS numerator
FROM read_parquet(?)
WHERE age >= 65 AND admission_method LIKE '2%'
  AND left(primary_diagnosis, 3) BETWEEN 'S00' AND 'T98'
  AND left(external_cause, 3) BETWEEN 'W00' AND 'W19'
  AND practice_code IS NOT NULL AND practice_code <> ''
GROUP BY ALL
"""
METHODS = np.array(["11", "12", "21", "22", "23", "24", "2A", "2B", "31", "81"])
DIAGNOSES = np.array(["S72", "S06", "S42", "S32", "T14", "T98", "I21", "J18", "N39", "R55"])
CAUSES = np.array(["W01", "W10", "W18", "W19", "W00", "W20", "V99", "X59", "Y83", ""])


def generate(path: Path, n: int, seed: int = 2024, chunk: int = 2_000_000) -> None:
    """Write ``n`` generated episodes to Parquet, ``chunk`` rows at a time."""
    rng = np.random.default_rng(seed)
    practices = np.array([f"P{i:05d}" for i in range(6500)] + [""])
    start = np.datetime64("2021-04-01")
    writer = None
    for first in range(0, n, chunk):
        size = min(chunk, n - first)
        spells = first + np.arange(size)
        spells -= (rng.random(size) < 0.1) & (spells > first)  # a second episode, same spell
        table = pa.table(
            {
                "spell_id": spells,
                "practice_code": practices[rng.integers(0, len(practices), size)],
                "admission_date": start + rng.integers(0, 3 * 365, size).astype("timedelta64[D]"),
                "age": rng.integers(0, 105, size, dtype=np.int16),
                "admission_method": METHODS[rng.integers(0, len(METHODS), size)],
                "primary_diagnosis": DIAGNOSES[rng.integers(0, len(DIAGNOSES), size)],
                "external_cause": CAUSES[rng.integers(0, len(CAUSES), size)],
            }
        )
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    if writer is not None:
        writer.close()


def timed(run, repeat: int) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=20_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-spark", action="store_true", help="skip the Spark run")
    args = parser.parse_args()
    recipe = dataclasses.replace(load_recipe("falls_65plus"), granularity="month")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "episodes.parquet"
        t0 = time.perf_counter()
        generate(path, args.records)
        size = path.stat().st_size / 1e6
        print(
            f"records: {args.records:,}  file: {size:.0f} MB  "
            f"generated in {time.perf_counter() - t0:.1f} s"
        )

        con = duckdb.connect()
        hand_s, hand = timed(lambda: con.execute(HAND_SQL, [str(path)]).df(), args.repeat)
        con.close()
        ibis_con = connect("duckdb")
        table = records_table(ibis_con, "duckdb", str(path))
        ours_s, ours = timed(lambda: event_counts(table, recipe, path.name), args.repeat)
        ibis_con.disconnect()
        counts = ours[0]  # type: ignore[index]
        assert int(counts["numerator"].sum()) == int(hand["numerator"].sum())  # type: ignore[index]
        assert len(counts) == len(hand)  # type: ignore[arg-type]
        rows = f"{len(counts):,} practice-months, {int(counts['numerator'].sum()):,} admissions"
        print(f"counts: {rows} (Ibis and hand-written SQL agree)")
        speed = args.records / hand_s / 1e6
        print(f"DuckDB hand-written SQL: {hand_s:.2f} s ({speed:.0f} M rows/s)")
        print(f"DuckDB through Ibis:     {ours_s:.2f} s  ratio {ours_s / hand_s:.2f}x")

        if not args.no_spark:
            t0 = time.perf_counter()
            spark = connect("spark", "local[*]")
            started = time.perf_counter() - t0
            table = records_table(spark, "spark", str(path))
            first_s, _ = timed(lambda: event_counts(table, recipe, path.name), 1)
            spark_s, spark_counts = timed(lambda: event_counts(table, recipe, path.name), 1)
            spark.disconnect()
            agree = spark_counts[0]["numerator"].sum() == counts["numerator"].sum()  # type: ignore[index]
            print(
                f"Spark local[*]: start-up {started:.1f} s, first count {first_s:.1f} s, "
                f"second {spark_s:.1f} s (agrees with DuckDB: {bool(agree)})"
            )


if __name__ == "__main__":
    main()
