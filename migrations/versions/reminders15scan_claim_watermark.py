"""The reminder scan at 10,000 agencies (issue 15, item 5): where the claim stands
(reminder_scan), one foreign key per reminder for its deadline and agency, no redundant index.

* ``reminder_scan``: one row, the moment and the deadlines the last claim covered and a
  fingerprint of what decides recipients and days; a scan with the same fingerprint looks only
  at steps due since then and at deadlines opened since (docs/jobs.md, "The reminder scan").
  Read and written by the system scope only, like ``reminder_digest``.
* ``deadline``: ``ix_deadline_agency_id`` goes (the unique key (agency_id, kind, subject_key)
  leads with it); (id, agency_id) is unique, for the reminders' key.
* ``reminder``: the key (deadline_id, agency_id) → deadline (id, agency_id) replaces the keys
  to the deadline and the agency, so a reminder's agency is its deadline's; the keys to the
  person and the digest go (only the claim writes reminders, from the rows it joins; people and
  digests are never deleted): one check per claimed row instead of four.
  ``ix_reminder_deadline_id`` goes (the unique key leads with deadline_id), and so does
  ``ix_reminder_agency_id`` (an agency's reminders are read through its deadlines);
  ``ix_reminder_digest_id`` covers carried reminders only (a claim writes none), and
  ``ix_reminder_claimed`` (recipient) the claimed ones only (what the digests read), instead of
  (recipient, status) over the whole history.

Revision ID: reminders15scan
Revises: registry16_processes
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from touchpoints.core.db import APP_SCOPE, UTCDateTime, policy_statements

revision = "reminders15scan"
down_revision = "registry16_processes"
branch_labels = None
depends_on = None

CARRIED = sa.text("digest_id IS NOT NULL")
CLAIMED = sa.text("status = 'claimed'")


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
        batch_op.create_unique_constraint(
            batch_op.f("uq_deadline_id_agency_id"), ["id", "agency_id"]
        )
        batch_op.drop_index("ix_deadline_agency_id")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_constraint("fk_reminder_agency_id_agency", type_="foreignkey")
        batch_op.drop_constraint("fk_reminder_deadline_id_deadline", type_="foreignkey")
        batch_op.drop_constraint("fk_reminder_user_id_user_account", type_="foreignkey")
        batch_op.drop_constraint("fk_reminder_digest_id_reminder_digest", type_="foreignkey")
        batch_op.create_foreign_key(
            batch_op.f("fk_reminder_deadline_id_deadline"),
            "deadline",
            ["deadline_id", "agency_id"],
            ["id", "agency_id"],
        )
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


def downgrade():
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_digest_id")
        batch_op.create_index("ix_reminder_digest_id", ["digest_id"], unique=False)
        batch_op.create_index("ix_reminder_deadline_id", ["deadline_id"], unique=False)
        batch_op.create_index("ix_reminder_agency_id", ["agency_id"], unique=False)
        batch_op.drop_index("ix_reminder_claimed")
        batch_op.create_index("ix_reminder_recipient_status", ["recipient", "status"], unique=False)
        batch_op.drop_constraint("fk_reminder_deadline_id_deadline", type_="foreignkey")
        batch_op.create_foreign_key(
            batch_op.f("fk_reminder_deadline_id_deadline"), "deadline", ["deadline_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_reminder_agency_id_agency"), "agency", ["agency_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_reminder_user_id_user_account"), "user_account", ["user_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_reminder_digest_id_reminder_digest"),
            "reminder_digest",
            ["digest_id"],
            ["id"],
        )
    with op.batch_alter_table("deadline", schema=None) as batch_op:
        batch_op.create_index("ix_deadline_agency_id", ["agency_id"], unique=False)
        batch_op.drop_constraint(batch_op.f("uq_deadline_id_agency_id"), type_="unique")
    op.drop_table("reminder_scan")
