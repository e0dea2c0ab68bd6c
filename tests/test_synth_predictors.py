"""Synthetic control with predictors a user chooses: the Basque study, the CLI, the rules."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from analysis.cli import main
from analysis.compare import run_comparison
from analysis.measure_definition import MeasureDefinition
from analysis.panel import PanelError
from analysis.synth_prep import (
    OUTCOME,
    PredictorChoice,
    panel_dataprep,
    parse_predictor,
    resolve_predictors,
)
from analysis.usecases import comparison_from_rows
from tests.test_synth import make_panel

BASQUE = "Basque Country (Pais Vasco)"
SCHOOL = ("illit", "prim", "med", "high", "post_high")
SECTORS = [
    "agriculture",
    "energy",
    "industry",
    "construction",
    "services_venta",
    "services_nonventa",
]
# Abadie & Gardeazabal (2003) as in R Synth's documented example and pysyncon's
# tests/test_synth_basque.py: schooling and investment 1964-1969, GDP per head
# 1960-1969, sector shares 1961-1969 (published for odd years only), density 1969.
PREDICTORS = [f"school_{s}:1964..1969" for s in SCHOOL]
PREDICTORS += ["invest:1964..1969", "gdpcap:1960..1969"]
PREDICTORS += [f"sec_{s}:1961..1969" for s in SECTORS]
PREDICTORS += ["popdens:1969"]


def basque_long(reference_dir) -> pd.DataFrame:
    """The Basque data as measures (dots in names become underscores), Spain left out."""
    raw = pd.read_csv(reference_dir / "basque.csv")
    raw = raw[raw["regionname"] != "Spain (Espana)"]
    columns = [c for c in raw.columns if c not in ("regionno", "regionname", "year")]
    long = raw.melt(["regionno", "regionname", "year"], columns, var_name="measure")
    long = long.dropna(subset=["value"])
    return long.assign(
        site_code="ES" + long["regionno"].astype(int).astype(str).str.zfill(2),
        measure=long["measure"].str.replace(".", "_"),
        period=long["year"].astype(int).astype(str),
    )


def store_rows(long: pd.DataFrame) -> pd.DataFrame:
    """``Store.panel_rows`` for every measure: the Basque Country treated from 1970."""
    start = pd.to_datetime(long["period"] + "-01-01")
    treated = long["regionname"] == BASQUE
    return pd.DataFrame(
        {
            "site_code": long["site_code"],
            "measure": long["measure"],
            "period_start": start,
            "period_end": start + pd.offsets.YearEnd(0),
            "granularity": "year",
            "period_label": long["period"],
            "numerator": np.nan,
            "denominator": np.nan,
            "value": long["value"],
            "lower_ci": np.nan,
            "upper_ci": np.nan,
            "site_name": long["regionname"],
            "site_type": "other",
            "group": np.where(treated, "intervention", "comparator"),
            "start_date": pd.Series(pd.Timestamp("1970-01-01"), index=long.index).where(treated),
            "imd_decile": np.nan,
            "imd_score": np.nan,
            "population": np.nan,
        }
    ).reset_index(drop=True)


def test_basque_with_covariates_reproduces_the_published_weights(reference_dir):
    """Cataluña 0.851, Madrid 0.149 (Abadie & Gardeazabal 2003; R Synth's ``basque`` example).

    Through the Compare page's use case: the other measures as predictors over
    their windows, the analysis window 1960-1997 so that V is chosen on the
    1960-1969 outcomes as Synth's ``time.optimize.ssr = 1960:1969`` and
    pysyncon's ``time_optimize_ssr=range(1960, 1970)``.
    """
    rows = store_rows(basque_long(reference_dir))
    by_measure = {m: g.reset_index(drop=True) for m, g in rows.groupby("measure")}
    chosen = resolve_predictors(PREDICTORS, "gdpcap", by_measure.__getitem__)
    definition = MeasureDefinition("gdpcap", "GDP per head", kind="value", has_counts=False)
    window = (pd.Timestamp("1960-01-01"), pd.Timestamp("1997-01-01"))
    effect = comparison_from_rows(
        by_measure["gdpcap"], definition, "synth", window=window, predictors=chosen
    ).effect
    assert effect.method_label.endswith("predictors with optimised V")
    weights = effect.extra["weights"]
    assert weights["ES10"] == pytest.approx(0.851, abs=0.03)  # Cataluña
    assert weights["ES14"] == pytest.approx(0.149, abs=0.03)  # Madrid
    assert sum(w for code, w in weights.items() if code not in ("ES10", "ES14")) < 0.03
    v = effect.extra["v_weights"]
    assert len(v) == 14 and sum(v.values()) == pytest.approx(1.0)
    assert "popdens (1969)" in v and "outcome (1960–1969)" in v
    balance = pd.DataFrame(effect.extra["predictor_balance"]).set_index("predictor")
    assert balance.loc["outcome (1960–1969)", "treated"] == pytest.approx(5.285, abs=0.001)
    assert balance["v_weight"].to_dict() == pytest.approx(v)


def test_compare_cli_takes_predictors(reference_dir, tmp_path, capsys):
    """``compare --method synth --predictor ...`` on the loaded files, V chosen on 1955-1969.

    Over every pre-period year the weights move to 0.831 and 0.169, still within
    0.03 of the published 0.851 and 0.149 (which optimise over 1960-1969).
    """
    long = basque_long(reference_dir)
    measures = long[["site_code", "period", "measure", "value"]]
    measures.to_csv(tmp_path / "measures.csv", index=False)
    sites = long[["site_code", "regionname"]].drop_duplicates()
    treated = sites["regionname"] == BASQUE
    pd.DataFrame(
        {
            "site_code": sites["site_code"],
            "site_name": sites["regionname"],
            "group": np.where(treated, "intervention", "comparator"),
            "start_date": np.where(treated, "1970-01-01", ""),
        }
    ).to_csv(tmp_path / "sites.csv", index=False)
    db = str(tmp_path / "db.duckdb")
    assert (
        main(["load", str(tmp_path / "measures.csv"), str(tmp_path / "sites.csv"), "--db", db]) == 0
    )
    args = ["compare", "--measure", "gdpcap", "--method", "synth", "--db", db, "--json"]
    for text in PREDICTORS:
        args += ["--predictor", text]
    capsys.readouterr()
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["weights"]["ES10"] == pytest.approx(0.851, abs=0.03)
    assert out["weights"]["ES14"] == pytest.approx(0.149, abs=0.03)
    assert sum(out["v_weights"].values()) == pytest.approx(1.0)
    assert len(out["predictor_balance"]) == len(PREDICTORS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("imd_score", ("imd_score", None, None)),
        (
            "outcome:2019-01..2019-06",
            ("outcome", pd.Timestamp("2019-01-01"), pd.Timestamp("2019-06-01")),
        ),
        ("popdens:1969", ("popdens", pd.Timestamp("1969-01-01"), pd.Timestamp("1969-01-01"))),
    ],
)
def test_parse_predictor(text, expected):
    assert parse_predictor(text) == expected


@pytest.mark.parametrize("text", [":2019", "x:2020..2019", "x:soon..later"])
def test_bad_predictors_are_refused_plainly(text):
    with pytest.raises(PanelError, match="predictor"):
        parse_predictor(text)


def test_a_pooled_treated_unit_takes_its_sites_weighted_attribute():
    """Two intervention sites: the attribute is their mean weighted by pre-period denominators."""
    panel = make_panel(0.0)
    panel.loc[panel["site_code"] == "D00", ["group", "start_date"]] = [
        "intervention",
        panel.loc[panel["site_code"] == "T01", "start_date"].iloc[0],
    ]
    panel["denominator"] = np.where(panel["site_code"] == "D00", 3000.0, 1000.0)
    data = panel_dataprep(panel, chosen=[PredictorChoice("imd_score")])
    imd = panel.groupby("site_code")["imd_score"].first()
    assert data.X1["imd_score"] == pytest.approx((imd["T01"] * 1 + imd["D00"] * 3) / 4)
    assert data.X0.loc["imd_score"].to_dict() == pytest.approx(imd.drop(["T01", "D00"]).to_dict())


def test_a_predictor_no_site_has_is_refused():
    panel = make_panel(0.0).assign(population=np.nan)
    with pytest.raises(PanelError, match="no site has a population"):
        panel_dataprep(panel, chosen=[PredictorChoice("population")])


def test_other_methods_say_they_did_not_use_the_predictors():
    panel = make_panel(2.0)
    panel = panel.assign(
        granularity="month",
        period_end=panel["period_start"] + pd.offsets.MonthEnd(0),
        numerator=np.nan,
        denominator=np.nan,
    )
    definition = MeasureDefinition("m", "M", kind="value", has_counts=False)
    result = run_comparison(panel, definition, "did", [PredictorChoice(OUTCOME)])
    assert any("synthetic control only" in n for n in result.effect.notes)
