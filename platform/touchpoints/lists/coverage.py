"""Rules over the registry of processes and the touchpoint passports (docs/registry.md).

Run by :mod:`touchpoints.lists.compliance` with the other rules, for one agency or many, over
rows it reads in a fixed number of queries (:func:`load`). Each rule cites its clause; the
clauses live here rather than in the forms' procedures because forms stored before these rules
existed carry procedures without them, and the Murmansk order has no registry of processes:
where a procedure has no clause of its own the Kuzbass one is cited by name.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import sqlalchemy as sa

from touchpoints.core.db import db
from touchpoints.core.text import date_short, number
from touchpoints.lists import procedures
from touchpoints.lists.models import Entry, EntryKind, EntryStatus
from touchpoints.lists.passports import MEASURED_NORMS, TouchpointPassport, touchpoint_key
from touchpoints.lists.processes import (
    PROCESS_KIND_LABELS,
    ProcessKind,
    RegistryProcess,
    normalized,
)

ERROR = "error"
WARNING = "warning"

TITLES = {
    "process_uncovered": "Для каждой услуги, функции, сервиса реестра определены точки",
    "process_archived": "Строки не ссылаются на процессы, исключённые из реестра",
    "process_free_text": "Процесс выбран из реестра процессов",
    "no_alternative": "Цифровому процессу сохранена альтернатива для особых клиентов",
    "measured_norm": "Измеренные показатели обслуживания укладываются в нормы",
}

#: Errors block approval: a process of the registry without touchpoints (3.5 «должны быть
#: определены») and a row about a process excluded from the registry (5.3 подп. 1: the list must
#: follow the registry). Free text stays allowed (a warning); a missing alternative and measured
#: figures are facts about service, not about the list's content, so they warn.
LEVELS = {
    "process_uncovered": ERROR,
    "process_archived": ERROR,
    "process_free_text": WARNING,
    "no_alternative": WARNING,
    "measured_norm": WARNING,
}

_KUZBASS = {
    "process_uncovered": "п. 3.5 Порядка",
    "process_archived": "п. 5.3 подп. 1 Порядка",
    "process_free_text": "п. 3.1 Порядка",
    "no_alternative": "п. 3.8 подп. 3, 4 Порядка",
}
_OTHER = {
    "process_uncovered": "п. 3.5 (Кузбасс)",
    "process_archived": "п. 5.3 подп. 1 (Кузбасс)",
    "process_free_text": "п. 3.1 (Кузбасс)",
}
CLAUSES = {
    "kuzbass-134": _KUZBASS,
    "murmansk-21": {**_OTHER, "no_alternative": "пп. 2.10.3, 2.10.4 Порядка"},
    "common": {
        **_OTHER,
        "no_alternative": "пп. 2.10.3, 2.10.4 (Мурманская обл.) / п. 3.8 подп. 3, 4 (Кузбасс)",
    },
}


def clause(procedure: dict, rule: str) -> str:
    table = CLAUSES.get(procedure.get("code", ""), CLAUSES["common"])
    return table.get(rule, "")


@dataclasses.dataclass(frozen=True)
class Item:
    """A finding before it becomes the compliance report's Finding (which adds its title)."""

    rule: str
    level: str
    clause: str
    message: str
    entry_id: int | None = None
    #: Activity area code, for findings about an area or a process within one.
    area: str | None = None


@dataclasses.dataclass
class Sources:
    """What the rules read of one agency besides its entries."""

    processes: list = dataclasses.field(default_factory=list)
    passports: dict = dataclasses.field(default_factory=dict)


def load(agency_ids: list[int]) -> dict[int, Sources]:
    """The registries and passports of many agencies in two queries."""
    out: dict[int, Sources] = defaultdict(Sources)
    if not agency_ids:
        return out
    p = RegistryProcess
    rows = db.session.execute(
        sa.select(
            p.id, p.agency_id, p.name, p.name_key, p.kind, p.archived_at, p.activity_area
        ).where(p.agency_id.in_(agency_ids))
    ).all()
    for row in rows:
        out[row.agency_id].processes.append(row)
    for passport in db.session.scalars(
        sa.select(TouchpointPassport).where(TouchpointPassport.agency_id.in_(agency_ids))
    ):
        out[passport.agency_id].passports[passport.touchpoint_key] = passport
    return out


def entry_key(entry) -> str:
    return touchpoint_key(
        entry.touchpoint_code, getattr(entry, "shared_touchpoint_id", None), entry.touchpoint
    )


def _name(entry) -> str:
    return f"«{(entry.touchpoint or '').strip() or 'точка не указана'}»"


def evaluate(procedure: dict, form, entries: list, sources: Sources) -> list[Item]:
    """Findings of the registry and passport rules for one agency's included entries."""
    out: list[Item] = []

    def add(rule: str, message: str, *, level: str | None = None, cited: str | None = None, **w):
        out.append(
            Item(rule, level or LEVELS[rule], cited or clause(procedure, rule), message, **w)
        )

    active = [p for p in sources.processes if p.archived_at is None]
    archived = {p.id: p for p in sources.processes if p.archived_at is not None}
    active_keys = {p.name_key: p for p in active}
    by_process: dict[int, list] = defaultdict(list)
    by_name: dict[str, list] = defaultdict(list)
    for e in entries:
        if getattr(e, "process_id", None):
            by_process[e.process_id].append(e)
        by_name[normalized(e.process_name)].append(e)

    # Kuzbass 3.5: for every function, service and digital service the touchpoints are defined.
    for p in active:
        if not by_process.get(p.id) and not by_name.get(p.name_key):
            add(
                "process_uncovered",
                f"{_kind(p.kind)} «{p.name}» из "
                "реестра процессов: в перечне нет ни одной точки взаимодействия.",
                area=p.activity_area or None,
            )
    # Kuzbass 5.3 подп. 1: a process excluded from the registry leaves the list too.
    for e in entries:
        process = archived.get(getattr(e, "process_id", None))
        if process is not None:
            add(
                "process_archived",
                f"{_name(e)}: процесс «{process.name}» исключён из реестра процессов. "
                "Исключите строку или укажите другой процесс.",
                entry_id=e.id,
                area=e.activity_area,
            )
    # Kuzbass 3.1: the list is formed with the registry; a typed process is allowed, but said.
    if active:
        for e in entries:
            if getattr(e, "process_id", None):
                continue
            typed = normalized(e.process_name)
            if typed in active_keys:
                text = "процесс указан текстом, а в реестре он есть — выберите его из реестра."
            elif typed:
                text = f"процесса «{e.process_name.strip()}» нет в реестре процессов."
            else:
                text = "не указан процесс из реестра процессов."
            add("process_free_text", f"{_name(e)}: {text}", entry_id=e.id, area=e.activity_area)

    if sources.passports:
        _alternatives(add, form, entries, sources.passports)
        _measured(add, procedure, entries, sources.passports)
    return out


def _kind(kind: str) -> str:
    try:
        return PROCESS_KIND_LABELS[ProcessKind(kind)]
    except ValueError:
        return "Процесс"


def _alternatives(add, form, entries: list, passports: dict) -> None:
    """Murmansk 2.10.3-2.10.4, Kuzbass 3.8 подп. 3-4: a process reached only through digital
    touchpoints keeps a way for clients who cannot use them, stated in a passport. Checked once
    the agency keeps passports: before that the platform knows nothing either way."""
    groups: dict[tuple, list] = defaultdict(list)
    for e in entries:
        if e.client_kind == "external":
            groups[(e.activity_area or "", normalized(e.process_name))].append(e)
    for (area, _), group in groups.items():
        if not all(e.channel_kind == "digital" for e in group):
            continue
        if any(getattr(passports.get(entry_key(e)), "has_alternative", False) for e in group):
            continue
        process = (group[0].process_name or "").strip() or form.area_name(area)
        add(
            "no_alternative",
            f"Процесс «{process}» доступен только через цифровые точки, и ни в одном их паспорте "
            "не указано, что предложено клиентам с проблемами со здоровьем, старшего возраста, "
            "с низкими цифровыми навыками или слабым знанием русского языка.",
            entry_id=group[0].id,
            area=area,
        )


_UNITS = {
    "measured_mentions_hours": ("время ответа на упоминания", "ч"),
    "measured_requests_hours": ("время ответа на официальное обращение", "ч"),
    "measured_transfers": ("переключений на других сотрудников", ""),
    "measured_waiting_minutes": ("время ожидания", "мин"),
}


def _measured(add, procedure: dict, entries: list, passports: dict) -> None:
    """Measured figures over the norms the procedure states (its limits)."""
    first = {}
    for e in entries:
        first.setdefault(entry_key(e), e)
    for key, passport in sorted(passports.items()):
        entry = first.get(key)
        for field, rule in MEASURED_NORMS.items():
            value = getattr(passport, field)
            limit = procedures.limit(procedure, rule)
            if value is None or limit is None or value <= limit:
                continue
            what, unit = _UNITS[field]
            unit = f" {unit}" if unit else ""
            when = f" (измерено {date_short(passport.measured_on)})" if passport.measured_on else ""
            add(
                "measured_norm",
                f"«{passport.touchpoint_name}»: {what} по замерам {number(value)}{unit}{when} — "
                f"больше нормы {number(limit)}{unit}.",
                cited=procedures.clause(procedure, rule),
                entry_id=entry.id if entry is not None else None,
                area=entry.activity_area if entry is not None else None,
            )


def uncovered_counts(agency_ids: list[int]) -> dict[int, int]:
    """Agency id -> active registry processes with no row in its working list (Kuzbass 3.5),
    for the agencies that keep a registry; in two queries."""
    if not agency_ids:
        return {}
    p = RegistryProcess
    processes = db.session.execute(
        sa.select(p.id, p.agency_id, p.name_key).where(
            p.agency_id.in_(agency_ids), p.archived_at.is_(None)
        )
    ).all()
    if not processes:
        return {}
    refs: dict[int, set] = defaultdict(set)
    for agency_id, process_id, name in db.session.execute(
        sa.select(Entry.agency_id, Entry.process_id, Entry.process_name).where(
            Entry.agency_id.in_({r.agency_id for r in processes}),
            Entry.status == EntryStatus.INCLUDED.value,
            Entry.kind == EntryKind.NEW.value,
        )
    ):
        refs[agency_id].update((process_id, normalized(name)))
    out: dict[int, int] = defaultdict(int)
    for r in processes:
        out[r.agency_id] += (
            0 if (r.id in refs[r.agency_id] or r.name_key in refs[r.agency_id]) else 1
        )
    return dict(out)
