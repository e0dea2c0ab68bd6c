"""Page logic with Streamlit's AppTest on a real DuckDB fixture database.

The store is a ``cache_resource``; each test points ``HIOD_DB`` at its own
file and clears the resource cache so the app opens that file.
"""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.helpers import FIXTURES, release_app_store

TIMEOUT = 60


def run_page(at: AppTest, page: str) -> AppTest:
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_overview_headline_numbers(app):
    at = run_page(app, "pages/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Sites"] == "11"
    assert metrics["Measures"] == "1"
    assert metrics["Rows"] == "66"
    headline = at.table[0].value
    falls = headline.iloc[0]
    assert falls["Latest period"] == "2023/24"
    assert falls["Intervention sites"] == "3"
    assert falls["Comparator sites"] == "7"  # other districts; England is not a comparator
    assert falls["Better when"] == "lower"
    assert falls["Unit"] == "per 100,000"
    # pooled rate of the three intervention districts in 2023/24, from the fixture's counts
    rows = pd.read_csv(FIXTURES / "falls_nw_slice.csv")
    latest = rows[
        rows["site_code"].isin(["E08000015", "E08000013", "E06000049"])
        & (rows["period"] == "2023/24")
    ]
    expected = latest["numerator"].sum() / latest["denominator"].sum() * 100000
    assert falls["Intervention"] == f"{expected:,.1f}"
    assert metrics["Last load"].endswith(str(pd.Timestamp.now().year))
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    assert charts, "a trend chart is drawn"


def test_data_page_upload_loads_and_reports(app):
    at = run_page(app, "pages/data.py")
    upload = (
        "site_code,period,measure,numerator,denominator\n"
        "E08000015,2024/25,falls_admissions_65plus,1700,70000\n"
    )
    at.file_uploader[0].set_value(("new.csv", upload.encode(), "text/csv"))
    at.run()
    at.button[1].click().run()  # Check and load
    assert not at.exception
    assert any("new.csv: loaded" in s.value for s in at.success)
    detected = at.dataframe[0].value
    assert detected.iloc[0]["Rows"] == 1


def test_data_page_lists_every_error(app):
    at = run_page(app, "pages/data.py")
    bad = (
        "site_code,period,measure,numerator,denominator\n"
        "E08000015,2024/25,falls_admissions_65plus,-1,70000\nX1,2024/25,falls_admissions_65plus,1,0\n"
    )
    at.file_uploader[0].set_value(("bad.csv", bad.encode(), "text/csv"))
    at.run()
    at.button[1].click().run()
    assert any("Nothing was loaded" in e.value for e in at.error)
    errors = at.dataframe[0].value
    found = set(zip(errors["row"], errors["column"], strict=True))
    assert {(2, "numerator"), (3, "site_code"), (3, "denominator")} <= found


def test_data_page_rollback(app):
    at = run_page(app, "pages/data.py")
    history = at.dataframe[0].value
    assert len(history) == 3
    assert history["Loaded"].str.match(r"\d\d \w{3} 20\d\d \d\d:\d\d").all()
    at.selectbox(key="rollback_choice").set_value(3).run()
    at.button(key="rollback").click().run()
    assert not at.exception
    history = at.dataframe[0].value
    assert history.set_index("Load").loc[3, "Status"] == "rolled back"


def test_sites_page_saves_grouping(app):
    at = run_page(app, "pages/sites.py")
    assert any("intervention: 3" in c.value for c in at.caption)
    table = at.data_editor[0].value
    position = int((table["site_code"] == "E08000011").to_numpy().nonzero()[0][0])
    at.session_state["grouping_editor"] = {
        "edited_rows": {position: {"group": "intervention", "start_date": "2022-04-01"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    save = next(b for b in at.button if b.label.startswith("Save grouping"))
    assert save.label == "Save grouping (1 change(s))"
    save.click().run()
    assert not at.exception
    assert any("intervention: 4" in c.value for c in at.caption)


def test_about_page_has_attribution(app):
    at = run_page(app, "pages/about.py")
    assert any("Open Government Licence" in m.value for m in at.markdown)


def test_compare_page_shows_the_estimate_with_its_interval(app, tmp_path):
    from analysis.store import Store
    from analysis.usecases import comparison_for

    at = run_page(app, "pages/compare.py")
    metrics = {m.label: m.value for m in at.metric}
    assert "Effect (per 100,000)" in metrics
    release_app_store()
    import os

    store = Store(os.environ["HIOD_DB"], read_only=True)
    expected = comparison_for(store, "falls_admissions_65plus").effect
    store.close()
    assert metrics["Effect (per 100,000)"] == f"{expected.estimate:,.1f}"
    # randomisation inference over few placebo sets attains its level, e.g. 96% (a note says)
    label = f"{expected.confidence:.0%} interval"
    assert metrics[label] == f"{expected.ci_low:,.1f} to {expected.ci_high:,.1f}"
    assert any("Credibility scorecard" in h.value for h in at.subheader)
    assert any("includes no effect" in i.value or "more than" in i.value for i in at.info)


def test_start_rules_draw_nothing_when_no_site_has_started():
    from analysis.charts import start_rules

    empty = start_rules(pd.Series([pd.NaT], dtype="datetime64[ns]")).to_dict()
    one = start_rules(pd.Series([pd.Timestamp("2021-04-01")])).to_dict()
    assert all(not rows for rows in empty["datasets"].values())
    labels = [v["label"] for d in one["datasets"].values() for v in d]
    assert labels == ["start Apr 2021"]
