"""Storage: the tables, their migrations, the engine, and the audit log written beside every change.

Offers :mod:`.schema` (SQLAlchemy tables, the single source of column limits), :mod:`.db` (engine from
``OUTREACH_DB_URL`` or the embedded SQLite file, Alembic upgrades, write locks, storage errors in plain words) and
:mod:`.audit` (who did what, in the change's own transaction). Every other part writes through these.
"""
