"""Import boundaries (DESIGN.md): streamlit only in app.py and pages/; duckdb only in
the store; estimators import neither. Walks the syntax tree like great_tables' check."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_analysis_never_imports_streamlit():
    offenders = [
        p.name for p in (REPO / "analysis").rglob("*.py") if "streamlit" in imported_modules(p)
    ]
    assert offenders == []


def test_only_the_store_imports_duckdb():
    users = sorted(
        p.name for p in (REPO / "analysis").rglob("*.py") if "duckdb" in imported_modules(p)
    )
    assert users == ["store.py"]


def test_pages_hold_no_sql_or_statistics():
    for page in [REPO / "app.py", *(REPO / "pages").glob("*.py")]:
        modules = imported_modules(page)
        assert not modules & {"duckdb", "scipy", "statsmodels"}, page.name
        assert "SELECT " not in page.read_text(), page.name


def full_imports(path: Path) -> set[str]:
    """Every ``module`` and ``module.name`` a file imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


# The chain store → panel → method → events → £ (DESIGN.md: one use-case layer).
CHAIN = {
    "analysis.compare.run_comparison",
    "analysis.events_avoided.events_avoided_from_effect",
    "analysis.savings.simulate_savings",
    "analysis.did",
    "analysis.its",
    "analysis.synth_inference",
    "analysis.ingest.prepare_batch",
}
CALLERS = [
    REPO / "app.py",
    *(REPO / "pages").glob("*.py"),
    *(REPO / "analysis").glob("cli*.py"),
    *(REPO / "analysis").glob("report*.py"),
]


def test_pages_cli_and_report_reach_the_methods_only_through_the_use_cases():
    offenders = {
        p.name: sorted(full_imports(p) & CHAIN) for p in CALLERS if full_imports(p) & CHAIN
    }
    assert offenders == {}
