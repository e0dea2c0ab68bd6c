"""A small store of real-data slices for the Compare areas, Funnel, SPC and Inequalities tests.

Slices of the bundled data (``data/default``), chosen to exercise every path:

* falls admissions 65+ (DSR with counts and published intervals): the North West
  districts, England and England's IMD-decile pseudo-sites ``E92000001-DLAD-01…10``;
* smoking prevalence (proportion with counts): 8 practices per IMD quintile in the
  Cheshire & Merseyside ICB (3 of each marked intervention from April 2023, an example
  grouping) plus David Lewis Medical Practice, whose 2022/23 count is 1–7 (suppressed);
* breast screening coverage (no polarity): practices, PCNs, sub-ICBs, ICBs and England;
* cervical screening QOF medians (value only): the ICB's practice-quintile pseudo-sites
  (``PQ1-2``, ``PQ3``–``PQ5``) and England's ``PQ1``–``PQ5``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.store import Store
from tests.helpers import load

DEFAULT = Path(__file__).resolve().parents[1] / "data" / "default"
ICB = "E54000008"
SMALL_COUNT_PRACTICE = "Y05750"
START = "2023-04-01"


def _ancestors(sites: pd.DataFrame, codes: set[str]) -> set[str]:
    parent = sites.set_index("site_code")["parent_code"].dropna().to_dict()
    found = set(codes)
    frontier = set(codes)
    while frontier:
        frontier = {parent[c] for c in frontier if c in parent} - found
        found |= frontier
    return found


def smoking_practices(sites: pd.DataFrame, smoking: pd.DataFrame) -> pd.DataFrame:
    """8 practices per IMD quintile in the ICB with counts above 7 in both years."""
    pcns = set(
        sites.loc[(sites["site_type"] == "pcn") & (sites["parent_code"] == ICB), "site_code"]
    )
    practices = sites[(sites["site_type"] == "practice") & sites["parent_code"].isin(pcns)]
    both = smoking[smoking["numerator"] > 7].groupby("site_code")["period"].nunique()
    eligible = practices[practices["site_code"].isin(both[both == 2].index)]
    eligible = eligible.dropna(subset=["imd_quintile"]).sort_values("site_code")
    return eligible.groupby("imd_quintile").head(8)


def slices() -> dict[str, pd.DataFrame]:
    """The sites, definitions and measures files of the test store (as DataFrames)."""
    sites = pd.read_csv(DEFAULT / "sites.csv", dtype=str)
    sites["imd_quintile"] = pd.to_numeric(sites["imd_quintile"])
    falls = pd.read_csv(DEFAULT / "measures" / "falls_admissions_65plus.csv", dtype={"period": str})
    falls = falls[~falls["site_code"].str.startswith(("E54", "E10"))]
    smoking_all = pd.read_csv(DEFAULT / "measures" / "smoking_prevalence_qof.csv", dtype=str)
    smoking_all[["numerator"]] = smoking_all[["numerator"]].apply(pd.to_numeric)
    chosen = smoking_practices(sites, smoking_all)
    codes = set(chosen["site_code"]) | {SMALL_COUNT_PRACTICE}
    smoking = smoking_all[smoking_all["site_code"].isin(codes)]
    breast = pd.read_csv(DEFAULT / "measures" / "breast_screening_coverage.csv", dtype=str)
    quintiles = pd.concat(
        [
            pd.read_csv(DEFAULT / "measures" / "practice_imd_quintile_icb.csv", dtype=str),
            pd.read_csv(DEFAULT / "measures" / "practice_imd_quintile_region.csv", dtype=str),
        ]
    )
    cervical = quintiles[
        (quintiles["measure"] == "cervical_screening_qof_25_49")
        & (
            quintiles["site_code"].str.startswith(f"{ICB}-")
            | quintiles["site_code"].str.startswith("E92000001-PQ")
        )
    ]
    measures = {
        "falls.csv": falls,
        "smoking.csv": smoking,
        "breast.csv": breast,
        "cervical.csv": cervical,
    }
    used = set().union(*(set(m["site_code"]) for m in measures.values()))
    site_rows = sites[sites["site_code"].isin(_ancestors(sites, used))].copy()
    intervention = chosen.groupby("imd_quintile").head(3)["site_code"]
    marked = site_rows["site_code"].isin(intervention)
    site_rows.loc[marked, "group"] = "intervention"
    site_rows.loc[marked, "start_date"] = START
    definitions = pd.read_csv(DEFAULT / "measure_definitions.csv", dtype=str)
    names = {m["measure"].iloc[0] for m in measures.values()}
    return {
        "sites.csv": site_rows,
        "definitions.csv": definitions[definitions["measure"].isin(names)],
        **measures,
    }


def inequality_store(path: Path) -> Store:
    """A store at ``path`` holding :func:`slices`, loaded as a user would load files."""
    store = Store(path)
    files = [(name, frame.to_csv(index=False).encode()) for name, frame in slices().items()]
    load(store, *files)
    return store
