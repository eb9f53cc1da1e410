"""The common entry model behind every agency's form (README, "One data model behind every form").

Each column of a form maps to one of :data:`COMMON_FIELDS` or is an extra field kept in
``Entry.extra``, so that lists in different forms stay comparable.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.core import queries
from touchpoints.core.db import PublicReadMixin, TenantMixin, db, utcnow
from touchpoints.core.text import share

#: Field names of the common model, in the order of the fullest form.
COMMON_FIELDS = (
    "activity_area",
    "process_name",
    "touchpoint",
    "channel_kind",
    "client_kind",
    "client_needs",
    "interaction",
    "specifics",
    "subdivision",
    "organisation",
    "response_hours_mentions",
    "response_hours_requests",
    "max_transfers",
    "waiting_minutes",
)


class DigitalShare:
    """Figures that count ``touchpoints`` and, of them, the ``digital`` ones (a dashboard row, a
    quarter's snapshot, the region's totals)."""

    @property
    def digital_share(self) -> float | None:
        return share(self.digital, self.touchpoints)


class ChannelKind(enum.StrEnum):
    """Seeds 3.1 (Murmansk) / 4.1 and 2.8-2.9 (Kuzbass): digital or offline."""

    DIGITAL = "digital"
    OFFLINE = "offline"


class ClientKind(enum.StrEnum):
    EXTERNAL = "external"
    INTERNAL = "internal"


class EntryStatus(enum.StrEnum):
    DRAFT = "draft"  # being prepared by a subdivision
    SUBMITTED = "submitted"  # waiting for the registrar (2.2.2 / 3.3.2)
    RETURNED = "returned"  # returned with a comment
    INCLUDED = "included"  # in the working list (2.2.3 / 3.3.3)
    EXCLUDED = "excluded"  # excluded from the working list, kept for the record
    APPLIED = "applied"  # a change or exclusion proposal that was carried into its target
    WITHDRAWN = "withdrawn"  # a proposal dropped by its author


class EntryKind(enum.StrEnum):
    NEW = "new"  # a new entry
    CHANGE = "change"  # a proposed change to an included entry (2.2.4 / 5.2)
    EXCLUSION = "exclusion"  # a proposed exclusion, with a reason (2.2.4 / 5.2.4)


#: Statuses in which the entry is part of the working list.
WORKING = (EntryStatus.INCLUDED.value,)
#: Statuses of an entry or proposal still under way (not yet in the list, nor dropped).
OPEN_PROPOSAL = (EntryStatus.DRAFT.value, EntryStatus.SUBMITTED.value, EntryStatus.RETURNED.value)


class EntryFieldsMixin:
    """The columns an entry and its frozen copy in a version share."""

    activity_area: Mapped[str] = mapped_column(sa.String(64))
    process_name: Mapped[str] = mapped_column(sa.Text, default="")
    #: Code of the touchpoint in the agency's catalogue; None when typed in by hand.
    touchpoint_code: Mapped[str | None] = mapped_column(sa.String(64))
    #: The touchpoint's name as shown in the list.
    touchpoint: Mapped[str] = mapped_column(sa.Text, default="")
    channel_kind: Mapped[str] = mapped_column(sa.String(16), default=ChannelKind.DIGITAL.value)
    client_kind: Mapped[str] = mapped_column(sa.String(16), default=ClientKind.EXTERNAL.value)
    #: Codes of the satisfied client needs (seeds 2.6 / 3.7).
    client_needs: Mapped[list] = mapped_column(sa.JSON, default=list)
    interaction: Mapped[str] = mapped_column(sa.Text, default="")
    specifics: Mapped[str] = mapped_column(sa.Text, default="")
    #: A subordinate organisation that performs the interaction, if not the agency itself.
    organisation: Mapped[str] = mapped_column(sa.String(500), default="")
    #: Promised answer time to mentions, hours (social networks, seeds 3.2.3 / 4.2.3 в: ≤ 4).
    response_hours_mentions: Mapped[float | None] = mapped_column(sa.Numeric(6, 2, asdecimal=False))
    #: Promised answer time to official requests and comments, hours (same clauses: ≤ 2).
    response_hours_requests: Mapped[float | None] = mapped_column(sa.Numeric(6, 2, asdecimal=False))
    #: At most this many transfers to other staff on the phone (seeds 3.2.4 / 4.2.5).
    max_transfers: Mapped[int | None]
    #: Waiting time in minutes for in-person service (Kuzbass 4.2.7 ж).
    waiting_minutes: Mapped[int | None]
    #: Values of the form's extra columns, by column key.
    extra: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class Entry(EntryFieldsMixin, TenantMixin, db.Model):
    """A row of the working list, or a proposal (change / exclusion) against one."""

    __tablename__ = "entry"
    __table_args__ = (
        sa.Index("ix_entry_agency_status", "agency_id", "status"),
        sa.CheckConstraint("channel_kind IN ('digital', 'offline')", name="channel_kind"),
        sa.CheckConstraint("client_kind IN ('external', 'internal')", name="client_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subdivision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subdivision.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=EntryStatus.DRAFT.value)
    kind: Mapped[str] = mapped_column(sa.String(16), default=EntryKind.NEW.value)
    #: For a change or exclusion proposal: the included entry it would change.
    target_id: Mapped[int | None] = mapped_column(sa.ForeignKey("entry.id"), index=True)
    #: Why an entry is (to be) excluded (seeds 5.2.4 / 5.3).
    exclusion_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: The registrar's comment when returning an entry.
    review_comment: Mapped[str | None] = mapped_column(sa.Text)
    #: Position within the activity area, for a stable order in the list and the PDF.
    position: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    #: Optimistic lock: a save based on an older revision is refused, never merged silently.
    revision: Mapped[int] = mapped_column(default=1)
    #: The registry process the row is about (lists.processes); None: ``process_name`` typed in.
    process_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registry_process.id"), index=True)
    #: A region's shared touchpoint the row uses (lists.passports), instead of a catalogue item.
    shared_touchpoint_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("shared_touchpoint.id"), index=True
    )

    __mapper_args__ = {"version_id_col": revision}
    # The project office reads the working list, not drafts, returns or pending proposals
    # (docs/tenancy.md: nobody sees another agency's drafts).
    __region_read__ = "status IN ('included', 'excluded')"

    @classmethod
    def region_criteria(cls):
        return cls.status.in_((EntryStatus.INCLUDED.value, EntryStatus.EXCLUDED.value))

    subdivision = relationship("Subdivision")
    target = relationship("Entry", remote_side=[id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    reviewed_by = relationship("User", foreign_keys=[reviewed_by_id])
    process = relationship("RegistryProcess")

    # Queries asked in more than one place (Redash's org-scoped getters).

    @classmethod
    def in_working_list(cls, agency_id: int) -> tuple:
        """Criteria of the rows of an agency's working list: included entries, not proposals."""
        return (
            cls.agency_id == agency_id,
            cls.status.in_(WORKING),
            cls.kind == EntryKind.NEW.value,
        )

    @classmethod
    def working_query(cls, agency_id: int) -> sa.Select:
        """The rows of an agency's working list, in list order."""
        return (
            sa.select(cls)
            .where(*cls.in_working_list(agency_id))
            .order_by(cls.activity_area, cls.position, cls.id)
        )

    @classmethod
    def working_counts_by_area(cls, agency_id: int) -> dict[str, int]:
        q = (
            sa.select(cls.activity_area, sa.func.count())
            .where(*cls.in_working_list(agency_id))
            .group_by(cls.activity_area)
        )
        return dict(db.session.execute(q).all())

    @classmethod
    def working(cls, agency_id: int) -> list[Entry]:
        q = cls.working_query(agency_id).options(sa.orm.selectinload(cls.subdivision))
        return list(db.session.scalars(q))

    @classmethod
    def working_count(cls, agency_id: int) -> int:
        q = sa.select(sa.func.count()).select_from(cls.working_query(agency_id).subquery())
        return db.session.scalar(q) or 0

    @classmethod
    def next_position(cls, agency_id: int) -> int:
        """Position of a new row: after every row of the agency, so it is listed last."""
        return queries.next_number(cls.position, cls.agency_id == agency_id)

    @classmethod
    def open_proposal_for(cls, target_id: int) -> Entry | None:
        """The change or exclusion proposal of an included row still under way, if any."""
        return db.session.scalar(
            sa.select(cls).where(cls.target_id == target_id, cls.status.in_(OPEN_PROPOSAL))
        )

    @classmethod
    def proposals_for(cls, target_id: int) -> list[Entry]:
        q = sa.select(cls).where(cls.target_id == target_id).order_by(cls.id.desc())
        return list(db.session.scalars(q))


class ListVersion(PublicReadMixin, TenantMixin, db.Model):
    """An approved, immutable version of an agency's list, with the order that approved it."""

    __tablename__ = "list_version"
    __table_args__ = (sa.UniqueConstraint("agency_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: 1, 2, 3 … per agency.
    number: Mapped[int]
    order_number: Mapped[str] = mapped_column(sa.String(64))
    order_date: Mapped[date]
    #: Title and name of who signed the order.
    signatory_title: Mapped[str] = mapped_column(sa.String(500), default="")
    signatory_name: Mapped[str] = mapped_column(sa.String(255), default="")
    approved_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    #: The registrar approved entries they had submitted themselves (acting alone), recorded.
    self_approved: Mapped[bool] = mapped_column(default=False)
    #: The agency's form at approval time, so an old version renders as it was.
    form: Mapped[dict] = mapped_column(sa.JSON)
    #: Activity areas marked as not performed at approval time (seed Kuzbass 3.5).
    areas_not_performed: Mapped[list] = mapped_column(sa.JSON, default=list)
    entry_count: Mapped[int] = mapped_column(default=0)

    entries: Mapped[list[VersionEntry]] = relationship(
        back_populates="version", order_by="VersionEntry.row_number"
    )
    approved_by = relationship("User")

    @classmethod
    def query_for(cls, agency_id: int) -> sa.Select:
        """An agency's versions, the latest first."""
        return sa.select(cls).where(cls.agency_id == agency_id).order_by(cls.number.desc())

    @classmethod
    def latest(cls, agency_id: int) -> ListVersion | None:
        """The agency's current version: the latest approved one still in force (an annulled
        approval — a typo in its order — is skipped, and the one before it is current again)."""
        return db.session.scalar(cls.query_for(agency_id).where(version_in_force()).limit(1))

    @classmethod
    def previous(cls, agency_id: int, before_number: int) -> ListVersion | None:
        """The version approved just before version ``before_number``."""
        q = cls.query_for(agency_id).where(cls.number < before_number, version_in_force())
        return db.session.scalar(q.limit(1))

    @classmethod
    def by_number(cls, agency_id: int, number: int) -> ListVersion | None:
        if not 0 < number < 2**31:
            return None
        return db.session.scalar(
            sa.select(cls).where(cls.agency_id == agency_id, cls.number == number)
        )

    @classmethod
    def numbers(cls, agency_id: int) -> list[int]:
        """The agency's version numbers, the latest first."""
        q = sa.select(cls.number).where(cls.agency_id == agency_id).order_by(cls.number.desc())
        return list(db.session.scalars(q))

    @classmethod
    def next_number(cls, agency_id: int) -> int:
        return queries.next_number(cls.number, cls.agency_id == agency_id)

    @classmethod
    def latest_of(cls, agency_ids) -> dict[int, ListVersion]:
        """The current version of each of the given agencies (those that have one), in one query."""
        ids = list(agency_ids)
        if not ids:
            return {}
        top = (
            sa.select(cls.agency_id, sa.func.max(cls.number).label("number"))
            .where(cls.agency_id.in_(ids), version_in_force())
            .group_by(cls.agency_id)
            .subquery()
        )
        rows = db.session.scalars(
            sa.select(cls).join(
                top, sa.and_(cls.agency_id == top.c.agency_id, cls.number == top.c.number)
            )
        )
        return {v.agency_id: v for v in rows}


class VersionEntry(EntryFieldsMixin, PublicReadMixin, TenantMixin, db.Model):
    """A frozen copy of an included entry inside an approved version."""

    __tablename__ = "version_entry"
    __table_args__ = (sa.UniqueConstraint("version_id", "row_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("list_version.id"), index=True)
    #: The working-list entry this row was copied from: versions are compared through it.
    entry_id: Mapped[int] = mapped_column(index=True)
    row_number: Mapped[int]
    subdivision_name: Mapped[str] = mapped_column(sa.String(500), default="")
    #: The registry process and the region's shared touchpoint the row named when approved
    #: (``Entry.process_id``, ``Entry.shared_touchpoint_id``), so that a later rename is told
    #: from another process or touchpoint (lists.diff). Plain ids, not foreign keys: a frozen
    #: record of what was referenced; None in versions approved before they were kept.
    process_id: Mapped[int | None]
    shared_touchpoint_id: Mapped[int | None]

    version: Mapped[ListVersion] = relationship(back_populates="entries")

    @classmethod
    def of_version(cls, version_id: int) -> sa.Select:
        """A version's rows in their order."""
        return sa.select(cls).where(cls.version_id == version_id).order_by(cls.row_number)


class AreaStatus(TenantMixin, db.Model):
    """An activity area the agency does not perform (Kuzbass 3.5: the list is formed per area)."""

    __tablename__ = "area_status"
    __table_args__ = (sa.UniqueConstraint("agency_id", "area_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_code: Mapped[str] = mapped_column(sa.String(64))
    not_performed: Mapped[bool] = mapped_column(default=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @classmethod
    def codes_not_performed(cls, agency_id: int) -> list[str]:
        """Codes of the activity areas the agency marked as not performed, sorted."""
        q = sa.select(cls.area_code).where(cls.agency_id == agency_id, cls.not_performed)
        return sorted(db.session.scalars(q))

    @classmethod
    def of_agency(cls, agency_id: int) -> list[AreaStatus]:
        return list(db.session.scalars(sa.select(cls).where(cls.agency_id == agency_id)))

    @classmethod
    def of(cls, agency_id: int, area_code: str) -> AreaStatus | None:
        return db.session.scalar(
            sa.select(cls).where(cls.agency_id == agency_id, cls.area_code == area_code)
        )


class VersionAnnulment(PublicReadMixin, TenantMixin, db.Model):
    """A mistaken approval, annulled with a reason. The version itself stays as it was
    (immutable); this record says it is no longer in force, and the previous valid version is
    current again. Public, because the public pages and the API must skip it too."""

    __tablename__ = "version_annulment"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("list_version.id"), unique=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    annulled_at: Mapped[datetime] = mapped_column(default=utcnow)
    annulled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    annulled_by = relationship("User")


def version_in_force():
    """SQL condition: the ListVersion row has not been annulled."""
    return ~sa.exists().where(VersionAnnulment.version_id == ListVersion.id)
