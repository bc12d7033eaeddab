"""Saved plans and their rows (ticked off as done; linked to uploaded results by session_id).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64)),
        sa.Column("request", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_plans"),
    )
    op.create_table(
        "plan_rows",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("plan_id", sa.Integer, nullable=False),
        sa.Column("session_id", sa.String(100), nullable=False),
        sa.Column("team", sa.Integer, nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("start_time", sa.Time, nullable=False),
        sa.Column("end_time", sa.Time, nullable=False),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("expected_applications", sa.Float),
        sa.Column("reason", sa.Text),
        sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("id", name="pk_plan_rows"),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name="fk_plan_rows_plan_id_plans", ondelete="CASCADE"),
        sa.UniqueConstraint("session_id", name="uq_plan_rows_session_id"),
    )
    op.create_index("ix_plan_rows_plan_id", "plan_rows", ["plan_id"])


def downgrade() -> None:
    op.drop_table("plan_rows")
    op.drop_table("plans")
