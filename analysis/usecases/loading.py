"""Files a user brings → one all-or-nothing load; the measure definitions table.

Part of the use-case layer (:mod:`analysis.usecases`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from analysis.column_mapping import ColumnMapping
from analysis.ingest import FileHeader, PreparedFile, inspect_file, prepare_batch
from analysis.store import LoadOutcome, Store


@dataclass(frozen=True)
class LoadResult:
    """The files as checked (what was detected in each) and, when written, what each load did."""

    prepared: tuple[PreparedFile, ...]
    outcomes: tuple[LoadOutcome, ...]


def load_files(
    store: Store,
    files: Sequence[tuple[str, bytes]],
    progress: Callable[[float, str], None] | None = None,
    *,
    write: bool = True,
    mappings: Mapping[str, ColumnMapping] | None = None,
) -> LoadResult:
    """Validate ``files`` (name, bytes) together and, if ``write``, load them in one transaction.

    ``mappings`` gives, by file name, which of a file's columns is which
    (:class:`~analysis.column_mapping.ColumnMapping`); a mapping used in a load
    is stored with it and used again for the next file with the same header.
    Raises :class:`~analysis.errors.LoadRejected` listing every problem (file,
    row, column); then nothing is written.
    """
    prepared = prepare_batch(list(files), store.catalogue(), progress=progress, mappings=mappings)
    outcomes = store.apply(prepared) if write else []
    return LoadResult(tuple(prepared), tuple(outcomes))


def file_headers(store: Store, files: Sequence[tuple[str, bytes]]) -> list[FileHeader]:
    """Each file's columns, detected kind and remembered mapping (the Data page's mapping step)."""
    catalogue = store.catalogue()
    return [inspect_file(name, data, catalogue) for name, data in files]


POLARITY_WORDS = {True: "higher is better", False: "lower is better"}
DEFINITION_COLUMNS = ["measure", "label", "kind", "multiplier", "polarity"]


def definitions_table(overview: pd.DataFrame) -> pd.DataFrame:
    """The editable definitions of every loaded measure (:data:`DEFINITION_COLUMNS`).

    ``polarity`` is ``higher is better``, ``lower is better`` or empty (not stated).
    """
    frame = overview.reindex(columns=[*DEFINITION_COLUMNS[:4], "higher_is_better"]).copy()
    frame["polarity"] = [
        None if pd.isna(v) else POLARITY_WORDS[bool(v)] for v in frame.pop("higher_is_better")
    ]
    return frame.reset_index(drop=True)


def save_definitions(store: Store, table: pd.DataFrame, name: str = "definitions edited") -> int:
    """Store a definitions table (:func:`definitions_table`'s columns) as one load; its id.

    It goes through the same checks as a definitions file (a bad kind or a
    multiplier that is not a number is named by row and column) and is rolled
    back like any load.
    """
    words = {text: str(flag).lower() for flag, text in POLARITY_WORDS.items()}
    frame = table.reindex(columns=DEFINITION_COLUMNS).copy()
    frame["higher_is_better"] = [words.get(str(v), "") for v in frame.pop("polarity")]
    data = frame.to_csv(index=False).encode()
    result = load_files(store, [(f"{name}.csv", data)])
    return int(result.outcomes[0].load_id or 0)
