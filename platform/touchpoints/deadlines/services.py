"""Deadlines from the state of the list, computed for many agencies in a fixed number of queries.

Publication (Murmansk 5.4, Kuzbass 5.5: «в течение 10 рабочих дней со дня внесения изменений»):
the clock starts at the first change since the latest *published* version — an approved version
not yet published, or an entry included, changed or excluded in the working list — and runs N
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
from collections import defaultdict
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from touchpoints.calendar.services import WorkCalendar, calendars_for_regions
from touchpoints.core.db import db, utcnow
from touchpoints.deadlines.models import Deadline, DeadlineKind, Publication, Reconfirmation
from touchpoints.lists.models import Entry, EntryStatus, ListVersion, version_in_force
from touchpoints.notifications import events as notify
from touchpoints.regions.models import Agency, Region, Subdivision

DEFAULT_POLICIES = {
    "publication_working_days": 10,  # seeds 5.4 / 5.5
    "review_working_days": 5,
    "reconfirm_months": 3,
}
#: Entry states that mean "the registrar put this into the working list" (or carried it there).
_CHANGED_LIST = (EntryStatus.INCLUDED.value, EntryStatus.APPLIED.value, EntryStatus.EXCLUDED.value)


class DeadlineError(ValueError):
    """A refused action; the message is shown to the user."""


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
        q = q.where(Agency.id.in_(agency_ids))
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


def _published_until(ids: list[int]):
    """Per agency: approval time of the latest version that has a recorded publication."""
    return (
        sa.select(
            ListVersion.agency_id.label("agency_id"),
            sa.func.max(ListVersion.approved_at).label("published_until"),
        )
        .join(Publication, Publication.version_id == ListVersion.id)
        .where(ListVersion.agency_id.in_(ids))
        .group_by(ListVersion.agency_id)
        .subquery()
    )


def _publication_triggers(ids: list[int]) -> dict[int, datetime]:
    """Per agency: the first change not yet on the site (None when the site is current)."""
    published = _published_until(ids)
    # Changes included into the working list (their review time) …
    changes = (
        sa.select(Entry.agency_id.label("agency_id"), Entry.reviewed_at.label("t"))
        .where(
            Entry.agency_id.in_(ids),
            Entry.status.in_(_CHANGED_LIST),
            Entry.reviewed_at.is_not(None),
        )
        # … and approved versions.
        .union_all(
            sa.select(ListVersion.agency_id, ListVersion.approved_at).where(
                ListVersion.agency_id.in_(ids)
            )
        )
        .subquery()
    )
    q = (
        sa.select(changes.c.agency_id, sa.func.min(changes.c.t))
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
    return {agency_id: _aware(t) for agency_id, t in db.session.execute(q) if t is not None}


def _aware(value: datetime) -> datetime:
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
        a = agencies[agency_id]
        started_on = local_date(started_at, a.tz)
        out.append(
            Due(
                agency_id=agency_id,
                kind=DeadlineKind.PUBLICATION.value,
                subject_key=f"pub:{started_at.astimezone(UTC).isoformat()}",
                started_at=started_at,
                started_on=started_on,
                due_on=a.calendar.add_working_days(
                    started_on, a.policies["publication_working_days"]
                ),
                title="Актуальная версия перечня",
            )
        )
    pending = db.session.execute(
        sa.select(
            Entry.id, Entry.agency_id, Entry.subdivision_id, Entry.submitted_at, Entry.process_name
        ).where(
            Entry.agency_id.in_(ids),
            Entry.status == EntryStatus.SUBMITTED.value,
            Entry.submitted_at.is_not(None),
        )
    )
    for entry_id, agency_id, sub_id, submitted_at, process in pending:
        a = agencies[agency_id]
        started_on = local_date(submitted_at, a.tz)
        out.append(
            Due(
                agency_id=agency_id,
                kind=DeadlineKind.REVIEW.value,
                subject_key=f"entry:{entry_id}:{submitted_at.astimezone(UTC).isoformat()}",
                started_at=submitted_at,
                started_on=started_on,
                due_on=a.calendar.add_working_days(started_on, a.policies["review_working_days"]),
                subdivision_id=sub_id,
                entry_id=entry_id,
                title=process or f"строка № {entry_id}",
            )
        )
    out.extend(_reconfirm_dues(agencies, ids))
    return out


def _reconfirm_dues(agencies: dict[int, AgencyInfo], ids: list[int]) -> list[Due]:
    subs = db.session.execute(
        sa.select(Subdivision.id, Subdivision.agency_id, Subdivision.name).where(
            Subdivision.agency_id.in_(ids), Subdivision.active
        )
    ).all()
    confirmed = dict(
        db.session.execute(
            sa.select(Reconfirmation.subdivision_id, sa.func.max(Reconfirmation.confirmed_at))
            .where(Reconfirmation.agency_id.in_(ids))
            .group_by(Reconfirmation.subdivision_id)
        ).all()
    )
    # Submitting changes is the other way to answer (5.3 / 5.4: «представлять … информацию об
    # изменениях»): the latest submission of the subdivision restarts its cycle too.
    submitted = dict(
        db.session.execute(
            sa.select(Entry.subdivision_id, sa.func.max(Entry.submitted_at))
            .where(Entry.agency_id.in_(ids), Entry.subdivision_id.is_not(None))
            .group_by(Entry.subdivision_id)
        ).all()
    )
    out = []
    for sub_id, agency_id, name in subs:
        a = agencies[agency_id]
        since = max(
            (_aware(t) for t in (confirmed.get(sub_id), submitted.get(sub_id)) if t),
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


def _insert(model):
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def sync(agency_ids: list[int] | None = None, now: datetime | None = None) -> dict:
    """Open the deadlines the lists call for and close the ones that are met. Idempotent and safe
    to run concurrently (the unique key absorbs a double insert). Returns counts; no commit."""
    now = now or utcnow()
    agencies = load_agencies(agency_ids)
    dues = compute(agencies)
    return _apply(agencies, dues, now)


def _apply(agencies: dict[int, AgencyInfo], dues: list[Due], now: datetime) -> dict:
    ids = list(agencies)
    if not ids:
        return {"opened": 0, "closed": 0}
    wanted = {(d.agency_id, d.kind, d.subject_key): d for d in dues}
    open_rows = db.session.execute(
        sa.select(
            Deadline.id, Deadline.agency_id, Deadline.kind, Deadline.subject_key, Deadline.due_on
        ).where(Deadline.agency_id.in_(ids), Deadline.status == "open")
    ).all()
    have = {(r.agency_id, r.kind, r.subject_key) for r in open_rows}
    new = [d for key, d in wanted.items() if key not in have]
    opened = 0
    if new:
        db.session.connection().execute(
            _insert(Deadline).on_conflict_do_nothing(
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
    return {"opened": opened, "closed": len(gone)}


# --------------------------------------------------------------------------- actions


def record_publication(agency: Agency, user, published_on: date, url: str) -> Publication:
    """The registrar records that the latest approved version is on the site (seeds 5.1 / 5.4)."""
    from touchpoints.audit import service as audit
    from touchpoints.auth.roles import Permission

    if not user.can(Permission.APPROVE_VERSIONS) or user.agency_id != agency.id:
        raise DeadlineError("Отметить размещение может только уполномоченное лицо")
    url = (url or "").strip()
    if not url.startswith(("https://", "http://")):
        raise DeadlineError("Укажите адрес страницы сайта, начиная с https://")
    tz = agency.region.tz
    if published_on > local_date(utcnow(), tz):
        raise DeadlineError("Дата размещения не может быть в будущем")
    version = db.session.scalar(
        sa.select(ListVersion)
        .where(ListVersion.agency_id == agency.id, version_in_force())
        .order_by(ListVersion.number.desc())
        .limit(1)
    )
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
        recorded_by_id=user.id,
    )
    if open_pub is not None and open_pub.started_at <= version.approved_at:
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
    )
    notify.publication_recorded(pub, version, user)
    # Changes included after this version keep (or start) their own clock.
    sync([agency.id])
    return pub


def confirm_subdivision(agency: Agency, user, subdivision_id: int, comment: str = ""):
    from touchpoints.audit import service as audit
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


# --------------------------------------------------------------------------- summaries


def ru_days(n: int) -> str:
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        word = "рабочий день"
    elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        word = "рабочих дня"
    else:
        word = "рабочих дней"
    return f"{n} {word}"


@dataclasses.dataclass
class Status:
    """Where one deadline stands on a given day."""

    due_on: date
    #: Working days left (≥ 0) or, negative, working days overdue.
    days: int

    @property
    def state(self) -> str:
        return "overdue" if self.days < 0 else "due"

    @property
    def label(self) -> str:
        if self.days < 0:
            return f"просрочено на {ru_days(self.days)}"
        if self.days == 0:
            return "срок сегодня"
        return f"осталось {ru_days(self.days)}"


def status_of(due_on: date, today: date, cal: WorkCalendar) -> Status:
    if today <= due_on:
        return Status(due_on, cal.working_days_between(today, due_on))
    return Status(due_on, -max(cal.working_days_between(due_on, today), 1))


@dataclasses.dataclass
class Summary:
    agency_id: int
    #: on_time (nothing waits for publication) / due / overdue.
    publication_status: str
    publication_label: str
    publication_due_on: date | None
    #: Working days left (due) or overdue (negative); None when nothing waits.
    publication_days: int | None
    publication_started_on: date | None
    last_publication_on: date | None
    last_publication_url: str | None
    last_publication_on_time: bool | None
    pending_reviews: int
    overdue_reviews: int
    oldest_review_submitted_on: date | None
    oldest_review_due_on: date | None
    reconfirm_overdue: int
    reconfirm_next_due_on: date | None
    last_reminder_at: datetime | None
    #: Every open obligation, for the agency's own page.
    items: list = dataclasses.field(default_factory=list)


def deadline_summaries(agency_ids: list[int], today: date | None = None) -> dict[int, Summary]:
    """Where each agency stands, for the home page and the project office's dashboard.

    A fixed number of queries whatever the number of agencies. ``today`` defaults to each
    agency's local date; pass it to see the state as of another day. Runs in the caller's scope.
    """
    from touchpoints.reminders.models import Reminder

    agencies = load_agencies(list(agency_ids))
    ids = list(agencies)
    if not ids:
        return {}
    dues = compute(agencies)
    last_pub = {}
    ranked = (
        sa.select(
            Publication.agency_id,
            Publication.published_on,
            Publication.url,
            Publication.on_time,
            sa.func.row_number()
            .over(
                partition_by=Publication.agency_id,
                order_by=(Publication.published_on.desc(), Publication.id.desc()),
            )
            .label("rn"),
        )
        .where(Publication.agency_id.in_(ids))
        .subquery()
    )
    for row in db.session.execute(sa.select(ranked).where(ranked.c.rn == 1)):
        last_pub[row.agency_id] = row
    last_reminder = dict(
        db.session.execute(
            sa.select(Reminder.agency_id, sa.func.max(Reminder.created_at))
            .where(Reminder.agency_id.in_(ids))
            .group_by(Reminder.agency_id)
        ).all()
    )
    by_agency: dict[int, list[Due]] = defaultdict(list)
    for d in dues:
        by_agency[d.agency_id].append(d)
    now = utcnow()
    out = {}
    for agency_id, a in agencies.items():
        day = today or local_date(now, a.tz)
        items = sorted(by_agency[agency_id], key=lambda d: (d.due_on, d.kind))
        pub = next((d for d in items if d.kind == DeadlineKind.PUBLICATION.value), None)
        reviews = [d for d in items if d.kind == DeadlineKind.REVIEW.value]
        reconfirms = [d for d in items if d.kind == DeadlineKind.RECONFIRM.value]
        lp = last_pub.get(agency_id)
        if pub is None:
            state, label, days = "on_time", "размещён, изменений нет", None
            if lp is None:
                label = "перечень ещё не утверждён"
        else:
            st = status_of(pub.due_on, day, a.calendar)
            state, label, days = st.state, st.label, st.days
        oldest = min(reviews, key=lambda d: d.started_at, default=None)
        out[agency_id] = Summary(
            agency_id=agency_id,
            publication_status=state,
            publication_label=label,
            publication_due_on=pub.due_on if pub else None,
            publication_days=days,
            publication_started_on=pub.started_on if pub else None,
            last_publication_on=lp.published_on if lp else None,
            last_publication_url=lp.url if lp else None,
            last_publication_on_time=lp.on_time if lp else None,
            pending_reviews=len(reviews),
            overdue_reviews=sum(1 for d in reviews if d.due_on < day),
            oldest_review_submitted_on=oldest.started_on if oldest else None,
            oldest_review_due_on=oldest.due_on if oldest else None,
            reconfirm_overdue=sum(1 for d in reconfirms if d.due_on < day),
            reconfirm_next_due_on=min((d.due_on for d in reconfirms), default=None),
            last_reminder_at=_aware(last_reminder[agency_id])
            if last_reminder.get(agency_id)
            else None,
            items=[(d, status_of(d.due_on, day, a.calendar)) for d in items],
        )
    return out


__all__ = [
    "DeadlineError",
    "Summary",
    "compute",
    "confirm_subdivision",
    "deadline_summaries",
    "record_publication",
    "sync",
]
