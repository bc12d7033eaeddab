"""The database schema, as SQLAlchemy Core tables.

The tables here describe the newest schema version. Databases are created and upgraded by the Alembic
migrations in ``dashboard/core/migrations`` (see :mod:`dashboard.core.storage.db`); a test checks that the two agree.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

SESSION_TYPES = ("worker", "enterprise")

districts = sa.Table(
    "districts",
    metadata,
    sa.Column("adcode", sa.String(6), primary_key=True),
    sa.Column("name_zh", sa.String(16), nullable=False),
    sa.Column("name_en", sa.String(32), nullable=False),
    sa.Column("area_km2", sa.Float),
)

uploads = sa.Table(
    "uploads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(16), nullable=False),  # sessions | sites | enterprises | sample
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False, index=True),
    sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("uploaded_by", sa.String(64)),
    sa.Column("rows_total", sa.Integer, nullable=False),
    sa.Column("rows_inserted", sa.Integer, nullable=False),
    sa.Column("rows_updated", sa.Integer, nullable=False),
    sa.Column("rows_unchanged", sa.Integer, nullable=False),
    sa.Column("rows_rejected", sa.Integer, nullable=False),
    # the areas the file's rows belong to (each row's street code, else its adcode; comma-separated): a planner sees
    # the uploads wholly within their areas
    sa.Column("districts", sa.Text),
)

sites = sa.Table(
    "sites",
    metadata,
    sa.Column("site_id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("district", sa.String(6), sa.ForeignKey("districts.adcode"), nullable=False, index=True),
    sa.Column("street", sa.String(100)),
    sa.Column("street_code", sa.String(9), index=True),  # Beijing's 9-digit street code, when the name is known
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("site_type", sa.String(64)),
    sa.Column("workers_nearby", sa.Integer),
    sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id")),
)

# The register of enterprises a district's union reaches out to (企业沟通会). enterprise_id is the 统一社会信用代码
# when known, else "E-<adcode>-<digest of the name>".
# union_status is none (未建会) | founded (已建会) | joint (联合工会).
enterprises = sa.Table(
    "enterprises",
    metadata,
    sa.Column("enterprise_id", sa.String(32), primary_key=True),
    sa.Column("credit_code", sa.String(18), unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("district", sa.String(6), sa.ForeignKey("districts.adcode"), nullable=False, index=True),
    sa.Column("street", sa.String(100)),
    sa.Column("street_code", sa.String(9), index=True),
    sa.Column("address", sa.String(200)),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("industry", sa.String(1)),  # GB/T 4754-2017 section, A–T
    sa.Column("staff", sa.Integer),
    sa.Column("union_status", sa.String(8), nullable=False),
    sa.Column("union_founded_on", sa.Date),
    # the register id (credit code) of the head office that decides for this branch: visits go to it, not here
    sa.Column("head_office_id", sa.String(32)),
    # 成立日期: when the enterprise was registered (its age is a feature of the visit model), None when not given
    sa.Column("registered_on", sa.Date),
    sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id")),
)

# Personal data (个人信息保护法): the head's name and a contact, kept apart from the register so that nothing but
# the district's own reads joins it, and deleting it leaves the enterprise in place.
enterprise_contacts = sa.Table(
    "enterprise_contacts",
    metadata,
    sa.Column(
        "enterprise_id", sa.String(32), sa.ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("head_name", sa.String(50)),
    sa.Column("contact", sa.String(100)),
)

# One row per enterprise reached on a day (企业沟通会): what came of the visit. visit_key is
# "<enterprise_id>|<date>", so a re-import updates the visit in place. outcome is held (沟通) | interested (有意向) |
# founded (已建会, with founded_on and members) | declined (暂不建会, with a reason). district is the stored
# enterprise's, copied so scope is read from the visit itself. Services are '|'-joined keys of service_packages.
enterprise_visits = sa.Table(
    "enterprise_visits",
    metadata,
    sa.Column("visit_key", sa.String(48), primary_key=True),
    sa.Column(
        "enterprise_id",
        sa.String(32),
        sa.ForeignKey("enterprises.enterprise_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    sa.Column("district", sa.String(6), sa.ForeignKey("districts.adcode"), nullable=False, index=True),
    sa.Column("street_code", sa.String(9), index=True),  # the enterprise's, copied like its district
    sa.Column("visited_on", sa.Date, nullable=False, index=True),
    sa.Column("session_id", sa.String(100)),
    sa.Column("outcome", sa.String(12), nullable=False),
    sa.Column("founded_on", sa.Date),
    sa.Column("union_kind", sa.String(8)),  # founded | joint, for a founding
    sa.Column("members", sa.Integer),
    sa.Column("reason", sa.String(200)),
    sa.Column("services_offered", sa.String(200)),
    sa.Column("services_asked", sa.String(200)),
    sa.Column("notes", sa.Text),
    sa.Column("row_hash", sa.String(32), nullable=False),
    sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id")),
    sa.CheckConstraint("outcome in ('held', 'interested', 'founded', 'declined')", name="visit_outcome"),
)

# The service packages (服务包) offered to enterprises: an editable list. A key once used stays, so old visits keep
# their meaning when a package is renamed; a retired package is inactive, not deleted.
service_packages = sa.Table(
    "service_packages",
    metadata,
    sa.Column("key", sa.String(16), primary_key=True),
    sa.Column("zh", sa.String(40), nullable=False, unique=True),
    sa.Column("en", sa.String(60), nullable=False),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # session_id when the file has one, else type|date|start|site-or-district: the key that makes
    # re-imports update instead of duplicate.
    sa.Column("session_key", sa.String(200), nullable=False, unique=True),
    sa.Column("session_id", sa.String(100)),
    sa.Column("session_type", sa.String(16), nullable=False),
    sa.Column("date", sa.Date, nullable=False, index=True),
    sa.Column("start_time", sa.Time, nullable=False),
    sa.Column("end_time", sa.Time, nullable=False),
    sa.Column("district", sa.String(6), sa.ForeignKey("districts.adcode"), nullable=False, index=True),
    # the site's street for a session at a site, else the street the file names (if any)
    sa.Column("street_code", sa.String(9), index=True),
    sa.Column("site_id", sa.String(64), sa.ForeignKey("sites.site_id"), index=True),
    sa.Column("staff", sa.Integer),
    sa.Column("consultations", sa.Integer),
    sa.Column("applications", sa.Integer),
    sa.Column("members_joined", sa.Integer),
    sa.Column("enterprises_reached", sa.Integer),
    sa.Column("unions_founded", sa.Integer),
    sa.Column("notes", sa.Text),
    # hash of the stored values, so a re-import can tell "unchanged" from "updated" without comparing columns
    sa.Column("row_hash", sa.String(32), nullable=False),
    sa.Column("upload_id", sa.Integer, sa.ForeignKey("uploads.id")),
    sa.CheckConstraint("session_type in ('worker', 'enterprise')", name="session_type"),
    sa.CheckConstraint("end_time > start_time", name="end_after_start"),
)

calendar_overrides = sa.Table(
    "calendar_overrides",
    metadata,
    sa.Column("date", sa.Date, primary_key=True),
    sa.Column("day_type", sa.String(16), nullable=False),
    sa.Column("note", sa.String(200)),
    sa.Column("set_by", sa.String(64)),
    sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("day_type in ('workday', 'weekend', 'holiday', 'makeup_workday')", name="day_type"),
)

targets = sa.Table(
    "targets",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("district", sa.String(9), primary_key=True),  # "" for the whole city, an adcode, or a street's code
    sa.Column("metric", sa.String(32), primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
    sa.Column("set_by", sa.String(64)),
    sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("value >= 0", name="non_negative"),
)

PLAN_KINDS = ("worker", "visits")  # a stall plan (职工沟通会) or an enterprise visit plan (企业沟通会)

plans = sa.Table(
    "plans",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(64)),
    sa.Column("request", sa.Text, nullable=False),  # the planner's inputs, as JSON
    sa.Column("districts", sa.Text),  # its rows' street codes, else adcodes, comma-separated: who may see it
    sa.Column("kind", sa.String(10), nullable=False, server_default="worker"),
)

plan_rows = sa.Table(
    "plan_rows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("session_id", sa.String(100), nullable=False, unique=True),  # the key its results are uploaded under
    sa.Column("team", sa.Integer, nullable=False),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("start_time", sa.Time, nullable=False),
    sa.Column("end_time", sa.Time, nullable=False),
    sa.Column("site_id", sa.String(64)),  # a stall plan's row; a visit plan's row names an enterprise instead
    sa.Column("district", sa.String(6), nullable=False),
    sa.Column("street_code", sa.String(9), index=True),
    sa.Column("expected_applications", sa.Float),
    sa.Column("reason", sa.Text),
    sa.Column("done", sa.Boolean, nullable=False, server_default=sa.false()),
    # the 80% interval planned with, and whether the row was picked to learn: what the plan-vs-actual view checks
    sa.Column("applications_low", sa.Float),
    sa.Column("applications_high", sa.Float),
    sa.Column("learn", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("team_name", sa.String(40)),  # the roster's team the plan assigned (team_members.team)
    # a visit plan's row: the enterprise, its place in the day's route, P(founding) and the members expected
    sa.Column("enterprise_id", sa.String(600)),  # a joint union's members, joined with "、"
    sa.Column("route_order", sa.Integer),
    sa.Column("probability", sa.Float),
    sa.Column("expected_members", sa.Float),
    # reported: a session (or visit) stored under the row's key; cancelled (未开展) is recorded here, with who and why
    sa.Column("status", sa.String(16)),
    sa.Column("status_at", sa.DateTime(timezone=True)),
    sa.Column("status_by", sa.String(64)),
    sa.Column("status_note", sa.String(200)),
)

# A district's or a street union's staff (personal data: read and exported only by that area's planners and
# admins, deletable, every change audited). A team is the roster's name for a group (小组); a plan assigns teams by
# it. street_code is set for a street union's roster.
team_members = sa.Table(
    "team_members",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("district", sa.String(6), nullable=False, index=True),
    sa.Column("street_code", sa.String(9), index=True),
    sa.Column("team", sa.String(40), nullable=False),
    sa.Column("name", sa.String(40), nullable=False),
    sa.Column("phone", sa.String(30)),
    sa.Column("lead", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(64)),
)

# Values of this installation the app keeps for itself, e.g. the secret ids of rows named without one are keyed with.
settings = sa.Table(
    "settings",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

# A team lead's link to their team's sessions of one saved plan: a random token (only its SHA-256 kept), which
# expires and can be revoked. It reads that team's rows and reports their results, nothing else.
field_links = sa.Table(
    "field_links",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("team", sa.Integer, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("created_by", sa.String(64)),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
)

ROLES = ("admin", "leadership", "planner")

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    # argon2id, salted, in the PHC string format; NULL for an account that signs in only through single sign-on
    sa.Column("password_hash", sa.String(255)),
    sa.Column("sso_email", sa.String(255), unique=True),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    # created by the sample set-up with a published password: the login page warns until it is changed
    sa.Column("demo", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("password_changed_at", sa.DateTime(timezone=True)),
    sa.CheckConstraint("role in ('admin', 'leadership', 'planner')", name="role"),
)

user_districts = sa.Table(
    "user_districts",
    metadata,
    sa.Column("user_name", sa.String(64), sa.ForeignKey("users.name", ondelete="CASCADE"), primary_key=True),
    sa.Column("district", sa.String(6), sa.ForeignKey("districts.adcode"), primary_key=True),
)

# A street union's account: narrowed, within its districts (user_districts), to these streets.
user_streets = sa.Table(
    "user_streets",
    metadata,
    sa.Column("user_name", sa.String(64), sa.ForeignKey("users.name", ondelete="CASCADE"), primary_key=True),
    sa.Column("street_code", sa.String(9), primary_key=True),
)

# Retraining runs in the background, one job at a time across every app process; pages read its progress here.
training_jobs = sa.Table(
    "training_jobs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("requested_by", sa.String(64)),
    sa.Column("reason", sa.String(32), nullable=False),  # import | first_start | admin | command
    sa.Column("status", sa.String(16), nullable=False),  # queued | running | done | failed
    sa.Column("started_at", sa.DateTime(timezone=True)),
    sa.Column("heartbeat_at", sa.DateTime(timezone=True)),  # a running job whose heartbeat stops died with its process
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("progress", sa.Float, nullable=False, server_default=sa.text("0")),
    sa.Column("stage", sa.String(64)),
    sa.Column("worker", sa.String(120)),
    sa.Column("error", sa.Text),
)

# A signed-in browser kept across reloads: the cookie holds a random token, the table only its SHA-256. The row is
# opened at sign-in with a one-time ticket that the browser trades for the cookie (HttpOnly, set by the server).
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_name", sa.String(64), nullable=False, index=True),
    sa.Column("via", sa.String(16), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("token_hash", sa.String(64), unique=True),  # set when the ticket is traded for the cookie
    sa.Column("ticket_hash", sa.String(64), unique=True),  # one use, within minutes of the sign-in
    sa.Column("ticket_expires_at", sa.DateTime(timezone=True)),
    sa.Column("bind_hash", sa.String(64)),  # the browser the ticket was handed to (its binding cookie's hash)
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("revoked_why", sa.String(32)),
)

login_attempts = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(64), nullable=False, index=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16)),
    sa.Column("action", sa.String(32), nullable=False, index=True),
    sa.Column("districts", sa.Text),  # adcodes or street codes
    sa.Column("detail", sa.Text),  # JSON
)
