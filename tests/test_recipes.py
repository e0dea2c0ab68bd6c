"""Recipes: the bundled ones validate, code ranges expand, and every mistake names file and key."""

from __future__ import annotations

import tomllib

import pandas as pd
import pytest

from analysis.denominators import denominators_for, population_rows
from analysis.errors import LoadRejected
from analysis.recipes import (
    RECIPE_DIR,
    DenominatorSpec,
    RecipeError,
    expand_codes,
    load_recipe,
    parse_recipe,
    recipe_names,
)


def test_bundled_recipes_load_and_cite_fingertips():
    assert recipe_names() == ["breast_screening_coverage", "falls_65plus"]
    falls = load_recipe("falls_65plus")
    assert falls.kind == "rate" and falls.multiplier == 100_000 and falls.higher_is_better is False
    assert "22401" in falls.source and falls.unit_column == "spell_id"
    causes = next(f for f in falls.filters if f.column == "external_cause")
    assert causes.categories == tuple(f"W{n:02d}" for n in range(20))
    screening = load_recipe("breast_screening_coverage")
    assert "94063" in screening.source and screening.lookback_months == 36
    assert screening.denominator == DenominatorSpec(age_min=53, age_max=70, sex=("F", "Female"))


def test_code_ranges_expand_across_letters_and_longer_codes_are_prefixes():
    injuries, _ = expand_codes("S00-T98", "r.toml", "k")
    assert len(injuries) == 199 and injuries[:2] == ("S00", "S01") and injuries[-1] == "T98"
    assert expand_codes("W00–W19", "r.toml", "k")[0][-1] == "W19"  # an en dash, as printed
    assert expand_codes("w10.1", "r.toml", "k") == ((), ("W101",))


def _recipe() -> dict:
    return tomllib.loads((RECIPE_DIR / "falls_65plus.toml").read_text())


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (lambda r: r["measure"].update(kind="ratio"), "measure.kind", "is not one of"),
        (lambda r: r.pop("records"), "records", "missing [records]"),
        (lambda r: r["records"].pop("site"), "records.site", "required"),
        (lambda r: r["period"].update(granularity="week"), "period.granularity", "'week'"),
        (lambda r: r["period"].update(lookback_months=1.5), "period.lookback_months", "whole"),
        (lambda r: r["filters"][3].update(codes=["W19-W00"]), "filters[3].codes[0]", "range"),
        (lambda r: r["filters"][3].update(codes=[]), "filters[3].codes", "empty"),
        (lambda r: r["filters"][0].update(max=60), "filters[0]", "above max"),
        (lambda r: r["filters"][1].update(values=["21"]), "filters[1]", "exactly one"),
        (lambda r: r["filters"][1].update(prefix=["2"]), "filters[1].prefix", "unknown key"),
        (lambda r: r["measure"].update(higher_is_better="no"), "measure.higher_is_better", "true"),
        (lambda r: r["denominator"].update(age_min=-1), "denominator.age_min", "below"),
    ],
)
def test_a_bad_recipe_names_its_file_and_key(change, key, message):
    raw = _recipe()
    change(raw)
    with pytest.raises(RecipeError) as caught:
        parse_recipe(raw, source="mine.toml", name="mine")
    assert caught.value.key == key
    assert str(caught.value).startswith(f"mine.toml: {key}: ") and message in str(caught.value)


def test_an_unknown_recipe_lists_the_bundled_ones(tmp_path):
    with pytest.raises(RecipeError, match="bundled: breast_screening_coverage, falls_65plus"):
        load_recipe("falls")
    broken = tmp_path / "broken.toml"
    broken.write_text("[measure\n")
    with pytest.raises(RecipeError, match=r"broken\.toml: toml: "):
        load_recipe(broken)


def _cells(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["practice", "year", "age", "patients"], dtype="string")
    frame.index = frame.index + 2
    return frame


def test_denominators_add_the_bands_inside_the_range_and_serve_each_month_of_their_year():
    cells = _cells(
        [
            ("A1", "2023", "60-64", "9"),
            ("A1", "2023", "65-69", "1,000"),
            ("A1", "2023", "90+", "5"),
            ("A1", "2023", "ALL", "99999"),
        ]
    )
    rows = population_rows(cells, DenominatorSpec(age_min=65), "pop.csv")
    out = denominators_for(rows, ["2023-01", "2023-12", "2024-01"])
    assert out.to_dict("records") == [
        {"site_code": "A1", "period": "2023-01", "denominator": 1005},
        {"site_code": "A1", "period": "2023-12", "denominator": 1005},
    ]


def test_a_straddling_band_or_a_bad_count_names_file_row_and_column():
    cells = _cells([("A1", "2023", "60-69", "10"), ("A1", "2023", "70-74", "-3")])
    with pytest.raises(LoadRejected) as caught:
        population_rows(cells, DenominatorSpec(age_min=65), "pop.csv")
    assert [str(i) for i in caught.value.issues] == [
        "pop.csv:2:age: age band '60-69' straddles the recipe's ages 65+: "
        "give bands that start there",
        "pop.csv:3:patients: not a whole number ≥ 0",
    ]
    with pytest.raises(LoadRejected, match="no sex column"):
        population_rows(cells, DenominatorSpec(sex=("F",)), "pop.csv")
