"""Reminder policies, recipients and the daily digest (the scanner itself is reminders/scan.py).

Every due reminder goes out once, none twice. One beat entry runs ``reminders.scan.scan``. It
never schedules anything ahead (no task ETAs days ahead with Redis); it looks at what is due *now*
and:

1. opens and closes deadlines from the state of the lists (``deadlines.compute.sync``), for
   the agencies whose open deadlines differ from it (``deadlines.diff.changed_agencies``);
2. works out every step due by now (N working days before, on the day, N after; at the set
   local hour in the agency's region) and every recipient of it — the recipients are: the
   registrars; for re-confirmation the subdivision's editors, and the registrars from the due
   day or when it has no editor; after the deadline also the viewers (the head) and the
   project office (escalation);
3. **claims** each (deadline, step, recipient) with ``INSERT … ON CONFLICT DO NOTHING`` on the
   unique key, committed before anything is sent — a second scanner, a re-run or a retry after
   a crash finds the row taken. Steps whose moment passed while no scanner ran are claimed by
   the next run: a skipped day is caught up, not lost. Steps 2 and 3 are one SQL statement
   (claim.py, docs/jobs.md), which looks only at what can have become due since the last
   claim (watermark.py);
4. makes sure each person with claimed reminders has a pending digest (one a day), and enqueues
   every digest whose hour has come.

:func:`send_digest` takes the digest and the person's claimed reminders with conditional
updates in one transaction together with queueing the e-mail, so the mail row exists exactly
when the reminders are marked sent. A worker killed in the middle rolls back, and the next scan
enqueues the digest again. Delivery then belongs to ``mail.service`` (retries with backoff).

The scan costs a fixed number of statements whatever the number of agencies, and a rerun with
nothing new syncs no agency, claims from no deadline and writes one row (bench/reminders.py).
What the scanner decides (scan.py) and what a person reads (here) change for different reasons.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from touchpoints.auth.models import User
from touchpoints.core.db import db, utcnow
from touchpoints.core.tenancy import Agency
from touchpoints.deadlines import compute as deadlines
from touchpoints.deadlines.models import (
    DeadlineKind,
    Reminder,
    ReminderDigest,
    ReminderOptOut,
    ReminderPolicy,
)
from touchpoints.mail.service import queue_mail
from touchpoints.notifications import service as notices
from touchpoints.reminders.digest import render_digest

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
    reminder_ids = notices.carry(Reminder, recipient, digest_id, status="claimed", becomes="sent")
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
