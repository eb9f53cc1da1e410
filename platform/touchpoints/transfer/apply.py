"""Applying a confirmed import through the review path, all or nothing (the caller commits).

A person's import goes through the same services as their edits by hand (Murmansk 2.2 / 2.2.4,
Kuzbass 3.3 / 3.4): an editor's added rows, changes and exclusions become submissions for the
registrar; the registrar's are made directly (a new row is included at once when they are the
agency's only registrar, else it waits for another one: four eyes). Missing rows become
exclusion proposals only when the person chose so. The operator's import from the command line
(no person) writes directly and is audited as «cli». Matches the person settled are remembered
for the agency when a registrar (or the operator) confirms.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from touchpoints.audit import service as audit
from touchpoints.auth.models import User
from touchpoints.auth.roles import Permission
from touchpoints.core.db import db, utcnow
from touchpoints.lists import services as lists
from touchpoints.lists.form import Form
from touchpoints.lists.models import Entry, EntryKind, EntryStatus
from touchpoints.lists.policy import registrar_acts_alone
from touchpoints.transfer.fields import norm
from touchpoints.transfer.matching import ENTRY_ID
from touchpoints.transfer.models import ImportChoice
from touchpoints.transfer.rows import NO_AREA


@dataclasses.dataclass
class Result:
    added: int = 0
    changed: int = 0
    excluded: int = 0
    unchanged: int = 0
    #: True when the changes wait for a registrar's review rather than being in the list.
    pending: bool = False


def _data(values: dict) -> dict:
    return {
        k: v
        for k, v in values.items()
        if k != ENTRY_ID and (v is not None or k in ("touchpoint_code", "subdivision_id"))
    }


def apply(agency, analysis, session, *, user_id: int | None, actor_label: str | None = None):
    from touchpoints.transfer.imports import ImportRefused

    if not analysis.ok or analysis.plan is None:
        raise ImportRefused(
            "Загрузка невозможна: в файле есть ошибки или неуточнённые сопоставления. "
            "Исправьте их на странице проверки."
        )
    state = session.state or {}
    plan = analysis.plan
    changes = plan.changed if state.get("apply_changes", True) else []
    missing = plan.missing if state.get("exclude_missing") else []
    reason = state.get("exclusion_reason") or f"Нет в загруженном файле «{session.filename}»"
    user = db.session.get(User, user_id) if user_id else None
    result = Result(unchanged=len(plan.unchanged))
    try:
        if user is None:
            _as_operator(agency, plan.added, changes, missing, reason, actor_label or "cli")
        else:
            result.pending = _as_person(agency, user, plan.added, changes, missing, reason)
    except lists.ReviewError as exc:
        raise ImportRefused(f"Загрузка не выполнена, перечень не изменён: {exc}") from None
    result.added, result.changed, result.excluded = len(plan.added), len(changes), len(missing)
    if user is None or user.can(Permission.REVIEW_ENTRIES):
        _remember(agency, session, user_id)
    audit.record(
        "list.import",
        object_type="agency",
        object_id=agency.id,
        agency_id=agency.id,
        after={"file": session.filename, **dataclasses.asdict(result)},
        comment="Изменения ждут проверки" if result.pending else "Изменения внесены в перечень",
        actor_label=actor_label if user is None else None,
    )
    return result


def _as_person(agency, user: User, added, changes, missing, reason) -> bool:
    registrar = user.can(Permission.REVIEW_ENTRIES)
    alone = registrar and bool(registrar_acts_alone(agency.id))

    def settle(entry: Entry) -> None:
        if alone:
            lists.include(entry, user)
        else:
            lists.submit(entry, user)

    for row in added:
        settle(lists.create_entry(agency, user, _data(row.values)))
    for change in changes:
        data = {f: new for f, (_old, new) in change.fields.items()}
        if registrar:
            lists.update_entry(change.entry, user, data, change.entry.revision)
        else:
            lists.submit(lists.propose_change(change.entry, user, data), user)
    for entry in missing:
        settle(lists.propose_exclusion(entry, user, reason))
    return not alone


def _as_operator(agency, added, changes, missing, reason, label: str) -> None:
    form = Form(agency.form)
    now = utcnow()
    position = Entry.next_position(agency.id)
    new = []
    for row in added:
        entry = Entry(agency_id=agency.id, kind=EntryKind.NEW.value,
                      status=EntryStatus.INCLUDED.value, position=position, submitted_at=now,
                      reviewed_at=now, client_needs=[], extra={})  # fmt: skip
        position += 1
        lists._assign(entry, _data(row.values), form)
        db.session.add(entry)
        new.append((row, entry))
    db.session.flush()
    for row, entry in new:
        audit.record("entry.import", entry, after=lists.values_of(entry),
                     comment=f"Загружено из файла, строка {row.line}", actor_label=label)  # fmt: skip
    for change in changes:
        entry = change.entry
        before = lists.values_of(entry)
        lists._assign(entry, {f: new for f, (_o, new) in change.fields.items()}, form)
        entry.updated_at = entry.reviewed_at = now
        b, a = audit.changes(before, lists.values_of(entry))
        audit.record("entry.update", entry, before=b, after=a, actor_label=label)
    for entry in missing:
        entry.status = EntryStatus.EXCLUDED.value
        entry.exclusion_reason = reason
        entry.updated_at = now
        audit.record("entry.exclude", entry, before={"status": "included"},
                     after={"status": "excluded", "reason": reason}, actor_label=label)  # fmt: skip
    db.session.flush()


def _remember(agency, session, user_id) -> None:
    """The person's answers become the agency's: the next file is understood without asking."""
    state = session.state or {}
    choices = [(kind, text, code) for kind, items in (state.get("settled") or {}).items()
               for text, code in items.items()]  # fmt: skip
    header = session.cells[session.header_row] if session.cells else []
    if state.get("mapping_set"):
        choices += [("header", norm(h), m) for h, m in zip(header, session.mapping, strict=False)
                    if h and norm(h)]  # fmt: skip
    for kind, text, code in choices:
        if text == norm(NO_AREA):
            continue  # which area a file without areas is about is this file's answer only
        text = text[:500]
        row = db.session.scalar(
            sa.select(ImportChoice).where(
                ImportChoice.agency_id == agency.id,
                ImportChoice.kind == kind,
                ImportChoice.text == text,
            )
        )
        if row is None:
            row = ImportChoice(agency_id=agency.id, kind=kind, text=text)
            db.session.add(row)
        row.code, row.chosen_by_id, row.chosen_at = code, user_id, utcnow()
    db.session.flush()
