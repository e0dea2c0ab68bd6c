"""About: sources, licences and methods."""

import streamlit as st

from analysis.provenance import tool_version
from pages import _ui

st.title("About")
st.markdown(
    f"""
Health inequalities outcomes dashboard, version **{tool_version()}**: load site
measures, compare intervention areas with comparator areas, see whether inequalities
narrowed, and turn the effect into cost savings with honest uncertainty.

**Data bundled by default** (built by `data/build_default_data.py` from public sources; see
`data/default/README.md`): OHID Fingertips extracts (falls admissions aged 65+, breast
screening, smoking prevalence), cervical screening by practice and PCN, NHS England practice
to PCN and ICB mappings, IMD 2019 deprivation, ONS boundaries.

{_ui.ATTRIBUTION}

Extracts via the repositories credited in `data/default/README.md` (Trafford Data Lab,
Health Equity Evidence Centre, BBC Data Unit, R. Blackwell, DHSC FingertipsNext, NHS England).

**Disclosure control**: counts from 1 to 7 are suppressed (shown as `*`), with every value
derived from them, on every page and export (NHS Digital HES practice, ISB 1523).
"""
)
