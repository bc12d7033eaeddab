"""Annual targets for leadership's progress view (city-wide when district is empty).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "targets",
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("district", sa.String(6), nullable=False),  # "" for the whole city
        sa.Column("metric", sa.String(32), nullable=False),
        sa.Column("value", sa.Integer, nullable=False),
        sa.Column("set_by", sa.String(64)),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("year", "district", "metric", name="pk_targets"),
        sa.CheckConstraint("value >= 0", name="ck_targets_non_negative"),
    )


def downgrade() -> None:
    op.drop_table("targets")
