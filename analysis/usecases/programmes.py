"""Named programmes saved as loads and made the saved grouping.

Part of the use-case layer (:mod:`analysis.usecases`).
"""

from __future__ import annotations

from collections.abc import Sequence

from analysis.programmes import (
    Programme,
    ProgrammeError,
    matching_programme,
    programme_from_grouping,
    programme_grouping,
)
from analysis.store import LoadOutcome, Store


def saved_programmes(store: Store) -> list[tuple[Programme, int]]:
    """Every saved programme (latest active version of each name) and its load id."""
    specs = store.programme_specs()
    return [(Programme.from_json(r.spec), int(r.load_id)) for r in specs.itertuples(index=False)]


def save_programme(store: Store, programme: Programme) -> LoadOutcome:
    """Store ``programme`` as a load (history and roll-back like any other)."""
    return store.save_programme(
        programme.name,
        programme.to_json(),
        len(programme.intervention) + len(programme.comparators),
    )


def save_grouping_as_programme(
    store: Store, name: str, measures: Sequence[str] = ()
) -> LoadOutcome:
    """The saved grouping as a programme called ``name`` (raises ProgrammeError if it has none)."""
    return save_programme(store, programme_from_grouping(store.sites(), name, measures))


def use_programme(store: Store, name: str) -> int | None:
    """Make the programme ``name`` the saved grouping (one grouping load); its id.

    None when the grouping already is that programme. Every page, the command line
    and the report then compare its sites; rolling the load back restores the grouping
    before it.
    """
    chosen = {p.name: p for p, _ in saved_programmes(store)}
    if name not in chosen:
        raise ProgrammeError(f"there is no saved programme called {name!r}")
    sites = store.sites()
    if matching_programme([chosen[name]], sites) is not None:
        return None
    grouping = programme_grouping(chosen[name], sites)
    return store.save_grouping(grouping, f"programme {name} in use")


def programme_in_use(store: Store) -> Programme | None:
    """The saved programme the current grouping is, if any."""
    return matching_programme([p for p, _ in saved_programmes(store)], store.sites())
