"""The agency's registry of processes as the list kernel sees it (docs/registry.md).

Kuzbass 3.1: the list is formed «с учетом сформированного Департаментом реестра … процессов»;
3.5: for every function performed, service provided and digital service offered the touchpoints
must be defined; 5.3 подп. 1: including a process in the registry or excluding one from it
calls for updating the list. The kernel keeps the registry's rows because entries point at them
(``Entry.process_id``) and the compliance check and the publication clock read them; editing,
importing and archiving are the ``registry`` feature's.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.core.db import TenantMixin, db, utcnow
from touchpoints.core.enums import LabelledEnum


class ProcessKind(LabelledEnum):
    """Kuzbass 2.6 (услуга), 2.7 (функция), 2.4 (сервис: a service or function in digital form)."""

    SERVICE = "service", "Услуга"
    FUNCTION = "function", "Функция"
    DIGITAL = "digital_service", "Сервис"


PROCESS_KIND_LABELS = ProcessKind.labels()


def normalized(name: str | None) -> str:
    """A process name compared as people read it: case, «ё» and spacing do not matter."""
    return " ".join(str(name or "").casefold().replace("ё", "е").split())


class RegistryProcess(TenantMixin, db.Model):
    """A service, function or digital service of the agency's registry of processes."""

    __tablename__ = "registry_process"
    __table_args__ = (
        sa.Index("ix_registry_process_agency_archived", "agency_id", "archived_at"),
        sa.CheckConstraint("kind IN ('service', 'function', 'digital_service')", name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), default=ProcessKind.SERVICE.value)
    #: The process's number or identifier in the agency's registry, when it has one.
    code: Mapped[str] = mapped_column(sa.String(64), default="")
    name: Mapped[str] = mapped_column(sa.Text)
    #: ``normalized(name)``: two active processes of an agency never share it.
    name_key: Mapped[str] = mapped_column(sa.Text)
    #: Code of the activity area of the agency's form the process belongs to (optional).
    activity_area: Mapped[str] = mapped_column(sa.String(64), default="")
    #: Life situations (Kuzbass 2.10) the process serves, as their names.
    life_situations: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Excluded from the registry (kept: entries and the trail still name it).
    archived_at: Mapped[datetime | None]
    archive_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    created_by = relationship("User")

    @property
    def kind_label(self) -> str:
        return PROCESS_KIND_LABELS.get(ProcessKind(self.kind), self.kind)

    @property
    def active(self) -> bool:
        return self.archived_at is None

    @classmethod
    def of_agency(cls, agency_id: int, *, archived: bool = False) -> sa.Select:
        """The agency's active (or archived) processes by kind and name."""
        q = sa.select(cls).where(cls.agency_id == agency_id)
        q = q.where(cls.archived_at.is_not(None) if archived else cls.archived_at.is_(None))
        return q.order_by(cls.kind, cls.name_key, cls.id)

    @classmethod
    def active_of(cls, agency_id: int) -> list[RegistryProcess]:
        return list(db.session.scalars(cls.of_agency(agency_id)))

    @classmethod
    def all_of(cls, agency_id: int) -> list[RegistryProcess]:
        """Active and archived, for matching an import against what is there."""
        return list(db.session.scalars(sa.select(cls).where(cls.agency_id == agency_id)))

    @classmethod
    def ids_by_key(cls, agency_id: int) -> dict[str, int]:
        """Active processes by ``normalized(name)``: how a typed or imported name finds its
        registry process."""
        return {p.name_key: p.id for p in cls.active_of(agency_id)}

    @classmethod
    def active_by_key(cls, agency_id: int, name_key: str) -> RegistryProcess | None:
        return db.session.scalar(
            sa.select(cls).where(
                cls.agency_id == agency_id, cls.name_key == name_key, cls.archived_at.is_(None)
            )
        )


class RegistryChange(TenantMixin, db.Model):
    """A process included in or excluded from the registry (Kuzbass 5.3 подп. 1).

    When the change calls for updating the list (``calls_for_update``), the list «требует
    актуализации» from ``occurred_at`` and the publication clock runs from that moment
    (touchpoints.deadlines.compute), until a version approved later is published."""

    __tablename__ = "registry_change"
    __table_args__ = (sa.Index("ix_registry_change_agency_occurred", "agency_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[int] = mapped_column(sa.ForeignKey("registry_process.id"), index=True)
    #: added / archived
    change: Mapped[str] = mapped_column(sa.String(16))
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: False when the list already said what the change asks for (the process had its
    #: touchpoints when it was added; nothing in the list named it when it was archived), or
    #: when a later change undid this one before the list was updated.
    calls_for_update: Mapped[bool] = mapped_column(default=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    process = relationship("RegistryProcess")

    @classmethod
    def pending(cls, agency_id: int, since: datetime | None) -> list[RegistryChange]:
        """Changes that call for updating the list and came after ``since`` (the latest
        approval; None: every one), the earliest first."""
        q = sa.select(cls).where(cls.agency_id == agency_id, cls.calls_for_update)
        if since is not None:
            q = q.where(cls.occurred_at > since)
        q = q.options(sa.orm.selectinload(cls.process)).order_by(cls.occurred_at, cls.id)
        return list(db.session.scalars(q))
