"""What people do about deadlines: record the publication of the list on the agency's site, and
confirm a subdivision's entries. Each reopens or closes deadlines through compute.sync. Services
flush; the view commits."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa

from touchpoints.audit import service as audit
from touchpoints.auth.roles import Permission
from touchpoints.core.db import db, utcnow
from touchpoints.core.tenancy import Agency, Subdivision
from touchpoints.deadlines.compute import as_utc, local_date, sync
from touchpoints.deadlines.models import (
    Deadline,
    DeadlineKind,
    Publication,
    Reconfirmation,
)
from touchpoints.lists.models import ListVersion
from touchpoints.notifications import events as notify


class DeadlineError(ValueError):
    """A refused action; the message is shown to the user."""


def record_publication(agency: Agency, user, published_on: date, url: str) -> Publication:
    """The registrar records that the latest approved version is on the site (seeds 5.1 / 5.4)."""

    if user is not None and (
        not user.can(Permission.APPROVE_VERSIONS) or user.agency_id != agency.id
    ):
        raise DeadlineError("Отметить размещение может только уполномоченное лицо")
    url = (url or "").strip()
    if not url.startswith(("https://", "http://")):
        raise DeadlineError("Укажите адрес страницы сайта, начиная с https://")
    tz = agency.region.tz
    if published_on > local_date(utcnow(), tz):
        raise DeadlineError("Дата размещения не может быть в будущем")
    version = ListVersion.latest(agency.id)
    if version is None:
        raise DeadlineError("Сначала утвердите перечень: размещается утверждённая редакция")
    if published_on < local_date(version.approved_at, tz):
        raise DeadlineError(
            f"Редакция № {version.number} утверждена позже указанной даты размещения"
        )
    sync([agency.id])
    open_pub = db.session.scalar(
        sa.select(Deadline).where(
            Deadline.agency_id == agency.id,
            Deadline.kind == DeadlineKind.PUBLICATION.value,
            Deadline.status == "open",
        )
    )
    pub = Publication(
        agency_id=agency.id,
        version_id=version.id,
        published_on=published_on,
        url=url,
        recorded_by_id=getattr(user, "id", None),
    )
    # A page found no longer showing the version re-opened the clock (reopen_publication):
    # recording the publication again answers that too.
    withdrawn = clear_withdrawals(agency.id)
    if open_pub is not None and (
        open_pub.started_at <= version.approved_at or open_pub.started_at in withdrawn
    ):
        # The version carries every change that started this clock: it is met now.
        open_pub.status = "closed"
        open_pub.closed_at = utcnow()
        open_pub.closed_on = published_on
        open_pub.outcome = "on_time" if published_on <= open_pub.due_on else "late"
        pub.deadline_id = open_pub.id
        pub.on_time = open_pub.outcome == "on_time"
    db.session.add(pub)
    db.session.flush()
    audit.record(
        "publication.record",
        pub,
        after={
            "version": version.number,
            "published_on": published_on.isoformat(),
            "url": url,
            "on_time": pub.on_time,
        },
        actor_label=None if user is not None else "cli",
    )
    notify.publication_recorded(pub, version, user)
    # Changes included after this version keep (or start) their own clock.
    sync([agency.id])
    return pub


def reopen_publication(publication: Publication, now: datetime | None = None) -> bool:
    """The page of ``publication`` no longer shows its version (a check said so): the publication
    deadline runs again from ``now`` (seeds 5.4 / 5.5), until a check finds the version on the
    page again or the registrar records a new publication. True when this re-opened it."""
    if publication.withdrawn_at is not None:
        return False
    publication.withdrawn_at = now or utcnow()
    db.session.flush()
    sync([publication.agency_id], now=publication.withdrawn_at)
    return True


def clear_withdrawals(agency_id: int) -> set[datetime]:
    """The current version is on the site again: the clock started by a withdrawal stops
    (the next :func:`sync` closes it). Returns the withdrawal moments cleared."""
    rows = db.session.scalars(
        sa.select(Publication).where(
            Publication.agency_id == agency_id, Publication.withdrawn_at.is_not(None)
        )
    ).all()
    cleared = {as_utc(p.withdrawn_at) for p in rows}
    for p in rows:
        p.withdrawn_at = None
    db.session.flush()
    return cleared


def confirm_subdivision(agency: Agency, user, subdivision_id: int, comment: str = ""):
    from touchpoints.auth.roles import Permission, Role

    sub = db.session.scalar(
        sa.select(Subdivision).where(
            Subdivision.id == subdivision_id, Subdivision.agency_id == agency.id
        )
    )
    if sub is None or user.agency_id != agency.id:
        raise DeadlineError("Нет такого подразделения")
    if user.role_enum is Role.EDITOR:
        if user.subdivision_id != sub.id:
            raise DeadlineError("Сотрудник подтверждает сведения только своего подразделения")
    elif not user.can(Permission.REVIEW_ENTRIES):
        raise DeadlineError("Нет прав на подтверждение сведений")
    now = utcnow()
    row = Reconfirmation(
        agency_id=agency.id,
        subdivision_id=sub.id,
        confirmed_on=local_date(now, agency.region.tz),
        confirmed_at=now,
        confirmed_by_id=user.id,
        comment=(comment or "").strip(),
    )
    db.session.add(row)
    db.session.flush()
    audit.record("subdivision.reconfirm", row, after={"subdivision": sub.name}, comment=row.comment)
    sync([agency.id], now=now)
    return row
