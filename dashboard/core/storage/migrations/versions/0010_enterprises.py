"""The enterprise register (企业沟通会) and, apart from it, the personal data of each enterprise's head.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enterprises",
        sa.Column("enterprise_id", sa.String(32), primary_key=True),
        sa.Column("credit_code", sa.String(18), unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("district", sa.String(6), sa.ForeignKey("districts.adcode"), nullable=False),
        sa.Column("street", sa.String(100)),
        sa.Column("address", sa.String(200)),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("industry", sa.String(1)),
        sa.Column("staff", sa.Integer),
        sa.Column("union_status", sa.String(8), nullable=False),
        sa.Column("union_founded_on", sa.Date),
        sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id")),
    )
    op.create_index("ix_enterprises_district", "enterprises", ["district"])
    op.create_table(
        "enterprise_contacts",
        sa.Column(
            "enterprise_id",
            sa.String(32),
            sa.ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("head_name", sa.String(50)),
        sa.Column("contact", sa.String(100)),
    )


def downgrade() -> None:
    op.drop_table("enterprise_contacts")
    op.drop_index("ix_enterprises_district", table_name="enterprises")
    op.drop_table("enterprises")
