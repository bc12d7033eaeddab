"""The field loop: rosters of named teams, a plan's rows carrying their team's name and what became of them
(reported, or cancelled as 未开展), visit plans saved beside stall plans, and team leads' links; and the
installation's own settings (the key of ids worked out from names).

Existing plans are stall plans; their rows keep their sites and have no status until results arrive.

Revision ID: 0014
Revises: 0013
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("plans") as batch:
        batch.add_column(sa.Column("kind", sa.String(10), nullable=False, server_default="worker"))
    with op.batch_alter_table("plan_rows") as batch:
        batch.alter_column("site_id", existing_type=sa.String(64), nullable=True)
        batch.add_column(sa.Column("team_name", sa.String(40)))
        batch.add_column(sa.Column("enterprise_id", sa.String(600)))
        batch.add_column(sa.Column("route_order", sa.Integer))
        batch.add_column(sa.Column("probability", sa.Float))
        batch.add_column(sa.Column("expected_members", sa.Float))
        batch.add_column(sa.Column("status", sa.String(16)))
        batch.add_column(sa.Column("status_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("status_by", sa.String(64)))
        batch.add_column(sa.Column("status_note", sa.String(200)))
    op.create_table(
        "team_members",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("street_code", sa.String(9)),
        sa.Column("team", sa.String(40), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("phone", sa.String(30)),
        sa.Column("lead", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64)),
    )
    op.create_index("ix_team_members_district", "team_members", ["district"])
    op.create_index("ix_team_members_street_code", "team_members", ["street_code"])
    op.create_table(
        "field_links",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("team", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64)),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        sa.Column("last_used_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_field_links_plan_id", "field_links", ["plan_id"])
    settings = op.create_table(
        "settings",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    # the key of ids worked out from names (validate.IdRule): random per installation, never shown
    op.bulk_insert(settings, [{"name": "id_secret", "value": secrets.token_hex(32)}])


def downgrade() -> None:
    op.drop_table("settings")
    op.drop_table("field_links")
    op.drop_table("team_members")
    with op.batch_alter_table("plan_rows") as batch:
        for column in (
            "status_note",
            "status_by",
            "status_at",
            "status",
            "expected_members",
            "probability",
            "route_order",
            "enterprise_id",
            "team_name",
        ):
            batch.drop_column(column)
        batch.alter_column("site_id", existing_type=sa.String(64), nullable=False)
    with op.batch_alter_table("plans") as batch:
        batch.drop_column("kind")
