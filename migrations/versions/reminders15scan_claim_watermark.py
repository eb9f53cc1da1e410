"""The reminder scan at 10,000 agencies (issue 15, item 5): where the claim stands
(reminder_scan), reminders written without per-row key checks, deadlines never deleted, no
redundant index.

* ``reminder_scan``: one row, the moment and the deadlines the last claim covered and a
  fingerprint of what decides recipients and days; a scan with the same fingerprint looks only
  at steps due since then and at deadlines opened since (docs/jobs.md, "The reminder scan").
  Read and written by the system scope only, like ``reminder_digest``.
* ``reminder``: its four foreign keys go (deadline, agency, person, digest). Only the claim
  writes reminders, taking all four from the rows it joins in the same statement; checking them
  again was 3.4–7 s of a 180,000-row claim. What they guarded against is refused where it could
  happen: deleting a deadline (a trigger, below); people and digests are never deleted.
  ``ix_reminder_deadline_id`` goes (the unique key leads with deadline_id), and so does
  ``ix_reminder_agency_id`` (an agency's reminders are read through its deadlines);
  ``ix_reminder_digest_id`` covers carried reminders only (a claim writes none), and
  ``ix_reminder_claimed`` (recipient) the claimed ones only (what the digests read), instead of
  (recipient, status) over the whole history.
* ``deadline``: rows are the on-time record and what reminders and publications point at; a
  trigger refuses to delete one. ``ix_deadline_agency_id`` goes (the unique key (agency_id,
  kind, subject_key) leads with it).

Revision ID: reminders15scan
Revises: security14_0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from touchpoints.core.db import APP_SCOPE, UTCDateTime, policy_statements

revision = "reminders15scan"
down_revision = "security14_0001"
branch_labels = None
depends_on = None

CARRIED = sa.text("digest_id IS NOT NULL")
CLAIMED = sa.text("status = 'claimed'")
KEEP = "срок хранится как запись о соблюдении, удалить его нельзя"
#: The reminder's keys as they were (name, columns, table, its columns).
KEYS = [
    ("fk_reminder_agency_id_agency", ["agency_id"], "agency", ["id"]),
    ("fk_reminder_deadline_id_deadline", ["deadline_id"], "deadline", ["id"]),
    ("fk_reminder_user_id_user_account", ["user_id"], "user_account", ["id"]),
    ("fk_reminder_digest_id_reminder_digest", ["digest_id"], "reminder_digest", ["id"]),
]


def upgrade():
    op.create_table(
        "reminder_scan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claimed_through", UTCDateTime(), nullable=False),
        sa.Column("deadlines_through", sa.Integer(), nullable=False),
        sa.Column("inputs", sa.String(length=64), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_scan")),
    )
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.drop_index("ix_deadline_agency_id")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        for name, *_ in KEYS:
            batch_op.drop_constraint(name, type_="foreignkey")
        batch_op.drop_index("ix_reminder_deadline_id")
        batch_op.drop_index("ix_reminder_agency_id")
        batch_op.drop_index("ix_reminder_recipient_status")
        batch_op.create_index(
            "ix_reminder_claimed",
            ["recipient"],
            unique=False,
            postgresql_where=CLAIMED,
            sqlite_where=CLAIMED,
        )
        batch_op.drop_index("ix_reminder_digest_id")
        batch_op.create_index(
            "ix_reminder_digest_id",
            ["digest_id"],
            unique=False,
            postgresql_where=CARRIED,
            sqlite_where=CARRIED,
        )
    if op.get_bind().dialect.name == "postgresql":
        system = f"{APP_SCOPE} = 'all'"
        for statement in policy_statements("reminder_scan", system, system):
            op.execute(statement)
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION keep_deadline() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{KEEP}' USING ERRCODE = 'integrity_constraint_violation';
            END $$
            """
        )
        op.execute(
            "CREATE TRIGGER deadline_kept BEFORE DELETE ON deadline "
            "FOR EACH ROW EXECUTE FUNCTION keep_deadline()"
        )
    else:
        op.execute(
            "CREATE TRIGGER deadline_kept BEFORE DELETE ON deadline "
            f"BEGIN SELECT RAISE(ABORT, '{KEEP}'); END"
        )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS deadline_kept ON deadline")
        op.execute("DROP FUNCTION IF EXISTS keep_deadline()")
    else:
        op.execute("DROP TRIGGER IF EXISTS deadline_kept")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_digest_id")
        batch_op.create_index("ix_reminder_digest_id", ["digest_id"], unique=False)
        batch_op.drop_index("ix_reminder_claimed")
        batch_op.create_index("ix_reminder_recipient_status", ["recipient", "status"], unique=False)
        batch_op.create_index("ix_reminder_agency_id", ["agency_id"], unique=False)
        batch_op.create_index("ix_reminder_deadline_id", ["deadline_id"], unique=False)
        for name, columns, table, remote in KEYS:
            batch_op.create_foreign_key(name, table, columns, remote)
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_agency_id", ["agency_id"], unique=False)
    op.drop_table("reminder_scan")
