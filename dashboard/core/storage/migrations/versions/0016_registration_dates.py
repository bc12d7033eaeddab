"""Registration dates: a register row may carry the enterprise's 成立日期 (when it was registered), which the visit
model reads as its age (a young firm is not an old one that has resisted for years).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("enterprises") as batch:
        batch.add_column(sa.Column("registered_on", sa.Date))


def downgrade() -> None:
    with op.batch_alter_table("enterprises") as batch:
        batch.drop_column("registered_on")
