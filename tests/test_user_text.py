"""User-supplied text is shown as text, never as markdown (issue 19).

A site name and a measure label carrying markdown (an image from an outside address and a
``javascript:`` link) are loaded through the real chain; every page is opened with AppTest
and every element Streamlit renders as markdown (markdown, captions, alerts, in the page
and the sidebar) is scanned: the payload may appear only escaped, so no browser fetches
the image and no link is drawn.
"""

from __future__ import annotations

import pytest

from tests.helpers import app_on
from tests.shapes import (
    LA_DEFINITIONS,
    Shape,
    build,
    counts,
    csv,
    financial_years,
    local_authorities,
)
from tests.test_page_matrix import PAGES, open_page

IMAGE = "![x](http://evil.example/x.png)"
LINK = "[click](javascript:alert(1))"


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory):
    las = local_authorities()
    las.loc[las.index[0], "site_name"] = f"Halton {IMAGE} {LINK}"
    definitions = LA_DEFINITIONS.replace("Emergency admissions", f"Admissions {IMAGE} {LINK}")
    fy = financial_years()
    shape = Shape(
        "hostile_text",
        "local authorities whose names carry markdown",
        (
            ("sites.csv", csv(las)),
            ("definitions.csv", definitions.encode()),
            ("measures.csv", csv(counts(las, fy, "admissions_rate", 0.02, (20_000, 80_000)))),
        ),
    )
    return build(shape, tmp_path_factory.mktemp("hostile") / "hostile.duckdb")


def rendered_markdown(at) -> list[str]:
    bodies = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error"):
        bodies.extend(str(e.value) for e in getattr(at, kind))
        bodies.extend(str(e.value) for e in getattr(at.sidebar, kind))
    return bodies


@pytest.mark.parametrize("page", PAGES)
def test_no_page_renders_user_text_as_markdown(hostile_db, monkeypatch, page):
    with app_on(hostile_db, monkeypatch, timeout=180) as at:
        open_page(at, page)
        raw = [b for b in rendered_markdown(at) if IMAGE in b or LINK in b]
        assert raw == [], raw
