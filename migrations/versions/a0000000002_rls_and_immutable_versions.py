"""Row-level security on tenant tables; approved versions immutable in the database.

Revision ID: a0000000002
Revises: a0000000001
Create Date: 2026-11-23
"""

from alembic import op

revision = "a0000000002"
down_revision = "a0000000001"
branch_labels = None
depends_on = None

#: Tenant tables: (readable by the public pages, what the project office of the region may
#: read: an SQL condition, or None for nothing). Kept equal to the models' declarations by
#: tests/test_isolation.py.
TENANT_TABLES = {
    "area_status": (False, "true"),
    "audit_event": (False, None),
    "deadline": (False, "true"),
    "entry": (False, "status IN ('included', 'excluded')"),
    "import_session": (False, None),
    "list_version": (True, "true"),
    "mail_message": (False, None),
    "order_document": (False, "NOT draft"),
    "publication": (False, "true"),
    "published_file": (True, "true"),
    "reconfirmation": (False, "true"),
    "reminder": (False, "true"),
    "subdivision": (False, "true"),
    "version_entry": (True, "true"),
}
IMMUTABLE = ("list_version", "version_entry")

_SCOPE = "current_setting('app.scope', true)"
_AGENCY = "NULLIF(current_setting('app.agency_id', true), '')::int"
_REGION = "NULLIF(current_setting('app.region_id', true), '')::int"


def rls_statements(table, *, public_read=False, region_read="true"):
    """The policies as this revision wrote them (unsigned settings; a0000000003 replaces them).
    Frozen here so that the revision keeps doing what it did when the application changes."""
    own = f"agency_id = {_AGENCY}"
    read = [own, f"{_SCOPE} = 'all'"]
    if region_read is not None:
        read.append(
            f"({_SCOPE} = 'region' AND ({region_read}) AND agency_id IN "
            f"(SELECT id FROM agency WHERE region_id = {_REGION}))"
        )
    if public_read:
        read.append(f"{_SCOPE} = 'public'")
    write = f"{own} OR {_SCOPE} = 'all'"
    return [
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS tenant_read ON {table}",
        f"DROP POLICY IF EXISTS tenant_write ON {table}",
        f"CREATE POLICY tenant_read ON {table} FOR SELECT USING ({' OR '.join(read)})",
        f"CREATE POLICY tenant_write ON {table} FOR ALL USING ({write}) WITH CHECK ({write})",
    ]


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table, (public, region_read) in TENANT_TABLES.items():
            for statement in rls_statements(table, public_read=public, region_read=region_read):
                op.execute(statement)
        op.execute(
            """
            CREATE OR REPLACE FUNCTION forbid_version_change() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'утверждённая редакция перечня неизменна (%)', TG_TABLE_NAME
                    USING ERRCODE = 'integrity_constraint_violation';
            END $$
            """
        )
        for table in IMMUTABLE:
            op.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION forbid_version_change()"
            )
    else:
        for table in IMMUTABLE:
            for verb in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                    "BEGIN SELECT RAISE(ABORT, 'утверждённая редакция перечня неизменна'); END"
                )


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in IMMUTABLE:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
        op.execute("DROP FUNCTION IF EXISTS forbid_version_change()")
        for table in TENANT_TABLES:
            op.execute(f"DROP POLICY IF EXISTS tenant_read ON {table}")
            op.execute(f"DROP POLICY IF EXISTS tenant_write ON {table}")
            op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
    else:
        for table in IMMUTABLE:
            for verb in ("update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{verb}")
