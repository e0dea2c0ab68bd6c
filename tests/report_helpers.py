"""A store loaded with the bundled default data, and the impact report built from it."""

from __future__ import annotations

from pathlib import Path

from analysis.cli import main
from analysis.defaults import load_defaults
from analysis.store import Store

FALLS = "falls_admissions_65plus"
PROGRAMME_COST = "500000"


def default_store(path: Path) -> Path:
    """Load the bundled defaults into a new database at ``path``; return the path."""
    store = Store(path)
    try:
        load_defaults(store)
    finally:
        store.close()
    return path


def build_with_cli(db: Path, out: Path, *extra: str) -> int:
    """``python -m analysis report --out OUT --db DB …`` in-process; the exit code."""
    return main(["report", "--out", str(out), "--db", str(db), *extra])
