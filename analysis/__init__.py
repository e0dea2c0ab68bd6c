"""Health inequalities outcomes dashboard: everything that computes.

Pure functions over pandas DataFrames (estimators, rates, savings) plus the
ingest and store layers. See ARCHITECTURE.md for the module map.
"""

__version__ = "0.1.0"
