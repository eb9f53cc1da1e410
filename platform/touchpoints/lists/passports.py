"""Touchpoint passports and shared touchpoints (docs/registry.md).

A passport describes one touchpoint as the agency uses it (a catalogue item, a shared
touchpoint or a touchpoint typed in by hand): what it rests on (Murmansk 2.4-2.5, Kuzbass 3.6:
an act, a contract or a «распорядительное действие»), what it offers clients who cannot use
digital channels easily (Murmansk 2.10.3-2.10.4, Kuzbass 3.8 подп. 3-4), whether feedback is
collected there, and service figures as measured. The compliance check reads passports, which is
why they live in the kernel; the pages that edit them are the ``registry`` feature's.

A shared touchpoint is one touchpoint run for several agencies of a region (a multifunctional
centre «Мои документы», a regional hotline): one region-level row that many lists reference
(``Entry.shared_touchpoint_id``), kept by the project office.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.core.db import TenantMixin, db, utcnow
from touchpoints.lists.models import WORKING, Entry, EntryKind
from touchpoints.lists.processes import normalized

#: What a touchpoint's use rests on (Murmansk 2.4.1-2.4.2 and 2.5, Kuzbass 3.6 подп. 1-3).
BASIS_KINDS = {
    "act": "Нормативный или ненормативный правовой акт",
    "contract": "Контракт, соглашение",
    "instruction": "Распорядительное действие (поручение, резолюция)",
}

#: Clients the orders name (Murmansk 2.10.4, Kuzbass 3.8 подп. 4), in their order.
CLIENT_GROUPS = {
    "disabled": "Клиенты с проблемами со здоровьем, ограниченно или временно нетрудоспособные",
    "elderly": "Клиенты старшего возраста",
    "low_digital": "Клиенты с низкими навыками использования цифровых технологий",
    "little_russian": "Клиенты с низким уровнем знания русского языка",
}

#: Ways feedback is collected at a touchpoint.
FEEDBACK_KINDS = {
    "gosuslugi_widget": "Виджет платформы обратной связи (ПОС) Госуслуг",
    "survey": "Опрос клиентов",
    "other": "Другой способ",
}

#: Measured figures and the norm rule of the procedure each is compared with
#: (touchpoints.lists.procedures: the limits of Murmansk 3.2.3-3.2.4, Kuzbass 4.2.3 в-4.2.7 ж).
MEASURED_NORMS = {
    "measured_mentions_hours": "norm_mentions",
    "measured_requests_hours": "norm_requests",
    "measured_transfers": "norm_transfers",
    "measured_waiting_minutes": "norm_waiting",
}


def touchpoint_key(code: str | None, shared_id: int | None, name: str | None) -> str:
    """Which touchpoint a passport or an entry means: its catalogue code, its shared row, or its
    name as typed (the same name read the same way)."""
    if shared_id:
        return f"shared:{shared_id}"
    if code:
        return f"code:{code}"
    return f"name:{normalized(name)}"


class TouchpointPassport(TenantMixin, db.Model):
    __tablename__ = "touchpoint_passport"
    __table_args__ = (sa.UniqueConstraint("agency_id", "touchpoint_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: touchpoint_key(): "code:site", "shared:3" or "name:<normalised name>".
    touchpoint_key: Mapped[str] = mapped_column(sa.String(600))
    #: The touchpoint's name as people read it.
    touchpoint_name: Mapped[str] = mapped_column(sa.Text, default="")
    #: A key of BASIS_KINDS, or "" while not stated.
    basis_kind: Mapped[str] = mapped_column(sa.String(16), default="")
    #: The act's or contract's title and number, or what the instruction was.
    basis_title: Mapped[str] = mapped_column(sa.Text, default="")
    basis_url: Mapped[str] = mapped_column(sa.String(1000), default="")
    #: CLIENT_GROUPS key -> what the touchpoint offers those clients (empty: nothing stated).
    accessibility: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: FEEDBACK_KINDS keys collected here.
    feedback: Mapped[list] = mapped_column(sa.JSON, default=list)
    feedback_note: Mapped[str] = mapped_column(sa.Text, default="")
    #: Measured answer time to mentions in social networks, hours.
    measured_mentions_hours: Mapped[float | None] = mapped_column(sa.Numeric(6, 2, asdecimal=False))
    #: Measured answer time to official requests and comments, hours.
    measured_requests_hours: Mapped[float | None] = mapped_column(sa.Numeric(6, 2, asdecimal=False))
    #: Measured transfers to other staff during a call (the most seen).
    measured_transfers: Mapped[int | None]
    #: Measured waiting time for in-person service, minutes.
    measured_waiting_minutes: Mapped[int | None]
    #: When the figures were measured.
    measured_on: Mapped[date | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    updated_by = relationship("User")

    @property
    def offers(self) -> dict[str, str]:
        """What is offered to each client group, only the groups with something stated."""
        return {
            k: str(v).strip()
            for k, v in (self.accessibility or {}).items()
            if k in CLIENT_GROUPS and str(v or "").strip()
        }

    @property
    def has_alternative(self) -> bool:
        return bool(self.offers)

    @classmethod
    def of_agency(cls, agency_id: int) -> list[TouchpointPassport]:
        q = sa.select(cls).where(cls.agency_id == agency_id).order_by(cls.touchpoint_name)
        return list(db.session.scalars(q))

    @classmethod
    def by_key(cls, agency_id: int, key: str) -> TouchpointPassport | None:
        return db.session.scalar(
            sa.select(cls).where(cls.agency_id == agency_id, cls.touchpoint_key == key)
        )


class SharedTouchpoint(db.Model):
    """A region-level touchpoint many agencies' lists reference; the project office keeps it.

    Not a tenant row: readable by the region's agencies and its office, written by the office
    and the operator (the policies of its migration)."""

    __tablename__ = "shared_touchpoint"
    __table_args__ = (
        sa.CheckConstraint("channel_kind IN ('digital', 'offline')", name="channel_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"), index=True)
    name: Mapped[str] = mapped_column(sa.Text)
    channel_kind: Mapped[str] = mapped_column(sa.String(16), default="offline")
    #: Who runs it and how clients reach it (an address, a phone number, a site).
    description: Mapped[str] = mapped_column(sa.Text, default="")
    archived_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    @classmethod
    def of_region(cls, region_id: int, *, with_archived: bool = False) -> list[SharedTouchpoint]:
        q = sa.select(cls).where(cls.region_id == region_id)
        if not with_archived:
            q = q.where(cls.archived_at.is_(None))
        return list(db.session.scalars(q.order_by(cls.name, cls.id)))

    @classmethod
    def in_region(cls, shared_id: int, region_id: int) -> SharedTouchpoint | None:
        return db.session.scalar(
            sa.select(cls).where(cls.id == shared_id, cls.region_id == region_id)
        )


def shared_usage(shared_id: int) -> dict[int, int]:
    """Agency id -> rows of its working list that use the shared touchpoint."""
    q = (
        sa.select(Entry.agency_id, sa.func.count())
        .where(Entry.shared_touchpoint_id == shared_id, Entry.status.in_(WORKING))
        .where(Entry.kind == EntryKind.NEW.value)
        .group_by(Entry.agency_id)
    )
    return dict(db.session.execute(q).all())
