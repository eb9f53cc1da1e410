"""The reminder scanner and the daily digest: every due reminder goes out once, none twice.

One beat entry runs :func:`scan`. It never schedules anything ahead (REFERENCE.md: no ETAs days
ahead with Redis); it looks at what is due *now* and:

1. opens and closes deadlines from the state of the lists (``deadlines.services.sync``);
2. works out every step due by now (N working days before, on the day, N after; at the set
   local hour in the agency's region) and every recipient of it;
3. **claims** each (deadline, step, recipient) with ``INSERT … ON CONFLICT DO NOTHING`` on the
   unique key, committed before anything is sent — a second scanner, a re-run or a retry after
   a crash finds the row taken. Steps whose moment passed while no scanner ran are claimed by
   the next run: a skipped day is caught up, not lost;
4. makes sure each person with claimed reminders has a pending digest (one a day), and enqueues
   every digest whose hour has come.

:func:`send_digest` takes the digest and the person's claimed reminders with conditional
updates in one transaction together with queueing the e-mail, so the mail row exists exactly
when the reminders are marked sent. A worker killed in the middle rolls back, and the next scan
enqueues the digest again. Delivery then belongs to ``mail.service`` (retries with backoff).

The scan costs a fixed number of queries whatever the number of agencies (bench/reminders.py).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import defaultdict
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import db, utcnow
from touchpoints.deadlines import services as deadlines
from touchpoints.deadlines.models import Deadline, DeadlineKind
from touchpoints.jobs import enqueue
from touchpoints.mail.service import queue_mail
from touchpoints.notifications import service as notices
from touchpoints.regions.models import Agency, Region
from touchpoints.reminders.digest import render_digest
from touchpoints.reminders.models import (
    Reminder,
    ReminderDigest,
    ReminderOptOut,
    ReminderPolicy,
)

log = logging.getLogger(__name__)
SEND_TASK = "workers.tasks.reminders.send_digest"


@dataclasses.dataclass(frozen=True)
class Policy:
    before_days: tuple[int, ...] = (3, 1)
    on_day: bool = True
    after_days: tuple[int, ...] = (1, 5)
    send_hour: int = 9

    @classmethod
    def from_row(cls, row: ReminderPolicy | None) -> Policy:
        if row is None:
            return cls()
        return cls(
            before_days=tuple(sorted({int(d) for d in row.before_days or [] if int(d) > 0})),
            on_day=bool(row.on_day),
            after_days=tuple(sorted({int(d) for d in row.after_days or [] if int(d) > 0})),
            send_hour=int(row.send_hour),
        )

    def steps(self) -> list[tuple[str, int]]:
        """(step name, working-day offset from the deadline)."""
        out = [(f"before:{n}", -n) for n in self.before_days]
        if self.on_day:
            out.append(("due", 0))
        out.extend((f"after:{n}", n) for n in self.after_days)
        return out


def policies_for(agencies: dict[int, deadlines.AgencyInfo]) -> dict[int, Policy]:
    """Each agency's policy: its own, else its region's default, else the built-in one."""
    rows = db.session.scalars(sa.select(ReminderPolicy)).all()
    by_region = {r.region_id: r for r in rows if r.region_id is not None}
    by_agency = {r.agency_id: r for r in rows if r.agency_id is not None}
    return {
        a.id: Policy.from_row(by_agency.get(a.id) or by_region.get(a.region_id))
        for a in agencies.values()
    }


def policy_row(*, agency_id: int | None = None, region_id: int | None = None) -> ReminderPolicy:
    """The stored policy row to edit, created from the effective defaults when missing."""
    q = sa.select(ReminderPolicy)
    q = (
        q.where(ReminderPolicy.agency_id == agency_id)
        if agency_id
        else q.where(ReminderPolicy.region_id == region_id)
    )
    row = db.session.scalar(q)
    if row is None:
        base = Policy()
        if agency_id:
            region_id_of = db.session.scalar(
                sa.select(Agency.region_id).where(Agency.id == agency_id)
            )
            base = Policy.from_row(
                db.session.scalar(
                    sa.select(ReminderPolicy).where(ReminderPolicy.region_id == region_id_of)
                )
            )
        row = ReminderPolicy(
            agency_id=agency_id,
            region_id=None if agency_id else region_id,
            before_days=list(base.before_days),
            on_day=base.on_day,
            after_days=list(base.after_days),
            send_hour=base.send_hour,
        )
    return row


def at_local(day: date, hour: int, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=tz)


# --------------------------------------------------------------------------- recipients


@dataclasses.dataclass(frozen=True)
class Person:
    email: str
    user_id: int | None
    role: str
    agency_id: int | None
    region_id: int | None
    subdivision_id: int | None


def _people(agency_ids: list[int], region_ids: list[int]):
    users = db.session.execute(
        sa.select(
            User.id, User.email, User.role, User.agency_id, User.region_id, User.subdivision_id
        ).where(
            User.active,
            sa.or_(
                User.agency_id.in_(agency_ids),
                sa.and_(User.role == Role.OFFICE.value, User.region_id.in_(region_ids)),
            ),
        )
    ).all()
    by_agency: dict[int, list[Person]] = defaultdict(list)
    office: dict[int, list[Person]] = defaultdict(list)
    for u in users:
        p = Person(u.email.lower(), u.id, u.role, u.agency_id, u.region_id, u.subdivision_id)
        if u.agency_id is not None:
            by_agency[u.agency_id].append(p)
        else:
            office[u.region_id].append(p)
    for region_id, email in db.session.execute(
        sa.select(Region.id, Region.office_email).where(
            Region.id.in_(region_ids), Region.office_email.is_not(None)
        )
    ):
        if email and all(p.email != email.lower() for p in office[region_id]):
            office[region_id].append(
                Person(email.lower(), None, Role.OFFICE.value, None, region_id, None)
            )
    return by_agency, office


def recipients(
    kind: str, offset: int, subdivision_id: int | None, staff: list[Person], office: list[Person]
) -> list[tuple[Person, bool]]:
    """(person, escalation) for one step: who acts, and after the deadline who answers for it.

    Publication and review: the registrar(s). Re-confirmation: the subdivision's editors, and
    the registrar from the due day. After the deadline: the head (viewers) and the project
    office as well (escalation)."""
    registrars = [p for p in staff if p.role == Role.REGISTRAR.value]
    if kind == DeadlineKind.RECONFIRM.value:
        out = [
            p for p in staff if p.role == Role.EDITOR.value and p.subdivision_id == subdivision_id
        ]
        if offset >= 0 or not out:
            out += registrars
    else:
        out = list(registrars)
    result = [(p, False) for p in out]
    if offset > 0:
        result += [(p, False) for p in staff if p.role == Role.VIEWER.value]
        result += [(p, True) for p in office]
    seen, unique = set(), []
    for p, esc in result:
        if p.email not in seen:
            seen.add(p.email)
            unique.append((p, esc))
    return unique


# --------------------------------------------------------------------------- the scanner


def _insert(model):
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def scan(now: datetime | None = None) -> dict:
    """Run once as if at ``now``. Call in the system scope; commits as it goes."""
    now = now or utcnow()
    agencies = deadlines.load_agencies(None)
    deadlines._apply(agencies, deadlines.compute(agencies), now)
    db.session.commit()
    claimed = claim_due(agencies, now)
    db.session.commit()
    digests = ensure_digests(agencies, now)
    db.session.commit()
    due = due_digest_ids(now)
    # End the read transaction: enqueue() defers to the commit of an open one.
    db.session.commit()
    for digest_id in due:
        enqueue(SEND_TASK, digest_id)
    log.info(
        "reminder scan at %s: %s claimed, %s digests, %s enqueued", now, claimed, digests, len(due)
    )
    return {"claimed": claimed, "digests": digests, "enqueued": len(due)}


def due_digest_ids(now: datetime) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(ReminderDigest.id)
            .where(ReminderDigest.status == "pending", ReminderDigest.send_after <= now)
            .order_by(ReminderDigest.id)
        )
    )


def claim_due(agencies: dict[int, deadlines.AgencyInfo], now: datetime) -> int:
    open_deadlines = db.session.execute(
        sa.select(
            Deadline.id,
            Deadline.agency_id,
            Deadline.kind,
            Deadline.subdivision_id,
            Deadline.started_on,
            Deadline.due_on,
        ).where(Deadline.status == "open")
    ).all()
    if not open_deadlines:
        return 0
    taken = {
        (r.deadline_id, r.step, r.recipient)
        for r in db.session.execute(
            sa.select(Reminder.deadline_id, Reminder.step, Reminder.recipient)
            .join(Deadline, Deadline.id == Reminder.deadline_id)
            .where(Deadline.status == "open")
        )
    }
    pols = policies_for(agencies)
    by_agency, office = _people(list(agencies), sorted({a.region_id for a in agencies.values()}))
    muted = {
        (u, k)
        for u, k in db.session.execute(sa.select(ReminderOptOut.user_id, ReminderOptOut.kind))
    }
    rows = []
    for d in open_deadlines:
        a = agencies.get(d.agency_id)
        if a is None:
            continue
        policy = pols[a.id]
        for step, offset in policy.steps():
            day = a.calendar.add_working_days(d.due_on, offset) if offset else d.due_on
            if day < d.started_on or at_local(day, policy.send_hour, a.tz) > now:
                continue
            for person, escalation in recipients(
                d.kind, offset, d.subdivision_id, by_agency[a.id], office[a.region_id]
            ):
                if (d.id, step, person.email) in taken:
                    continue
                optional = offset < 0
                rows.append(
                    {
                        "agency_id": a.id,
                        "deadline_id": d.id,
                        "kind": d.kind,
                        "step": step,
                        "recipient": person.email,
                        "user_id": person.user_id,
                        "send_on": day,
                        "escalation": escalation,
                        "optional": optional,
                        "status": "muted"
                        if optional and (person.user_id, d.kind) in muted
                        else "claimed",
                        "created_at": now,
                    }
                )
    if not rows:
        return 0
    # One statement with many parameter sets, compiled once; a row another scanner claimed
    # first is skipped by the database, and only what this scanner inserted counts.
    db.session.connection().execute(
        _insert(Reminder).on_conflict_do_nothing(
            index_elements=["deadline_id", "step", "recipient"]
        ),
        rows,
    )
    # Drivers report no reliable row count for a batched insert: count this run's own rows
    # (for the log and the operator's command; correctness rests on the unique key alone).
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Reminder).where(Reminder.created_at == now)
    )


def ensure_digests(agencies: dict[int, deadlines.AgencyInfo], now: datetime) -> int:
    """A pending digest for everyone with claimed reminders: today's, or if today's is already
    out, the next working day's (one e-mail per person per day)."""
    waiting = db.session.execute(
        sa.select(Reminder.recipient, sa.func.min(Reminder.agency_id))
        .where(Reminder.status == "claimed")
        .group_by(Reminder.recipient)
    ).all()
    # Notices a person chose to get in the digest ride in the same daily e-mail.
    waiting = list(dict([*notices.pending_recipients(), *waiting]).items())
    if not waiting:
        return 0
    pols = policies_for(agencies)
    plans = {}
    for recipient, agency_id in waiting:
        a = agencies[agency_id]
        plans[recipient] = (a, pols[a.id], now.astimezone(a.tz).date())
    existing = {
        (r.recipient, r.local_date): r.status
        for r in db.session.execute(
            sa.select(
                ReminderDigest.recipient, ReminderDigest.local_date, ReminderDigest.status
            ).where(
                ReminderDigest.recipient.in_(list(plans)),
                ReminderDigest.local_date.in_({p[2] for p in plans.values()}),
            )
        )
    }
    rows, revived = [], []
    for recipient, (a, policy, today) in plans.items():
        status = existing.get((recipient, today))
        if status == "pending":
            continue
        if status == "empty":
            # Nothing was said today yet: today's digest can still carry the news.
            revived.append(recipient)
            continue
        day = today if status is None else a.calendar.next_working_day(today)
        rows.append(
            {
                "recipient": recipient,
                "local_date": day,
                "send_after": at_local(day, policy.send_hour, a.tz),
                "status": "pending",
                "created_at": now,
            }
        )
    for recipient in revived:
        db.session.execute(
            sa.update(ReminderDigest)
            .where(
                ReminderDigest.recipient == recipient,
                ReminderDigest.local_date == plans[recipient][2],
                ReminderDigest.status == "empty",
            )
            .values(status="pending")
            .execution_options(synchronize_session=False)
        )
    if not rows:
        return len(revived)
    db.session.connection().execute(
        _insert(ReminderDigest).on_conflict_do_nothing(index_elements=["recipient", "local_date"]),
        rows,
    )
    return len(rows)


# --------------------------------------------------------------------------- sending


def send_digest(digest_id: int, now: datetime | None = None) -> str:
    """Queue the digest's e-mail once. Returns 'sent', 'empty' or 'skipped'. Call in the
    system scope. Safe to run twice or concurrently: the conditional updates decide."""
    now = now or utcnow()
    taken = db.session.execute(
        sa.update(ReminderDigest)
        .where(
            ReminderDigest.id == digest_id,
            ReminderDigest.status == "pending",
            ReminderDigest.send_after <= now,
        )
        .values(status="sent", sent_at=now)
        .returning(ReminderDigest.recipient, ReminderDigest.local_date)
        .execution_options(synchronize_session=False)
    ).first()
    if taken is None:
        db.session.rollback()
        return "skipped"
    recipient, local_day = taken
    reminder_ids = [
        rid
        for (rid,) in db.session.execute(
            sa.update(Reminder)
            .where(Reminder.recipient == recipient, Reminder.status == "claimed")
            .values(status="sent", digest_id=digest_id)
            .returning(Reminder.id)
            .execution_options(synchronize_session=False)
        )
    ]
    notes = notices.take_for_digest(recipient, digest_id)
    if not reminder_ids and not notes:
        db.session.execute(
            sa.update(ReminderDigest)
            .where(ReminderDigest.id == digest_id)
            .values(status="empty")
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        return "empty"
    subject, text, html, agency_id = render_digest(recipient, local_day, reminder_ids, notes)
    msg = queue_mail(recipient, subject, text, html, agency_id=agency_id)
    db.session.execute(
        sa.update(ReminderDigest)
        .where(ReminderDigest.id == digest_id)
        .values(mail_message_id=msg.id)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return "sent"


# --------------------------------------------------------------------------- people's settings


def set_opt_outs(user: User, kinds: set[str]) -> None:
    valid = {k.value for k in DeadlineKind}
    kinds = {k for k in kinds if k in valid}
    current = {
        o.kind: o
        for o in db.session.scalars(
            sa.select(ReminderOptOut).where(ReminderOptOut.user_id == user.id)
        )
    }
    for kind, row in current.items():
        if kind not in kinds:
            db.session.delete(row)
    for kind in kinds - set(current):
        db.session.add(ReminderOptOut(user_id=user.id, kind=kind))


def opt_outs(user_id: int) -> set[str]:
    return set(
        db.session.scalars(sa.select(ReminderOptOut.kind).where(ReminderOptOut.user_id == user_id))
    )
