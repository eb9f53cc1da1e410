"""The reminder scanner: what is due now, claimed once (see reminders/services.py for the whole
story: steps, claims, digests). Kept apart from the digest's wording and grouping, which change
for other reasons than the scan's rules and its cost."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from touchpoints.core.bulk import advisory_lock, bulk_plan, commit_without_waiting, insert_for
from touchpoints.core.db import db, utcnow
from touchpoints.dashboard import figures
from touchpoints.deadlines import compute as deadlines
from touchpoints.deadlines import diff
from touchpoints.deadlines.models import OPENING_LOCK, Reminder, ReminderDigest
from touchpoints.jobs import enqueue
from touchpoints.notifications.models import Notification
from touchpoints.reminders.claim import (
    Regions,
    agency_policy,
    claim,
    insert_counted,
    values_cte,
)
from touchpoints.reminders.services import SEND_TASK, at_local

log = logging.getLogger(__name__)


def scan(now: datetime | None = None) -> dict:
    """Run once as if at ``now``. Call in the system scope; commits as it goes."""
    now = now or utcnow()
    # The scan's writes act on nothing but through the digest's mail, queued later by a
    # transaction that waits for the disk: these commits need not (docs/jobs.md).
    commit_without_waiting()
    # Syncing and claiming exclude other scans and deadline openers from the start (a second
    # scan waits, then finds nothing): taken later, two scans holding the openers' shared lock
    # would each wait for the other's.
    advisory_lock(OPENING_LOCK)
    # Only agencies whose deadlines are not what their lists call for (none, on a rerun).
    changed = diff.changed_agencies()
    synced = set()
    if changed != []:
        agencies = deadlines.load_agencies(changed)
        synced = deadlines.apply_dues(agencies, deadlines.compute(agencies), now)["agencies"]
    # In the same transaction: the claim sees the deadlines just opened, and both are marked on
    # the dashboard (deadlines and each agency's last reminder) with one statement — bulk writes
    # the ORM does not see, so the agencies are named here.
    by_agency = claim(now)
    figures.changed(synced | set(by_agency))
    claimed = sum(by_agency.values())
    db.session.commit()
    commit_without_waiting()
    digests = ensure_digests(now)
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


# --------------------------------------------------------------------------- digests


def ensure_digests(now: datetime) -> int:
    """A pending digest for everyone with claimed reminders or notices waiting for the digest:
    today's (in the region of their agency), or if today's is already out, the next working
    day's (one e-mail per person per day). A set-based INSERT; returns the digests made or
    revived."""
    claimed = Reminder.status == "claimed"
    waiting = sa.union_all(
        sa.select(Reminder.recipient, sa.func.min(Reminder.agency_id).label("agency_id"))
        .where(claimed)
        .group_by(Reminder.recipient),
        # Notices a person chose to get in the digest ride in the same daily e-mail; a person
        # with reminders as well is dated by the reminders' agency.
        sa.select(Notification.recipient, sa.func.min(Notification.agency_id))
        .where(
            Notification.status == "pending",
            Notification.recipient.not_in(sa.select(Reminder.recipient).where(claimed)),
        )
        .group_by(Notification.recipient),
    ).cte("waiting")
    anyone = sa.or_(sa.exists().where(claimed), sa.exists().where(Notification.status == "pending"))
    if not db.session.scalar(sa.select(anyone)):
        return 0
    ap = agency_policy()
    # Every region's and policy's digest hour (a few dozen), not only those of the people
    # waiting: cheaper than reading what they wait for twice.
    combos = db.session.execute(sa.select(ap.c.region_id, ap.c.policy_key).distinct()).all()
    regions = Regions.load({c.region_id for c in combos})
    rows = []
    for region_id, key in combos:
        policy, cal, tz = (
            regions.policy(key),
            regions.calendars[region_id],
            regions.zones[region_id],
        )
        today = now.astimezone(tz).date()
        later = cal.next_working_day(today)
        rows.append(
            (
                region_id,
                key,
                today,
                at_local(today, policy.send_hour, tz),
                later,
                at_local(later, policy.send_hour, tz),
            )
        )
    plan = values_cte(
        "digest_plan",
        [
            sa.column("region_id", sa.Integer),
            sa.column("policy_key", sa.Integer),
            sa.column("today", sa.Date),
            sa.column("today_at", ReminderDigest.send_after.type),
            sa.column("next_day", sa.Date),
            sa.column("next_at", ReminderDigest.send_after.type),
        ],
        rows,
    )
    dg = ReminderDigest
    base = (
        sa.select(waiting.c.recipient, plan.c.today, plan.c.today_at, plan.c.next_day)
        .add_columns(plan.c.next_at, dg.id.label("digest_id"), dg.status)
        .select_from(waiting)
        .join(ap, ap.c.agency_id == waiting.c.agency_id)
        .join(
            plan,
            sa.and_(plan.c.region_id == ap.c.region_id, plan.c.policy_key == ap.c.policy_key),
        )
        .outerjoin(dg, sa.and_(dg.recipient == waiting.c.recipient, dg.local_date == plan.c.today))
    )
    # Planned as the bulk join it is: the digests inserted are not counted by the statistics
    # yet, and a nested loop over them rescanned the growing table once per person (5 s for
    # 30,000 people; core.bulk.bulk_plan).
    with bulk_plan():
        return _revive_or_make(base, dg, now)


def _revive_or_make(base, dg, now: datetime) -> int:
    # Nothing was said today yet (an empty digest): today's digest can still carry the news.
    empty = [
        row.digest_id for row in db.session.connection().execute(base.where(dg.status == "empty"))
    ]
    if empty:
        db.session.execute(
            sa.update(ReminderDigest)
            .where(ReminderDigest.id.in_(empty), ReminderDigest.status == "empty")
            .values(status="pending")
            .execution_options(synchronize_session=False)
        )
    fresh = base.subquery("fresh")
    none_today = fresh.c.status.is_(None)
    new = sa.select(
        fresh.c.recipient,
        sa.case((none_today, fresh.c.today), else_=fresh.c.next_day),
        sa.case((none_today, fresh.c.today_at), else_=fresh.c.next_at),
        sa.literal("pending"),
        sa.literal(now, ReminderDigest.created_at.type),
    ).where(sa.or_(none_today, fresh.c.status.not_in(("pending", "empty"))))
    made = insert_counted(
        insert_for(ReminderDigest)
        .from_select(["recipient", "local_date", "send_after", "status", "created_at"], new)
        .on_conflict_do_nothing(index_elements=["recipient", "local_date"])
        .execution_options(preserve_rowcount=True),
        ReminderDigest,
        now,
    )
    return len(empty) + made
