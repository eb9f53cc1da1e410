"""Deadlines from the state of the list, computed for many agencies in a fixed number of queries.

Publication (Murmansk 5.4, Kuzbass 5.5: «в течение 10 рабочих дней со дня внесения изменений»):
the clock starts at the first change since the latest *published* version — an approved version
not yet published, an entry included, changed or excluded in the working list, or a process
included in or excluded from the registry (Kuzbass 5.3 подп. 1, lists.processes) — and runs N
working days (policy ``publication_working_days``) from the day after, in the region's calendar.
Recording the publication of the latest version closes it, on time or late.

Review: a submitted entry waits at most ``review_working_days`` for the registrar.
Re-confirmation (Murmansk 5.3, Kuzbass 5.4: subdivisions report changes «своевременно»): every
``reconfirm_months`` a subdivision confirms its entries, or submits changes, which counts too.

Nothing here runs per agency: :func:`compute` reads every agency asked for with the same handful
of queries, so the reminder scanner and the project office's dashboard cost the same for 10
agencies as for 1,000.
"""

from __future__ import annotations

import calendar as pycalendar
import dataclasses
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from touchpoints.calendar.services import WorkCalendar, calendars_for_regions
from touchpoints.core.bulk import advisory_lock, among, insert_for, insert_many
from touchpoints.core.db import db, utcnow
from touchpoints.core.queries import greatest_per
from touchpoints.core.tenancy import Agency, Region, Subdivision
from touchpoints.deadlines.models import (
    OPENING_LOCK,
    Deadline,
    DeadlineKind,
    Publication,
    Reconfirmation,
)
from touchpoints.lists.models import Entry, EntryStatus, ListVersion
from touchpoints.lists.processes import RegistryChange

DEFAULT_POLICIES = {
    "publication_working_days": 10,  # seeds 5.4 / 5.5
    "review_working_days": 5,
    "reconfirm_months": 3,
}
#: Entry states that mean "the registrar put this into the working list" (or carried it there).
_CHANGED_LIST = (EntryStatus.INCLUDED.value, EntryStatus.APPLIED.value, EntryStatus.EXCLUDED.value)


def policies(agency_settings: dict | None) -> dict:
    out = dict(DEFAULT_POLICIES)
    for key, value in ((agency_settings or {}).get("policies") or {}).items():
        if key in out and isinstance(value, int) and value > 0:
            out[key] = value
    return out


def local_date(moment: datetime, tz: ZoneInfo) -> date:
    return moment.astimezone(tz).date()


def add_months(day: date, months: int) -> date:
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, pycalendar.monthrange(year, month)[1]))


@dataclasses.dataclass
class AgencyInfo:
    id: int
    slug: str
    short_name: str
    region_id: int
    tz: ZoneInfo
    policies: dict
    created_at: datetime
    calendar: WorkCalendar


@dataclasses.dataclass
class Due:
    """An open obligation as the state of the list says it is now."""

    agency_id: int
    kind: str
    subject_key: str
    started_at: datetime
    started_on: date
    due_on: date
    subdivision_id: int | None = None
    entry_id: int | None = None
    #: A short description for people: the entry's process, the subdivision's name.
    title: str = ""


def load_agencies(agency_ids: list[int] | None) -> dict[int, AgencyInfo]:
    q = sa.select(
        Agency.id,
        Agency.slug,
        Agency.short_name,
        Agency.region_id,
        Agency.settings,
        Agency.created_at,
        Region.timezone,
    ).join(Region, Region.id == Agency.region_id)
    if agency_ids is not None:
        q = q.where(among(Agency.id, agency_ids))
    rows = db.session.execute(q).all()
    calendars = calendars_for_regions(r.region_id for r in rows)
    return {
        r.id: AgencyInfo(
            id=r.id,
            slug=r.slug,
            short_name=r.short_name,
            region_id=r.region_id,
            tz=ZoneInfo(r.timezone),
            policies=policies(r.settings),
            created_at=r.created_at,
            calendar=calendars[r.region_id],
        )
        for r in rows
    }


def _published_until(ids: list[int] | None):
    """Per agency: approval time of the latest version that has a recorded publication."""
    return (
        sa.select(
            ListVersion.agency_id.label("agency_id"),
            sa.func.max(ListVersion.approved_at).label("published_until"),
        )
        .join(Publication, Publication.version_id == ListVersion.id)
        .where(*([among(ListVersion.agency_id, ids)] if ids is not None else []))
        .group_by(ListVersion.agency_id)
        .subquery()
    )


def _publication_triggers(ids: list[int]) -> dict[int, datetime]:
    """Per agency: the first change not yet on the site (None when the site is current)."""
    q = triggers_query(ids)
    return {agency_id: as_utc(t) for agency_id, t in db.session.execute(q) if t is not None}


def triggers_query(ids: list[int] | None):
    """(agency_id, t): per agency the first change not yet on the site, as a subquery."""
    published = _published_until(ids)

    def only(column):
        return [among(column, ids)] if ids is not None else []

    changes = (
        sa.select(Entry.agency_id.label("agency_id"), Entry.reviewed_at.label("t"))
        .where(
            *only(Entry.agency_id),
            Entry.status.in_(_CHANGED_LIST),
            Entry.reviewed_at.is_not(None),
        )
        .union_all(
            sa.select(ListVersion.agency_id, ListVersion.approved_at).where(
                *only(ListVersion.agency_id)
            ),
            sa.select(Publication.agency_id, Publication.withdrawn_at).where(
                *only(Publication.agency_id), Publication.withdrawn_at.is_not(None)
            ),
            # … and processes included in or excluded from the registry (Kuzbass 5.3 подп. 1).
            sa.select(RegistryChange.agency_id, RegistryChange.occurred_at).where(
                *only(RegistryChange.agency_id), RegistryChange.calls_for_update
            ),
        )
        .subquery()
    )
    return (
        sa.select(changes.c.agency_id, sa.func.min(changes.c.t).label("t"))
        .select_from(changes)
        .outerjoin(published, published.c.agency_id == changes.c.agency_id)
        .where(
            sa.or_(
                published.c.published_until.is_(None),
                changes.c.t > published.c.published_until,
            )
        )
        .group_by(changes.c.agency_id)
    )


def as_utc(value: datetime) -> datetime:
    # Core queries over a union bypass the column type on SQLite: make the result aware.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def compute(agencies: dict[int, AgencyInfo]) -> list[Due]:
    """Every open obligation of the given agencies, from the state of their lists."""
    ids = list(agencies)
    if not ids:
        return []
    out: list[Due] = []
    for agency_id, started_at in _publication_triggers(ids).items():
        out.append(
            _in_working_days(
                agencies[agency_id],
                agency_id,
                DeadlineKind.PUBLICATION,
                f"pub:{started_at.astimezone(UTC).isoformat()}",
                started_at,
                "publication_working_days",
                title="Актуальная версия перечня",
            )
        )
    pending = db.session.execute(
        sa.select(
            Entry.id, Entry.agency_id, Entry.subdivision_id, Entry.submitted_at, Entry.process_name
        ).where(
            among(Entry.agency_id, ids),
            Entry.status == EntryStatus.SUBMITTED.value,
            Entry.submitted_at.is_not(None),
        )
    )
    for entry_id, agency_id, sub_id, submitted_at, process in pending:
        out.append(
            _in_working_days(
                agencies[agency_id],
                agency_id,
                DeadlineKind.REVIEW,
                f"entry:{entry_id}:{submitted_at.astimezone(UTC).isoformat()}",
                submitted_at,
                "review_working_days",
                subdivision_id=sub_id,
                entry_id=entry_id,
                title=process or f"строка № {entry_id}",
            )
        )
    out.extend(_reconfirm_dues(agencies, ids))
    return out


def _in_working_days(
    a: AgencyInfo, agency_id: int, kind, subject_key: str, started_at, policy: str, **more
) -> Due:
    """An obligation due the agency's ``policy`` working days after the local day it started."""
    started_on = local_date(started_at, a.tz)
    return Due(
        agency_id=agency_id,
        kind=kind.value,
        subject_key=subject_key,
        started_at=started_at,
        started_on=started_on,
        due_on=a.calendar.add_working_days(started_on, a.policies[policy]),
        **more,
    )


def _reconfirm_dues(agencies: dict[int, AgencyInfo], ids: list[int]) -> list[Due]:
    subs = db.session.execute(
        sa.select(Subdivision.id, Subdivision.agency_id, Subdivision.name).where(
            among(Subdivision.agency_id, ids), Subdivision.active
        )
    ).all()
    confirmed = greatest_per(
        Reconfirmation.subdivision_id,
        Reconfirmation.confirmed_at,
        among(Reconfirmation.agency_id, ids),
    )
    # Submitting changes is the other way to answer (5.3 / 5.4: «представлять … информацию об
    # изменениях»): the latest submission of the subdivision restarts its cycle too.
    submitted = greatest_per(
        Entry.subdivision_id,
        Entry.submitted_at,
        among(Entry.agency_id, ids),
        Entry.subdivision_id.is_not(None),
    )
    out = []
    for sub_id, agency_id, name in subs:
        a = agencies[agency_id]
        since = max(
            (as_utc(t) for t in (confirmed.get(sub_id), submitted.get(sub_id)) if t),
            default=a.created_at,
        )
        started_on = local_date(since, a.tz)
        due = a.calendar.add_working_days(add_months(started_on, a.policies["reconfirm_months"]), 0)
        out.append(
            Due(
                agency_id=agency_id,
                kind=DeadlineKind.RECONFIRM.value,
                subject_key=f"sub:{sub_id}:{started_on.isoformat()}",
                started_at=since,
                started_on=started_on,
                due_on=due,
                subdivision_id=sub_id,
                title=name,
            )
        )
    return out


def sync(agency_ids: list[int] | None = None, now: datetime | None = None) -> dict:
    """Open the deadlines the lists call for and close the ones that are met. Idempotent and safe
    to run concurrently (the unique key absorbs a double insert). Returns counts; no commit."""
    now = now or utcnow()
    agencies = load_agencies(agency_ids)
    dues = compute(agencies)
    return apply_dues(agencies, dues, now)


def apply_dues(agencies: dict[int, AgencyInfo], dues: list[Due], now: datetime) -> dict:
    """Store computed dues: open what is due, close what was met. Public for the reminders scan,
    which computes the dues of the agencies it visits itself. Returns the counts and the
    agencies whose deadlines changed. Flushes, no commit."""
    ids = list(agencies)
    if not ids:
        return {"opened": 0, "closed": 0, "agencies": set()}
    wanted = {(d.agency_id, d.kind, d.subject_key): d for d in dues}
    open_rows = db.session.execute(
        sa.select(
            Deadline.id, Deadline.agency_id, Deadline.kind, Deadline.subject_key, Deadline.due_on
        ).where(among(Deadline.agency_id, ids), Deadline.status == "open")
    ).all()
    have = {(r.agency_id, r.kind, r.subject_key) for r in open_rows}
    new = [d for key, d in wanted.items() if key not in have]
    opened = 0
    if new:
        advisory_lock(OPENING_LOCK, shared=True)
        insert_many(
            insert_for(Deadline).on_conflict_do_nothing(
                index_elements=["agency_id", "kind", "subject_key"]
            ),
            [
                {
                    "agency_id": d.agency_id,
                    "kind": d.kind,
                    "subject_key": d.subject_key,
                    "subdivision_id": d.subdivision_id,
                    "entry_id": d.entry_id,
                    "started_at": d.started_at,
                    "started_on": d.started_on,
                    "due_on": d.due_on,
                    "status": "open",
                    "created_at": now,
                }
                for d in new
            ],
        )
        opened = len(new)
    gone = [r for r in open_rows if (r.agency_id, r.kind, r.subject_key) not in wanted]
    if gone:
        db.session.execute(
            sa.update(Deadline).execution_options(synchronize_session=False),
            [
                {
                    "id": r.id,
                    "status": "closed",
                    "closed_at": now,
                    "closed_on": local_date(now, agencies[r.agency_id].tz),
                    "outcome": "on_time"
                    if local_date(now, agencies[r.agency_id].tz) <= r.due_on
                    else "late",
                }
                for r in gone
            ],
        )
    touched = {d.agency_id for d in new} | {r.agency_id for r in gone}
    return {"opened": opened, "closed": len(gone), "agencies": touched}


# --------------------------------------------------------------------------- actions
