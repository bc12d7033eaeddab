"""Saved plan rows keep their 80% interval and whether they were picked to learn, for the plan-vs-actual view.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plan_rows") as batch:
        batch.add_column(sa.Column("applications_low", sa.Float))
        batch.add_column(sa.Column("applications_high", sa.Float))
        batch.add_column(sa.Column("learn", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("plan_rows") as batch:
        batch.drop_column("learn")
        batch.drop_column("applications_high")
        batch.drop_column("applications_low")
