"""Lint, format and type checks as tests, so the README's test command enforces them too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # the tools installed beside this interpreter


def _run(tool: str, *args: str) -> None:
    """Run a tool from the repository root; fail with its output unless it exits 0."""
    done = subprocess.run(
        [str(BIN / tool), *args], cwd=REPO, capture_output=True, text=True, check=False
    )
    command = " ".join([tool, *args])
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}{done.stderr}"


def test_ruff_check() -> None:
    _run("ruff", "check", ".")


def test_ruff_format() -> None:
    _run("ruff", "format", "--check", ".")


def test_mypy() -> None:
    _run("mypy")  # files and settings from [tool.mypy] in pyproject.toml
