"""The reminder scanner: what is due now, claimed once (see reminders/services.py for the whole
story: steps, claims, digests). Kept apart from the digest's wording and grouping, which change
for other reasons than the scan's rules and its cost."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from touchpoints.core.db import db, utcnow
from touchpoints.dashboard import figures
from touchpoints.deadlines import compute as deadlines
from touchpoints.deadlines.models import Deadline, Reminder, ReminderDigest, ReminderOptOut
from touchpoints.jobs import enqueue
from touchpoints.notifications import service as notices
from touchpoints.reminders.services import (
    SEND_TASK,
    _people,
    at_local,
    policies_for,
    recipients,
)

log = logging.getLogger(__name__)


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
    deadlines.apply_dues(agencies, deadlines.compute(agencies), now)
    db.session.commit()
    claimed = claim_due(agencies, now)
    if claimed:
        # The dashboard shows each agency's last reminder; the claims are bulk inserts the
        # ORM does not see, so the agencies that got one are named here.
        figures.changed(
            set(
                db.session.scalars(
                    sa.select(Reminder.agency_id).where(Reminder.created_at == now).distinct()
                )
            )
        )
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
