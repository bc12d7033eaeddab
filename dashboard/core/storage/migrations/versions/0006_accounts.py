"""Accounts, roles and district scope; login attempts; the audit log; districts on uploads and plans.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("sso_email", sa.String(255)),
        sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("demo", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("name", name="pk_users"),
        sa.UniqueConstraint("sso_email", name="uq_users_sso_email"),
        sa.CheckConstraint("role in ('admin', 'leadership', 'planner')", name="ck_users_role"),
    )
    op.create_table(
        "user_districts",
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("district", sa.String(6), nullable=False),
        sa.PrimaryKeyConstraint("user_name", "district", name="pk_user_districts"),
        sa.ForeignKeyConstraint(
            ["user_name"], ["users.name"], name="fk_user_districts_user_name_users", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["district"], ["districts.adcode"], name="fk_user_districts_district_districts"),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_login_attempts"),
    )
    op.create_index("ix_login_attempts_name", "login_attempts", ["name"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16)),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("districts", sa.String(120)),
        sa.Column("detail", sa.Text),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    with op.batch_alter_table("uploads") as batch:
        batch.add_column(sa.Column("districts", sa.String(120)))
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("districts", sa.String(120)))


def downgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("districts")
    with op.batch_alter_table("uploads") as batch:
        batch.drop_column("districts")
    op.drop_table("audit_log")
    op.drop_table("login_attempts")
    op.drop_table("user_districts")
    op.drop_table("users")
