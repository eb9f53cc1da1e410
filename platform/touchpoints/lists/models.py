"""The common entry model behind every agency's form (README, "One data model behind every form").

Each column of a form maps to one of :data:`COMMON_FIELDS` or is an extra field kept in
``Entry.extra``, so that lists in different forms stay comparable.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.core.db import PublicReadMixin, TenantMixin, db, utcnow

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

    version: Mapped[ListVersion] = relationship(back_populates="entries")


class AreaStatus(TenantMixin, db.Model):
    """An activity area the agency does not perform (Kuzbass 3.5: the list is formed per area)."""

    __tablename__ = "area_status"
    __table_args__ = (sa.UniqueConstraint("agency_id", "area_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    area_code: Mapped[str] = mapped_column(sa.String(64))
    not_performed: Mapped[bool] = mapped_column(default=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


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
