"""Upload audit: one row per import, and which upload last wrote each site and session.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "uploads",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by", sa.String(64)),
        sa.Column("rows_total", sa.Integer, nullable=False),
        sa.Column("rows_inserted", sa.Integer, nullable=False),
        sa.Column("rows_updated", sa.Integer, nullable=False),
        sa.Column("rows_unchanged", sa.Integer, nullable=False),
        sa.Column("rows_rejected", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_uploads"),
    )
    op.create_index("ix_uploads_sha256", "uploads", ["sha256"])
    for table in ("sites", "sessions"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("upload_id", sa.Integer))
            batch.create_foreign_key(f"fk_{table}_upload_id_uploads", "uploads", ["upload_id"], ["id"])


def downgrade() -> None:
    for table in ("sites", "sessions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_upload_id_uploads", type_="foreignkey")
            batch.drop_column("upload_id")
    op.drop_index("ix_uploads_sha256", "uploads")
    op.drop_table("uploads")
