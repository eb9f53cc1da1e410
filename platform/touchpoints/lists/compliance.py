"""Checking a working list against the rules of the orders.

Every finding cites the clause it comes from, in the agency's own order where the form belongs
to one of the seed orders (Murmansk order No. 21 of 28.02.2024, Kuzbass order No. 134 of
08.12.2023), and both clauses for a form of neither. Errors block approval
(:func:`touchpoints.lists.services.approve_version` takes ``check_errors``); warnings do not.

:func:`check_many` reads any number of agencies in three queries, for the project office's
dashboards; :func:`check` is the one-agency case.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

import sqlalchemy as sa

from touchpoints.core.db import current_scope, db
from touchpoints.lists.models import AreaStatus, Entry, EntryKind, EntryStatus
from touchpoints.regions.models import Agency
from touchpoints.tenants.form import Form

ERROR = "error"
WARNING = "warning"

#: Limits of the service norms (Murmansk 3.2.3-3.2.4, Kuzbass 4.2.3 в, 4.2.5 а, 4.2.7 ж).
LIMIT_MENTIONS_HOURS = 4
LIMIT_REQUESTS_HOURS = 2
LIMIT_TRANSFERS = 2
LIMIT_WAITING_MINUTES = 15

#: rule code -> (title, Murmansk clause, Kuzbass clause). None: the order has no such rule.
RULES: dict[str, tuple[str, str | None, str | None]] = {
    "required": ("Обязательные сведения заполнены", "2.2.2", "3.3 подп. 2"),
    "needs": ("Для каждой точки определены удовлетворяемые потребности", "2.6", "3.7"),
    "duplicate": ("Точки взаимодействия в рамках одного процесса не дублируются", "2.8", "3.7"),
    "area": ("Каждое направление деятельности заполнено или отмечено", "2.3", "3.5"),
    "offline_only": ("Цифровые каналы — преимущественные", "2.10.2", "3.8 подп. 2"),
    "norm_mentions": ("Ответ на упоминания в соцсетях — не более 4 часов", "3.2.3", "4.2.3 в"),
    "norm_requests": (
        "Ответ на официальное обращение или комментарий — не более 2 часов",
        "3.2.3",
        "4.2.3 в",
    ),
    "norm_transfers": ("Не более двух переключений при телефонном звонке", "3.2.4", "4.2.5 а"),
    "norm_waiting": ("Ожидание при очном обслуживании — не более 15 минут", None, "4.2.7 ж"),
}

#: Rules whose findings are warnings; the rest are errors. The norms for social networks hold
#: «при максимальном уровне клиентоцентричности» (a target), the phone and waiting norms are
#: stated as limits («не должно превышать», «не превышает»).
WARNING_RULES = frozenset({"offline_only", "norm_mentions", "norm_requests"})

FIELD_LABELS = {
    "activity_area": "Направление деятельности",
    "process_name": "Наименование процесса",
    "touchpoint": "Точка взаимодействия",
    "channel_kind": "Вид точки (цифровая / офлайн)",
    "client_kind": "Вид клиента",
    "client_needs": "Удовлетворяемые потребности клиента",
    "interaction": "Осуществляемое взаимодействие с клиентом",
    "specifics": "Особенности взаимодействия с клиентом",
    "subdivision": "Структурное подразделение",
    "organisation": "Организация",
    "response_hours_mentions": "Время ответа на упоминания, ч",
    "response_hours_requests": "Время ответа на обращения и комментарии, ч",
    "max_transfers": "Переключений при звонке, не более",
    "waiting_minutes": "Время ожидания, мин",
}


def family(form: Form) -> str:
    """Which seed order a form follows: "murmansk", "kuzbass" or "common"."""
    slug = form.d.get("slug", "")
    for name in ("murmansk", "kuzbass"):
        if slug.startswith(name):
            return name
    return "common"


def clause_for(rule: str, fam: str) -> str:
    _, murmansk, kuzbass = RULES[rule]
    if fam == "murmansk" and murmansk:
        return f"п. {murmansk} Порядка"
    if fam == "kuzbass" and kuzbass:
        return f"п. {kuzbass} Порядка"
    parts = []
    if murmansk:
        parts.append(f"п. {murmansk} (Мурманская обл.)")
    if kuzbass:
        parts.append(f"п. {kuzbass} (Кузбасс)")
    return " / ".join(parts)


@dataclasses.dataclass(frozen=True)
class Finding:
    rule: str
    level: str
    clause: str
    message: str
    entry_id: int | None = None
    #: Activity area code, for findings about an area or a process within one.
    area: str | None = None

    @property
    def title(self) -> str:
        return RULES[self.rule][0]


@dataclasses.dataclass
class Report:
    agency_id: int
    entry_count: int = 0
    errors: list[Finding] = dataclasses.field(default_factory=list)
    warnings: list[Finding] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def findings(self) -> list[Finding]:
        return self.errors + self.warnings

    def for_entry(self, entry_id: int) -> list[Finding]:
        return [f for f in self.findings if f.entry_id == entry_id]

    def rules_broken(self) -> set[str]:
        return {f.rule for f in self.findings}

    def add(self, rule: str, fam: str, message: str, **where) -> None:
        level = WARNING if rule in WARNING_RULES else ERROR
        if rule == "norm_waiting" and fam == "murmansk":
            # The Murmansk order sets no waiting-time limit: the Kuzbass one is a guide only.
            level = WARNING
        finding = Finding(rule, level, clause_for(rule, fam), message, **where)
        (self.errors if level == ERROR else self.warnings).append(finding)


# --------------------------------------------------------------------------- reading

_ENTRY_COLUMNS = (
    Entry.id,
    Entry.agency_id,
    Entry.activity_area,
    Entry.process_name,
    Entry.touchpoint_code,
    Entry.touchpoint,
    Entry.channel_kind,
    Entry.client_kind,
    Entry.client_needs,
    Entry.interaction,
    Entry.specifics,
    Entry.organisation,
    Entry.subdivision_id,
    Entry.response_hours_mentions,
    Entry.response_hours_requests,
    Entry.max_transfers,
    Entry.waiting_minutes,
    Entry.extra,
    Entry.position,
)


def check(agency: Agency) -> Report:
    return check_many([agency.id])[agency.id]


def check_many(agency_ids: list[int]) -> dict[int, Report]:
    """Reports for many agencies in three queries, whatever their number and size.

    Reads in the caller's scope (the office's region, the system scope for jobs); agencies the
    scope cannot see are left out of the result rather than reported as empty lists."""
    ids = sorted(set(agency_ids))
    if not ids:
        return {}
    query = sa.select(Agency.id, Agency.form).where(Agency.id.in_(ids))
    scope = current_scope()
    if scope.kind == "region":
        query = query.where(Agency.region_id == scope.region_id)
    elif scope.kind != "all":
        query = query.where(Agency.id == scope.agency_id)
    forms = dict(db.session.execute(query).all())
    entries: dict[int, list] = defaultdict(list)
    for row in db.session.execute(
        sa.select(*_ENTRY_COLUMNS)
        .where(
            Entry.agency_id.in_(ids),
            Entry.status == EntryStatus.INCLUDED.value,
            Entry.kind == EntryKind.NEW.value,
        )
        .order_by(Entry.agency_id, Entry.position, Entry.id)
    ):
        entries[row.agency_id].append(row)
    not_performed: dict[int, set[str]] = defaultdict(set)
    for agency_id, code in db.session.execute(
        sa.select(AreaStatus.agency_id, AreaStatus.area_code).where(
            AreaStatus.agency_id.in_(ids), AreaStatus.not_performed
        )
    ):
        not_performed[agency_id].add(code)
    return {
        agency_id: evaluate(
            agency_id, Form(forms[agency_id]), entries[agency_id], not_performed[agency_id]
        )
        for agency_id in ids
        if agency_id in forms
    }


# --------------------------------------------------------------------------- the rules


def _norm_text(value) -> str:
    return " ".join(str(value or "").casefold().replace("ё", "е").split())


def touchpoint_identity(form: Form, entry) -> str:
    """The same touchpoint picked from the catalogue or typed with its catalogue name is one."""
    if entry.touchpoint_code:
        return f"code:{entry.touchpoint_code}"
    name = _norm_text(entry.touchpoint)
    for item in form.touchpoints:
        if _norm_text(item["name"]) == name:
            return f"code:{item['code']}"
    return f"name:{name}"


def process_key(entry) -> tuple[str, str]:
    return entry.activity_area or "", _norm_text(entry.process_name)


def _filled(entry, field: str) -> bool:
    if field == "subdivision":
        return entry.subdivision_id is not None
    if field == "touchpoint":
        return bool((entry.touchpoint or "").strip() or entry.touchpoint_code)
    value = getattr(entry, field)
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value)
    return value is not None


def _label(form: Form, field: str) -> str:
    for column in form.columns:
        if column["field"] == field:
            return column["label"]
    return FIELD_LABELS.get(field, field)


def _entry_name(entry) -> str:
    name = (entry.touchpoint or "").strip() or "точка не указана"
    process = (entry.process_name or "").strip()
    return f"«{name}»" + (f" ({process})" if process else "")


def evaluate(agency_id: int, form: Form, entries: list, not_performed: set[str]) -> Report:
    """Apply every rule to the included entries of one agency (rows or Entry objects)."""
    fam = family(form)
    report = Report(agency_id=agency_id, entry_count=len(entries))
    # Activity area and touchpoint are always needed: the list is grouped by area and each row
    # is a touchpoint (Murmansk 2.3, 2.6; Kuzbass 3.5, 3.7), whatever the form's columns.
    required = ["activity_area", "touchpoint", *sorted(form.required_fields - {"touchpoint"})]
    required_extra = [c for c in form.extra_columns if c.get("required")]

    for e in entries:
        where = {"entry_id": e.id, "area": e.activity_area}
        name = _entry_name(e)
        missing = [_label(form, f) for f in required if not _filled(e, f)]
        missing += [
            c["label"] for c in required_extra if not str((e.extra or {}).get(c["key"], "")).strip()
        ]
        if e.activity_area and e.activity_area not in form.area_by_code:
            missing.append(f"{_label(form, 'activity_area')} (нет в справочнике формы)")
        if missing:
            report.add("required", fam, f"{name}: не заполнено — {', '.join(missing)}.", **where)
        if not e.client_needs:
            report.add(
                "needs", fam, f"{name}: не указаны удовлетворяемые потребности клиента.", **where
            )
        _check_norms(report, fam, e, name, where)

    # No duplicate touchpoint within one process (Murmansk 2.8, Kuzbass 3.7).
    seen: dict[tuple, int] = {}
    for e in entries:
        key = (*process_key(e), touchpoint_identity(form, e))
        if key in seen:
            report.add(
                "duplicate",
                fam,
                f"{_entry_name(e)}: эта точка взаимодействия уже указана для того же процесса "
                "в другой строке. Укажите одну точку и раскройте в ней потребности клиента.",
                entry_id=e.id,
                area=e.activity_area,
            )
        else:
            seen[key] = e.id

    # External processes served through offline touchpoints only (Murmansk 2.10.2, Kuzbass 3.8).
    processes: dict[tuple, list] = defaultdict(list)
    for e in entries:
        if e.client_kind == "external":
            processes[process_key(e)].append(e)
    for (area, _), group in processes.items():
        if all(e.channel_kind == "offline" for e in group):
            process = (group[0].process_name or "").strip() or form.area_name(area)
            report.add(
                "offline_only",
                fam,
                f"Процесс «{process}» для внешних клиентов доступен только через офлайн-точки; "
                "взаимодействие через информационные системы и онлайн-каналы преимущественно.",
                entry_id=group[0].id,
                area=area,
            )

    # Every activity area has entries or is marked as not performed (Kuzbass 3.5, Murmansk 2.3).
    covered = {e.activity_area for e in entries}
    for area in form.activity_areas:
        if area["code"] not in covered and area["code"] not in not_performed:
            report.add(
                "area",
                fam,
                f"Направление «{area['name']}»: нет ни одной точки взаимодействия. Добавьте "
                "сведения или отметьте, что направление не осуществляется.",
                area=area["code"],
            )
    return report


def _check_norms(report: Report, fam: str, e, name: str, where: dict) -> None:
    if e.response_hours_mentions is not None and e.response_hours_mentions > LIMIT_MENTIONS_HOURS:
        report.add(
            "norm_mentions",
            fam,
            f"{name}: время ответа на упоминания {_num(e.response_hours_mentions)} ч — "
            f"больше {LIMIT_MENTIONS_HOURS} ч.",
            **where,
        )
    if e.response_hours_requests is not None and e.response_hours_requests > LIMIT_REQUESTS_HOURS:
        report.add(
            "norm_requests",
            fam,
            f"{name}: время ответа на официальное обращение или комментарий "
            f"{_num(e.response_hours_requests)} ч — больше {LIMIT_REQUESTS_HOURS} ч.",
            **where,
        )
    if e.max_transfers is not None and e.max_transfers > LIMIT_TRANSFERS:
        report.add(
            "norm_transfers",
            fam,
            f"{name}: до {e.max_transfers} переключений на других сотрудников — "
            f"допускается не более {LIMIT_TRANSFERS}.",
            **where,
        )
    if e.waiting_minutes is not None and e.waiting_minutes > LIMIT_WAITING_MINUTES:
        report.add(
            "norm_waiting",
            fam,
            f"{name}: время ожидания {e.waiting_minutes} мин — больше {LIMIT_WAITING_MINUTES} мин.",
            **where,
        )


def _num(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def blocking_errors(agency: Agency) -> list[Finding]:
    """For ``approve_version(check_errors=...)``."""
    return check(agency).errors
