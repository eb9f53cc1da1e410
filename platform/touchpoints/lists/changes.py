"""«Changed since the last version» for the working list page, kept per agency (issue 15, item 4).

Comparing a 5,000-entry list with its last version loaded ≈ 10,000 ORM objects on every view to
mark 50 rows. The comparison depends only on the last version and the working list, and every
change to either is an audited step (lists/services.py) that also touches the entry rows; so the
result is kept, in each process, under a fingerprint read in one query: the last version, the
newest audit event, and the working entries' count, newest id, newest update and revisions. The
audit trail is not readable in every scope (the project office's): the entries' own fingerprint
covers what it reads there. Only ids and field names are kept (diff.Summary), not rows.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from touchpoints.audit.models import AuditEvent
from touchpoints.core.db import current_scope, db
from touchpoints.lists.diff import Summary
from touchpoints.lists.models import Entry, EntryKind, ListVersion
from touchpoints.lists.services import WORKING

#: Agencies whose summaries a process keeps (a few hundred kilobytes each at 5,000 rows).
SIZE = 64
_lock = threading.Lock()


def _cache() -> OrderedDict:
    # Per application (in its extensions), so that a new application starts empty.
    return current_app.extensions.setdefault("lists_changes", OrderedDict())


def fingerprint(agency_id: int) -> tuple:
    """Everything the comparison depends on, in one round trip."""
    e = Entry.__table__.c
    working = sa.and_(
        e.agency_id == agency_id, e.status.in_(WORKING), e.kind == EntryKind.NEW.value
    )
    row = db.session.execute(
        sa.select(
            sa.select(sa.func.max(ListVersion.__table__.c.id))
            .where(ListVersion.__table__.c.agency_id == agency_id)
            .scalar_subquery(),
            sa.select(sa.func.max(ListVersion.__table__.c.approved_at))
            .where(ListVersion.__table__.c.agency_id == agency_id)
            .scalar_subquery(),
            sa.select(sa.func.max(AuditEvent.__table__.c.id))
            .where(AuditEvent.__table__.c.agency_id == agency_id)
            .scalar_subquery(),
            sa.func.count(),
            sa.func.max(e.id),
            sa.func.max(e.updated_at),
            sa.func.sum(e.revision),
        ).where(working)
    ).one()
    return tuple(row)


def since_last(agency_id: int, compute: Callable[[], Summary | None]) -> Summary | None:
    """The summary of the working list against the last version; ``compute`` when unknown."""
    key = (agency_id, current_scope().kind, fingerprint(agency_id))
    cache = _cache()
    with _lock:
        found = cache.get(key, _MISSING)
        if found is not _MISSING:
            cache.move_to_end(key)
            return found
    summary = compute()
    with _lock:
        cache[key] = summary
        while len(cache) > SIZE:
            cache.popitem(last=False)
    return summary


_MISSING = object()
