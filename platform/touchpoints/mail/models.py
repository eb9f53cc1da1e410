from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from touchpoints.core.db import TenantScoped, db, utcnow


class MailMessage(TenantScoped, db.Model):
    """A message to one recipient. Bodies quote lists, drafts included, so the table is under
    row-level security too: an agency's own messages belong to it, a digest about several
    agencies (the project office's) to none, and only the operator and the delivery jobs (the
    system scope) read them all."""

    __tablename__ = "mail_message"
    __table_args__ = (sa.Index("ix_mail_message_status_next", "status", "next_attempt_at"),)
    __region_read__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Nullable unlike TenantMixin: a digest about several agencies belongs to none of them.
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    recipient: Mapped[str] = mapped_column(sa.String(255))
    subject: Mapped[str] = mapped_column(sa.String(500))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    #: queued → sending → sent; failed attempts go back to queued with a later next_attempt_at.
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When a worker claimed it; a stale claim (worker died) is taken over after a while.
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    #: Where it went: "smtp" or "outbox" (the demo's local outbox page).
    transport: Mapped[str | None] = mapped_column(sa.String(16))

    @classmethod
    def listed(cls, status: str | None = None) -> sa.Select:
        """Messages newest first, of one delivery state when given."""
        q = sa.select(cls).order_by(cls.id.desc())
        return q.where(cls.status == status) if status else q

    @classmethod
    def failing_count(cls) -> int:
        """Messages not sent whose last attempt failed."""
        q = sa.select(sa.func.count()).where(cls.status != "sent", cls.last_error.is_not(None))
        return db.session.scalar(q) or 0
