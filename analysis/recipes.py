"""Measure recipes: how to count a measure from record-level data (issue 16).

A recipe is a small TOML file in ``data/recipes/`` (or anywhere, by path) that
says which records count towards a measure and what they are divided by:

``[measure]``
    ``id``, ``label``, ``kind`` (``proportion``, ``rate``, ``count``),
    ``multiplier``, ``higher_is_better`` (true/false, or left out for no
    judgement), ``description`` and ``source`` (the published definition the
    recipe follows) — the columns of a measure definitions file (DESIGN.md).
``[records]``
    the record source's columns: ``site`` (e.g. the registered practice),
    ``event_date`` (the date that places a record in a period) and, optionally,
    ``unit``: a column whose distinct values are counted (a hospital spell id,
    so that several episodes of one spell count once; a patient id, so that a
    woman screened twice counts once). Without ``unit`` every record counts.
``[[filters]]``
    each names a ``column`` and one test: ``min``/``max`` (inclusive numbers,
    e.g. age), ``values`` (exact text), ``prefixes`` (text starting with one of
    them, e.g. admission method ``2`` = emergency in HES) or ``codes`` (ICD-10:
    3-character categories and ranges of them such as ``W00-W19``, or longer
    codes as prefixes; dots and spaces are ignored). A record counts when it
    passes every filter; a missing value passes none.
``[period]``
    ``granularity`` (``month``, ``quarter``, ``year``, ``financial_year``) and,
    for coverage measures, ``lookback_months``: a period counts the units with
    a record in the months up to its end (e.g. 36 for breast screening).
``[denominator]``
    which rows of a registered-population file to add up: ``age_min``,
    ``age_max`` (inclusive, matched against the file's age bands) and ``sex``
    (values of its sex column; empty = everyone).

:func:`load_recipe` reads and validates one; every problem is a
:class:`RecipeError` naming the file and the key.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from analysis.errors import HiodError

RECIPE_DIR = Path(__file__).resolve().parents[1] / "data" / "recipes"
Granularity = Literal["month", "quarter", "year", "financial_year"]
GRANULARITIES: tuple[Granularity, ...] = ("month", "quarter", "year", "financial_year")
RECIPE_KINDS = ("proportion", "rate", "count")
_CATEGORY = re.compile(r"[A-Z]\d\d")
_CODE = re.compile(r"[A-Z]\d[0-9A-Z]*")


class RecipeError(HiodError):
    """A recipe that cannot be used; the message names its file and key."""

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source, self.key = source, key
        super().__init__(f"{source}: {key}: {message}")


@dataclass(frozen=True)
class RecordFilter:
    """One test a record must pass (see the module docstring for the forms)."""

    column: str
    min: float | None = None
    max: float | None = None
    values: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()  # ICD-10 3-character categories, ranges expanded
    code_prefixes: tuple[str, ...] = ()  # ICD-10 codes longer than a category

    @property
    def is_code_list(self) -> bool:
        """Whether the filter is an ICD-10 code list (matched ignoring case, dots, spaces)."""
        return bool(self.categories or self.code_prefixes)


@dataclass(frozen=True)
class DenominatorSpec:
    """Which registered-population rows make the denominator."""

    age_min: int = 0
    age_max: int | None = None
    sex: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recipe:
    """A validated recipe: the measure's definition and how to count it from records."""

    name: str
    measure: str
    label: str
    kind: str
    multiplier: float
    higher_is_better: bool | None
    description: str
    source: str
    site_column: str
    date_column: str
    unit_column: str | None
    filters: tuple[RecordFilter, ...]
    granularity: Granularity
    lookback_months: int | None
    denominator: DenominatorSpec

    @property
    def columns(self) -> tuple[str, ...]:
        """Every record column the recipe reads."""
        named = [self.site_column, self.date_column, self.unit_column]
        named += [f.column for f in self.filters]
        return tuple(dict.fromkeys(c for c in named if c))


def recipe_names() -> list[str]:
    """The bundled recipes, by name (file stem in ``data/recipes/``)."""
    return sorted(p.stem for p in RECIPE_DIR.glob("*.toml"))


def load_recipe(name_or_path: str | Path) -> Recipe:
    """Read a bundled recipe by name, or a recipe file by path, and validate it."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = RECIPE_DIR / f"{name_or_path}.toml"
        if not path.exists():
            known = ", ".join(recipe_names())
            raise RecipeError(str(name_or_path), "recipe", f"no such recipe (bundled: {known})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RecipeError(str(path), "recipe", "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(str(path), "toml", str(exc)) from None
    return parse_recipe(data, source=path.name, name=path.stem)


def parse_recipe(data: dict[str, Any], source: str, name: str) -> Recipe:
    """Validate a recipe's parsed TOML; raise :class:`RecipeError` at the first problem."""
    measure = _table(data, "measure", source)
    records = _table(data, "records", source)
    period = _table(data, "period", source)
    denominator = _table(data, "denominator", source)
    kind = _text(measure, "measure.kind", source)
    if kind not in RECIPE_KINDS:
        raise RecipeError(source, "measure.kind", f"'{kind}' is not one of {RECIPE_KINDS}")
    granularity = _text(period, "period.granularity", source)
    if granularity not in GRANULARITIES:
        raise RecipeError(
            source, "period.granularity", f"'{granularity}' is not one of {GRANULARITIES}"
        )
    lookback = _whole(period, "period.lookback_months", source, minimum=1)
    raw_filters = data.get("filters", [])
    if not isinstance(raw_filters, list):
        raise RecipeError(source, "filters", "write each filter as a [[filters]] table")
    return Recipe(
        name=name,
        measure=_text(measure, "measure.id", source),
        label=_text(measure, "measure.label", source),
        kind=kind,
        multiplier=_number(measure, "measure.multiplier", source, minimum=1) or 1.0,
        higher_is_better=_flag(measure, "measure.higher_is_better", source),
        description=_text(measure, "measure.description", source),
        source=_text(measure, "measure.source", source),
        site_column=_text(records, "records.site", source),
        date_column=_text(records, "records.event_date", source),
        unit_column=_text(records, "records.unit", source, required=False) or None,
        filters=tuple(_filter(f, f"filters[{i}]", source) for i, f in enumerate(raw_filters)),
        granularity=granularity,  # type: ignore[arg-type]  # checked against GRANULARITIES
        lookback_months=lookback,
        denominator=DenominatorSpec(
            age_min=_whole(denominator, "denominator.age_min", source, minimum=0) or 0,
            age_max=_whole(denominator, "denominator.age_max", source, minimum=0),
            sex=_texts(denominator, "denominator.sex", source),
        ),
    )


def expand_codes(entry: str, source: str, key: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """An ICD-10 code list entry → (3-character categories, longer prefixes).

    ``W00-W19`` (or ``W00–W19``) is every category from W00 to W19 inclusive,
    across letters too (``S00-T98`` is S00…S99 and T00…T98); ``W10`` is one
    category; ``W101`` or ``W10.1`` is a prefix of 4-character codes.
    """
    text = entry.upper().replace(".", "").replace(" ", "").replace("–", "-")
    if "-" in text:
        first, _, last = text.partition("-")
        if not (_CATEGORY.fullmatch(first) and _CATEGORY.fullmatch(last)) or first > last:
            raise RecipeError(
                source, key, f"'{entry}' is not a range of 3-character codes like W00-W19"
            )
        lo, hi = _category_number(first), _category_number(last)
        return tuple(_category_code(n) for n in range(lo, hi + 1)), ()
    if _CATEGORY.fullmatch(text):
        return (text,), ()
    if _CODE.fullmatch(text):
        return (), (text,)
    raise RecipeError(source, key, f"'{entry}' is not an ICD-10 code, category or range")


def _category_number(code: str) -> int:
    return (ord(code[0]) - ord("A")) * 100 + int(code[1:])


def _category_code(number: int) -> str:
    return f"{chr(ord('A') + number // 100)}{number % 100:02d}"


def _filter(raw: object, key: str, source: str) -> RecordFilter:
    if not isinstance(raw, dict):
        raise RecipeError(source, key, "a filter is a table with a column and one test")
    column = _text(raw, f"{key}.column", source)
    tests = [t for t in ("min", "max", "values", "prefixes", "codes") if t in raw]
    unknown = sorted(set(raw) - {"column", "min", "max", "values", "prefixes", "codes"})
    if unknown:
        raise RecipeError(source, f"{key}.{unknown[0]}", "unknown key")
    if not tests or (len(tests) > 1 and set(tests) != {"min", "max"}):
        raise RecipeError(source, key, "give exactly one of min/max, values, prefixes or codes")
    for test in ("values", "prefixes", "codes"):
        if test in raw and not _texts(raw, f"{key}.{test}", source):
            raise RecipeError(source, f"{key}.{test}", "the list is empty: no record would count")
    categories: list[str] = []
    code_prefixes: list[str] = []
    for i, entry in enumerate(_texts(raw, f"{key}.codes", source)):
        cats, longer = expand_codes(entry, source, f"{key}.codes[{i}]")
        categories += cats
        code_prefixes += longer
    low = _number(raw, f"{key}.min", source)
    high = _number(raw, f"{key}.max", source)
    if low is not None and high is not None and low > high:
        raise RecipeError(source, key, f"min {low:g} is above max {high:g}")
    return RecordFilter(
        column=column,
        min=low,
        max=high,
        values=_texts(raw, f"{key}.values", source),
        prefixes=_texts(raw, f"{key}.prefixes", source),
        categories=tuple(dict.fromkeys(categories)),
        code_prefixes=tuple(code_prefixes),
    )


def _table(data: dict[str, Any], key: str, source: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise RecipeError(source, key, f"missing [{key}] table")
    return value


def _leaf(table: dict[str, Any], key: str) -> object:
    return table.get(key.rsplit(".", 1)[-1])


def _text(table: dict[str, Any], key: str, source: str, required: bool = True) -> str:
    value = _leaf(table, key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise RecipeError(source, key, "required: a non-empty string")
    return value.strip()


def _texts(table: dict[str, Any], key: str, source: str) -> tuple[str, ...]:
    value = _leaf(table, key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise RecipeError(source, key, "a list of non-empty strings")
    return tuple(value)


def _number(
    table: dict[str, Any], key: str, source: str, minimum: float | None = None
) -> float | None:
    value = _leaf(table, key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecipeError(source, key, f"a number, not {value!r}")
    if minimum is not None and value < minimum:
        raise RecipeError(source, key, f"{value!r} is below {minimum:g}")
    return float(value)


def _whole(table: dict[str, Any], key: str, source: str, minimum: int) -> int | None:
    value = _number(table, key, source, minimum)
    if value is not None and not value.is_integer():
        raise RecipeError(source, key, f"a whole number, not {value:g}")
    return None if value is None else int(value)


def _flag(table: dict[str, Any], key: str, source: str) -> bool | None:
    value = _leaf(table, key)
    if value is not None and not isinstance(value, bool):
        raise RecipeError(source, key, "true, false, or left out (no judgement)")
    return value
