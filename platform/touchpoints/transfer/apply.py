"""Applying a confirmed import through the review path, all or nothing (the caller commits).

A person's import goes through the same rules as their edits by hand (Murmansk 2.2 / 2.2.4,
Kuzbass 3.3 / 3.4): an editor's added rows, changes and exclusions become submissions for the
registrar; the registrar's are made directly (a new row is included at once when they are the
agency's only registrar, else it waits for another one: four eyes). Missing rows become
exclusion proposals only when the person chose so. The operator's import from the command line
(no person) writes directly and is audited as «cli». Matches the person settled are remembered
for the agency when a registrar (or the operator) confirms.

Set-based, so that 5,000 rows take seconds rather than minutes (docs/import.md): the policy
predicates of lists/policy.py are asked per row (they are pure, but for the open-proposal
check of a proposal), field values go through the one assignment of lists/services.py on a
transient entry, and then the rows and their audit events are written by multi-row INSERTs,
the changes flushed once per batch. Positions are computed once; the registrars hear of a
pending import once, not once per row; the dashboard is told once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm.exc import StaleDataError

from touchpoints.audit import service as audit
from touchpoints.audit.models import AuditEvent
from touchpoints.auth.models import User
from touchpoints.auth.roles import Permission, Role
from touchpoints.core.db import db, utcnow
from touchpoints.dashboard import figures
from touchpoints.lists import policy
from touchpoints.lists import services as lists
from touchpoints.lists.form import Form
from touchpoints.lists.models import Entry, EntryKind, EntryStatus
from touchpoints.notifications import service as notices
from touchpoints.transfer import bulk
from touchpoints.transfer.choices import remember
from touchpoints.transfer.matching import ENTRY_ID

#: Rows written per INSERT and flush; progress is reported after each batch.
BATCH = 500
#: Said in the trail when a registrar who is the agency's only one includes their own rows.
ALONE_NOTE = "включено уполномоченным лицом, действующим единолично"
_COLUMNS = [c.key for c in Entry.__table__.columns if c.key != "id"]


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


def planned(analysis, session) -> tuple[list, list, list]:
    """The rows to add, the changes and the entries to exclude, as the person chose."""
    state = session.state or {}
    plan = analysis.plan
    changes = plan.changed if state.get("apply_changes", True) else []
    missing = plan.missing if state.get("exclude_missing") else []
    return plan.added, changes, missing


def apply(
    agency,
    analysis,
    session,
    *,
    user_id: int | None,
    actor_label: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    from touchpoints.transfer.imports import ImportRefused

    if not analysis.ok or analysis.plan is None:
        raise ImportRefused(
            "Загрузка невозможна: в файле есть ошибки или неуточнённые сопоставления. "
            "Исправьте их на странице проверки."
        )
    added, changes, missing = planned(analysis, session)
    reason = (session.state or {}).get("exclusion_reason") or (
        f"Нет в загруженном файле «{session.filename}»"
    )
    user = db.session.get(User, user_id) if user_id else None
    writer = _Writer(agency, user, actor_label or "cli", len(added) + len(changes) + len(missing),
                     progress)  # fmt: skip
    result = Result(unchanged=len(analysis.plan.unchanged))
    try:
        writer.check(changes, missing)
        writer.add(added)
        writer.change(changes)
        writer.exclude(missing, reason)
    except lists.ReviewError as exc:
        raise ImportRefused(f"Загрузка не выполнена, перечень не изменён: {exc}") from None
    except StaleDataError:
        raise ImportRefused(
            "Загрузка не выполнена, перечень не изменён: пока она шла, строки перечня изменил "
            "другой человек. Откройте проверку файла заново — изменения будут сравнены с "
            "текущим перечнем."
        ) from None
    result.added, result.changed, result.excluded = len(added), len(changes), len(missing)
    result.pending = writer.pending and bool(added or changes or missing)
    if writer.written:
        figures.changed({agency.id})
    if result.pending:
        _tell_registrars(agency, user, session, result)
    if user is None or user.can(Permission.REVIEW_ENTRIES):
        remember(agency, session, user_id)
    audit.record(
        "list.import",
        object_type="agency",
        object_id=agency.id,
        agency_id=agency.id,
        after={"file": session.filename, **dataclasses.asdict(result)},
        comment="Изменения ждут проверки" if result.pending else "Изменения внесены в перечень",
        actor=user,
        actor_label=actor_label if user is None else None,
    )
    db.session.flush()
    return result


class _Writer:
    """Writes one import: who acts decides the statuses; rows go out in batches."""

    def __init__(self, agency, user: User | None, label: str, total: int, progress):
        self.agency, self.user, self.label = agency, user, label
        self.form = Form(agency.form)
        self.now = utcnow()
        self.total, self.done, self.progress = total, 0, progress
        self.written = False
        self.registrar = user is None or user.can(Permission.REVIEW_ENTRIES)
        # Asked once: the same for every row of this import.
        self.alone = user is None or (self.registrar and policy.registrar_acts_alone(agency.id))
        self.pending = not self.alone

    # ----------------------------------------------------------------- rules

    def check(self, changes, missing) -> None:
        """The policy's verdict on every row before anything is written (all or nothing)."""
        user = self.user
        if user is None:
            return
        if self.alone:
            # A registrar acting alone includes their own rows: the four-eyes predicate says
            # whether that is allowed, for a row as this import creates it.
            probe = Entry(agency_id=self.agency.id, kind=EntryKind.NEW.value,
                          status=EntryStatus.DRAFT.value, created_by_id=user.id)  # fmt: skip
            policy.require(policy.can_include(user, probe))
        for change in changes:
            if self.registrar:
                policy.require(policy.can_edit(user, change.entry))
        targets = [c.entry for c in changes if not self.registrar] + list(missing)
        open_ids = _with_open_proposals([e.id for e in targets])
        for entry in targets:
            if entry.id in open_ids:
                policy.require(policy.can_propose(user, entry, Entry.open_proposal_for(entry.id)))
            else:
                policy.require(policy.can_propose(user, entry))

    # ----------------------------------------------------------------- writing

    def _actor(self) -> dict:
        if self.user is None:
            return {"actor_id": None, "actor_label": self.label}
        return {"actor_id": self.user.id, "actor_label": ""}

    def _event(self, action: str, entry_id: int, *, before=None, after=None, comment=None):
        return {"agency_id": self.agency.id, "at": self.now, "action": action,
                "object_type": Entry.__tablename__, "object_id": str(entry_id),
                "before": before, "after": after, "comment": comment, **self._actor()}  # fmt: skip

    def _insert(self, rows: list[dict]) -> list[int]:
        if not rows:
            return []
        if bulk.postgres():
            ids = bulk.new_ids(Entry.__table__, len(rows))
            bulk.insert_json(
                Entry.__table__, [{"id": i, **r} for i, r in zip(ids, rows, strict=True)]
            )
            return ids
        stmt = sa.insert(Entry).returning(Entry.id, sort_by_parameter_order=True)
        return list(db.session.scalars(stmt, rows))

    def _events(self, events: list[dict]) -> None:
        if not events:
            return
        if bulk.postgres():
            bulk.insert_json(AuditEvent.__table__, events)
        else:
            db.session.execute(sa.insert(AuditEvent.__table__), events)

    def _step(self, n: int) -> None:
        self.written = True
        self.done += n
        if self.progress is not None:
            self.progress(self.done, self.total)

    def _new(self, **columns) -> SimpleNamespace:
        """A row to be written, every column set: the review path's own assignment
        (``lists._assign``) fills it as it fills an entry. A plain namespace, not an ORM
        object: building thousands of those cost more than writing them."""
        defaults = dict(
            agency_id=self.agency.id, kind=EntryKind.NEW.value, status=EntryStatus.DRAFT.value,
            position=0, created_at=self.now, updated_at=self.now, revision=1, process_name="",
            touchpoint="", interaction="", specifics="", organisation="", client_needs=[],
            extra={}, channel_kind="digital", client_kind="external",
            created_by_id=getattr(self.user, "id", None),
        )  # fmt: skip
        return SimpleNamespace(**{**dict.fromkeys(_COLUMNS), **defaults, **columns})

    def _status(self) -> dict:
        """Statuses and stamps of a new row or a proposal, by who imports."""
        uid = getattr(self.user, "id", None)
        if self.alone:
            status = EntryStatus.INCLUDED.value
            return {"status": status, "reviewed_by_id": uid, "reviewed_at": self.now,
                    "submitted_at": self.now if self.user is None else None}  # fmt: skip
        return {"status": EntryStatus.SUBMITTED.value, "submitted_by_id": uid,
                "submitted_at": self.now}  # fmt: skip

    def add(self, rows) -> None:
        position = Entry.next_position(self.agency.id)
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            entries, values = [], []
            for n, row in enumerate(batch):
                # A row naming a registry process or a shared touchpoint carries its id
                # (transfer.links, at analysis); another name stays free text (a warning).
                data = _data(row.values)
                if self.user is not None and self.user.role_enum is Role.EDITOR:
                    data["subdivision_id"] = self.user.subdivision_id
                if self.user is not None:
                    policy.require(policy.can_create(self.user, self.agency.id,
                                                     data.get("subdivision_id")))  # fmt: skip
                entry = self._new(position=position + start + n, **self._status())
                lists._assign(entry, data, self.form)
                entries.append(entry)
                values.append({c: getattr(entry, c) for c in _COLUMNS})
            ids = self._insert(values)
            events = []
            for row, entry, entry_id in zip(batch, entries, ids, strict=True):
                after = lists.values_of(entry)
                if self.user is None:
                    events.append(self._event("entry.import", entry_id, after=after,
                                              comment=f"Загружено из файла, строка {row.line}"))  # fmt: skip
                    continue
                events.append(self._event("entry.create", entry_id, after=after))
                if self.alone:
                    events.append(self._event("entry.review.include", entry_id,
                                              before={"status": "draft"},
                                              after={"status": "included"},
                                              comment=ALONE_NOTE))  # fmt: skip
                else:
                    events.append(self._event("entry.submit", entry_id,
                                              before={"status": "draft"},
                                              after={"status": "submitted"}))  # fmt: skip
            self._events(events)
            self._step(len(batch))

    def change(self, changes) -> None:
        if not self.registrar:
            self._propose(
                [(c.entry, {f: new for f, (_old, new) in c.fields.items()}) for c in changes],
                EntryKind.CHANGE,
            )
            return
        uid = getattr(self.user, "id", None)
        for start in range(0, len(changes), BATCH):
            batch = changes[start : start + BATCH]
            events = []
            for change in batch:
                entry = change.entry
                before = lists.values_of(entry)
                lists._assign(entry, {f: new for f, (_o, new) in change.fields.items()}, self.form)
                entry.updated_at = self.now
                b, a = audit.changes(before, lists.values_of(entry))
                if b:
                    # A direct edit of the working list is a reviewed change (5.4 / 5.5 clock).
                    entry.reviewed_at, entry.reviewed_by_id = self.now, uid
                    events.append(self._event("entry.update", entry.id, before=b, after=a))
            db.session.flush()  # one UPDATE per row, optimistic lock included, per batch
            self._events(events)
            self._step(len(batch))

    def exclude(self, entries, reason: str) -> None:
        if self.user is None:
            for start in range(0, len(entries), BATCH):
                batch = entries[start : start + BATCH]
                events = []
                for entry in batch:
                    entry.status = EntryStatus.EXCLUDED.value
                    entry.exclusion_reason = reason
                    entry.updated_at = self.now
                    events.append(self._event("entry.exclude", entry.id,
                                              before={"status": "included"},
                                              after={"status": "excluded", "reason": reason}))  # fmt: skip
                db.session.flush()
                self._events(events)
                self._step(len(batch))
            return
        self._propose([(e, None) for e in entries], EntryKind.EXCLUSION, reason)

    def _propose(self, items: list[tuple[Entry, dict | None]], kind: EntryKind, reason=None):
        """Change or exclusion proposals (2.2.4 / 3.4): submitted, or carried out at once by a
        registrar acting alone (exclusions only: a registrar's changes are direct edits)."""
        uid = self.user.id
        direct = self.alone and kind is EntryKind.EXCLUSION
        for start in range(0, len(items), BATCH):
            batch = items[start : start + BATCH]
            proposals, values = [], []
            for target, data in batch:
                merged = lists.values_of(target)
                if data:
                    merged.update(lists.proposed(data))
                merged["subdivision_id"] = target.subdivision_id
                if direct:
                    stamps = {"status": EntryStatus.APPLIED.value, "reviewed_by_id": uid,
                              "reviewed_at": self.now}  # fmt: skip
                else:
                    stamps = {"status": EntryStatus.SUBMITTED.value, "submitted_by_id": uid,
                              "submitted_at": self.now}  # fmt: skip
                proposal = self._new(kind=kind.value, target_id=target.id,
                                     position=target.position, exclusion_reason=reason,
                                     **stamps)  # fmt: skip
                lists._assign(proposal, merged, self.form)
                proposals.append(proposal)
                values.append({c: getattr(proposal, c) for c in _COLUMNS})
            ids = self._insert(values)
            events = []
            for (target, _), proposal, pid in zip(batch, proposals, ids, strict=True):
                events.append(self._event(f"entry.propose.{kind.value}", pid, comment=reason,
                                          after={"target_id": target.id,
                                                 **lists.values_of(proposal)}))  # fmt: skip
                if direct:
                    target.status = EntryStatus.EXCLUDED.value
                    target.exclusion_reason = reason
                    target.updated_at = self.now
                    events.append(self._event("entry.exclude", target.id,
                                              before={"status": "included"},
                                              after={"status": "excluded", "reason": reason},
                                              comment=ALONE_NOTE))  # fmt: skip
                    events.append(self._event("entry.review.include", pid,
                                              before={"status": "draft"},
                                              after={"status": "applied"}, comment=ALONE_NOTE))  # fmt: skip
                else:
                    events.append(self._event("entry.submit", pid, before={"status": "draft"},
                                              after={"status": "submitted"}))  # fmt: skip
            db.session.flush()
            self._events(events)
            self._step(len(batch))


def _with_open_proposals(entry_ids: list[int]) -> set[int]:
    """Which of these entries already have a change or exclusion under way: one query."""
    if not entry_ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Entry.target_id).where(
                Entry.target_id.in_(entry_ids),
                Entry.status.in_(policy.OPEN),
            )
        )
    )


def _tell_registrars(agency, user: User | None, session, result: Result) -> None:
    """One notice per import (Murmansk 2.2.2 / Kuzbass 3.3.2), not one per row."""
    who = user.name if user is not None else "Оператор"
    parts = [f"новых строк — {result.added}", f"изменений — {result.changed}",
             f"исключений — {result.excluded}"]  # fmt: skip
    notices.notify(
        "entry_submitted",
        agency_id=agency.id,
        event_key=f"entry_submitted:import:{session.token}",
        recipients=notices.registrars(agency.id),
        subject=f"{agency.short_name}: строки из файла отправлены на проверку",
        lines=[
            f"{who} загрузил(а) файл «{session.filename}» и отправил(а) на проверку: "
            + ", ".join(parts)
            + ".",
            "Включите их в перечень или верните автору с комментарием.",
        ],
        link=notices.absolute_url("lists.review"),
        skip_user_id=getattr(user, "id", None),
    )
