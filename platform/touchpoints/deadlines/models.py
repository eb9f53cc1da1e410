from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.core.db import TenantMixin, db, utcnow


class DeadlineKind(enum.StrEnum):
    PUBLICATION = "publication"  # seeds 5.4 (Murmansk) / 5.5 (Kuzbass)
    REVIEW = "review"  # a submitted entry waits for the registrar (2.2 / 3.3)
    RECONFIRM = "reconfirm"  # a subdivision confirms its entries (5.3 / 5.4)

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    DeadlineKind.PUBLICATION: "Размещение перечня на сайте",
    DeadlineKind.REVIEW: "Проверка сведений уполномоченным лицом",
    DeadlineKind.RECONFIRM: "Подтверждение актуальности сведений подразделения",
}


class Deadline(TenantMixin, db.Model):
    """One obligation with a due date. Rows are kept after closing, as the on-time record.

    Opened and closed by :func:`touchpoints.deadlines.services.sync` from the state of the list;
    the publication deadline is closed by recording the publication."""

    __tablename__ = "deadline"
    __table_args__ = (
        sa.UniqueConstraint("agency_id", "kind", "subject_key"),
        sa.Index("ix_deadline_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: What the deadline is about and since when, e.g. "pub:2025-04-25T10:00:00+00:00",
    #: "entry:17:<submitted_at>", "sub:3:2025-01-01": a new trigger is a new deadline.
    subject_key: Mapped[str] = mapped_column(sa.String(160))
    subdivision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subdivision.id"))
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"))
    #: The moment that started the clock (a change, a submission, the last confirmation).
    started_at: Mapped[datetime]
    #: Local date (region time zone) of ``started_at``; working days count from the day after.
    started_on: Mapped[date]
    due_on: Mapped[date]
    #: open → closed.
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    closed_at: Mapped[datetime | None]
    closed_on: Mapped[date | None]
    #: on_time / late, judged by the local date of closing against ``due_on``.
    outcome: Mapped[str | None] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    subdivision = relationship("Subdivision")

    @property
    def kind_enum(self) -> DeadlineKind:
        return DeadlineKind(self.kind)


class Publication(TenantMixin, db.Model):
    """The registrar's record that the current list is on the agency's site (seeds 5.1 / 5.4)."""

    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("list_version.id"), index=True)
    published_on: Mapped[date]
    #: Address of the page on the agency's site where the list is published.
    url: Mapped[str] = mapped_column(sa.String(1000))
    #: The publication deadline this record closed, if one was open.
    deadline_id: Mapped[int | None] = mapped_column(sa.ForeignKey("deadline.id"))
    on_time: Mapped[bool | None]
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: When a check of the page found it no longer shows this (current) version; the publication
    #: deadline runs again from that moment until a check finds it again or a new publication
    #: is recorded (touchpoints.publication.services).
    withdrawn_at: Mapped[datetime | None]

    version = relationship("ListVersion")
    recorded_by = relationship("User")
    deadline = relationship("Deadline")


class Reconfirmation(TenantMixin, db.Model):
    """A subdivision confirmed that its entries are current (Murmansk 5.3, Kuzbass 5.4)."""

    __tablename__ = "reconfirmation"
    __table_args__ = (sa.Index("ix_reconfirmation_subdivision", "subdivision_id", "confirmed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subdivision_id: Mapped[int] = mapped_column(sa.ForeignKey("subdivision.id"))
    confirmed_on: Mapped[date]
    confirmed_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    comment: Mapped[str] = mapped_column(sa.Text, default="")

    subdivision = relationship("Subdivision")
    confirmed_by = relationship("User")
