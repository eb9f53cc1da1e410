"""Which agencies' open deadlines differ from what their lists call for, found in SQL.

The reminder scan syncs only those agencies (``compute.sync`` of all would do the same, at the
cost of a computation per agency in Python every two minutes); see docs/jobs.md.
"""

from __future__ import annotations

import sqlalchemy as sa

from touchpoints.core.bulk import bulk_plan
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
    kind = DeadlineKind

    def mismatched(kind_, causes, key, on: dict):
        """Agencies where a cause has no open deadline of ``kind_`` started at its moment, or
        such a deadline has no cause (``on``: deadline column → the cause's): one full join,
        each side read once."""
        d = sa.orm.aliased(Deadline)
        deadlines = (
            sa.select(d.id, d.agency_id, d.entry_id, d.subdivision_id, d.started_at)
            .where(d.status == "open", d.kind == kind_.value)
            .subquery()
        )
        return (
            sa.select(sa.func.coalesce(causes.c.agency_id, deadlines.c.agency_id))
            .select_from(causes)
            .join(
                deadlines,
                sa.and_(*(deadlines.c[column] == cause for column, cause in on.items())),
                full=True,
            )
            .where(sa.or_(causes.c[key].is_(None), deadlines.c.id.is_(None)))
        )

    # Publication: the first change not on the site yet.
    triggers = triggers_query(None).subquery("triggers")
    # Review: a submission waiting for the registrar.
    waiting = (
        sa.select(Entry.id, Entry.agency_id, Entry.submitted_at)
        .where(Entry.status == EntryStatus.SUBMITTED.value, Entry.submitted_at.is_not(None))
        .subquery("waiting")
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
    union = sa.union(
        mismatched(
            kind.PUBLICATION,
            triggers,
            "agency_id",
            {"agency_id": triggers.c.agency_id, "started_at": triggers.c.t},
        ),
        mismatched(
            kind.REVIEW,
            waiting,
            "id",
            {"entry_id": waiting.c.id, "started_at": waiting.c.submitted_at},
        ),
        mismatched(
            kind.RECONFIRM,
            cycles,
            "id",
            {"subdivision_id": cycles.c.id, "started_at": cycles.c.since},
        ),
    ).subquery()
    with bulk_plan():
        return sorted(db.session.scalars(sa.select(union.c[0])).all())
