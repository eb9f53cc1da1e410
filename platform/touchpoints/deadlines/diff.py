"""Which agencies' open deadlines differ from what their lists call for, found in SQL.

The reminder scan syncs only those agencies (``compute.sync`` of all would do the same, at the
cost of a computation per agency in Python every two minutes); see docs/jobs.md.
"""

from __future__ import annotations

import contextlib

import sqlalchemy as sa

from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency, Subdivision
from touchpoints.deadlines.compute import triggers_query
from touchpoints.deadlines.models import Deadline, DeadlineKind, Reconfirmation
from touchpoints.lists.models import Entry, EntryStatus


def changed_agencies() -> list[int] | None:
    """Agencies whose open deadlines differ from what their lists call for now, found in SQL
    (PostgreSQL): a trigger, a submission or a subdivision's cycle start without its open
    deadline, or an open deadline whose cause is gone. Each open deadline keeps the moment that
    started it (``started_at``), and the subject key is derived from that moment, so comparing
    moments is comparing keys. :func:`sync` of just these agencies does what a sync of all
    would; the reminder scan uses it so that a run with nothing new costs a few index scans,
    not a computation per agency. None (sync everyone) on SQLite, whose stored times are text."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    d = Deadline
    kind = DeadlineKind

    def open_of(k):
        return sa.and_(d.status == "open", d.kind == k.value)

    triggers = triggers_query(None).subquery("triggers")
    pub = sa.orm.aliased(Deadline)
    # Publication: a trigger without its deadline, and a deadline without its trigger.
    missing_pub = (
        sa.select(triggers.c.agency_id)
        .outerjoin(
            pub,
            sa.and_(
                pub.agency_id == triggers.c.agency_id,
                pub.status == "open",
                pub.kind == kind.PUBLICATION.value,
                pub.started_at == triggers.c.t,
            ),
        )
        .where(pub.id.is_(None))
    )
    stale_pub = (
        sa.select(d.agency_id)
        .outerjoin(
            triggers, sa.and_(triggers.c.agency_id == d.agency_id, triggers.c.t == d.started_at)
        )
        .where(open_of(kind.PUBLICATION), triggers.c.agency_id.is_(None))
    )
    # Review: a submission waiting without its deadline, and a deadline whose entry moved on.
    waiting = sa.and_(Entry.status == EntryStatus.SUBMITTED.value, Entry.submitted_at.is_not(None))
    missing_review = (
        sa.select(Entry.agency_id)
        .outerjoin(
            d,
            sa.and_(
                d.entry_id == Entry.id, open_of(kind.REVIEW), d.started_at == Entry.submitted_at
            ),
        )
        .where(waiting, d.id.is_(None))
    )
    stale_review = (
        sa.select(d.agency_id)
        .outerjoin(
            Entry, sa.and_(Entry.id == d.entry_id, waiting, Entry.submitted_at == d.started_at)
        )
        .where(open_of(kind.REVIEW), Entry.id.is_(None))
    )
    # Re-confirmation: each active subdivision's cycle start, as _reconfirm_dues takes it.
    confirmed = (
        sa.select(
            Reconfirmation.subdivision_id, sa.func.max(Reconfirmation.confirmed_at).label("c")
        )
        .group_by(Reconfirmation.subdivision_id)
        .subquery()
    )
    submitted = (
        sa.select(Entry.subdivision_id, sa.func.max(Entry.submitted_at).label("s"))
        .where(Entry.subdivision_id.is_not(None))
        .group_by(Entry.subdivision_id)
        .subquery()
    )
    since = sa.case(
        (confirmed.c.c.is_(None), sa.func.coalesce(submitted.c.s, Agency.created_at)),
        (submitted.c.s.is_(None), confirmed.c.c),
        (confirmed.c.c > submitted.c.s, confirmed.c.c),
        else_=submitted.c.s,
    )
    cycles = (
        sa.select(Subdivision.id, Subdivision.agency_id, since.label("since"))
        .join(Agency, Agency.id == Subdivision.agency_id)
        .outerjoin(confirmed, confirmed.c.subdivision_id == Subdivision.id)
        .outerjoin(submitted, submitted.c.subdivision_id == Subdivision.id)
        .where(Subdivision.active)
        .subquery("cycles")
    )
    missing_cycle = (
        sa.select(cycles.c.agency_id)
        .outerjoin(
            d,
            sa.and_(
                d.subdivision_id == cycles.c.id,
                open_of(kind.RECONFIRM),
                d.started_at == cycles.c.since,
            ),
        )
        .where(d.id.is_(None))
    )
    stale_cycle = (
        sa.select(d.agency_id)
        .outerjoin(cycles, sa.and_(cycles.c.id == d.subdivision_id, cycles.c.since == d.started_at))
        .where(open_of(kind.RECONFIRM), cycles.c.id.is_(None))
    )
    union = sa.union(
        missing_pub, stale_pub, missing_review, stale_review, missing_cycle, stale_cycle
    ).subquery()
    with bulk_plan():
        return sorted(db.session.scalars(sa.select(union.c[0])).all())


@contextlib.contextmanager
def bulk_plan():
    """Plan the statements inside as the bulk joins they are (the reminder scan's). Right after
    many rows were written (deadlines opened a moment ago, a restore) autovacuum has not counted
    them yet: PostgreSQL then expects one row where there are tens of thousands and picks nested
    loops that run for minutes (measured: 8 minutes at 10,000 agencies). Hash joins in the order
    written are right at every size. Only inside the block; nothing on SQLite."""
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        yield
        return
    # Room for the hash tables in memory (the default 4 MB spilled the claim's to disk).
    settings = {"enable_nestloop": "off", "join_collapse_limit": "1", "work_mem": "32MB"}
    previous = {name: conn.exec_driver_sql(f"SHOW {name}").scalar() for name in settings}
    for name, value in settings.items():
        conn.execute(sa.text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
    try:
        yield
    finally:
        for name, value in previous.items():
            conn.execute(sa.text("SELECT set_config(:n, :v, true)"), {"n": name, "v": value})
