"""Read a user's file into a table of text cells, before any validation.

CSV (UTF-8 with or without BOM, or Windows-1252), Excel ``.xlsx`` and Parquet.
Every cell comes back as text (``str`` dtype, missing = NA) so that the
validators can name the exact cell that is wrong; rows keep their spreadsheet
number (header = row 1) in the index, even when blank lines are skipped.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import PurePath

import pandas as pd

from analysis.errors import InputIssue

DEFAULT_MAX_BYTES = 200 * 1024 * 1024  # Streamlit's default server.maxUploadSize
SUFFIXES = {".csv": "csv", ".txt": "csv", ".xlsx": "excel", ".parquet": "parquet", ".pq": "parquet"}


@dataclass(frozen=True)
class RawTable:
    """A file read as text: cells, the encoding used, and notes for the user."""

    file_name: str
    cells: pd.DataFrame
    encoding: str | None
    notes: tuple[str, ...] = ()


class ReadFailed(Exception):
    """The file could not be read at all; ``issue`` says why."""

    def __init__(self, issue: InputIssue) -> None:
        self.issue = issue
        super().__init__(str(issue))


def read_table(file_name: str, data: bytes, max_bytes: int = DEFAULT_MAX_BYTES) -> RawTable:
    """Read ``data`` (the bytes of ``file_name``) into text cells.

    Raises :class:`ReadFailed` for a file over ``max_bytes``, an empty file,
    an unknown file type, or text that is neither UTF-8 nor Windows-1252.
    """
    name = str(file_name)
    if len(data) > max_bytes:
        raise ReadFailed(
            InputIssue(
                name,
                None,
                None,
                f"the file is {len(data) / 1e6:.1f} MB, over the upload limit of "
                f"{max_bytes / 1e6:.0f} MB: split it, or load it with the command line",
            )
        )
    if not data.strip():
        raise ReadFailed(InputIssue(name, None, None, "the file is empty"))
    form = SUFFIXES.get(PurePath(name).suffix.lower())
    if form is None:
        raise ReadFailed(
            InputIssue(name, None, None, "unknown file type: use .csv, .xlsx or .parquet")
        )
    if form == "csv":
        table = _read_csv(name, data)
    elif form == "excel":
        table = _read_excel(name, data)
    else:
        table = _read_parquet(name, data)
    if table.cells.empty:
        raise ReadFailed(InputIssue(name, None, None, "the file has a header but no data rows"))
    return table


def _decode(name: str, data: bytes) -> tuple[str, str, tuple[str, ...]]:
    if b"\x00" in data[:4096]:
        raise ReadFailed(
            InputIssue(
                name,
                None,
                None,
                "the file contains NUL bytes: it looks like UTF-16 or a binary file; "
                "save it as 'CSV UTF-8'",
            )
        )
    try:
        return data.decode("utf-8-sig"), "utf-8", ()
    except UnicodeDecodeError as utf8_error:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError as exc:
            row = data[: exc.start].count(b"\n") + 1
            raise ReadFailed(
                InputIssue(
                    name,
                    row,
                    None,
                    f"byte 0x{data[exc.start]:02x} is neither UTF-8 nor Windows-1252 text; "
                    "save the file as 'CSV UTF-8'",
                )
            ) from None
        row = data[: utf8_error.start].count(b"\n") + 1
        note = f"read as Windows-1252 (not UTF-8: first non-UTF-8 byte on row {row})"
        return text, "cp1252", (note,)


def _read_csv(name: str, data: bytes) -> RawTable:
    text, encoding, notes = _decode(name, data)
    source: io.BytesIO | io.StringIO
    options: dict[str, str | bool]
    if encoding == "utf-8" and not _has_blank_lines(data):
        # Fast path: Arrow's multi-threaded reader (it would skip blank lines,
        # which would shift row numbers, hence the check above).
        source, options = io.BytesIO(data.removeprefix(b"\xef\xbb\xbf")), {"engine": "pyarrow"}
    else:
        source, options = io.StringIO(text), {"skip_blank_lines": False}
    try:
        cells = pd.read_csv(source, dtype=str, keep_default_na=False, na_values=[""], **options)
    except (pd.errors.ParserError, ValueError) as exc:
        raise ReadFailed(InputIssue(name, None, None, f"not a valid CSV file: {exc}")) from None
    except pd.errors.EmptyDataError:
        raise ReadFailed(InputIssue(name, None, None, "the file is empty")) from None
    cells.index = pd.RangeIndex(2, len(cells) + 2)
    cells = cells[cells.notna().any(axis=1)]
    return RawTable(name, _strip(cells), encoding, notes)


def _has_blank_lines(data: bytes) -> bool:
    body = data.rstrip(b"\r\n")
    return b"\n\n" in body or b"\n\r\n" in body


def _read_excel(name: str, data: bytes) -> RawTable:
    try:
        cells = pd.read_excel(io.BytesIO(data), dtype=str, sheet_name=0)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise ReadFailed(
            InputIssue(name, None, None, f"not a readable .xlsx file: {exc}")
        ) from None
    cells.index = pd.RangeIndex(2, len(cells) + 2)
    cells = cells[cells.notna().any(axis=1)]
    notes = ("Excel is read at about 20,000 rows a second: use CSV or Parquet for big files",)
    return RawTable(name, _strip(cells), None, notes if len(cells) > 100_000 else ())


def _read_parquet(name: str, data: bytes) -> RawTable:
    try:
        frame = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError…
        raise ReadFailed(
            InputIssue(name, None, None, f"not a readable Parquet file: {exc}")
        ) from None
    cells = pd.DataFrame({c: frame[c].astype("str").where(frame[c].notna()) for c in frame.columns})
    cells.index = pd.RangeIndex(2, len(cells) + 2)
    return RawTable(name, cells, None, ())


def _strip(cells: pd.DataFrame) -> pd.DataFrame:
    """Trim surrounding spaces in every cell and header; blank cells become NA."""
    cells.columns = [str(c).strip() for c in cells.columns]
    out = {}
    for column in cells.columns:
        col = cells[column].astype("str").str.strip()
        out[column] = col.where(cells[column].notna() & (col != ""))
    return pd.DataFrame(out, index=cells.index)
