"""Notices at the event, people's notice settings, annulments of mistaken approvals (issue 13).

Revision ID: b1300000001
Revises: p16_publication_quarterly
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

from touchpoints.core.db import APP_SCOPE, policy_statements, rls_statements

revision = "b1300000001"
down_revision = "p16_publication_quarterly"
branch_labels = None
depends_on = None

#: New tenant tables: (readable by the public pages, what the project office may read).
#: tests/test_isolation.py compares every migration's TENANT_TABLES with the models.
TENANT_TABLES = {
    "notification": (False, None),
    "version_annulment": (True, "true"),
}


def upgrade():
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("event_key", sa.String(length=128), nullable=False),
        sa.Column("recipient", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("delivery", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mail_message_id", sa.Integer(), nullable=True),
        sa.Column("digest_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_notification_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["digest_id"],
            ["reminder_digest.id"],
            name=op.f("fk_notification_digest_id_reminder_digest"),
        ),
        sa.ForeignKeyConstraint(
            ["mail_message_id"],
            ["mail_message.id"],
            name=op.f("fk_notification_mail_message_id_mail_message"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_notification_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint(
            "event_key", "recipient", name=op.f("uq_notification_event_key_recipient")
        ),
    )
    op.create_index(op.f("ix_notification_agency_id"), "notification", ["agency_id"])
    op.create_index(op.f("ix_notification_user_id"), "notification", ["user_id"])
    op.create_index("ix_notification_recipient_status", "notification", ["recipient", "status"])
    op.create_table(
        "notification_preference",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_preference_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_preference")),
        sa.UniqueConstraint(
            "user_id", "kind", name=op.f("uq_notification_preference_user_id_kind")
        ),
    )
    op.create_table(
        "version_annulment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("annulled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("annulled_by_id", sa.Integer(), nullable=True),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_version_annulment_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["annulled_by_id"],
            ["user_account.id"],
            name=op.f("fk_version_annulment_annulled_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["list_version.id"],
            name=op.f("fk_version_annulment_version_id_list_version"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_version_annulment")),
        sa.UniqueConstraint("version_id", name=op.f("uq_version_annulment_version_id")),
    )
    op.create_index(op.f("ix_version_annulment_agency_id"), "version_annulment", ["agency_id"])
    if op.get_bind().dialect.name == "postgresql":
        for table, (public, region_read) in TENANT_TABLES.items():
            for statement in rls_statements(table, public_read=public, region_read=region_read):
                op.execute(statement)
        # A person's own settings, as reminder_opt_out: visible when the person is.
        own = f"{APP_SCOPE} = 'all' OR user_id IN (SELECT id FROM user_account)"
        for statement in policy_statements("notification_preference", own, own):
            op.execute(statement)


def downgrade():
    op.drop_index(op.f("ix_version_annulment_agency_id"), table_name="version_annulment")
    op.drop_table("version_annulment")
    op.drop_table("notification_preference")
    op.drop_index("ix_notification_recipient_status", table_name="notification")
    op.drop_index(op.f("ix_notification_user_id"), table_name="notification")
    op.drop_index(op.f("ix_notification_agency_id"), table_name="notification")
    op.drop_table("notification")
