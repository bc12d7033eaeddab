"""The dashboard's core: everything but the pages. No module here imports streamlit.

Sub-packages, lowest first; a module imports only from its own package or from one listed above it
(``tests/unit/test_architecture.py`` keeps that direction):

- :mod:`~dashboard.core.messages`, :mod:`~dashboard.core.text`, :mod:`~dashboard.core.export`: problems in two
  languages, printable text, formula-safe files; read by every part.
- :mod:`~dashboard.core.geo`: districts, coordinate systems, map layers.
- :mod:`~dashboard.core.storage`: the database: schema, migrations, engine, locks, the audit log.
- :mod:`~dashboard.core.intake`: getting data in: reading files, validating rows, writing them whole or not at all.
- :mod:`~dashboard.core.recommender`: the calendar, features, the model, its evaluation and the week planner.
- :mod:`~dashboard.core.reports`: KPIs, queries, targets, saved plans, calendar files.
- :mod:`~dashboard.core.access`: who may do what: accounts, scopes, and the gateway every page and command uses.

See ``ARCHITECTURE.md`` for the flows through them.
"""
