"""The agency card's grammatical cases and unit kinds; invitations by e-mail (issue 12).

* ``agency.name_genitive``, ``name_dative``, ``name_prepositional``: the cases were kept in
  ``agency.settings``; they move into columns (read through ``Agency.name_in``) and leave the
  settings, so there is one place for them.
* ``subdivision.kind``: a structural subdivision or a subordinate organisation.
* ``invitation``: under row-level security like every tenant table. The page of the link is
  anonymous, so ``invitation_lookup(hash)`` (SECURITY DEFINER, like ``auth_login_lookup``)
  gives only the invitation's id and agency for a token's hash; the row is then read in that
  agency's scope.

Revision ID: onboard0001
Revises: b1300000001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from touchpoints.core.db import UTCDateTime, rls_statements

revision = "onboard0001"
down_revision = "forms0000001"
branch_labels = None
depends_on = None

#: (public, what the project office may read): the office invites people too.
TENANT_TABLES = {"invitation": (False, "true")}

CASES = ("name_genitive", "name_dative", "name_prepositional")

#: Forced RLS binds the owner too (unless a superuser): the data step below runs in the
#: system scope, signed with the stored key as the application signs it (core/db.py).
SIGNED_SYSTEM_SCOPE = """
SELECT set_config('app.scope', 'all', true), set_config('app.agency_id', '', true),
       set_config('app.region_id', '', true),
       set_config('app.scope_sig', encode(hmac(convert_to(
           concat_ws('|', 'all', '', '', pg_backend_pid()::text), 'UTF8'),
           k.key, 'sha256'), 'hex'), true)
FROM app_private.scope_key k
"""

LOOKUP = """
CREATE OR REPLACE FUNCTION invitation_lookup(p_token_hash text)
RETURNS TABLE (id int, agency_id int)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT i.id, i.agency_id FROM invitation i WHERE i.token_hash = p_token_hash
$$
"""


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("agency") as batch_op:
        for column in CASES:
            batch_op.add_column(
                sa.Column(column, sa.String(length=500), server_default="", nullable=False)
            )
    with op.batch_alter_table("subdivision") as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="subdivision", nullable=False)
        )
    if postgres:
        op.execute(SIGNED_SYSTEM_SCOPE)
        op.execute(
            "UPDATE agency SET "
            "name_genitive = coalesce(settings->>'name_genitive', ''), "
            "name_prepositional = coalesce(settings->>'name_prepositional', ''), "
            "settings = (settings::jsonb - 'name_genitive' - 'name_prepositional')::json "
            "WHERE settings IS NOT NULL"
        )
    else:
        op.execute(
            "UPDATE agency SET "
            "name_genitive = coalesce(json_extract(settings, '$.name_genitive'), ''), "
            "name_prepositional = coalesce(json_extract(settings, '$.name_prepositional'), ''), "
            "settings = json_remove(settings, '$.name_genitive', '$.name_prepositional') "
            "WHERE settings IS NOT NULL"
        )

    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("subdivision_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("invited_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("accepted_at", UTCDateTime(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "role IN ('registrar', 'editor', 'viewer')",
            name=op.f("ck_invitation_agency_role"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_invitation_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["user_account.id"],
            name=op.f("fk_invitation_invited_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["subdivision_id"],
            ["subdivision.id"],
            name=op.f("fk_invitation_subdivision_id_subdivision"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_invitation_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )
    op.create_index(op.f("ix_invitation_agency_id"), "invitation", ["agency_id"])
    if postgres:
        public, region_read = TENANT_TABLES["invitation"]
        for statement in rls_statements("invitation", public_read=public, region_read=region_read):
            op.execute(statement)
        op.execute(LOOKUP)
        # The lookup runs as its owner, whom forced RLS binds too (as for auth_login_lookup).
        op.execute(
            "DO $$ BEGIN EXECUTE format('CREATE POLICY owner_lookup ON invitation "
            "FOR SELECT TO %I USING (true)', current_user); END $$"
        )


def downgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS invitation_lookup(text)")
    op.drop_index(op.f("ix_invitation_agency_id"), table_name="invitation")
    op.drop_table("invitation")
    if postgres:
        op.execute(SIGNED_SYSTEM_SCOPE)
        op.execute(
            "UPDATE agency SET settings = (coalesce(settings::jsonb, '{}'::jsonb) || "
            "jsonb_build_object('name_genitive', nullif(name_genitive, ''), "
            "'name_prepositional', nullif(name_prepositional, '')))::json"
        )
    with op.batch_alter_table("subdivision") as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("agency") as batch_op:
        for column in CASES:
            batch_op.drop_column(column)
