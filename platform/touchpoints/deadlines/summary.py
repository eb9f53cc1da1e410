"""Where each agency stands against its deadlines, for its own page, the home page, the project
office's dashboard and the API: many agencies in a fixed number of queries."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa

from touchpoints.calendar.services import WorkCalendar
from touchpoints.core.db import db, utcnow
from touchpoints.core.queries import first_per, greatest_per
from touchpoints.deadlines.compute import Due, as_utc, compute, load_agencies, local_date
from touchpoints.deadlines.models import (
    Deadline,
    DeadlineKind,
    Publication,
    Reminder,
)


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
    agencies = load_agencies(list(agency_ids))
    ids = list(agencies)
    if not ids:
        return {}
    dues = compute(agencies)
    newest = first_per(
        Publication.agency_id,
        (Publication.published_on.desc(), Publication.id.desc()),
        Publication.agency_id,
        Publication.published_on,
        Publication.url,
        Publication.on_time,
        where=[Publication.agency_id.in_(ids)],
    )
    last_pub = {row.agency_id: row for row in db.session.execute(sa.select(newest))}
    # Through the agencies' deadlines: the reminders are indexed by deadline, not by agency.
    last_reminder = greatest_per(
        Deadline.agency_id,
        Reminder.created_at,
        Reminder.deadline_id == Deadline.id,
        Deadline.agency_id.in_(ids),
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
            last_reminder_at=as_utc(last_reminder[agency_id])
            if last_reminder.get(agency_id)
            else None,
            items=[(d, status_of(d.due_on, day, a.calendar)) for d in items],
        )
    return out
