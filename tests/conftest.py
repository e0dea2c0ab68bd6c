"""Shared fixtures: where the repository and the shared public data live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("HIOD_SHARED", REPO.parent / "shared")).resolve()
REFERENCE = SHARED / "data" / "reference"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``shared/`` folder beside the repository (public data and references)."""
    if not SHARED.exists():
        pytest.fail(f"shared data not found at {SHARED}; set HIOD_SHARED")
    return SHARED


@pytest.fixture(scope="session")
def reference_dir(shared_dir: Path) -> Path:
    """Known-answer tables from published sources (``shared/data/reference``)."""
    return shared_dir / "data" / "reference"


@pytest.fixture
def app(tmp_path, monkeypatch):
    """AppTest of the app on a fresh store holding the North West falls fixture."""
    from tests.helpers import app_on, fixture_store

    path = tmp_path / "app.duckdb"
    fixture_store(path).close()
    with app_on(path, monkeypatch) as at:
        yield at


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright launches Debian's Chromium (never a downloaded browser build)."""
    from tests.browser_server import CHROMIUM, CHROMIUM_ARGS

    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}
