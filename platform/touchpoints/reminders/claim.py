"""Claiming due reminders: the step table (working days, in Python, per region, policy and due
date) and the one INSERT … SELECT that selects due steps, their recipients and what is not
claimed yet (docs/jobs.md, "The reminder scan"). The scan (scan.py) runs it."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.calendar.services import WorkCalendar, calendars_for_regions
from touchpoints.core.bulk import bulk_plan, insert_for
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency, Region
from touchpoints.deadlines.models import (
    Deadline,
    DeadlineKind,
    Reminder,
    ReminderOptOut,
    ReminderPolicy,
)
from touchpoints.reminders import watermark
from touchpoints.reminders.services import Policy, at_local


def insert_counted(statement, model, now: datetime) -> int:
    """Run an INSERT … SELECT; the rows it added. PostgreSQL reports them; Python's sqlite3 does
    not for a statement that starts with WITH, so the demo counts the rows stamped with this
    run's moment before and after (every row a run writes carries its ``now``)."""
    conn = db.session.connection()
    if conn.dialect.name == "postgresql":
        return max(conn.execute(statement).rowcount, 0)
    stamped = sa.select(sa.func.count()).select_from(model).where(model.created_at == now)
    before = conn.scalar(stamped)
    conn.execute(statement)
    return conn.scalar(stamped) - before


# --------------------------------------------------------------------------- the step table
# Working days come from the ``holidays`` library and the regions' overrides, in Python. They are
# never worked out per deadline: the scan asks which (region, policy, due date) combinations the
# open deadlines have — a few hundred, whatever the number of agencies — works out each step's
# day once per combination, and hands that small table (a VALUES list) to the one statement
# that selects and claims the reminders (docs/jobs.md, "The reminder scan").


@dataclasses.dataclass(frozen=True)
class Regions:
    """Policies by key (0: the built-in one), calendars and time zones of the regions asked for."""

    policies: dict[int, Policy]
    calendars: dict[int, WorkCalendar]
    zones: dict[int, ZoneInfo]

    @classmethod
    def load(cls, region_ids: set[int]) -> Regions:
        ids = sorted(region_ids)
        policies = {0: Policy()}
        for row in db.session.scalars(sa.select(ReminderPolicy)):
            policies[row.id] = Policy.from_row(row)
        zones = {
            region_id: ZoneInfo(tz)
            for region_id, tz in db.session.execute(
                sa.select(Region.id, Region.timezone).where(Region.id.in_(ids))
            )
        }
        return cls(policies, calendars_for_regions(ids), zones)

    def policy(self, key: int) -> Policy:
        # A policy removed since the agency's key was read: the built-in one, as for no row.
        return self.policies.get(key) or self.policies[0]


def agency_policy():
    """Each agency's region and policy key: its own policy row, else its region's, else 0."""
    own, regional = sa.orm.aliased(ReminderPolicy), sa.orm.aliased(ReminderPolicy)
    return (
        sa.select(
            Agency.id.label("agency_id"),
            Agency.region_id.label("region_id"),
            sa.func.coalesce(own.id, regional.id, 0).label("policy_key"),
        )
        .select_from(Agency)
        .outerjoin(own, own.agency_id == Agency.id)
        .outerjoin(regional, regional.region_id == Agency.region_id)
        .cte("agency_policy")
    )


def values_cte(name: str, columns: list[sa.ColumnClause], rows: list[tuple]):
    """A small table of parameters as a CTE (``WITH name(cols) AS (VALUES …)``): PostgreSQL and
    SQLite (the demo) both read it."""
    return sa.values(*columns, name=name).data(rows).cte(name)


def step_table(now: datetime, since: datetime | None = None, above: int | None = None):
    """Every step due by ``now`` of every open deadline's (region, policy, due date), as a CTE of
    (region_id, policy_key, due_on, step, step_offset, send_on, fresh) — ``fresh``: due after
    ``since`` (all of them when None) — with the agencies' policy keys (a CTE) and the id of
    the oldest open deadline; None when nothing is due. ``above``: only deadlines with a larger
    id."""
    ap = agency_policy()
    which = [Deadline.status == "open"]
    if above is not None:
        which.append(Deadline.id > above)
    combos = db.session.execute(
        sa.select(ap.c.region_id, ap.c.policy_key, Deadline.due_on, sa.func.min(Deadline.id))
        .select_from(Deadline)
        .join(ap, ap.c.agency_id == Deadline.agency_id)
        .where(*which)
        .group_by(ap.c.region_id, ap.c.policy_key, Deadline.due_on)
    ).all()
    if not combos:
        return None
    oldest = min(c[3] for c in combos)
    regions = Regions.load({c.region_id for c in combos})
    rows = []
    for region_id, key, due_on, _ in combos:
        policy, cal, tz = (
            regions.policy(key),
            regions.calendars[region_id],
            regions.zones[region_id],
        )
        for step, offset in policy.steps():
            day = cal.add_working_days(due_on, offset) if offset else due_on
            # The step's moment: the set local hour of its day in the region.
            moment = at_local(day, policy.send_hour, tz)
            if moment <= now:
                fresh = since is None or moment > since
                rows.append((region_id, key, due_on, step, offset, day, fresh))
    if not rows:
        return None
    return (
        ap,
        oldest,
        values_cte(
            "due_steps",
            [
                sa.column("region_id", sa.Integer),
                sa.column("policy_key", sa.Integer),
                sa.column("due_on", sa.Date),
                sa.column("step", sa.String),
                sa.column("step_offset", sa.Integer),
                sa.column("send_on", sa.Date),
                sa.column("fresh", sa.Boolean),
            ],
            rows,
        ),
    )


# --------------------------------------------------------------------------- claiming


def _recipients(cand):
    """(candidate, person) rows, one per address (e-mails are unique per user): who acts, and
    after the deadline who answers for it (services.py's docstring says it in words).
    Publication and review: the registrars. Re-confirmation: the subdivision's editors, and the registrars from the due day
    or when the subdivision has no editor. After the deadline: the agency's viewers (the head)
    and the region's project office — its people, then its shared address (escalation)."""
    editor = sa.orm.aliased(User)
    reconfirm = cand.c.kind == DeadlineKind.RECONFIRM.value
    no_editor = ~sa.exists().where(
        editor.agency_id == cand.c.agency_id,
        editor.active,
        editor.role == Role.EDITOR.value,
        editor.subdivision_id == cand.c.subdivision_id,
    )
    acts = sa.or_(
        sa.and_(~reconfirm, User.role == Role.REGISTRAR.value),
        sa.and_(
            reconfirm,
            User.role == Role.EDITOR.value,
            User.subdivision_id == cand.c.subdivision_id,
        ),
        sa.and_(
            reconfirm,
            User.role == Role.REGISTRAR.value,
            sa.or_(cand.c.step_offset >= 0, no_editor),
        ),
    )
    late = cand.c.step_offset > 0

    def person(recipient, user_id, escalation):
        return (
            *cand.c,
            recipient.label("recipient"),
            user_id.label("user_id"),
            escalation.label("escalation"),
        )

    email = sa.func.lower(User.email)
    staff = sa.and_(User.agency_id == cand.c.agency_id, User.active)
    # The region's shared address, unless one of the step's people already has it (a person's
    # own row says more: their user and whether it is an escalation).
    holder = sa.orm.aliased(User)
    has_address = sa.exists().where(
        sa.func.lower(holder.email) == sa.func.lower(Region.office_email),
        holder.active,
        sa.or_(
            sa.and_(holder.role == Role.OFFICE.value, holder.region_id == cand.c.region_id),
            sa.and_(
                holder.agency_id == cand.c.agency_id,
                sa.or_(
                    holder.role.in_((Role.REGISTRAR.value, Role.VIEWER.value)),
                    sa.and_(
                        reconfirm,
                        holder.role == Role.EDITOR.value,
                        holder.subdivision_id == cand.c.subdivision_id,
                    ),
                ),
            ),
        ),
    )
    return sa.union_all(
        sa.select(*person(email, User.id, sa.false())).join(User, staff).where(acts),
        sa.select(*person(email, User.id, sa.false()))
        .join(User, staff)
        .where(late, User.role == Role.VIEWER.value),
        sa.select(*person(email, User.id, sa.true()))
        .join(
            User,
            sa.and_(
                User.region_id == cand.c.region_id, User.active, User.role == Role.OFFICE.value
            ),
        )
        .where(late),
        sa.select(
            *person(sa.func.lower(Region.office_email), sa.cast(sa.null(), sa.Integer), sa.true())
        )
        .join(Region, Region.id == cand.c.region_id)
        .where(late, Region.office_email.is_not(None), Region.office_email != "", ~has_address),
    ).subquery("people")


def claim_due(now: datetime) -> int:
    """How many reminders :func:`claim` inserted."""
    return sum(claim(now).values())


def claim(now: datetime) -> dict[int, int]:
    """Claim every reminder due by ``now`` and not claimed yet, in one INSERT … SELECT: the due
    steps of open deadlines, their recipients (one row per address, the first by rank), muted
    where the person turned that kind off; only the steps and deadlines the watermark leaves
    open (watermark.py). A row another scanner claimed first is skipped by the unique key.
    Returns the reminders this scanner inserted, per agency; no commit."""
    window = watermark.open_window()
    statement = claim_statement(now, window)
    by_agency: dict[int, int] = {}
    if statement is not None:
        with bulk_plan():
            by_agency = _per_agency(statement)
    watermark.close_window(window, now)
    return by_agency


def _per_agency(insert) -> dict[int, int]:
    """Run the INSERT … RETURNING agency_id; how many rows it inserted per agency, counted by
    PostgreSQL (a data-modifying CTE: 180,000 ids need not travel), by Python on SQLite."""
    if db.session.get_bind().dialect.name != "postgresql":
        return dict(Counter(agency_id for (agency_id,) in db.session.execute(insert)))
    inserted = insert.cte("inserted")
    counted = sa.select(inserted.c.agency_id, sa.func.count()).group_by(inserted.c.agency_id)
    return {agency_id: n for agency_id, n in db.session.execute(counted)}


def claim_statement(now: datetime, window: watermark.Window | None = None):
    """The INSERT … SELECT … RETURNING agency_id of :func:`claim`; None when no step is due.
    ``window``: what the watermark leaves to look at (None: everything)."""
    since, seen = (window.since, window.seen) if window else (None, None)
    # No step can have fallen due since the last claim (a rerun minutes later): only deadlines
    # opened since can have anything due, and only their steps are worked out.
    idle = since is not None and not watermark.steps_may_fall_due(since, now)
    found = step_table(now, since, above=seen if idle else None)
    if found is None:
        return None
    ap, oldest, steps = found
    d = Deadline
    # Early steps that would fall before the deadline even started are not sent.
    looked_at = [d.status == "open", steps.c.send_on >= d.started_on]
    if since is not None:
        # Steps due since the last claim, and every due step of the deadlines opened since.
        looked_at.append(sa.or_(steps.c.fresh, d.id > seen))
    cand = (
        sa.select(
            d.id.label("deadline_id"),
            d.agency_id,
            ap.c.region_id,
            d.kind,
            d.subdivision_id,
            steps.c.step,
            steps.c.step_offset,
            steps.c.send_on,
        )
        .select_from(d)
        .join(ap, ap.c.agency_id == d.agency_id)
        .join(
            steps,
            sa.and_(
                steps.c.region_id == ap.c.region_id,
                steps.c.policy_key == ap.c.policy_key,
                steps.c.due_on == d.due_on,
            ),
        )
        .where(*looked_at)
        .cte("candidate")
    )
    people = _recipients(cand)
    # Reminders of deadlines still open: their ids are at least the oldest open one's, a range
    # of the deadline_id index however long the history grows.
    taken = sa.exists().where(
        Reminder.deadline_id >= oldest,
        Reminder.deadline_id == people.c.deadline_id,
        Reminder.step == people.c.step,
        Reminder.recipient == people.c.recipient,
    )
    muted = sa.exists().where(
        ReminderOptOut.user_id == people.c.user_id, ReminderOptOut.kind == people.c.kind
    )
    optional = people.c.step_offset < 0
    rows = sa.select(
        people.c.agency_id,
        people.c.deadline_id,
        people.c.kind,
        people.c.step,
        people.c.recipient,
        people.c.user_id,
        people.c.send_on,
        people.c.escalation,
        optional,
        # Early reminders may be turned off by the person; deadline-day and later ones may not.
        sa.case((sa.and_(optional, muted), "muted"), else_="claimed"),
        sa.literal(now, Reminder.created_at.type),
    ).where(~taken)
    columns = [
        "agency_id",
        "deadline_id",
        "kind",
        "step",
        "recipient",
        "user_id",
        "send_on",
        "escalation",
        "optional",
        "status",
        "created_at",
    ]
    return (
        insert_for(Reminder)
        .from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=["deadline_id", "step", "recipient"])
        # Only what this scanner inserted comes back.
        .returning(Reminder.agency_id)
    )
