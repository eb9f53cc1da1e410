"""The registrar's review queue: what to open next after a decision."""

from __future__ import annotations

import sqlalchemy as sa

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
