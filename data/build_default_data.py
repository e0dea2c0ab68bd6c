"""Build the app's bundled default data (``data/default/``) from ``../shared/data``.

Usage::

    python data/build_default_data.py [--shared PATH] [--out PATH]

``--shared`` is the ``shared`` folder that holds ``data/ORIGINS.md`` (default:
the ``shared`` folder beside the repository); ``--out`` is where the files go
(default: ``data/default`` in the repository). The output is deterministic
(sorted rows, fixed number formats), so rerunning the script on the same
inputs reproduces the committed files byte for byte. It prints a summary: rows
per file, and codes that did not match and were dropped or added, with reasons.
See ``data/default/README.md`` for what each file holds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
# ``build`` (beside this script) and ``analysis`` (the repository: shared geometry code).
sys.path[:0] = [str(HERE), str(HERE.parent)]

from build.common import (  # noqa: E402
    BuildError,
    Report,
    check_measures,
    measures_text,
    write_csv,
)
from build.definitions import build_definitions  # noqa: E402
from build.geo import write_geo  # noqa: E402
from build.measures import (  # noqa: E402
    breast,
    cervical_2017,
    cervical_qof_pcn,
    falls,
    falls_2010,
    smoking,
)
from build.quintiles import quintiles_icb, quintiles_region  # noqa: E402
from build.reference import load_reference  # noqa: E402
from build.sites import build_sites, sites_text  # noqa: E402

REPO = HERE.parent


def build(shared: Path, out: Path) -> Report:
    """Build every output under ``out`` from ``shared/data``; return the summary."""
    data = shared / "data"
    if not (data / "ORIGINS.md").exists():
        raise BuildError(f"{data} does not look like the shared data folder (no ORIGINS.md)")
    report = Report()
    ref = load_reference(data, report)
    sources = [
        falls(data, report),
        falls_2010(data, report),
        breast(data, ref, report),
        cervical_2017(data, report),
        cervical_qof_pcn(data, ref, report),
        smoking(data, report),
        quintiles_icb(data, ref, report),
        quintiles_region(data, ref, report),
    ]
    sites = build_sites(ref, sources, report)
    measures = {m for s in sources for m in s.rows["measure"].unique()}
    definitions = build_definitions(data, measures, report)
    kinds = dict(zip(definitions["measure"], definitions["kind"], strict=True))

    known = set(sites["site_code"])
    used: set[str] = set()
    for source in sources:
        rows = source.rows
        unknown = ~rows["site_code"].isin(known)
        report.codes(
            source.section, "codes with no site, rows left out", rows.loc[unknown, "site_code"]
        )
        rows = rows[~unknown]
        check_measures(rows, kinds, known, source.file)
        used |= set(rows["site_code"])
        write_csv(measures_text(rows), out / "measures" / source.file, report, out)
    unused = sites[~sites["site_code"].isin(used)]
    report.note(
        "sites",
        f"{len(unused)} sites with no bundled measure (the practice hierarchy, regions): "
        + ", ".join(f"{t} {n}" for t, n in unused["site_type"].value_counts().sort_index().items()),
    )
    write_csv(sites_text(sites), out / "sites.csv", report, out)
    write_csv(definitions, out / "measure_definitions.csv", report, out)
    write_geo(data, out / "geo", report, out)
    for name in ("pcn_nearest_neighbours.csv", "practice_nearest_neighbours.csv"):
        # Published comparator sets (10 statistical nearest neighbours), read as text, as is.
        table = pd.read_csv(data / "comparators" / name, dtype=str)
        write_csv(table, out / "comparators" / name, report, out)
    written = {name for name, _, _ in report.written}
    for stale in sorted([*(out / "measures").glob("*"), *(out / "geo").glob("*")]):
        if stale.relative_to(out).as_posix() not in written:
            stale.unlink()
            report.note("output", f"removed {stale.relative_to(out).as_posix()} (no longer built)")
    return report


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--shared", type=Path, default=REPO.parent / "shared", help="the shared folder"
    )
    parser.add_argument(
        "--out", type=Path, default=HERE / "default", help="where to write (data/default)"
    )
    args = parser.parse_args(argv)
    try:
        report = build(args.shared.resolve(), args.out.resolve())
    except BuildError as exc:
        print(f"build failed: {exc}", file=sys.stderr)
        return 1
    print(report.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
