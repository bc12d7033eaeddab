"""Streets: a street code (the 9-digit statistical code) on sites, sessions, enterprises, visits and plan rows,
accounts scoped to streets, targets per street, and room for street codes wherever districts are listed.

Existing rows keep their values. A site's or an enterprise's street typed as text is resolved within its district
when the name is Beijing's (see :mod:`dashboard.core.geo.streets`); text that names no street stays as it was, with
no code. Sessions and plan rows take their site's code, visits their enterprise's.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

CODED = ("sites", "sessions", "enterprises", "enterprise_visits", "plan_rows")
LISTS = ("uploads", "plans", "audit_log")  # their comma-separated "districts" may now hold street codes


def _resolve_text(table: str) -> None:
    from dashboard.core.geo import streets

    conn = op.get_bind()
    rows = conn.execute(sa.text(f"SELECT DISTINCT district, street FROM {table} WHERE street IS NOT NULL")).all()
    for district, text in rows:
        code = streets.resolve(text, district)
        if code is not None:
            conn.execute(
                sa.text(f"UPDATE {table} SET street_code = :code, street = :name WHERE district = :d AND street = :t"),
                {"code": code, "name": streets.name(code), "d": district, "t": text},
            )


def upgrade() -> None:
    for table in CODED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("street_code", sa.String(9)))
            batch.create_index(f"ix_{table}_street_code", ["street_code"])
    for table in LISTS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("districts", type_=sa.Text, existing_type=sa.String(120))
    with op.batch_alter_table("targets") as batch:
        batch.alter_column("district", type_=sa.String(9), existing_type=sa.String(6), existing_nullable=False)
    op.create_table(
        "user_streets",
        sa.Column("user_name", sa.String(64), sa.ForeignKey("users.name", ondelete="CASCADE"), primary_key=True),
        sa.Column("street_code", sa.String(9), primary_key=True),
    )
    _resolve_text("sites")
    _resolve_text("enterprises")
    op.execute(
        "UPDATE sessions SET street_code = (SELECT s.street_code FROM sites s WHERE s.site_id = sessions.site_id) "
        "WHERE site_id IS NOT NULL"
    )
    op.execute(
        "UPDATE plan_rows SET street_code = (SELECT s.street_code FROM sites s WHERE s.site_id = plan_rows.site_id)"
    )
    op.execute(
        "UPDATE enterprise_visits SET street_code = (SELECT e.street_code FROM enterprises e "
        "WHERE e.enterprise_id = enterprise_visits.enterprise_id)"
    )


def downgrade() -> None:
    op.drop_table("user_streets")
    with op.batch_alter_table("targets") as batch:
        batch.alter_column("district", type_=sa.String(6), existing_type=sa.String(9), existing_nullable=False)
    for table in LISTS:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("districts", type_=sa.String(120), existing_type=sa.Text)
    for table in CODED:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_street_code")
            batch.drop_column("street_code")
