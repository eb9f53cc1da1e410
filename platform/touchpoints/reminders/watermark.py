"""What a reminder claim has to look at (docs/jobs.md, "The reminder scan").

A claim covers every step due by its moment, of every deadline it sees, for the people of that
moment. Until the inputs that decide recipients and days change — people (address, role,
agency, subdivision, region, active), agencies' regions, the regions' shared addresses and time
zones, policies, calendar overrides, the ``holidays`` release and the built-in policy — the
next claim needs only:

* the steps that fell due after the last claim's moment (``since``), of every open deadline —
  none at all when no policy's hour passed in any region's zone since (a rerun minutes later);
* every due step of the deadlines opened since (ids above ``seen``).

The inputs are compared as a fingerprint (an MD5 of them, read in one query); when it differs,
or nothing is stored yet, the claim looks at everything.

Ids tell the new deadlines only because claims and the opening of deadlines exclude each other
(``OPENING_LOCK``, a transaction-level advisory lock: shared by ``deadlines.compute.apply_dues``,
exclusive here and from the start of the scan's transaction that syncs and claims): while a
claim runs no deadline is being opened, so every deadline opened later gets a larger id than
the largest the claim sees. Two claims never run at once either; the second reads the state the
first committed. The state (``reminder_scan``) is written in the
claim's transaction with the fingerprint read *before* the claim statement: a change that lands
in between makes the next scan look at everything, never less. SQLite (the demo) keeps no state:
every claim there looks at everything.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import aggregate_order_by

from touchpoints.auth.models import User
from touchpoints.calendar.models import CalendarOverride
from touchpoints.core.bulk import advisory_lock, insert_for
from touchpoints.core.db import db, utcnow
from touchpoints.core.tenancy import Agency, Region
from touchpoints.deadlines.models import OPENING_LOCK, Deadline, ReminderPolicy, ReminderScan
from touchpoints.reminders.services import Policy, at_local

_STATE_ID = 1


@dataclasses.dataclass(frozen=True)
class Window:
    """What the claim looks at: steps due after ``since`` of every open deadline, and every due
    step of the deadlines with an id above ``seen`` (both None: everything). ``latest``: the
    largest deadline id now, the next claim's ``seen``."""

    since: datetime | None
    seen: int | None
    latest: int
    inputs: str


def open_window() -> Window:
    """Take the claim lock and read where the last claim stands (in the claim's transaction)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return Window(None, None, 0, "")
    advisory_lock(OPENING_LOCK)
    inputs = fingerprint()
    latest = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Deadline.id), 0)))
    state = db.session.execute(
        sa.select(ReminderScan.claimed_through, ReminderScan.deadlines_through).where(
            ReminderScan.id == _STATE_ID, ReminderScan.inputs == inputs
        )
    ).first()
    if state is None:
        return Window(None, None, latest, inputs)
    return Window(state.claimed_through, state.deadlines_through, latest, inputs)


def close_window(window: Window, now: datetime) -> None:
    """Everything due by ``now`` is claimed for the deadlines up to ``window.latest`` and the
    people of ``window.inputs``. Also when ``now`` is earlier than the stored moment (a dispatch
    for a past moment): the deadlines it saw first may have later steps due, and the lower mark
    makes the next claim read them."""
    if not window.inputs:
        return
    values = {
        "claimed_through": now,
        "deadlines_through": window.latest,
        "inputs": window.inputs,
        "updated_at": utcnow(),
    }
    statement = insert_for(ReminderScan).values(id=_STATE_ID, **values)
    db.session.execute(statement.on_conflict_do_update(index_elements=["id"], set_=values))


def steps_may_fall_due(since: datetime, now: datetime) -> bool:
    """Whether a step's moment — a policy's hour, local to a region — may lie in (since, now].
    If not, no step fell due since the last claim, whatever the deadlines: a rerun minutes
    later, between two hours, knows it without reading them. Every zone with every hour in use:
    more combinations than the agencies have, never fewer."""
    if now <= since:
        return False
    zones = set(db.session.scalars(sa.select(Region.timezone).distinct()))
    hours = set(db.session.scalars(sa.select(ReminderPolicy.send_hour).distinct()))
    for tz in map(ZoneInfo, zones):
        day = since.astimezone(tz).date()
        for hour in hours | {Policy().send_hour}:
            moment = at_local(day, hour, tz)
            if moment <= since:
                moment = at_local(day + timedelta(days=1), hour, tz)
            if moment <= now:
                return True
    return False


def _rows(*columns, order) -> sa.ScalarSelect:
    """One text of every row's ``columns``, in ``order`` (a row's text keeps NULLs apart)."""
    row = sa.cast(sa.tuple_(*columns), sa.Text)
    return sa.select(
        sa.func.coalesce(sa.func.string_agg(row, aggregate_order_by(sa.literal(";"), order)), "")
    ).scalar_subquery()


def fingerprint() -> str:
    """MD5 of everything that decides who gets which step on which day (PostgreSQL)."""
    u, p, c = User, ReminderPolicy, CalendarOverride
    code = f"holidays {holidays.__version__}; built-in {Policy()}"
    parts = [
        sa.literal(code),
        _rows(
            u.id,
            sa.func.lower(u.email),
            u.role,
            u.active,
            u.agency_id,
            u.subdivision_id,
            u.region_id,
            order=u.id,
        ),
        _rows(Agency.id, Agency.region_id, order=Agency.id),
        _rows(Region.id, Region.office_email, Region.timezone, order=Region.id),
        _rows(
            p.id,
            p.region_id,
            p.agency_id,
            p.before_days,
            p.on_day,
            p.after_days,
            p.send_hour,
            order=p.id,
        ),
        _rows(c.id, c.region_id, c.day, c.is_working, order=c.id),
    ]
    return db.session.scalar(sa.select(sa.func.md5(sa.func.concat_ws("|", *parts))))
