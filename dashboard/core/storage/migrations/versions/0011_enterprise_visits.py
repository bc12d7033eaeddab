"""What came of each enterprise visit (沟通 → 有意向 → 已建会 / 暂不建会), and the editable list of service packages.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# As at this revision (the schema module's list may change later; a migration must not).
SERVICES = (
    ("legal", "法律服务", "Legal services"),
    ("training", "职工培训", "Staff training"),
    ("hardship", "困难帮扶", "Hardship support"),
    ("culture", "文体活动", "Culture and sports"),
    ("care", "心理关爱", "Mental health care"),
    ("matchmaking", "婚恋交友", "Matchmaking"),
    ("other", "其他", "Other"),
)


def upgrade() -> None:
    op.create_table(
        "enterprise_visits",
        sa.Column("visit_key", sa.String(48), primary_key=True),
        sa.Column(
            "enterprise_id",
            sa.String(32),
            sa.ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("district", sa.String(6), sa.ForeignKey("districts.adcode"), nullable=False),
        sa.Column("visited_on", sa.Date, nullable=False),
        sa.Column("session_id", sa.String(100)),
        sa.Column("outcome", sa.String(12), nullable=False),
        sa.Column("founded_on", sa.Date),
        sa.Column("union_kind", sa.String(8)),
        sa.Column("members", sa.Integer),
        sa.Column("reason", sa.String(200)),
        sa.Column("services_offered", sa.String(200)),
        sa.Column("services_asked", sa.String(200)),
        sa.Column("notes", sa.Text),
        sa.Column("row_hash", sa.String(32), nullable=False),
        sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id")),
        sa.CheckConstraint("outcome in ('held', 'interested', 'founded', 'declined')", name="visit_outcome"),
    )
    op.create_index("ix_enterprise_visits_enterprise_id", "enterprise_visits", ["enterprise_id"])
    op.create_index("ix_enterprise_visits_district", "enterprise_visits", ["district"])
    op.create_index("ix_enterprise_visits_visited_on", "enterprise_visits", ["visited_on"])
    services = op.create_table(
        "service_packages",
        sa.Column("key", sa.String(16), primary_key=True),
        sa.Column("zh", sa.String(40), nullable=False, unique=True),
        sa.Column("en", sa.String(60), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.bulk_insert(
        services,
        [{"key": k, "zh": zh, "en": en, "position": i, "active": True} for i, (k, zh, en) in enumerate(SERVICES)],
    )


def downgrade() -> None:
    op.drop_table("service_packages")
    op.drop_index("ix_enterprise_visits_visited_on", table_name="enterprise_visits")
    op.drop_index("ix_enterprise_visits_district", table_name="enterprise_visits")
    op.drop_index("ix_enterprise_visits_enterprise_id", table_name="enterprise_visits")
    op.drop_table("enterprise_visits")
