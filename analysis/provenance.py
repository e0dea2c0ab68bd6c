"""Which tool produced a result, so that a report or an export can be reproduced.

The version in ``pyproject.toml`` and, in a git checkout, the commit.
"""

from __future__ import annotations

import functools
import subprocess
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@functools.cache
def tool_version() -> str:
    """``0.1.0`` from ``pyproject.toml``, with ``+g<commit>`` when run from a git checkout."""
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version}+g{commit}" if commit else version
