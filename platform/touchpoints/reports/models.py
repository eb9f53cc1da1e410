from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.core.db import TenantMixin, db, utcnow
from touchpoints.lists.models import DigitalShare

ASSESSMENTS = {"green": "зелёный", "amber": "жёлтый", "red": "красный"}
ASSESSMENT_TEXT = {
    "green": "перечень ведётся надлежащим образом",
    "amber": "есть замечания",
    "red": "требуются срочные меры",
}


class QuarterSnapshot(DigitalShare, TenantMixin, db.Model):
    """One agency's indicators for the project office's quarterly report, as they stood when the
    snapshot was taken, and the office's assessment. A quarter's snapshot is kept so that the
    trend across quarters shows (touchpoints.reports.services)."""

    __tablename__ = "quarter_snapshot"
    __table_args__ = (
        sa.UniqueConstraint("agency_id", "year", "quarter"),
        sa.CheckConstraint("quarter BETWEEN 1 AND 4", name="quarter_range"),
        sa.Index("ix_quarter_snapshot_period", "year", "quarter"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    quarter: Mapped[int]
    #: When the figures were read: a quarter's figures are those of that moment.
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The current approved version then (None: no list approved yet).
    version_number: Mapped[int | None]
    order_number: Mapped[str | None] = mapped_column(sa.String(64))
    order_date: Mapped[date | None]
    approved_on: Mapped[date | None]
    #: The date the current version was recorded as published on the site (None: not yet).
    published_on: Mapped[date | None]
    #: Working days from approval to publication of the current version (region calendar).
    days_to_publish: Mapped[int | None]
    #: on_time / due / overdue / none / unknown: the publication deadline (dashboard figure).
    publication_status: Mapped[str] = mapped_column(sa.String(16), default="unknown")
    #: The latest proof-of-publication check: shown / not_shown / error (None: never checked).
    page_check: Mapped[str | None] = mapped_column(sa.String(16))
    touchpoints: Mapped[int] = mapped_column(default=0)
    digital: Mapped[int] = mapped_column(default=0)
    areas_covered: Mapped[int] = mapped_column(default=0)
    areas_total: Mapped[int] = mapped_column(default=0)
    #: Compliance errors and warnings of the working list (None: the check was unavailable).
    errors: Mapped[int | None]
    warnings: Mapped[int | None]
    #: Entries submitted and waiting for the registrar.
    pending: Mapped[int] = mapped_column(default=0)
    #: Active processes of the agency's registry with no touchpoint in the working list
    #: (Kuzbass 3.5; None: taken before the registry of processes existed).
    uncovered_processes: Mapped[int | None]
    #: The latest re-confirmation by any subdivision (Murmansk 5.3, Kuzbass 5.4).
    last_reconfirmed_on: Mapped[date | None]
    #: The project office's assessment: green / amber / red (None: not assessed yet).
    assessment: Mapped[str | None] = mapped_column(sa.String(8))
    assessment_comment: Mapped[str] = mapped_column(sa.Text, default="")
    assessed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    assessed_at: Mapped[datetime | None]

    agency = relationship("Agency")
    assessed_by = relationship("User")

    @property
    def published(self) -> bool:
        return self.published_on is not None

    @property
    def assessment_label(self) -> str:
        return ASSESSMENTS.get(self.assessment or "", "не оценено")
