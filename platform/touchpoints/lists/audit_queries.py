"""The audit trail of one agency as the /audit/ page and its CSV filter it."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from touchpoints.audit.models import AuditEvent
from touchpoints.auth.models import User
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency, Subdivision
from touchpoints.lists.form import Form
from touchpoints.lists.history import Context
from touchpoints.lists.models import Entry, ListVersion

#: The «what changed» filter: action prefix → label.
KIND_FILTERS = (
    ("", "всё"),
    ("entry.", "строки перечня"),
    ("version.", "редакции"),
    ("area.", "направления деятельности"),
    ("list.", "загрузки из файлов"),
    ("publication.", "размещение на сайте"),
    ("subdivision.", "подтверждения подразделений"),
    ("user.", "пользователи"),
    ("reminders.", "напоминания"),
    ("tenant.", "определения организации"),
)


@dataclasses.dataclass
class Filters:
    kind: str = ""
    actor_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_args(cls, args) -> Filters:
        kind = args.get("action", "").strip()
        if kind not in {k for k, _ in KIND_FILTERS}:
            kind = ""
        actor = args.get("actor", "").strip()
        return cls(
            kind=kind,
            actor_id=int(actor) if actor.isdigit() and len(actor) < 10 else None,
            date_from=_date(args.get("from")),
            date_to=_date(args.get("to")),
        )

    def as_args(self) -> dict:
        return {
            "action": self.kind,
            "actor": self.actor_id or "",
            "from": self.date_from.isoformat() if self.date_from else "",
            "to": self.date_to.isoformat() if self.date_to else "",
        }


def _date(text) -> date | None:
    """A day of the filter; an unreadable one, or one at the ends of the calendar (0001-01-01 in
    a zone east of UTC, the day after 9999-12-31 are no moments), is no filter."""
    try:
        day = date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    return day if 1900 <= day.year <= 2999 else None


def events_query(agency: Agency, f: Filters, tz: ZoneInfo):
    q = sa.select(AuditEvent).where(AuditEvent.agency_id == agency.id)
    if f.kind:
        q = q.where(AuditEvent.action.startswith(f.kind))
    if f.actor_id:
        q = q.where(AuditEvent.actor_id == f.actor_id)
    # Days are the viewer's (region's) days, not UTC ones.
    if f.date_from:
        q = q.where(AuditEvent.at >= datetime.combine(f.date_from, time(), tzinfo=tz))
    if f.date_to:
        end = datetime.combine(f.date_to + timedelta(days=1), time(), tzinfo=tz)
        q = q.where(AuditEvent.at < end)
    return q.options(sa.orm.selectinload(AuditEvent.actor)).order_by(
        AuditEvent.at.desc(), AuditEvent.id.desc()
    )


def actors(agency: Agency) -> list[tuple[int, str]]:
    """People who appear in the agency's trail, for the «who» filter."""
    return list(
        db.session.execute(
            sa.select(User.id, User.name)
            .where(
                User.id.in_(
                    sa.select(AuditEvent.actor_id)
                    .where(AuditEvent.agency_id == agency.id)
                    .distinct()
                )
            )
            .order_by(User.name)
        ).all()
    )


def context(agency: Agency) -> Context:
    return Context(
        form=Form(agency.form),
        subdivisions=dict(
            db.session.execute(
                sa.select(Subdivision.id, Subdivision.name).where(
                    Subdivision.agency_id == agency.id
                )
            ).all()
        ),
        versions=dict(
            db.session.execute(
                sa.select(ListVersion.id, ListVersion.number).where(
                    ListVersion.agency_id == agency.id
                )
            ).all()
        ),
    )


def entry_history(entry) -> list[AuditEvent]:
    """What happened to an entry and to every proposal made on it, newest first."""
    proposal_ids = db.session.scalars(sa.select(Entry.id).where(Entry.target_id == entry.id))
    ids = [str(entry.id), *(str(i) for i in proposal_ids)]
    return list(
        db.session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.agency_id == entry.agency_id,
                AuditEvent.object_type == "entry",
                AuditEvent.object_id.in_(ids),
            )
            .options(sa.orm.selectinload(AuditEvent.actor))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
    )
