"""AppTest for Compare areas, Funnel plot, SPC and Inequalities on a store of real-data slices.

Each page must render without an exception, and the headline numbers it shows
must equal what the analysis functions return for the same choices.
"""

from __future__ import annotations

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from analysis.areas import compare_areas
from analysis.arms import build_panel
from analysis.funnel_view import funnel_view
from analysis.inequality_change_view import gap_change
from analysis.inequality_view import inequality_result
from analysis.site_levels import Level, level_rows
from analysis.spc_view import arm_series, site_series, spc_view
from analysis.store import Store
from tests.helpers import app_on
from tests.inequality_helpers import ICB, SMALL_COUNT_PRACTICE, inequality_store

TIMEOUT = 90


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("pages") / "pages.duckdb"
    inequality_store(path).close()
    return path


@pytest.fixture(scope="module")
def data(db):
    """The store's tables, read once (before any app opens the file)."""
    store = Store(db, read_only=True)
    try:
        return {
            "sites": store.sites(),
            **{m: store.panel_rows(m) for m in store.measure_names()},
        }
    finally:
        store.close()


@pytest.fixture
def app(db, data, monkeypatch):
    with app_on(db, monkeypatch) as at:
        yield at


def open_page(at: AppTest, page: str, measure: str) -> AppTest:
    at.session_state["measure"] = measure
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def chart_specs(at: AppTest) -> list[str]:
    """Each chart's spec and its inline datasets (Arrow, decoded) as one text to search."""
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    texts = []
    for chart in charts:
        tables = [
            pa.ipc.open_stream(d.data.data)
            .read_all()
            .to_pandas()
            .to_json(orient="records", date_format="iso")
            for d in chart.proto.datasets
        ]
        texts.append(chart.proto.spec + "".join(tables))
    return texts


def test_compare_areas_falls_against_england(app, data):
    at = open_page(app, "pages/areas.py", "falls_admissions_65plus")
    assert at.selectbox(key="areas_level_falls_admissions_65plus").value == (
        "Local authorities (districts and UAs)"
    )
    assert at.selectbox(key="areas_benchmark_falls_admissions_65plus").value == "england"
    expected = compare_areas(
        data["falls_admissions_65plus"],
        data["sites"],
        level=Level("la"),
        period_label="2023/24",
        measure_kind="rate",
        multiplier=100_000,
        higher_is_better=False,
        benchmark="england",
    )
    shown = metrics(at)
    assert shown["Sites"] == f"{len(expected.table):,}"
    for verdict in ("better", "similar", "worse"):
        assert shown[verdict.capitalize()] == f"{expected.counts.get(verdict, 0):,}"
    assert shown["Benchmark"] == f"{expected.benchmark.value:,.1f}"
    assert any("Byar" in c.value or "Dobson" in c.value for c in at.caption)
    assert chart_specs(at)
    at.radio(key="areas_confidence").set_value(0.998).run()
    assert not at.exception
    stricter = compare_areas(
        data["falls_admissions_65plus"],
        data["sites"],
        level=Level("la"),
        period_label="2023/24",
        measure_kind="rate",
        multiplier=100_000,
        higher_is_better=False,
        benchmark="england",
        confidence=0.998,
    )
    assert metrics(at)["Similar"] == f"{stricter.counts.get('similar', 0):,}"


def test_compare_areas_practices_suppressed_on_table_and_chart(app, data):
    at = open_page(app, "pages/areas.py", "smoking_prevalence_qof")
    assert at.selectbox(key="areas_level_smoking_prevalence_qof").value == (
        "PCNs (pooled from GP practices)"
    )
    at.selectbox(key="areas_level_smoking_prevalence_qof").set_value("GP practices").run()
    assert not at.exception
    table = at.dataframe[0].value.set_index("site_code")
    assert table.loc[SMALL_COUNT_PRACTICE, "value"] == "*"
    assert table.loc[SMALL_COUNT_PRACTICE, "comparison"] == "suppressed"
    for spec in chart_specs(at):
        assert SMALL_COUNT_PRACTICE not in spec
    assert any("1–7" in i.value for i in at.info)


def test_compare_areas_breast_screening_pcns(app, data):
    at = open_page(app, "pages/areas.py", "breast_screening_coverage")
    assert at.selectbox(key="areas_level_breast_screening_coverage").value == "PCNs"
    expected = compare_areas(
        data["breast_screening_coverage"],
        data["sites"],
        level=Level("pcn"),
        period_label="2023/24",
        measure_kind="proportion",
        multiplier=100,
        higher_is_better=None,
        benchmark="england",
    )
    shown = metrics(at)
    assert shown["Higher"] == f"{expected.counts.get('higher', 0):,}"
    assert shown["Lower"] == f"{expected.counts.get('lower', 0):,}"


def test_funnel_page_numbers(app, data):
    at = open_page(app, "pages/funnel.py", "smoking_prevalence_qof")
    rows = data["smoking_prevalence_qof"]
    at_level = level_rows(rows, data["sites"], Level("pcn", "practice"), 100)
    view = funnel_view(
        at_level[at_level["period_label"] == "2023/24"],
        measure_kind="proportion",
        multiplier=100,
        higher_is_better=False,
    )
    shown = metrics(at)
    assert shown["Outside 95% limits"] == f"{int(view.points['outside_95'].sum()):,}"
    assert shown["Outside 99.8% limits"] == f"{int(view.points['outside_99_8'].sum()):,}"
    assert shown["Overall (%)"] == f"{view.baseline:,.1f}"
    at.toggle(key="funnel_overdispersion").set_value(True).run()
    assert not at.exception
    assert any("Spiegelhalter" in c.value for c in at.caption)


def test_funnel_page_refuses_value_only(app):
    at = open_page(app, "pages/funnel.py", "cervical_screening_qof_25_49")
    assert any("needs counts" in w.value for w in at.warning)


def test_spc_page_pooled_and_site(app, data):
    at = open_page(app, "pages/spc.py", "falls_admissions_65plus")
    panel = build_panel(data["falls_admissions_65plus"])
    view = spc_view(arm_series(panel, "intervention", 100_000), improvement="decrease")
    assert metrics(at)["Mean (per 100,000)"] == f"{view.summary.mean:,.2f}"
    assert any("Short series: 6 points" in i.value for i in at.info)
    at.radio(key="spc_series").set_value("site").run()
    at.selectbox(key="spc_site").set_value("E08000015").run()
    at.checkbox(key="spc_use_target").check().run()
    at.number_input(key="spc_target").set_value(2000.0).run()
    assert not at.exception
    wirral = spc_view(
        site_series(data["falls_admissions_65plus"], "E08000015"),
        improvement="decrease",
        target=2000.0,
    )
    assert metrics(at)["Mean (per 100,000)"] == f"{wirral.summary.mean:,.2f}"
    texts = " ".join(m.value for m in at.markdown)
    assert wirral.summary.variation_label in texts
    assert wirral.summary.assurance_label in texts
    options = at.selectbox(key="spc_rebase").options
    at.selectbox(key="spc_rebase").set_value(options[1]).run()  # too early: a clear message
    assert any("each baseline needs" in e.value for e in at.error)


def test_inequalities_falls_by_decile(app, data):
    at = open_page(app, "pages/inequalities.py", "falls_admissions_65plus")
    expected = inequality_result(
        data["falls_admissions_65plus"], data["sites"], kind="rate", multiplier=100_000
    )
    latest = expected.latest()
    shown = metrics(at)
    assert shown["SII (per 100,000)"] == f"{latest['sii']:,.2f}"
    assert shown["RII"] == f"{latest['rii']:,.3f}"
    assert shown["Gap (per 100,000)"] == f"{latest['gap']:,.2f}"
    assert any("2023/24" in c.value for c in at.caption)
    assert any("least deprived end minus the most deprived end" in c.value for c in at.caption)
    assert any("every IMD quintile" in w.value for w in at.warning)  # bundled-style grouping
    assert len(chart_specs(at)) >= 3


def test_inequalities_cervical_by_icb_over_time(app, data):
    at = open_page(app, "pages/inequalities.py", "cervical_screening_qof_25_49")
    at.selectbox(key="ineq_area_cervical_screening_qof_25_49_other").set_value(ICB).run()
    assert not at.exception
    expected = inequality_result(
        data["cervical_screening_qof_25_49"],
        data["sites"],
        kind="proportion",
        multiplier=100,
        area=ICB,
    )
    shown = metrics(at)
    assert shown["SII"] == "—"
    latest = expected.latest()
    assert shown["Gap (percentage points)"] == f"{latest['gap']:,.2f}"
    assert any("understated" in t.value for t in at.text)


def test_inequalities_smoking_practices_gap_narrowed(app, data):
    at = open_page(app, "pages/inequalities.py", "smoking_prevalence_qof")
    change = gap_change(
        build_panel(data["smoking_prevalence_qof"]),
        kind="proportion",
        multiplier=100,
        unit="%",
        higher_is_better=False,
    )
    statement = " ".join(t.value for t in at.text)
    assert change.statement.splitlines()[1] in statement
    assert "slope index of inequality across all GP practices" in statement
    shown = metrics(at)
    assert "Change in the SII (percentage points)" in shown
    assert "What these numbers mean" in [e.label for e in at.expander]
    table = at.dataframe[-1].value.set_index("measure")
    assert table.loc["SII", "estimate"] == f"{change.change.sii.estimate:.2f}"
    assert not any("every IMD quintile" in w.value for w in at.warning)
