"""Calendar overrides: an administrator's word on a date (e.g. next year's 调休 before the library knows it).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_overrides",
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("day_type", sa.String(16), nullable=False),
        sa.Column("note", sa.String(200)),
        sa.Column("set_by", sa.String(64)),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("date", name="pk_calendar_overrides"),
        sa.CheckConstraint(
            "day_type in ('workday', 'weekend', 'holiday', 'makeup_workday')", name="ck_calendar_overrides_day_type"
        ),
    )


def downgrade() -> None:
    op.drop_table("calendar_overrides")
