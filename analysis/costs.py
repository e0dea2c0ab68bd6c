"""Unit costs: what one event avoided (or one extra person screened) is worth, item by item.

A :class:`UnitCost` says that, for ``measure``, a fraction ``share`` of events
incur ``item`` at ``cost_gbp`` each, in ``price_year`` prices, with an optional
published range ``cost_low``–``cost_high``. The expected cost of the item per
event is ``cost_gbp × share``. A :class:`CostTable` is the set of them that one
savings calculation uses (DESIGN.md, "Unit costs"); the defaults with their
sources ship in ``data/unit_costs.csv``.

``price_year`` is the calendar year in which the price year starts: 2022 means
2022/23 prices. It may be empty when the source does not say (the savings
assumptions then say so). Costs are not inflated here: a table that mixes
price years is flagged by :mod:`analysis.savings`, not silently adjusted.

Every problem raises :class:`CostInputError`, whose message names the file,
row and column (rows as a spreadsheet shows them: header row 1, first data
row 2), like :class:`analysis.errors.InputIssue`.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import HiodError

COLUMNS = (
    "measure",
    "item",
    "cost_gbp",
    "share",
    "price_year",
    "source",
    "cost_low",
    "cost_high",
)
REQUIRED = ("measure", "item", "cost_gbp")
DEFAULT_COSTS_PATH = Path(__file__).resolve().parents[1] / "data" / "unit_costs.csv"


class CostInputError(HiodError):
    """A unit cost that cannot be used; the message says where and why."""

    def __init__(
        self, message: str, column: str | None = None, row: int | None = None, file: str = ""
    ) -> None:
        self.message, self.column, self.row, self.file = message, column, row, file
        where = ":".join(str(p) for p in (file or "unit costs", row, column) if p is not None)
        super().__init__(f"{where}: {message}")

    def at(self, row: int | None, file: str) -> CostInputError:
        """The same problem, located at ``row`` of ``file``."""
        return CostInputError(self.message, self.column, row, file)


@dataclass(frozen=True)
class UnitCost:
    """One cost item of one measure, validated on construction.

    ``share`` is the fraction (0–1) of events that incur the item; the
    expected cost per event is ``cost_gbp × share``. ``cost_low``/``cost_high``
    bound ``cost_gbp`` when a range is published (either may be absent).
    """

    measure: str
    item: str
    cost_gbp: float
    share: float = 1.0
    price_year: int | None = None
    source: str = ""
    cost_low: float | None = None
    cost_high: float | None = None

    def __post_init__(self) -> None:
        for name in ("measure", "item"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise CostInputError(f"{name} is missing", name)
            object.__setattr__(self, name, value.strip())
        object.__setattr__(self, "cost_gbp", _money(self.cost_gbp, "cost_gbp"))
        for name in ("cost_low", "cost_high"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _money(value, name))
        share = _number(self.share, "share")
        if not 0 <= share <= 1:
            raise CostInputError(f"share {share:g} is outside 0–1 (a fraction of events)", "share")
        object.__setattr__(self, "share", share)
        if self.cost_low is not None and self.cost_low > self.cost_gbp:
            raise CostInputError(
                f"cost_low {self.cost_low:g} is above cost_gbp {self.cost_gbp:g}", "cost_low"
            )
        if self.cost_high is not None and self.cost_high < self.cost_gbp:
            raise CostInputError(
                f"cost_high {self.cost_high:g} is below cost_gbp {self.cost_gbp:g}", "cost_high"
            )
        if self.price_year is not None:
            year = _number(self.price_year, "price_year")
            if not year.is_integer() or not 1900 <= year <= 2100:
                raise CostInputError(
                    f"price_year {year:g} is not a year (e.g. 2022 for 2022/23)", "price_year"
                )
            object.__setattr__(self, "price_year", int(year))
        object.__setattr__(self, "source", str(self.source or "").strip())

    @property
    def low(self) -> float:
        """Lower end of the cost range (``cost_gbp`` when none is given)."""
        return self.cost_gbp if self.cost_low is None else self.cost_low

    @property
    def high(self) -> float:
        """Upper end of the cost range (``cost_gbp`` when none is given)."""
        return self.cost_gbp if self.cost_high is None else self.cost_high

    @property
    def has_range(self) -> bool:
        """Whether a range wider than a single value is given."""
        return self.low < self.high

    @property
    def cost_per_event(self) -> float:
        """Expected cost of this item per event: ``cost_gbp × share`` (£)."""
        return self.cost_gbp * self.share


@dataclass(frozen=True)
class CostTable:
    """The unit costs one savings calculation uses; (measure, item) pairs are unique."""

    items: tuple[UnitCost, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        seen: set[tuple[str, str]] = set()
        for i, cost in enumerate(self.items):
            if not isinstance(cost, UnitCost):
                raise CostInputError(f"entry {i + 1} is not a UnitCost", None)
            key = (cost.measure, cost.item.lower())
            if key in seen:
                raise CostInputError(
                    f"item '{cost.item}' appears twice for measure '{cost.measure}'", "item", i + 2
                )
            seen.add(key)

    def __iter__(self) -> Iterator[UnitCost]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def measures(self) -> tuple[str, ...]:
        """The measures that have cost items, in first-seen order."""
        return tuple(dict.fromkeys(c.measure for c in self.items))

    @property
    def price_years(self) -> tuple[int | None, ...]:
        """The distinct price years in the table (``None`` where not stated)."""
        return tuple(dict.fromkeys(c.price_year for c in self.items))

    def for_measure(self, measure: str) -> CostTable:
        """The cost items of ``measure``; raises :class:`CostInputError` if it has none."""
        chosen = tuple(c for c in self.items if c.measure == measure)
        if not chosen:
            known = ", ".join(self.measures) or "none"
            raise CostInputError(
                f"no unit costs for measure '{measure}' (measures with costs: {known}); "
                "add rows for it to the unit costs file",
                "measure",
            )
        return CostTable(chosen)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, file: str = "unit costs") -> CostTable:
        """Build from a DataFrame with :data:`COLUMNS` (optional ones may be absent).

        Blank optional cells mean: share 1, no price year, no source, no range.
        The frame is not modified.
        """
        columns = {str(c).strip().lower(): c for c in frame.columns}
        for name in REQUIRED:
            if name not in columns:
                raise CostInputError(f"column '{name}' is missing", name, None, file)
        items = []
        for pos, (_, row) in enumerate(frame.iterrows()):
            line = pos + 2
            cells = {n: _blank_to_none(row[columns[n]]) if n in columns else None for n in COLUMNS}
            try:
                items.append(
                    UnitCost(
                        measure=_text(cells["measure"]),
                        item=_text(cells["item"]),
                        cost_gbp=_cell_number(cells["cost_gbp"], "cost_gbp"),
                        share=1.0 if cells["share"] is None else cells["share"],
                        price_year=cells["price_year"],
                        source=_text(cells["source"]),
                        cost_low=cells["cost_low"],
                        cost_high=cells["cost_high"],
                    )
                )
            except CostInputError as err:
                raise err.at(line, file) from None
        try:
            return cls(tuple(items))
        except CostInputError as err:
            raise err.at(err.row, file) from None

    def to_frame(self) -> pd.DataFrame:
        """One row per item with :data:`COLUMNS` (a new frame each call)."""
        rows = [asdict(c) for c in self.items]
        frame = pd.DataFrame(rows, columns=list(COLUMNS))
        frame["price_year"] = frame["price_year"].astype("Int64")
        return frame

    def to_json_dict(self) -> list[dict[str, Any]]:
        """The items as plain dicts (for the CLI's JSON and the savings assumptions)."""
        return [asdict(c) for c in self.items]


def load_default_costs(path: Path = DEFAULT_COSTS_PATH) -> CostTable:
    """Read the bundled unit costs (``data/unit_costs.csv``), validated."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return CostTable.from_frame(frame, file=path.name)


def _blank_to_none(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _cell_number(value: Any, column: str) -> float:
    if value is None:
        raise CostInputError(f"{column} is blank", column)
    return _number(value, column)


def _number(value: Any, column: str) -> float:
    try:
        number = float(str(value).replace(",", "").replace("£", "").strip())
    except (TypeError, ValueError):
        raise CostInputError(f"{column} '{value}' is not a number", column) from None
    if not math.isfinite(number):
        raise CostInputError(f"{column} {value} is not a finite number", column)
    return number


def _money(value: Any, column: str) -> float:
    number = _number(value, column)
    if number < 0:
        raise CostInputError(f"{column} {number:g} is negative (costs are £ ≥ 0)", column)
    return number
