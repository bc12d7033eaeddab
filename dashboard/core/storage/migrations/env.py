"""Alembic environment: always run with a connection handed in by :func:`dashboard.core.storage.db.upgrade`."""

from alembic import context

from dashboard.core.storage.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite can only alter tables by copying them; batch mode does that safely
)
with context.begin_transaction():
    context.run_migrations()
