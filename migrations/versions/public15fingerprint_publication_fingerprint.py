"""Per-agency publication fingerprints (public_fingerprint), kept by triggers (issue 15, item 3).

Everything an agency's public pages show — the agency's names, slug, website and region, its
approved versions, their annulments and the state of their orders' PDFs — is summed up in one
random ``stamp`` per agency, drawn anew by a trigger in the same transaction as any change of
those rows. A public page's validator is then one index lookup of one small table instead of a
query over five tables and their row-level security (docs/public-cache.md).

* PostgreSQL: one ``SECURITY DEFINER`` trigger function. The writer of the change may be an
  agency, a project office (it edits its agencies' cards) or the system: the function writes as
  the owner, for whom a policy of this table lets it through (forced RLS binds the owner too,
  unless a superuser); the application role reads in its scope (and may write its own agency's
  row, like every tenant table). Two narrow ``SECURITY DEFINER`` lookups give anonymous pages
  one agency's fingerprint, and a summary of all, without a transaction.
* SQLite (the demo): the same as plain triggers.

Revision ID: public15fingerprint
Revises: registry16b
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from touchpoints.core.db import UTCDateTime, rls_statements

revision = "public15fingerprint"
down_revision = "registry16b"
branch_labels = None
depends_on = None

#: (public, what the project office may read): a slug and a random number, public.
TENANT_TABLES = {"public_fingerprint": (True, "true")}

#: As in onboard0001: the backfill reads every agency, in the signed system scope.
SIGNED_SYSTEM_SCOPE = """
SELECT set_config('app.scope', 'all', true), set_config('app.agency_id', '', true),
       set_config('app.region_id', '', true),
       set_config('app.scope_sig', encode(hmac(convert_to(
           concat_ws('|', 'all', '', '', pg_backend_pid()::text), 'UTF8'),
           k.key, 'sha256'), 'hex'), true)
FROM app_private.scope_key k
"""

#: 64 random bits (pgcrypto): a stamp is never drawn twice, not even after a restore.
PG_STAMP = "('x' || encode(gen_random_bytes(8), 'hex'))::bit(64)::bigint"

PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION public_fingerprint_touch() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    before_id int;
    after_id int;
BEGIN
    IF TG_TABLE_NAME = 'agency' THEN
        -- A deleted agency's row goes with it (ON DELETE CASCADE).
        INSERT INTO public_fingerprint (agency_id, slug, stamp, changed_at)
        VALUES (NEW.id, NEW.slug, {PG_STAMP}, clock_timestamp())
        ON CONFLICT (agency_id) DO UPDATE
            SET slug = EXCLUDED.slug, stamp = EXCLUDED.stamp, changed_at = EXCLUDED.changed_at;
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'region' THEN
        UPDATE public_fingerprint SET stamp = {PG_STAMP}, changed_at = clock_timestamp()
        WHERE agency_id IN (SELECT id FROM agency WHERE region_id = NEW.id);
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN before_id := OLD.agency_id; END IF;
    IF TG_OP <> 'DELETE' THEN after_id := NEW.agency_id; END IF;
    UPDATE public_fingerprint SET stamp = {PG_STAMP}, changed_at = clock_timestamp()
    WHERE agency_id IN (before_id, after_id);
    RETURN NULL;
END $$
"""

#: What a public page needs before anything else: whether it changed. Anonymous pages read it
#: without a transaction or a scope (one statement: docs/public-cache.md), like the login
#: helpers of a0000000003: they return no more than the public scope may read of this table.
LOOKUPS = [
    """
    CREATE OR REPLACE FUNCTION public_fingerprint_lookup(p_slug text)
    RETURNS TABLE (agency_id int, stamp bigint, changed_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT f.agency_id, f.stamp, f.changed_at FROM public_fingerprint f WHERE f.slug = p_slug
    $$
    """,
    """
    CREATE OR REPLACE FUNCTION public_fingerprint_summary()
    RETURNS TABLE (agencies bigint, stamps numeric, changed_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
        SELECT count(*), sum(f.stamp), max(f.changed_at) FROM public_fingerprint f
    $$
    """,
]
FUNCTION_NAMES = (
    "public_fingerprint_touch()",
    "public_fingerprint_lookup(text)",
    "public_fingerprint_summary()",
)

#: (trigger name, table, event, condition): what changes a public page. Every column of the
#: agency and the region (a page may show any of them; json columns allow no cheap comparison),
#: approved versions (immutable: inserted only), their annulments, and the orders' PDFs of
#: approved versions (drafts of the working list are not public), by the columns that decide
#: which PDF a page offers and in what state.
TRIGGERS = [
    ("public_fp_agency_ins", "agency", "INSERT", None),
    ("public_fp_agency_upd", "agency", "UPDATE", None),
    ("public_fp_region_upd", "region", "UPDATE", None),
    ("public_fp_version_ins", "list_version", "INSERT", None),
    ("public_fp_annulment_ins", "version_annulment", "INSERT", None),
    ("public_fp_annulment_upd", "version_annulment", "UPDATE", None),
    ("public_fp_annulment_del", "version_annulment", "DELETE", None),
    ("public_fp_order_ins", "order_document", "INSERT", "NOT NEW.draft"),
    (
        "public_fp_order_upd",
        "order_document",
        "UPDATE OF status, sha256, key, version_id, draft",
        "NOT OLD.draft OR NOT NEW.draft",
    ),
    ("public_fp_order_del", "order_document", "DELETE", "NOT OLD.draft"),
]

SQLITE_NOW = "datetime('now')"
#: 32 random bits: SQLite's sum() (the index's validator) fails on an integer overflow.
SQLITE_STAMP = "(random() >> 32)"


def _sqlite_body(table: str, event: str) -> str:
    if table == "agency":
        return (
            "INSERT OR REPLACE INTO public_fingerprint (agency_id, slug, stamp, changed_at) "
            f"VALUES (NEW.id, NEW.slug, {SQLITE_STAMP}, {SQLITE_NOW});"
        )
    if table == "region":
        target = "(SELECT id FROM agency WHERE region_id = NEW.id)"
    else:
        row = "OLD" if event == "DELETE" else "NEW"
        target = f"({row}.agency_id)"
    return (
        f"UPDATE public_fingerprint SET stamp = {SQLITE_STAMP}, changed_at = {SQLITE_NOW} "
        f"WHERE agency_id IN {target};"
    )


def upgrade():
    op.create_table(
        "public_fingerprint",
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agency.id"],
            name=op.f("fk_public_fingerprint_agency_id_agency"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agency_id", name=op.f("pk_public_fingerprint")),
        sa.UniqueConstraint("slug", name=op.f("uq_public_fingerprint_slug")),
    )
    if op.get_bind().dialect.name != "postgresql":
        for name, table, event, condition in TRIGGERS:
            when = f" WHEN {condition}" if condition else ""
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} "
                f"BEGIN {_sqlite_body(table, event.split()[0])} END"
            )
        op.execute(
            "CREATE TRIGGER public_fp_agency_del AFTER DELETE ON agency FOR EACH ROW "
            "BEGIN DELETE FROM public_fingerprint WHERE agency_id = OLD.id; END"
        )
        op.execute(
            "INSERT INTO public_fingerprint (agency_id, slug, stamp, changed_at) "
            f"SELECT id, slug, {SQLITE_STAMP}, {SQLITE_NOW} FROM agency"
        )
        return
    public, region_read = TENANT_TABLES["public_fingerprint"]
    for statement in rls_statements(
        "public_fingerprint", public_read=public, region_read=region_read
    ):
        op.execute(statement)
    # The trigger function writes, the lookups read, as the owner, whatever the caller's scope.
    op.execute(
        "DO $$ BEGIN EXECUTE format('CREATE POLICY owner_access ON public_fingerprint "
        "FOR ALL TO %I USING (true) WITH CHECK (true)', current_user); END $$"
    )
    for statement in (PG_FUNCTION, *LOOKUPS):
        op.execute(statement)
    for name, table, event, condition in TRIGGERS:
        when = f" WHEN ({condition})" if condition else ""
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{when} "
            "EXECUTE FUNCTION public_fingerprint_touch()"
        )
    op.execute(SIGNED_SYSTEM_SCOPE)
    op.execute(
        "INSERT INTO public_fingerprint (agency_id, slug, stamp, changed_at) "
        f"SELECT id, slug, {PG_STAMP}, clock_timestamp() FROM agency"
    )


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, table, _, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgres else ""))
    if postgres:
        for name in FUNCTION_NAMES:
            op.execute(f"DROP FUNCTION IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS public_fp_agency_del")
    op.drop_table("public_fingerprint")
