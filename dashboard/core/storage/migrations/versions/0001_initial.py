"""Districts, sites and sessions.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "districts",
        sa.Column("adcode", sa.String(6), primary_key=True),
        sa.Column("name_zh", sa.String(16), nullable=False),
        sa.Column("name_en", sa.String(32), nullable=False),
        sa.Column("area_km2", sa.Float),
        sa.PrimaryKeyConstraint("adcode", name="pk_districts"),
    )
    op.create_table(
        "sites",
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("street", sa.String(100)),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("site_type", sa.String(64)),
        sa.Column("workers_nearby", sa.Integer),
        sa.PrimaryKeyConstraint("site_id", name="pk_sites"),
        sa.ForeignKeyConstraint(["district"], ["districts.adcode"], name="fk_sites_district_districts"),
    )
    op.create_index("ix_sites_district", "sites", ["district"])
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("session_key", sa.String(200), nullable=False),
        sa.Column("session_id", sa.String(100)),
        sa.Column("session_type", sa.String(16), nullable=False),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("start_time", sa.Time, nullable=False),
        sa.Column("end_time", sa.Time, nullable=False),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("site_id", sa.String(64)),
        sa.Column("staff", sa.Integer),
        sa.Column("consultations", sa.Integer),
        sa.Column("applications", sa.Integer),
        sa.Column("members_joined", sa.Integer),
        sa.Column("enterprises_reached", sa.Integer),
        sa.Column("unions_founded", sa.Integer),
        sa.Column("notes", sa.Text),
        sa.Column("row_hash", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sessions"),
        sa.UniqueConstraint("session_key", name="uq_sessions_session_key"),
        sa.ForeignKeyConstraint(["district"], ["districts.adcode"], name="fk_sessions_district_districts"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.site_id"], name="fk_sessions_site_id_sites"),
        sa.CheckConstraint("session_type in ('worker', 'enterprise')", name="ck_sessions_session_type"),
        sa.CheckConstraint("end_time > start_time", name="ck_sessions_end_after_start"),
    )
    op.create_index("ix_sessions_date", "sessions", ["date"])
    op.create_index("ix_sessions_district", "sessions", ["district"])
    op.create_index("ix_sessions_site_id", "sessions", ["site_id"])


def downgrade() -> None:
    op.drop_table("sessions")
    op.drop_table("sites")
    op.drop_table("districts")
