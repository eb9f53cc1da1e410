"""A changed e-mail waits for its mailbox; people's own choices are written for them only.

Found in the audit of issue 14 (items 5 and 1; docs/security.md, "Account enumeration" and
"What an attacker with SQL injection as the application role can and cannot read"):

* ``email_change``: a new address is applied only when the link mailed to it is followed
  (users/email_change.py), so the edit form no longer tells whether an address is someone's
  login in another agency. Only the SHA-256 of the link's token is stored. Read when the person
  is visible, written when the person may be written (``user_account``'s write condition).
  The page of the link is anonymous: ``email_change_lookup(hash)`` (SECURITY DEFINER, like
  ``invitation_lookup``) gives only the request's id and the person's agency.
* ``reminder_opt_out`` and ``notification_preference``: their write policies allowed every
  person the scope can *read*, so an office request could change the opt-outs and notice
  settings of its region's agency people. Now only for the people the scope can *write*, as
  migration security14_0001 did for ``login_session``: an agency's own people, the office's
  own account, everyone in the system scope.

Revision ID: security14_0002
Revises: reminders15scan
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from touchpoints.core.db import UTCDateTime, policy_statements

revision = "security14_0002"
down_revision = "reminders15scan"
branch_labels = None
depends_on = None

S = "(SELECT app_scope())"
A = "(SELECT app_agency())"
R = "(SELECT app_region())"

#: user_account's write condition (migration security14_0001).
USER_WRITE = (
    f"{S} = 'all' OR agency_id = {A} OR ({S} = 'region' AND region_id = {R} "
    "AND agency_id IS NULL AND role = 'office')"
)
VISIBLE = f"{S} = 'all' OR user_id IN (SELECT id FROM user_account)"
WRITABLE = f"{S} = 'all' OR user_id IN (SELECT id FROM user_account WHERE {USER_WRITE})"
OWN_CHOICES = ("reminder_opt_out", "notification_preference")

LOOKUP = """
CREATE OR REPLACE FUNCTION email_change_lookup(p_token_hash text)
RETURNS TABLE (id int, agency_id int)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public AS $$
    SELECT c.id, u.agency_id FROM email_change c JOIN user_account u ON u.id = c.user_id
    WHERE c.token_hash = p_token_hash
$$
"""


def upgrade():
    op.create_table(
        "email_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("new_email", sa.String(length=255), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_email_change_requested_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_email_change_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_change")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_email_change_token_hash")),
    )
    op.create_index(op.f("ix_email_change_user_id"), "email_change", ["user_id"])
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in policy_statements("email_change", VISIBLE, WRITABLE):
        op.execute(statement)
    op.execute(LOOKUP)
    # The lookup runs as its owner, whom forced RLS binds too (as for invitation_lookup).
    op.execute(
        "DO $$ BEGIN EXECUTE format('CREATE POLICY owner_lookup ON email_change "
        "FOR SELECT TO %I USING (true)', current_user); END $$"
    )
    for table in OWN_CHOICES:
        op.execute(f"DROP POLICY IF EXISTS tenant_write ON {table}")
        op.execute(
            f"CREATE POLICY tenant_write ON {table} FOR ALL USING ({WRITABLE}) "
            f"WITH CHECK ({WRITABLE})"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for table in OWN_CHOICES:
            op.execute(f"DROP POLICY IF EXISTS tenant_write ON {table}")
            op.execute(
                f"CREATE POLICY tenant_write ON {table} FOR ALL USING ({VISIBLE}) "
                f"WITH CHECK ({VISIBLE})"
            )
        op.execute("DROP FUNCTION IF EXISTS email_change_lookup(text)")
    op.drop_index(op.f("ix_email_change_user_id"), table_name="email_change")
    op.drop_table("email_change")
