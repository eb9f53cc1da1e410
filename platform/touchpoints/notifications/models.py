from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from touchpoints.auth.models import PersonalChoice
from touchpoints.core.db import TenantMixin, db, utcnow


class Notification(TenantMixin, db.Model):
    """One notice of one event to one person, recorded in the transaction that decided the event.

    The unique (event, recipient) key makes it exactly once: a repeated hook in the same
    decision finds the row, and a rolled-back decision leaves neither the row nor its mail."""

    __tablename__ = "notification"
    __table_args__ = (
        sa.UniqueConstraint("event_key", "recipient"),
        sa.Index("ix_notification_recipient_status", "recipient", "status"),
    )
    # Bodies quote drafts and review comments: only the agency and the system jobs read them.
    __region_read__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    #: One of notifications.kinds.KINDS, e.g. "entry_returned".
    kind: Mapped[str] = mapped_column(sa.String(32))
    #: Identifies the event itself, e.g. "entry_returned:42:2026-11-26T09:00:00".
    event_key: Mapped[str] = mapped_column(sa.String(128))
    #: E-mail address, lower case.
    recipient: Mapped[str] = mapped_column(sa.String(255))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(500))
    body_text: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str] = mapped_column(sa.String(500), default="")
    #: The person's choice when the event happened: "now", "digest" or "off".
    delivery: Mapped[str] = mapped_column(sa.String(8))
    #: mailed (own e-mail queued) · pending (waits for the digest) → digested · off.
    status: Mapped[str] = mapped_column(sa.String(16))
    mail_message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("mail_message.id"))
    digest_id: Mapped[int | None] = mapped_column(sa.ForeignKey("reminder_digest.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationPreference(PersonalChoice, db.Model):
    """A person's choice for one kind of notice; no row means the kind's default."""

    __tablename__ = "notification_preference"

    kind: Mapped[str] = mapped_column(sa.String(32))
    #: "now", "digest" or "off" ("off" is refused for mandatory kinds).
    mode: Mapped[str] = mapped_column(sa.String(8))
