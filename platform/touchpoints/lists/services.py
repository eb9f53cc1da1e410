"""The review path and approval (Murmansk 2.2 / 2.2.4, Kuzbass 3.3 / 3.4).

Editors of a subdivision prepare entries and proposals (change, exclusion) and submit them; the
registrar («уполномоченное лицо») includes them into the working list or returns them with a
comment, and approves the working list as a version. Every step is audited in the same
transaction. Views call these functions and nothing else changes entries.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from touchpoints.audit import service as audit
from touchpoints.auth.models import User
from touchpoints.auth.roles import Permission, Role
from touchpoints.core.db import db, utcnow
from touchpoints.lists import approval_guard
from touchpoints.lists.errors import ReviewError
from touchpoints.lists.models import (
    COMMON_FIELDS,
    AreaStatus,
    Entry,
    EntryKind,
    EntryStatus,
    ListVersion,
    VersionEntry,
)
from touchpoints.notifications import events as notify
from touchpoints.regions.models import Agency
from touchpoints.tenants.form import Form

NORM_FIELDS = (
    "response_hours_mentions",
    "response_hours_requests",
    "max_transfers",
    "waiting_minutes",
)

#: Fields stored on the entry itself (the common ones minus the derived subdivision name).
STORED_FIELDS = (*tuple(f for f in COMMON_FIELDS if f != "subdivision"), "touchpoint_code", "extra")
#: Statuses in which the entry is part of the working list.
WORKING = (EntryStatus.INCLUDED.value,)
OPEN_PROPOSAL = (EntryStatus.DRAFT.value, EntryStatus.SUBMITTED.value, EntryStatus.RETURNED.value)


class ConflictError(ReviewError):
    """Someone saved the entry since this person opened it (optimistic lock)."""

    def __init__(self, entry: Entry, attempted: dict):
        self.entry = entry
        self.attempted = attempted
        super().__init__(
            "Эту строку уже изменил другой пользователь. Сравните версии и сохраните заново."
        )


def values_of(entry) -> dict:
    out = {f: getattr(entry, f) for f in STORED_FIELDS}
    out["subdivision_id"] = getattr(entry, "subdivision_id", None)
    return out


def _assign(entry: Entry, data: dict, form: Form) -> None:
    for field in STORED_FIELDS:
        if field in data:
            setattr(entry, field, data[field])
    if "subdivision_id" in data:
        entry.subdivision_id = data["subdivision_id"] or None
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


def _check_subdivision(user: User, subdivision_id: int | None) -> None:
    if user.role_enum is Role.EDITOR and subdivision_id != user.subdivision_id:
        raise ReviewError("Сотрудник подразделения готовит сведения только своего подразделения")


def _next_position(agency_id: int) -> int:
    top = db.session.scalar(
        sa.select(sa.func.max(Entry.position)).where(Entry.agency_id == agency_id)
    )
    return (top or 0) + 1


def create_entry(agency: Agency, user: User, data: dict) -> Entry:
    """A new draft of the user's own agency; the registrar may then include it at once."""
    if not user.can(Permission.EDIT_ENTRIES) or user.agency_id != agency.id:
        raise ReviewError("Нет прав на подготовку сведений")
    data = dict(data)
    if user.role_enum is Role.EDITOR:
        data["subdivision_id"] = user.subdivision_id
    _check_subdivision(user, data.get("subdivision_id"))
    entry = Entry(
        agency_id=agency.id,
        created_by_id=user.id,
        kind=EntryKind.NEW.value,
        position=_next_position(agency.id),
    )
    _assign(entry, data, Form(agency.form))
    db.session.add(entry)
    db.session.flush()
    audit.record("entry.create", entry, after=values_of(entry), actor=user)
    return entry


def update_entry(entry: Entry, user: User, data: dict, expected_revision: int) -> Entry:
    """Save edits made on top of ``expected_revision``; a newer revision is a conflict."""
    _require_can_edit(entry, user)
    if entry.revision != expected_revision:
        raise ConflictError(entry, data)
    before = values_of(entry)
    if user.role_enum is Role.EDITOR:
        data = {**data, "subdivision_id": user.subdivision_id}
    _assign(entry, data, Form(entry_agency(entry).form))
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


def _require_can_edit(entry: Entry, user: User) -> None:
    if user.agency_id != entry.agency_id:
        raise ReviewError("Строка другой организации")
    if user.can(Permission.REVIEW_ENTRIES):
        if entry.status in (
            EntryStatus.APPLIED.value,
            EntryStatus.WITHDRAWN.value,
            EntryStatus.EXCLUDED.value,
        ):
            raise ReviewError("Эта строка закрыта для изменений")
        return
    if not user.can(Permission.EDIT_ENTRIES):
        raise ReviewError("Нет прав на изменение")
    if entry.status not in (EntryStatus.DRAFT.value, EntryStatus.RETURNED.value):
        raise ReviewError(
            "Изменять можно только черновик или возвращённую строку; предложите изменение"
        )
    _check_subdivision(user, entry.subdivision_id)


def submit(entry: Entry, user: User) -> Entry:
    if entry.status not in (EntryStatus.DRAFT.value, EntryStatus.RETURNED.value):
        raise ReviewError("Отправить на проверку можно черновик или возвращённую строку")
    _require_can_edit(entry, user)
    before = entry.status
    entry.status = EntryStatus.SUBMITTED.value
    entry.submitted_by_id = user.id
    entry.submitted_at = utcnow()
    audit.record(
        "entry.submit", entry, before={"status": before}, after={"status": "submitted"}, actor=user
    )
    notify.entry_submitted(entry, user)
    return entry


def _require_registrar(entry: Entry, user: User) -> None:
    if not user.can(Permission.REVIEW_ENTRIES) or user.agency_id != entry.agency_id:
        raise ReviewError("Включать и возвращать сведения может только уполномоченное лицо")


def registrars_of(agency_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            User.agency_id == agency_id, User.role == Role.REGISTRAR.value, User.active
        )
    )


def _edited_since_submission(entry: Entry, user: User) -> bool:
    """A registrar who rewrote a submitted entry is its author for the four-eyes rule."""
    from touchpoints.audit.models import AuditEvent

    q = sa.select(AuditEvent.id).where(
        AuditEvent.agency_id == entry.agency_id,
        AuditEvent.object_type == Entry.__tablename__,
        AuditEvent.object_id == str(entry.id),
        AuditEvent.action == "entry.update",
        AuditEvent.actor_id == user.id,
    )
    if entry.submitted_at is not None:
        q = q.where(AuditEvent.at >= entry.submitted_at)
    return db.session.scalar(q.limit(1)) is not None


def _self_review(entry: Entry, user: User) -> bool:
    """A person never approves their own submission unless they are the only registrar."""
    own = (
        entry.submitted_by_id == user.id
        or (entry.submitted_by_id is None and entry.created_by_id == user.id)
        or _edited_since_submission(entry, user)
    )
    if own and registrars_of(entry.agency_id) > 1:
        raise ReviewError("Свою строку включает другое уполномоченное лицо")
    return own


def include(entry: Entry, user: User, comment: str | None = None) -> Entry:
    """Include a submitted entry, change or exclusion into the working list (2.2.3 / 3.3.3)."""
    _require_registrar(entry, user)
    if entry.status not in (
        EntryStatus.SUBMITTED.value,
        EntryStatus.DRAFT.value,
        EntryStatus.RETURNED.value,
    ):
        raise ReviewError("Эта строка не ждёт включения")
    if entry.status != EntryStatus.SUBMITTED.value and entry.created_by_id != user.id:
        raise ReviewError("Чужой черновик включается после отправки на проверку")
    alone = _self_review(entry, user)
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
    _require_registrar(entry, user)
    if entry.status != EntryStatus.SUBMITTED.value:
        raise ReviewError("Вернуть можно только строку, ожидающую проверки")
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
    if entry.status not in OPEN_PROPOSAL:
        raise ReviewError("Отозвать можно только неподтверждённую строку")
    if user.agency_id != entry.agency_id or not user.can(Permission.EDIT_ENTRIES):
        raise ReviewError("Нет прав на изменение")
    if user.id not in (entry.created_by_id, entry.submitted_by_id):
        raise ReviewError(
            "Отозвать строку может только её автор; уполномоченное лицо её возвращает"
        )
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


def _open_proposal_for(target: Entry) -> Entry | None:
    return db.session.scalar(
        sa.select(Entry).where(Entry.target_id == target.id, Entry.status.in_(OPEN_PROPOSAL))
    )


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
    if target.status != EntryStatus.INCLUDED.value or target.kind != EntryKind.NEW.value:
        raise ReviewError("Изменить или исключить можно только строку, включённую в перечень")
    if not user.can(Permission.EDIT_ENTRIES) or user.agency_id != target.agency_id:
        raise ReviewError("Нет прав на подготовку сведений")
    _check_subdivision(user, target.subdivision_id)
    if _open_proposal_for(target):
        raise ReviewError("По этой строке уже есть неподтверждённое предложение")
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
        values.update(
            {k: v for k, v in data.items() if k in STORED_FIELDS or k == "subdivision_id"}
        )
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
    row = db.session.scalar(
        sa.select(AreaStatus).where(
            AreaStatus.agency_id == agency.id, AreaStatus.area_code == area_code
        )
    )
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


def working_entries(agency_id: int) -> list[Entry]:
    return list(
        db.session.scalars(
            sa.select(Entry)
            .where(
                Entry.agency_id == agency_id,
                Entry.status.in_(WORKING),
                Entry.kind == EntryKind.NEW.value,
            )
            .options(sa.orm.selectinload(Entry.subdivision))
            .order_by(Entry.activity_area, Entry.position, Entry.id)
        )
    )


def sort_key_for(form: Form):
    order = {a["code"]: i for i, a in enumerate(form.activity_areas)}
    return lambda e: (order.get(e.activity_area, 999), e.position, e.id)


def approve_version(
    agency: Agency,
    user: User,
    *,
    order_number: str,
    order_date: date,
    signatory_title: str | None = None,
    signatory_name: str | None = None,
    check_errors=None,
) -> ListVersion:
    """Freeze the working list as a new version approved by an order (2.2 / 3.3, 5.1-5.2).

    ``check_errors`` returns the blocking compliance errors of the working list; any blocks approval.
    """
    if not user.can(Permission.APPROVE_VERSIONS) or user.agency_id != agency.id:
        raise ReviewError("Утверждать перечень может только уполномоченное лицо")
    approval_guard.check_order(agency, order_number, order_date)
    entries = working_entries(agency.id)
    if not entries:
        raise ReviewError("В перечне нет ни одной включённой строки")
    if check_errors is not None:
        errors = check_errors(agency)
        if errors:
            raise ReviewError(
                f"Перечень не может быть утверждён: ошибок — {len(errors)}. Исправьте их в отчёте о проверке."
            )
    form = Form(agency.form)
    entries.sort(key=sort_key_for(form))
    number = (
        db.session.scalar(
            sa.select(sa.func.max(ListVersion.number)).where(ListVersion.agency_id == agency.id)
        )
        or 0
    ) + 1
    # Self-approval is recorded: the registrar approves a list with entries they submitted.
    self_approved = any((e.submitted_by_id or e.created_by_id) == user.id for e in entries)
    not_performed = sorted(
        db.session.scalars(
            sa.select(AreaStatus.area_code).where(
                AreaStatus.agency_id == agency.id, AreaStatus.not_performed
            )
        )
    )
    version = ListVersion(
        agency_id=agency.id,
        number=number,
        order_number=order_number.strip(),
        order_date=order_date,
        signatory_title=signatory_title if signatory_title is not None else agency.head_title,
        signatory_name=signatory_name if signatory_name is not None else agency.head_name,
        approved_by_id=user.id,
        self_approved=self_approved,
        form=agency.form,
        areas_not_performed=not_performed,
        entry_count=len(entries),
    )
    db.session.add(version)
    db.session.flush()
    db.session.add_all(
        VersionEntry(
            agency_id=agency.id,
            version_id=version.id,
            entry_id=e.id,
            row_number=i,
            subdivision_name=e.subdivision.name if e.subdivision else "",
            **{f: getattr(e, f) for f in STORED_FIELDS},
        )
        for i, e in enumerate(entries, start=1)
    )
    db.session.flush()
    audit.record(
        "version.approve",
        version,
        after={
            "number": number,
            "order_number": version.order_number,
            "order_date": order_date.isoformat(),
            "entries": len(entries),
        },
        comment="утверждено с собственными строками уполномоченного лица"
        if self_approved
        else None,
        actor=user,
    )
    notify.version_approved(version, user)
    return version
