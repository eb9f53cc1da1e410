"""The working list as the list page filters it: status, area, channel, client, subdivision and
free text, in the form's order of activity areas."""

from __future__ import annotations

import sqlalchemy as sa

from touchpoints.core.db import db
from touchpoints.lists import labels
from touchpoints.lists.form import Form
from touchpoints.lists.models import OPEN_PROPOSAL, Entry, EntryKind, EntryStatus

STATUS_FILTERS = {
    "included": ("В перечне", (EntryStatus.INCLUDED.value,)),
    "pending": ("Готовятся и на проверке", OPEN_PROPOSAL),
    "excluded": ("Исключённые", (EntryStatus.EXCLUDED.value,)),
    "all": (
        "Все",
        (*OPEN_PROPOSAL, EntryStatus.INCLUDED.value, EntryStatus.EXCLUDED.value),
    ),
}

#: Columns the list page's search box looks in.
_SEARCHED = (
    Entry.process_name,
    Entry.touchpoint,
    Entry.interaction,
    Entry.specifics,
    Entry.organisation,
)


def area_order(form: Form):
    """Rows follow the form's activity areas, unknown areas last."""
    return sa.case(
        {a["code"]: i for i, a in enumerate(form.activity_areas)},
        value=Entry.activity_area,
        else_=len(form.activity_areas),
    )


def filtered(agency_id: int, form: Form, args) -> tuple[sa.Select, str]:
    """The query for the list page's filters in ``args`` (request arguments), and the status
    filter actually applied (an unknown one falls back to «В перечне»)."""
    status = args.get("status", "included")
    if status not in STATUS_FILTERS:
        status = "included"
    q = (
        sa.select(Entry)
        .where(
            Entry.agency_id == agency_id,
            Entry.kind == EntryKind.NEW.value,
            Entry.status.in_(STATUS_FILTERS[status][1]),
        )
        .order_by(area_order(form), Entry.position, Entry.id)
    )
    area = args.get("area", "")
    if area in form.area_by_code:
        q = q.where(Entry.activity_area == area)
    channel = args.get("channel", "")
    if channel in labels.CHANNEL_KINDS:
        q = q.where(Entry.channel_kind == channel)
    client = args.get("client", "")
    if client in labels.CLIENT_KINDS:
        q = q.where(Entry.client_kind == client)
    sub = args.get("subdivision", "")
    if sub.isdecimal() and sub.isascii() and len(sub) < 10:
        q = q.where(Entry.subdivision_id == int(sub))
    text = args.get("q", "").strip()
    if text:
        like = f"%{text.lower()}%"
        q = q.where(sa.or_(*(sa.func.lower(col).like(like) for col in _SEARCHED)))
    return q, status


def exclusion_reasons(agency_id: int, entry_ids) -> dict[int, str | None]:
    """Why each of these entries was excluded, for the comparison page."""
    return dict(
        db.session.execute(
            sa.select(Entry.id, Entry.exclusion_reason).where(
                Entry.agency_id == agency_id, Entry.id.in_(list(entry_ids))
            )
        ).all()
    )
