"""The registrar's review queue: what to open next after a decision."""

from __future__ import annotations

import sqlalchemy as sa

from touchpoints.auth.roles import Permission
from touchpoints.core.db import db
from touchpoints.lists.models import Entry, EntryKind, EntryStatus


def next_waiting(agency_id: int, after_id: int | None = None) -> Entry | None:
    """The oldest submission still waiting for review (the queue's own order), not ``after_id``."""
    q = sa.select(Entry).where(
        Entry.agency_id == agency_id, Entry.status == EntryStatus.SUBMITTED.value
    )
    if after_id is not None:
        q = q.where(Entry.id != after_id)
    return db.session.scalar(q.order_by(Entry.submitted_at.asc().nulls_last(), Entry.id).limit(1))


#: The review page's queues, in the order of its tabs.
QUEUES = {
    "drafts": "Мои черновики",
    "returned": "Возвращены мне",
    "waiting": "Ожидают проверки",
}


def query(agency_id: int, user, name: str) -> sa.Select:
    """One of :data:`QUEUES` as this person sees it: their own drafts and returns; submissions
    waiting for review — all of them for a registrar, their own for an editor."""
    q = sa.select(Entry).where(Entry.agency_id == agency_id)
    if name == "drafts":
        return q.where(Entry.status == EntryStatus.DRAFT.value, Entry.created_by_id == user.id)
    if name == "returned":
        return q.where(
            Entry.status == EntryStatus.RETURNED.value,
            sa.or_(Entry.created_by_id == user.id, Entry.submitted_by_id == user.id),
        )
    q = q.where(Entry.status == EntryStatus.SUBMITTED.value)
    if not user.can(Permission.REVIEW_ENTRIES):
        q = q.where(Entry.submitted_by_id == user.id)
    return q


def counts(agency_id: int, user) -> dict[str, int]:
    return {
        name: db.session.scalar(
            sa.select(sa.func.count()).select_from(query(agency_id, user, name).subquery())
        )
        for name in QUEUES
    }


def page_query(agency_id: int, user, name: str) -> sa.Select:
    """A queue in the order the registrar works through it: the oldest submission first."""
    return (
        query(agency_id, user, name)
        .options(
            sa.orm.selectinload(Entry.submitted_by),
            sa.orm.selectinload(Entry.created_by),
            sa.orm.selectinload(Entry.subdivision),
        )
        .order_by(Entry.submitted_at.asc().nulls_last(), Entry.updated_at.desc(), Entry.id)
    )


def decision_message(entry: Entry) -> str:
    """What the registrar's «Включить» did, in words that match the kind of item."""
    if entry.kind == EntryKind.EXCLUSION.value:
        return "Строка исключена из перечня."
    if entry.kind == EntryKind.CHANGE.value:
        return "Изменение внесено в перечень."
    return "Строка включена в перечень."


def exclusion_message(proposal: Entry) -> str:
    """Proposing is not excluding: say which of the two happened."""
    if proposal.status == EntryStatus.APPLIED.value:
        return "Строка исключена из перечня."
    return "Предложение об исключении отправлено на проверку уполномоченному лицу."
