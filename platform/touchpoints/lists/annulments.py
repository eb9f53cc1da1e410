"""Annulling a mistaken approval: a recorded act with a reason; the version itself never changes."""

from __future__ import annotations

import sqlalchemy as sa

from touchpoints.audit import service as audit
from touchpoints.auth.models import User
from touchpoints.auth.roles import Permission
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency
from touchpoints.lists.errors import ReviewError
from touchpoints.lists.models import ListVersion, VersionAnnulment, version_in_force
from touchpoints.notifications import events as notify

MIN_REASON = 10
#: As the page's field says (maxlength): the reason is shown on the version's page and in mail.
MAX_REASON = 2000


def annulment_of(version: ListVersion) -> VersionAnnulment | None:
    return db.session.scalar(
        sa.select(VersionAnnulment).where(VersionAnnulment.version_id == version.id)
    )


def version_by_number(agency_id: int, number: int) -> ListVersion | None:
    return db.session.scalar(
        sa.select(ListVersion).where(
            ListVersion.agency_id == agency_id, ListVersion.number == number
        )
    )


def annulled_ids(agency_id: int) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(VersionAnnulment.version_id).where(VersionAnnulment.agency_id == agency_id)
        )
    )


def current_in_force(agency_id: int) -> ListVersion | None:
    return db.session.scalar(
        sa.select(ListVersion)
        .where(ListVersion.agency_id == agency_id, version_in_force())
        .order_by(ListVersion.number.desc())
        .limit(1)
    )


def annul(agency: Agency, version: ListVersion, user: User, reason: str) -> VersionAnnulment:
    """Only the version in force can be annulled: older ones were replaced by a later order."""
    if not user.can(Permission.APPROVE_VERSIONS) or user.agency_id != agency.id:
        raise ReviewError("Аннулировать утверждение может только уполномоченное лицо")
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ReviewError("Опишите причину аннулирования (не короче 10 знаков)")
    if len(reason) > MAX_REASON:
        raise ReviewError(f"Причина аннулирования — не длиннее {MAX_REASON} знаков")
    current = current_in_force(agency.id)
    if current is None or current.id != version.id:
        raise ReviewError(
            "Аннулировать можно только действующую редакцию"
            + (f" (сейчас это № {current.number})" if current else "")
        )
    row = VersionAnnulment(
        agency_id=agency.id, version_id=version.id, reason=reason, annulled_by_id=user.id
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        "version.annul",
        version,
        after={"number": version.number, "order_number": version.order_number, "reason": reason},
        comment=reason,
        actor=user,
    )
    notify.version_annulled(version, row, user)
    return row
