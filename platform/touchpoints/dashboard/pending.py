"""Submissions waiting for review, as the project office may see them (issue 13, item 3).

The office's own scope reads no drafts or pending proposals (core/db.py, ``Entry.__region_read__``)
so its filtered list of an agency shows none of them, while its dashboard counts them. This is
the narrow path between the two: for one agency, in the system scope, only who submitted what
kind of row, when, from which subdivision — never the row's content. The dashboard's «Ждут
проверки» figure counts exactly these rows (compute._fill_statuses: status «submitted»)."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import sqlalchemy as sa

from touchpoints.auth.models import User
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Subdivision
from touchpoints.lists.models import Entry, EntryStatus

#: Longest list shown; the page says when there are more.
LIMIT = 500


@dataclasses.dataclass(frozen=True)
class PendingItem:
    entry_id: int
    kind: str
    author: str | None
    subdivision: str | None
    submitted_at: datetime | None


def pending_reviews(agency_id: int, limit: int = LIMIT) -> tuple[list[PendingItem], int]:
    """(the oldest ``limit`` items, how many there are in all)."""
    waiting = (Entry.agency_id == agency_id, Entry.status == EntryStatus.SUBMITTED.value)
    with scoped(SYSTEM_SCOPE):
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Entry).where(*waiting))
        rows = db.session.execute(
            sa.select(Entry.id, Entry.kind, User.name, Subdivision.name, Entry.submitted_at)
            .outerjoin(User, User.id == Entry.submitted_by_id)
            .outerjoin(Subdivision, Subdivision.id == Entry.subdivision_id)
            .where(*waiting)
            .order_by(Entry.submitted_at, Entry.id)
            .limit(limit)
        ).all()
    return [PendingItem(*row) for row in rows], total or 0
