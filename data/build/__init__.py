"""Build the app's bundled default data (``data/default``) from ``../shared/data``.

Run ``python data/build_default_data.py``; the modules here are its parts:
:mod:`build.common` (formatting, checks, the summary), :mod:`build.reference`
(lookups of practices, PCNs, ICBs, areas and deprivation), :mod:`build.measures`
(one function per source file), :mod:`build.quintiles` (deprivation-quintile
pseudo-sites), :mod:`build.sites`, :mod:`build.definitions`
and :mod:`build.geo` (simplified boundaries). ``data/default/README.md`` says
what each output holds and why.
"""
