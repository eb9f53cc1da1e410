"""A scope the application role cannot widen; row-level security on every table; sessions hashed.

* The scope handed to PostgreSQL is signed (HMAC-SHA256, pgcrypto) with a key kept in the
  ``app_private`` schema, which the application role cannot use; ``app_scope()``,
  ``app_agency()`` and ``app_region()`` return the scope only when its signature is right, and
  every policy reads them. ``flask database grant-app-role`` stores the key.
* Users, API tokens, reminder policies and opt-outs, digests, calendar overrides, agencies,
  regions and form templates get forced RLS too. Logging in and resuming a session go through
  two narrow ``SECURITY DEFINER`` functions that return only what they need.
* Sessions live in ``login_session``, one row per login, the token stored as its SHA-256: the
  plain ``user_account.session_token`` is dropped, so every existing session ends (people log in
  again; nothing else is lost). API tokens were stored hashed already.

Revision ID: a0000000003
Revises: a0000000002
Create Date: 2026-12-01
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "a0000000003"
down_revision = "a0000000002"
branch_labels = None
depends_on = None

S = "(SELECT app_scope())"
A = "(SELECT app_agency())"
R = "(SELECT app_region())"
REGION_AGENCIES = f"(SELECT id FROM agency WHERE region_id = {R})"
#: A row of a person is visible when the person is (user_account's own policy decides).
VISIBLE_USER = "user_id IN (SELECT id FROM user_account)"

#: Tables without an agency_id column of their own: (read, write) conditions.
DIRECTORY_POLICIES = {
    # Names and calendars are no secret, but not for a connection without a verified scope.
    "region": (f"{S} <> 'none'", f"{S} = 'all'"),
    "form_template": (f"{S} <> 'none'", f"{S} = 'all'"),
    "calendar_override": (f"{S} <> 'none'", f"{S} = 'all'"),
    "agency": (
        f"{S} IN ('all', 'public') OR id = {A} OR ({S} = 'region' AND region_id = {R})",
        # The office creates agencies of its region; a registrar edits its own agency.
        f"{S} = 'all' OR id = {A} OR ({S} = 'region' AND region_id = {R})",
    ),
    "user_account": (
        f"{S} = 'all' OR agency_id = {A} OR ({S} = 'region' AND "
        f"(region_id = {R} OR agency_id IN {REGION_AGENCIES}))",
        # ck_user_account_role_scope keeps an agency's row an agency role: no escalation here.
        f"{S} = 'all' OR agency_id = {A} OR ({S} = 'region' AND region_id = {R} "
        "AND agency_id IS NULL)",
    ),
    "login_session": (f"{S} = 'all' OR {VISIBLE_USER}", f"{S} = 'all' OR {VISIBLE_USER}"),
    "api_token": (
        f"{S} = 'all' OR ({S} = 'region' AND region_id = {R})",
        f"{S} = 'all' OR ({S} = 'region' AND region_id = {R})",
    ),
    "reminder_policy": (
        f"{S} = 'all' OR agency_id = {A} "
        f"OR region_id = (SELECT region_id FROM agency WHERE id = {A}) "
        f"OR ({S} = 'region' AND (region_id = {R} OR agency_id IN {REGION_AGENCIES}))",
        f"{S} = 'all' OR agency_id = {A} OR ({S} = 'region' AND region_id = {R})",
    ),
    "reminder_opt_out": (f"{S} = 'all' OR {VISIBLE_USER}", f"{S} = 'all' OR {VISIBLE_USER}"),
    # Digests gather one person's reminders about many agencies: the reminder jobs only.
    "reminder_digest": (f"{S} = 'all'", f"{S} = 'all'"),
}

FUNCTIONS = [
    # The key: the owner's alone. No USAGE on the schema for anyone else.
    "CREATE SCHEMA IF NOT EXISTS app_private",
    "REVOKE ALL ON SCHEMA app_private FROM PUBLIC",
    "CREATE TABLE IF NOT EXISTS app_private.scope_key "
    "(id int PRIMARY KEY CHECK (id = 1), key bytea NOT NULL)",
    """
    CREATE OR REPLACE FUNCTION app_scope_valid() RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT coalesce(current_setting('app.scope_sig', true), '') <> ''
           AND coalesce(bool_or(encode(hmac(convert_to(concat_ws('|',
                   coalesce(current_setting('app.scope', true), ''),
                   coalesce(current_setting('app.agency_id', true), ''),
                   coalesce(current_setting('app.region_id', true), ''),
                   pg_backend_pid()::text), 'UTF8'), k.key, 'sha256'), 'hex')
                 = current_setting('app.scope_sig', true)), false)
        FROM app_private.scope_key k
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION app_scope() RETURNS text
    LANGUAGE sql STABLE SET search_path = pg_catalog, public AS $$
        SELECT CASE WHEN app_scope_valid()
                    THEN coalesce(nullif(current_setting('app.scope', true), ''), 'none')
                    ELSE 'none' END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION app_agency() RETURNS int
    LANGUAGE sql STABLE SET search_path = pg_catalog, public AS $$
        SELECT CASE WHEN app_scope_valid() AND current_setting('app.scope', true) = 'agency'
                    THEN nullif(current_setting('app.agency_id', true), '')::int END
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION app_region() RETURNS int
    LANGUAGE sql STABLE SET search_path = pg_catalog, public AS $$
        SELECT CASE WHEN app_scope_valid() AND current_setting('app.scope', true) = 'region'
                    THEN nullif(current_setting('app.region_id', true), '')::int END
    $$
    """,
    # Logging in: what checking a password and choosing the scope need, for one e-mail.
    """
    CREATE OR REPLACE FUNCTION auth_login_lookup(p_email text)
    RETURNS TABLE (id int, password_hash text, active boolean, is_demo boolean, role text,
                   agency_id int, region_id int)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT u.id, u.password_hash, u.active, u.is_demo, u.role, u.agency_id, u.region_id
        FROM user_account u WHERE lower(u.email) = lower(p_email)
    $$
    """,
    # Resuming a session: the person behind a session token's hash, if active.
    """
    CREATE OR REPLACE FUNCTION auth_session_lookup(p_token_hash text)
    RETURNS TABLE (id int, role text, agency_id int, region_id int)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT u.id, u.role, u.agency_id, u.region_id
        FROM login_session s JOIN user_account u ON u.id = s.user_id
        WHERE s.token_hash = p_token_hash AND u.active
    $$
    """,
    # An API request: the token behind a hash and whether its owner may still use it.
    """
    CREATE OR REPLACE FUNCTION api_token_lookup(p_token_hash text)
    RETURNS TABLE (id int, scope text, region_id int, revoked boolean, owner_active boolean,
                   owner_role text, owner_region_id int)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT t.id, t.scope, t.region_id, t.revoked_at IS NOT NULL, u.active, u.role,
               u.region_id
        FROM api_token t JOIN user_account u ON u.id = t.owner_id
        WHERE t.token_hash = p_token_hash
    $$
    """,
]
#: The lookup functions run as their owner, and forced RLS binds the owner too (unless it is a
#: superuser): the owner may read these tables, for those functions. The application role is
#: never the owner (docs/security.md).
OWNER_LOOKUP = ("user_account", "login_session", "api_token")
FUNCTION_NAMES = [
    "app_scope()",
    "app_agency()",
    "app_region()",
    "app_scope_valid()",
    "auth_login_lookup(text)",
    "auth_session_lookup(text)",
    "api_token_lookup(text)",
]


def _previous():
    path = Path(__file__).with_name("a0000000002_rls_and_immutable_versions.py")
    spec = importlib.util.spec_from_file_location("rls_a0000000002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _policies(table, read, write):
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_read ON {table}",
        f"DROP POLICY IF EXISTS tenant_write ON {table}",
        f"CREATE POLICY tenant_read ON {table} FOR SELECT USING ({read})",
        f"CREATE POLICY tenant_write ON {table} FOR ALL USING ({write}) WITH CHECK ({write})",
    ]


def tenant_policy(public, region_read):
    """The tenant tables' conditions over the verified scope (as core.db.rls_statements)."""
    own = f"agency_id = {A}"
    read = [own, f"{S} = 'all'"]
    if region_read is not None:
        read.append(f"({S} = 'region' AND ({region_read}) AND agency_id IN {REGION_AGENCIES})")
    if public:
        read.append(f"{S} = 'public'")
    return " OR ".join(read), f"{own} OR {S} = 'all'"


def upgrade():
    op.create_table(
        "login_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_login_session_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_session_token_hash")),
    )
    with op.batch_alter_table("login_session") as batch_op:
        batch_op.create_index(batch_op.f("ix_login_session_user_id"), ["user_id"], unique=False)
    # Plain session tokens go: every old session ends, nobody's data changes.
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_constraint("uq_user_account_session_token", type_="unique")
        batch_op.drop_column("session_token")
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
    for statement in FUNCTIONS:
        op.execute(statement)
    for table, (public, region_read) in _previous().TENANT_TABLES.items():
        for statement in _policies(table, *tenant_policy(public, region_read)):
            op.execute(statement)
    for table, (read, write) in DIRECTORY_POLICIES.items():
        for statement in _policies(table, read, write):
            op.execute(statement)
    for table in OWNER_LOOKUP:
        op.execute(
            "DO $$ BEGIN EXECUTE format('CREATE POLICY owner_lookup ON "
            + table
            + " FOR SELECT TO %I USING (true)', current_user); END $$"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in OWNER_LOOKUP:
            op.execute(f"DROP POLICY IF EXISTS owner_lookup ON {table}")
        for table in DIRECTORY_POLICIES:
            op.execute(f"DROP POLICY IF EXISTS tenant_read ON {table}")
            op.execute(f"DROP POLICY IF EXISTS tenant_write ON {table}")
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        previous = _previous()
        for table, (public, region_read) in previous.TENANT_TABLES.items():
            for statement in previous.rls_statements(
                table, public_read=public, region_read=region_read
            ):
                op.execute(statement)
        for name in FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION IF EXISTS {name}")
        op.execute("DROP SCHEMA IF EXISTS app_private CASCADE")
    op.drop_table("login_session")
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
    # Fresh random tokens: the old ones are gone for good (and were never kept in plain text).
    op.execute(
        "UPDATE user_account SET session_token = "
        + (
            "md5(random()::text || id::text)"
            if op.get_bind().dialect.name == "postgresql"
            else "lower(hex(randomblob(24)))"
        )
    )
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.alter_column("session_token", nullable=False)
        batch_op.create_unique_constraint("uq_user_account_session_token", ["session_token"])
