"""Row-level security on tenant tables; approved versions immutable in the database.

Revision ID: a0000000002
Revises: a0000000001
Create Date: 2026-11-23
"""

from alembic import op

from touchpoints.core.db import rls_statements

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
