"""Changing the registry of processes (Kuzbass 3.1, 3.5, 5.3 подп. 1). Services flush; the edge
commits.

Including a process in the registry or excluding one from it calls for updating the list
(5.3 подп. 1): each change is recorded (lists.processes.RegistryChange) and, when the list does
not already say what it asks for, the list «требует актуализации» and the 10-working-day
publication clock runs from that moment (Kuzbass 5.5, deadlines.compute) until a version
approved later is published.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from touchpoints.audit import service as audit
from touchpoints.auth.roles import Permission
from touchpoints.core.db import db, utcnow
from touchpoints.core.tenancy import Agency
from touchpoints.deadlines.compute import sync
from touchpoints.lists.models import OPEN_PROPOSAL, WORKING, Entry, ListVersion
from touchpoints.lists.processes import (
    ProcessKind,
    RegistryChange,
    RegistryProcess,
    normalized,
)

NAME_LIMIT = 2000


class RegistryError(ValueError):
    """A refused change; the message is shown to the user."""


def require_keeper(agency: Agency, user) -> None:
    """The authorised person keeps the registry (the one who forms the list, 2.2 / 3.3)."""
    if user is None:  # the command line and the demo loader
        return
    if user.agency_id != agency.id or not user.can(Permission.REVIEW_ENTRIES):
        raise RegistryError("Реестр процессов ведёт уполномоченное лицо организации")


def clean(agency: Agency, data: dict) -> dict:
    """Validated values of a process: name, kind, code, area, life situations."""
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        raise RegistryError("Укажите наименование услуги, функции или сервиса")
    if len(name) > NAME_LIMIT:
        raise RegistryError(f"Наименование длиннее {NAME_LIMIT} символов")
    try:
        kind = ProcessKind(data.get("kind") or "").value
    except ValueError:
        raise RegistryError("Укажите вид: услуга, функция или сервис") from None
    area = str(data.get("activity_area") or "")
    if area and area not in {a["code"] for a in (agency.form or {}).get("activity_areas", [])}:
        raise RegistryError("Такого направления деятельности нет в форме перечня")
    situations = data.get("life_situations") or []
    if isinstance(situations, str):
        situations = situations.replace("\n", ";").split(";")
    situations = [" ".join(s.split()) for s in situations if s and s.strip()]
    return {
        "name": name,
        "name_key": normalized(name),
        "kind": kind,
        "code": str(data.get("code") or "").strip()[:64],
        "activity_area": area,
        "life_situations": list(dict.fromkeys(situations)),
    }


def _values(p: RegistryProcess) -> dict:
    values = audit.values_of(p, "name", "kind", "code", "activity_area")
    return values | {"life_situations": list(p.life_situations or [])}


def _require_unique(agency_id: int, name_key: str, own_id: int | None = None) -> None:
    other = RegistryProcess.active_by_key(agency_id, name_key)
    if other is not None and other.id != own_id:
        raise RegistryError(f"«{other.name}» уже есть в реестре процессов")


def working_refs(agency_id: int) -> tuple[set[int], set[str]]:
    """Registry ids and process names (normalised) the working list's rows name."""
    rows = db.session.execute(
        sa.select(Entry.process_id, Entry.process_name).where(*Entry.in_working_list(agency_id))
    ).all()
    return {r.process_id for r in rows if r.process_id}, {normalized(r.process_name) for r in rows}


def covered(process: RegistryProcess, refs=None) -> bool:
    """Whether the working list has a row about the process (by its id or its name)."""
    ids, names = refs if refs is not None else working_refs(process.agency_id)
    return process.id in ids or process.name_key in names


def _record(process: RegistryProcess, change: str, calls: bool, user, now: datetime):
    row = RegistryChange(
        agency_id=process.agency_id,
        process_id=process.id,
        change=change,
        occurred_at=now,
        calls_for_update=calls,
        actor_id=getattr(user, "id", None),
    )
    db.session.add(row)
    return row


def add_process(
    agency: Agency, user, data: dict, *, now: datetime | None = None, refs=None, bulk=False
):
    """Include a process in the registry; the list needs its touchpoints unless it has them.
    ``bulk``: the caller (the import) syncs the deadlines once at the end."""
    require_keeper(agency, user)
    values = clean(agency, data)
    _require_unique(agency.id, values["name_key"])
    now = now or utcnow()
    process = RegistryProcess(
        agency_id=agency.id, created_by_id=getattr(user, "id", None), created_at=now, **values
    )
    db.session.add(process)
    db.session.flush()
    _record(process, "added", not covered(process, refs), user, now)
    audit.record(
        "registry.add", process, after=_values(process), actor=user, actor_label=_cli(user)
    )
    if not bulk:
        sync([agency.id], now=now)
    return process


def update_process(process: RegistryProcess, user, data: dict, *, bulk=False) -> RegistryProcess:
    """Correct a process's details. Not a change of the registry's content (5.3 подп. 1 speaks
    of inclusion and exclusion), so it marks nothing. A new name is carried into the rows that
    name the process by id (:func:`_rename_rows`); ``bulk``: the caller syncs the deadlines."""
    agency = db.session.get(Agency, process.agency_id)
    require_keeper(agency, user)
    values = clean(agency, data)
    if process.archived_at is None:
        _require_unique(agency.id, values["name_key"], process.id)
    before = _values(process)
    renamed = values["name"] != process.name
    for key, value in values.items():
        setattr(process, key, value)
    process.updated_at = utcnow()
    db.session.flush()
    b, a = audit.changes(before, _values(process))
    if b:
        audit.record("registry.update", process, before=b, after=a, actor=user)
    if renamed and _rename_rows(process, user, process.updated_at) and not bulk:
        sync([agency.id], now=process.updated_at)
    return process


def _rename_rows(process: RegistryProcess, user, now: datetime) -> int:
    """Write the process's new name into the working list's rows and the rows under review that
    name it by id: the registry names its processes (Kuzbass 3.1). An included row so renamed is
    the registrar's edit of the list like any other (the comparison calls it a rename,
    lists.diff), so its publication clock runs (Murmansk 5.4, Kuzbass 5.5). Returns how many
    rows of the working list changed."""
    rows = db.session.scalars(
        sa.select(Entry).where(
            Entry.agency_id == process.agency_id,
            Entry.process_id == process.id,
            Entry.status.in_((*WORKING, *OPEN_PROPOSAL)),
            Entry.process_name != process.name,
        )
    ).all()
    working = 0
    for entry in rows:
        old = entry.process_name
        entry.process_name = process.name
        entry.updated_at = now
        if entry.status in WORKING:
            entry.reviewed_at, entry.reviewed_by_id = now, getattr(user, "id", None)
            working += 1
        audit.record(
            "entry.update", entry, before={"process_name": old},
            after={"process_name": process.name}, actor=user, actor_label=_cli(user),
            comment="Процесс переименован в реестре процессов",
        )  # fmt: skip
    db.session.flush()
    return working


def archive_process(process: RegistryProcess, user, reason: str, *, now=None) -> bool:
    """Exclude a process from the registry (kept, marked archived). True when this calls for
    updating the list: rows of the working list still name the process."""
    agency = db.session.get(Agency, process.agency_id)
    require_keeper(agency, user)
    if process.archived_at is not None:
        raise RegistryError("Процесс уже исключён из реестра")
    reason = (reason or "").strip()
    if not reason:
        raise RegistryError("Укажите, почему процесс исключается из реестра")
    now = now or utcnow()
    process.archived_at = now
    process.archive_reason = reason[:4000]
    calls = covered(process)
    if not calls:
        # Included and excluded again before the list followed: nothing is asked of it any more.
        for change in _pending_of(process):
            if change.change == "added":
                change.calls_for_update = False
    _record(process, "archived", calls, user, now)
    db.session.flush()
    audit.record(
        "registry.archive", process, before={"archived": False}, after={"archived": True},
        comment=process.archive_reason, actor=user, actor_label=_cli(user),
    )  # fmt: skip
    sync([agency.id], now=now)
    return calls


def restore_process(process: RegistryProcess, user, *, now=None, bulk=False) -> RegistryProcess:
    """Include an archived process again: an inclusion like any other."""
    agency = db.session.get(Agency, process.agency_id)
    require_keeper(agency, user)
    if process.archived_at is None:
        raise RegistryError("Процесс и так в реестре")
    _require_unique(agency.id, process.name_key, process.id)
    now = now or utcnow()
    process.archived_at = None
    process.archive_reason = ""
    _record(process, "added", not covered(process), user, now)
    db.session.flush()
    audit.record(
        "registry.restore", process, before={"archived": True}, after={"archived": False},
        actor=user, actor_label=_cli(user),
    )  # fmt: skip
    if not bulk:
        sync([agency.id], now=now)
    return process


def _pending_of(process: RegistryProcess) -> list[RegistryChange]:
    return [c for c in pending_changes(process.agency_id) if c.process_id == process.id]


def pending_changes(agency_id: int) -> list[RegistryChange]:
    """Changes of the registry the list has not followed yet: after the latest approval."""
    latest = ListVersion.latest(agency_id)
    return RegistryChange.pending(agency_id, latest.approved_at if latest else None)


def _cli(user) -> str | None:
    return None if user is not None else "cli"
