"""The Compare page's synthetic control predictors (AppTest on the North West falls fixture)."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.test_pages import run_page


def test_synthetic_control_predictors_are_chosen_and_their_weights_shown(app):
    at = run_page(app, "pages/compare.py")
    assert not [m for m in at.multiselect if m.label == "Predictors"]
    at.radio(key="method").set_value("synth").run()
    picker = next(m for m in at.multiselect if m.label == "Predictors")
    at.multiselect(key=picker.key).set_value(["outcome", "imd_score"]).run()
    assert not at.exception, [e.message for e in at.exception]
    table = next(d.value for d in at.dataframe if "v_weight" in d.value.columns)
    assert isinstance(table, pd.DataFrame) and len(table) == 2
    assert table["v_weight"].sum() == pytest.approx(1.0)
    assert any("Predictor weights (V)" in m.value for m in at.markdown)
