"""Load speed: our validated, one-transaction ``load`` against DuckDB's bare ``read_csv``.

Prints rows/s of each on the same generated CSV (bench/generate.py), their
ratio (the figure that matters: the cost of validation and versioning), and
peak memory of the load. Run: ``python -m bench.bench_load [--practices N]``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from analysis.ingest import prepare_batch
from analysis.store import Store
from bench.generate import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--practices", type=int, default=6500)
    parser.add_argument("--months", type=int, default=120)
    parser.add_argument("--measures", type=int, default=10)
    args = parser.parse_args()
    sites, measures = generate(args.practices, args.months, args.measures)
    rows = args.practices * args.months * args.measures
    print(f"rows: {rows:,}  file: {measures.stat().st_size / 1e6:.0f} MB")

    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "bare.duckdb"))
        t0 = time.perf_counter()
        con.execute("CREATE TABLE m AS SELECT * FROM read_csv(?)", [str(measures)])
        bare = time.perf_counter() - t0
        con.close()

        store = Store(Path(tmp) / "ours.duckdb")
        store.apply(prepare_batch([(sites.name, sites.read_bytes())], store.catalogue()))
        t0 = time.perf_counter()
        data = measures.read_bytes()
        prepared = prepare_batch([(measures.name, data)], store.catalogue(), max_bytes=1 << 40)
        t_validate = time.perf_counter() - t0
        store.apply(prepared)
        ours = time.perf_counter() - t0
        store.close()

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"duckdb read_csv : {bare:7.2f} s  {rows / bare / 1e6:6.2f} M rows/s")
    print(
        f"load (ours)     : {ours:7.2f} s  {rows / ours / 1e6:6.2f} M rows/s "
        f"(read+validate {t_validate:.2f} s, write {ours - t_validate:.2f} s)"
    )
    print(f"ratio load / read_csv: {ours / bare:.2f}x")
    print(f"peak memory (process): {peak:,.0f} MB")


if __name__ == "__main__":
    main()
