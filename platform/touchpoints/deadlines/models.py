from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.auth.models import PersonalChoice
from touchpoints.core.db import TenantMixin, db, utcnow
from touchpoints.core.enums import LabelledEnum
from touchpoints.core.queries import newest_first


class DeadlineKind(LabelledEnum):
    # seeds 5.4 (Murmansk) / 5.5 (Kuzbass)
    PUBLICATION = "publication", "Размещение перечня на сайте"
    # a submitted entry waits for the registrar (2.2 / 3.3)
    REVIEW = "review", "Проверка сведений уполномоченным лицом"
    # a subdivision confirms its entries (5.3 / 5.4)
    RECONFIRM = "reconfirm", "Подтверждение актуальности сведений подразделения"


#: Opening deadlines (shared) and claiming reminders (exclusive) exclude each other: a claim
#: sees every deadline that will ever have an id up to the largest it sees, so the next claim
#: knows the new ones by their ids (reminders/watermark.py).
OPENING_LOCK = 0x72656D69  # "remi"


class Deadline(TenantMixin, db.Model):
    """One obligation with a due date. Rows are kept after closing, as the on-time record: the
    database refuses to delete one (the trigger of migration reminders15scan), so reminders and
    publications always have theirs.

    Opened and closed by :func:`touchpoints.deadlines.compute.sync` from the state of the list;
    the publication deadline is closed by recording the publication."""

    __tablename__ = "deadline"
    __table_args__ = (
        sa.UniqueConstraint("agency_id", "kind", "subject_key"),
        sa.Index("ix_deadline_status_due", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Indexed by the unique key, which leads with it.
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id"))
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

    @classmethod
    def of_agency(cls, agency_id: int) -> sa.Select:
        """The agency's publications, the latest first, with their versions."""
        return newest_first(cls, cls.published_on, cls.agency_id == agency_id, load=[cls.version])


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

    @classmethod
    def latest_by_subdivision(cls, agency_id: int) -> dict[int, Reconfirmation]:
        """Each subdivision's latest confirmation."""
        q = sa.select(cls).where(cls.agency_id == agency_id).order_by(cls.confirmed_at)
        return {r.subdivision_id: r for r in db.session.scalars(q)}


# --------------------------------------------------------------------------- reminders
# The reminders sent about deadlines, and their policies. They live with the deadlines because
# both features read them (the deadlines' summaries show the last reminder; the reminders
# feature writes them), and the deadlines feature must not depend on the reminders feature.


class ReminderPolicy(db.Model):
    """When reminders go out: a region's default (``region_id``) or an agency's own."""

    __tablename__ = "reminder_policy"
    __table_args__ = (
        sa.CheckConstraint("(region_id IS NULL) <> (agency_id IS NULL)", name="region_or_agency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"), unique=True)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"), unique=True)
    #: Working days before the deadline, e.g. [3, 1].
    before_days: Mapped[list] = mapped_column(sa.JSON, default=list)
    on_day: Mapped[bool] = mapped_column(default=True)
    #: Working days after the deadline, e.g. [1, 5]: these also go to the project office.
    after_days: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Local hour (region time zone) at which the day's digest goes out.
    send_hour: Mapped[int] = mapped_column(default=9)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Reminder(TenantMixin, db.Model):
    """One reminder to one person about one step of one deadline, claimed before it is sent.

    The unique key is the exactly-once guarantee: whoever inserts the row first sends it;
    every other scanner (a parallel one, a re-run, a retry after a crash) finds it taken."""

    __tablename__ = "reminder"
    __table_args__ = (
        # Also the index of deadline_id (its leading column).
        sa.UniqueConstraint("deadline_id", "step", "recipient"),
        # Claimed reminders by person (the digests'): the sent ones, the whole history, are not
        # in it.
        sa.Index(
            "ix_reminder_claimed",
            "recipient",
            postgresql_where=sa.text("status = 'claimed'"),
            sqlite_where=sa.text("status = 'claimed'"),
        ),
        # Claimed reminders have no digest yet: only carried ones are indexed.
        sa.Index(
            "ix_reminder_digest_id",
            "digest_id",
            postgresql_where=sa.text("digest_id IS NOT NULL"),
            sqlite_where=sa.text("digest_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign keys: only the claim writes reminders, taking the deadline and its agency, the
    # person and (later) the digest from the rows it joins in the same statement; deadlines
    # cannot be deleted (see Deadline), people and digests never are. Checking four keys per
    # row was 3.4–7 s of a 180,000-row claim (docs/jobs.md, "The reminder scan").
    #: The deadline's agency (what row-level security reads). Not indexed: reminders are read
    #: by deadline, person or digest.
    agency_id: Mapped[int] = mapped_column(index=False)
    deadline_id: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: "before:3", "due" or "after:1" (working days relative to the deadline).
    step: Mapped[str] = mapped_column(sa.String(16))
    #: E-mail address, lower case; the project office's shared address has no user.
    recipient: Mapped[str] = mapped_column(sa.String(255))
    #: The person the address belonged to when claimed (None: the office's shared address).
    user_id: Mapped[int | None] = mapped_column(index=True)
    #: Local date the step falls on (region time zone).
    send_on: Mapped[date]
    #: A copy to the project office after the deadline.
    escalation: Mapped[bool] = mapped_column(default=False)
    #: Early reminders may be turned off by the person; deadline-day and later ones may not.
    optional: Mapped[bool] = mapped_column(default=False)
    #: claimed → sent (in a digest); muted when the person turned this kind off.
    status: Mapped[str] = mapped_column(sa.String(16), default="claimed")
    digest_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deadline = relationship(
        "Deadline", primaryjoin="foreign(Reminder.deadline_id) == Deadline.id", viewonly=True
    )

    @classmethod
    def of_user(cls, user_id: int) -> sa.Select:
        """A person's own reminders, newest first, with their deadlines."""
        return newest_first(cls, cls.created_at, cls.user_id == user_id, load=[cls.deadline])


class ReminderDigest(db.Model):
    """One e-mail per person per day gathering all their reminders. Per recipient, not per
    agency (the project office hears about many agencies), hence no tenant column."""

    __tablename__ = "reminder_digest"
    __table_args__ = (sa.UniqueConstraint("recipient", "local_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(sa.String(255))
    local_date: Mapped[date]
    #: Not before this instant: the set local hour of ``local_date``.
    send_after: Mapped[datetime]
    #: pending → sent (mail queued) or empty (nothing left to say).
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    mail_message_id: Mapped[int | None] = mapped_column(sa.ForeignKey("mail_message.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class ReminderOptOut(PersonalChoice, db.Model):
    """A person turned off early (optional) reminders of one kind."""

    __tablename__ = "reminder_opt_out"

    kind: Mapped[str] = mapped_column(sa.String(16))


class ReminderScan(db.Model):
    """Where the reminder claim stands: one row, written in the claim's own transaction.

    Every step due by ``claimed_through`` of every deadline up to id ``deadlines_through`` was
    claimed for the people that ``inputs`` describes (a fingerprint of what decides recipients
    and days: people, regions, policies, calendars). A scan whose fingerprint is the same looks
    only at steps that fell due after that moment and at deadlines opened since
    (reminders/watermark.py, docs/jobs.md "The reminder scan")."""

    __tablename__ = "reminder_scan"

    id: Mapped[int] = mapped_column(primary_key=True)
    claimed_through: Mapped[datetime]
    deadlines_through: Mapped[int]
    inputs: Mapped[str] = mapped_column(sa.String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
