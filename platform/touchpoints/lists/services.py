"""The review path and approval (Murmansk 2.2 / 2.2.4, Kuzbass 3.3 / 3.4).

Editors of a subdivision prepare entries and proposals (change, exclusion) and submit them; the
registrar («уполномоченное лицо») includes them into the working list or returns them with a
comment, and approves the working list as a version. Every step is audited in the same
transaction. Views call these functions and nothing else changes entries.
"""

from __future__ import annotations

from sqlalchemy.orm.exc import StaleDataError

from touchpoints.audit import service as audit
from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import db, utcnow
from touchpoints.core.tenancy import Agency
from touchpoints.lists import policy
from touchpoints.lists.errors import ConflictError, ReviewError
from touchpoints.lists.form import Form
from touchpoints.lists.models import (
    COMMON_FIELDS,
    AreaStatus,
    Entry,
    EntryKind,
    EntryStatus,
)
from touchpoints.lists.passports import SharedTouchpoint
from touchpoints.lists.processes import RegistryProcess
from touchpoints.notifications import events as notify

NORM_FIELDS = (
    "response_hours_mentions",
    "response_hours_requests",
    "max_transfers",
    "waiting_minutes",
)

#: Fields stored on the entry itself (the common ones minus the derived subdivision name).
STORED_FIELDS = (*tuple(f for f in COMMON_FIELDS if f != "subdivision"), "touchpoint_code", "extra")
#: The row's references to its registry process and its region's shared touchpoint
#: (docs/registry.md): carried by proposals with the row's values and frozen into versions.
LINK_FIELDS = ("process_id", "shared_touchpoint_id")


def values_of(entry) -> dict:
    out = {f: getattr(entry, f) for f in STORED_FIELDS}
    out["subdivision_id"] = getattr(entry, "subdivision_id", None)
    for field in LINK_FIELDS:
        out[field] = getattr(entry, field, None)
    return out


def proposed(data: dict) -> dict:
    """What a change proposal takes of a form's or a file's data: the row's own values."""
    return {
        k: v
        for k, v in data.items()
        if k in STORED_FIELDS or k in LINK_FIELDS or k == "subdivision_id"
    }


def _assign(entry: Entry, data: dict, form: Form) -> None:
    for field in STORED_FIELDS:
        if field in data:
            setattr(entry, field, data[field])
    if "subdivision_id" in data:
        entry.subdivision_id = data["subdivision_id"] or None
    # The registry process and the region's shared touchpoint a row names (docs/registry.md).
    if "process_id" in data:
        entry.process_id = data["process_id"] or None
    if "shared_touchpoint_id" in data:
        entry.shared_touchpoint_id = data["shared_touchpoint_id"] or None
    # A touchpoint picked from the catalogue carries its name and channel kind (seeds 3.1 / 4.1).
    item = form.touchpoint_by_code.get(entry.touchpoint_code or "")
    if item:
        # A newly picked catalogue item brings its own name unless one is given with it; the
        # old name must not survive a change of the code.
        if "touchpoint_code" in data and not (data.get("touchpoint") or "").strip():
            entry.touchpoint = item["name"]
        entry.touchpoint = entry.touchpoint or item["name"]
        entry.channel_kind = item["channel_kind"]
        # Norms the catalogue item does not have are not stated for it.
        for norm in NORM_FIELDS:
            if norm not in item.get("norms", []):
                setattr(entry, norm, None)
    elif entry.touchpoint_code:
        # A code that is not (or no longer) in the catalogue: keep the typed name only.
        entry.touchpoint_code = None
    entry.client_needs = list(entry.client_needs or [])
    entry.extra = dict(entry.extra or {})


def _require_references(agency: Agency, data: dict) -> None:
    """A row names only its own agency's registry process and its own region's shared
    touchpoint (the entry form offers nothing else; an importer or a crafted post might)."""
    process_id = data.get("process_id")
    if process_id:
        process = db.session.get(RegistryProcess, process_id)
        if process is None or process.agency_id != agency.id:
            raise ReviewError("Такого процесса нет в реестре процессов организации")
    shared_id = data.get("shared_touchpoint_id")
    if shared_id and SharedTouchpoint.in_region(shared_id, agency.region_id) is None:
        raise ReviewError("Такой общей точки взаимодействия нет в регионе")


def create_entry(agency: Agency, user: User, data: dict) -> Entry:
    """A new draft of the user's own agency; the registrar may then include it at once."""
    data = dict(data)
    if user.role_enum is Role.EDITOR:
        data["subdivision_id"] = user.subdivision_id
    policy.require(policy.can_create(user, agency.id, data.get("subdivision_id")))
    _require_references(agency, data)
    entry = Entry(
        agency_id=agency.id,
        created_by_id=user.id,
        kind=EntryKind.NEW.value,
        position=Entry.next_position(agency.id),
    )
    _assign(entry, data, Form(agency.form))
    db.session.add(entry)
    db.session.flush()
    audit.record("entry.create", entry, after=values_of(entry), actor=user)
    return entry


def update_entry(entry: Entry, user: User, data: dict, expected_revision: int) -> Entry:
    """Save edits made on top of ``expected_revision``; a newer revision is a conflict."""
    policy.require(policy.can_edit(user, entry))
    if entry.revision != expected_revision:
        raise ConflictError(entry, data)
    before = values_of(entry)
    if user.role_enum is Role.EDITOR:
        data = {**data, "subdivision_id": user.subdivision_id}
    agency = entry_agency(entry)
    _require_references(agency, data)
    _assign(entry, data, Form(agency.form))
    entry.updated_at = utcnow()
    if entry.status == EntryStatus.INCLUDED.value and values_of(entry) != before:
        # The registrar's direct edit of the working list is a reviewed change like an included
        # proposal: it starts the publication clock (Murmansk 5.4, Kuzbass 5.5).
        entry.reviewed_at = entry.updated_at
        entry.reviewed_by_id = user.id
    try:
        db.session.flush()
    except StaleDataError:
        # Saved by someone else between our read and our write: the database said so.
        db.session.rollback()
        fresh = db.session.get(Entry, entry.id)
        raise ConflictError(fresh, data) from None
    b, a = audit.changes(before, values_of(entry))
    if b:
        audit.record("entry.update", entry, before=b, after=a, actor=user)
    return entry


def entry_agency(entry: Entry) -> Agency:
    return db.session.get(Agency, entry.agency_id)


def submit(entry: Entry, user: User) -> Entry:
    policy.require(policy.can_submit(user, entry))
    before = entry.status
    entry.status = EntryStatus.SUBMITTED.value
    entry.submitted_by_id = user.id
    entry.submitted_at = utcnow()
    audit.record(
        "entry.submit", entry, before={"status": before}, after={"status": "submitted"}, actor=user
    )
    notify.entry_submitted(entry, user)
    return entry


def include(entry: Entry, user: User, comment: str | None = None) -> Entry:
    """Include a submitted entry, change or exclusion into the working list (2.2.3 / 3.3.3)."""
    policy.require(policy.can_include(user, entry))
    # Allowed and the registrar's own: they are the only registrar, and the trail says so.
    alone = policy.includes_alone(user, entry)
    status_before = entry.status
    now = utcnow()
    note = "включено уполномоченным лицом, действующим единолично" if alone else None
    target = None
    if entry.kind == EntryKind.NEW.value:
        entry.status = EntryStatus.INCLUDED.value
        action = "entry.include"
    else:
        target = db.session.get(Entry, entry.target_id)
        if target is None or target.status != EntryStatus.INCLUDED.value:
            raise ReviewError("Строка, к которой относится предложение, уже не в перечне")
        if entry.kind == EntryKind.CHANGE.value and target_changed_since(entry, target):
            # The row changed after the proposal was prepared: applying it would silently undo
            # that change. The author prepares a new proposal from the current row.
            raise ReviewError(
                "Строка перечня изменена после подготовки предложения. Верните предложение "
                "автору: он отзовёт его и подготовит новое по текущим сведениям."
            )
        if entry.kind == EntryKind.CHANGE.value:
            before = values_of(target)
            _assign(target, values_of(entry), Form(entry_agency(entry).form))
            target.updated_at = now
            before, after = audit.changes(before, values_of(target))
            action = "entry.change"
        else:
            target.status = EntryStatus.EXCLUDED.value
            target.exclusion_reason = entry.exclusion_reason
            target.updated_at = now
            before, after = (
                {"status": "included"},
                {"status": "excluded", "reason": entry.exclusion_reason},
            )
            action = "entry.exclude"
        entry.status = EntryStatus.APPLIED.value
        audit.record(
            action, target, before=before, after=after, comment=comment or note, actor=user
        )
    entry.reviewed_by_id = user.id
    entry.reviewed_at = now
    entry.review_comment = comment
    audit.record(
        "entry.review.include",
        entry,
        before={"status": status_before},
        after={"status": entry.status},
        comment=comment or note,
        actor=user,
    )
    notify.entry_decided(entry, target, user, comment)
    return entry


def target_changed_since(proposal: Entry, target: Entry) -> bool:
    return target.updated_at > proposal.created_at


def return_entry(entry: Entry, user: User, comment: str) -> Entry:
    policy.require(policy.can_return(user, entry))
    if not (comment or "").strip():
        raise ReviewError("Укажите, что нужно исправить")
    entry.status = EntryStatus.RETURNED.value
    entry.review_comment = comment.strip()
    entry.reviewed_by_id = user.id
    entry.reviewed_at = utcnow()
    audit.record(
        "entry.return",
        entry,
        before={"status": "submitted"},
        after={"status": "returned"},
        comment=comment,
        actor=user,
    )
    notify.entry_returned(entry, user, comment)
    return entry


def withdraw(entry: Entry, user: User) -> Entry:
    """The author drops an entry or proposal that is not yet in the list (also once submitted)."""
    policy.require(policy.can_withdraw(user, entry))
    before = entry.status
    entry.status = EntryStatus.WITHDRAWN.value
    audit.record(
        "entry.withdraw",
        entry,
        before={"status": before},
        after={"status": "withdrawn"},
        actor=user,
    )
    return entry


def propose_change(target: Entry, user: User, data: dict) -> Entry:
    """A change to an included entry follows the same path as a new one (2.2.4 / 5.3)."""
    return _propose(target, user, EntryKind.CHANGE, data=data)


def propose_exclusion(target: Entry, user: User, reason: str) -> Entry:
    if not (reason or "").strip():
        raise ReviewError("Укажите причину исключения")
    return _propose(target, user, EntryKind.EXCLUSION, reason=reason.strip())


def _propose(
    target: Entry, user: User, kind: EntryKind, data: dict | None = None, reason: str | None = None
) -> Entry:
    policy.require(policy.can_propose(user, target))
    proposal = Entry(
        agency_id=target.agency_id,
        kind=kind.value,
        target_id=target.id,
        created_by_id=user.id,
        position=target.position,
        exclusion_reason=reason,
    )
    values = values_of(target)
    if data:
        values.update(proposed(data))
        _require_references(entry_agency(target), data)
    values["subdivision_id"] = target.subdivision_id
    _assign(proposal, values, Form(entry_agency(target).form))
    db.session.add(proposal)
    db.session.flush()
    audit.record(
        f"entry.propose.{kind.value}",
        proposal,
        after={"target_id": target.id, **values_of(proposal)},
        comment=reason,
        actor=user,
    )
    return proposal


def set_area_not_performed(
    agency: Agency, area_code: str, not_performed: bool, reason: str = ""
) -> None:
    """Kuzbass 3.5: every activity area has entries or is marked as not performed."""
    if area_code not in Form(agency.form).area_by_code:
        raise ReviewError("Нет такого направления деятельности")
    row = AreaStatus.of(agency.id, area_code)
    before = {"not_performed": bool(row and row.not_performed)}
    if row is None:
        row = AreaStatus(agency_id=agency.id, area_code=area_code)
        db.session.add(row)
    row.not_performed = not_performed
    row.reason = reason
    db.session.flush()
    audit.record(
        "area.status", row, before=before, after={"not_performed": not_performed, "reason": reason}
    )


def sort_key_for(form: Form):
    order = {a["code"]: i for i, a in enumerate(form.activity_areas)}
    return lambda e: (order.get(e.activity_area, 999), e.position, e.id)
