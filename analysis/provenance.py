"""Which tool produced a result, so that a report or an export can be reproduced.

The package version (``analysis.__version__``, kept equal to ``pyproject.toml`` by a test)
and, in a git checkout, the commit.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import analysis

REPO = Path(__file__).resolve().parents[1]


@functools.cache
def tool_version() -> str:
    """``0.1.0``, with ``+g<commit>`` when run from a git checkout."""
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
        return analysis.__version__
    return f"{analysis.__version__}+g{commit}" if commit else analysis.__version__
