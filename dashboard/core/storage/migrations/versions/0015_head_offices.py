"""Head offices: a register row may name the head office (上级单位) that decides for it, by its register id.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enterprises") as batch:
        batch.add_column(sa.Column("head_office_id", sa.String(32)))


def downgrade() -> None:
    with op.batch_alter_table("enterprises") as batch:
        batch.drop_column("head_office_id")
