"""A kept sign-in's ticket is bound to the browser it was handed to: the hash of that browser's binding cookie.

Rows opened before have no binding; their tickets (two minutes long) can no longer be traded, so a browser signed in
at the moment of the upgrade asks for the password at its next reload.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("web_sessions") as batch:
        batch.add_column(sa.Column("bind_hash", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("web_sessions") as batch:
        batch.drop_column("bind_hash")
