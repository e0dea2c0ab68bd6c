"""Errors a user can cause, each with a message that names file, row and column.

Rows are numbered as a spreadsheet shows them: the header is row 1 and the
first data row is row 2 (for a CSV without quoted line breaks this is also the
line number).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputIssue:
    """One problem in a user's file: where it is and what is wrong."""

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f":{self.row}"
        if self.column:
            where += f":{self.column}"
        return f"{where}: {self.message}"


class HiodError(Exception):
    """Base class of the errors this package raises on purpose."""


class LoadRejected(HiodError):
    """A load was refused; nothing was written. ``issues`` lists every problem found."""

    def __init__(self, issues: list[InputIssue], limit: int = 20) -> None:
        self.issues = tuple(issues)
        shown = "\n".join(str(i) for i in self.issues[:limit])
        more = len(self.issues) - limit
        if more > 0:
            shown += f"\n… and {more} more problem(s)"
        super().__init__(shown)


class StoreBusy(HiodError):
    """The database file is held by another process (DuckDB locks it per process)."""


class UnknownName(HiodError):
    """A measure, site or column name that is not in the catalogue."""
