"""Checking a working list against the rules of the orders.

Every finding cites the clause it comes from in the procedure the agency's form declares
(:mod:`touchpoints.lists.procedures`: the Murmansk order No. 21 of 28.02.2024, the Kuzbass
order No. 134 of 08.12.2023, or both for a form of neither), and the norms' limits come from
there too. Errors block approval (:func:`touchpoints.lists.approval.approve_version` runs the
check itself); warnings do not.

:func:`check_many` reads any number of agencies in three queries, for the project office's
dashboards; :func:`check` is the one-agency case.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import operator
from collections import defaultdict

import sqlalchemy as sa

from touchpoints.core.db import current_scope, db
from touchpoints.core.tenancy import Agency
from touchpoints.core.text import number
from touchpoints.lists import coverage, procedures
from touchpoints.lists.form import Form
from touchpoints.lists.labels import label_for
from touchpoints.lists.models import AreaStatus, Entry, EntryKind, EntryStatus

ERROR = "error"
WARNING = "warning"

#: rule code -> title. Which clause each cites depends on the form's procedure.
RULES: dict[str, str] = {
    "required": "Обязательные сведения заполнены",
    "needs": "Для каждой точки определены удовлетворяемые потребности",
    "duplicate": "Точки взаимодействия в рамках одного процесса не дублируются",
    "area": "Каждое направление деятельности заполнено или отмечено",
    "offline_only": "Цифровые каналы — преимущественные",
    "norm_mentions": "Ответ на упоминания в соцсетях — не более 4 часов",
    "norm_requests": "Ответ на официальное обращение или комментарий — не более 2 часов",
    "norm_transfers": "Не более двух переключений при телефонном звонке",
    "norm_waiting": "Ожидание при очном обслуживании — не более 15 минут",
    # The registry of processes and the touchpoint passports (lists.coverage).
    **coverage.TITLES,
}

#: Titles of the norm rules with the procedure's own limit (a procedure may set another one).
_NORM_TITLES = {
    "norm_mentions": "Ответ на упоминания в соцсетях — не более {}",
    "norm_requests": "Ответ на официальное обращение или комментарий — не более {}",
    "norm_transfers": "Не более {} при телефонном звонке",
    "norm_waiting": "Ожидание при очном обслуживании — не более {}",
}


def rule_title(procedure: dict, rule: str) -> str:
    """A rule's title; a norm's with the limit the procedure sets («не более 1 переключения»)."""
    value = procedures.limit(procedure, rule)
    if rule in _NORM_TITLES and value is not None:
        return _NORM_TITLES[rule].format(procedures.limit_text(rule, value))
    return RULES[rule]


#: Rules whose findings are warnings; the rest are errors. The norms for social networks hold
#: «при максимальном уровне клиентоцентричности» (a target), the phone and waiting norms are
#: stated as limits («не должно превышать», «не превышает»).
WARNING_RULES = frozenset({"offline_only", "norm_mentions", "norm_requests"})


@dataclasses.dataclass(frozen=True)
class Finding(coverage.Item):
    """A finding of the report: what a rule found (as lists.coverage states its own) and where."""

    #: The rule's title with the limit the agency's procedure sets (rule_title).
    heading: str = ""

    @property
    def title(self) -> str:
        return self.heading or RULES[self.rule]


@dataclasses.dataclass
class Report:
    agency_id: int
    entry_count: int = 0
    #: The procedure whose clauses the findings cite (the form's).
    procedure: dict = dataclasses.field(default_factory=lambda: procedures.PROCEDURES["common"])
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

    def add(self, rule: str, message: str, **where) -> None:
        # A rule the agency's procedure does not state is not checked (docs/forms.md).
        if not procedures.applies(self.procedure, rule):
            return
        default = WARNING if rule in WARNING_RULES else ERROR
        level = procedures.level(self.procedure, rule, default)
        finding = Finding(
            rule,
            level,
            procedures.clause(self.procedure, rule),
            message,
            heading=rule_title(self.procedure, rule),
            **where,
        )
        (self.errors if level == ERROR else self.warnings).append(finding)

    def extend(self, items) -> None:
        """Findings of the registry and passport rules (lists.coverage), clauses their own."""
        for i in items:
            finding = Finding(i.rule, i.level, i.clause, i.message, i.entry_id, i.area)
            (self.errors if i.level == ERROR else self.warnings).append(finding)


# --------------------------------------------------------------------------- reading

#: Scalar columns the rules read. The JSON columns are read as their text (see check_many).
_ENTRY_FIELDS = (
    "id",
    "agency_id",
    "activity_area",
    "process_name",
    "touchpoint_code",
    "touchpoint",
    "channel_kind",
    "client_kind",
    "interaction",
    "specifics",
    "organisation",
    "subdivision_id",
    "response_hours_mentions",
    "response_hours_requests",
    "max_transfers",
    "waiting_minutes",
    "position",
    "process_id",
    "shared_touchpoint_id",
)
#: What check_many hands to the rules: attribute access on a named tuple costs a fraction of
#: that on an SQLAlchemy Row, and the rules read a dozen attributes of every entry.
_EntryRow = collections.namedtuple("_EntryRow", (*_ENTRY_FIELDS, "needs_json", "extra_json"))
_BY_LIST_ORDER = operator.attrgetter("agency_id", "position", "id")


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
    visible = sorted(forms)
    if not visible:
        return {}
    # Plain column tuples from the table, not ORM rows: a region's lists are tens of thousands
    # of entries and ORM row processing and JSON decoding were most of the check's time. The
    # ORM's tenant criterion does not apply to Core columns, so the entries are restricted
    # explicitly to the agencies the scope-checked query above returned (and RLS still holds).
    # The JSON columns come as text: the rules only ask whether they are empty. Sorting here
    # rather than in SQL keeps PostgreSQL from spilling the sort of wide rows to disk.
    t = Entry.__table__.c
    rows = db.session.execute(
        sa.select(
            *(t[name] for name in _ENTRY_FIELDS),
            sa.cast(t.client_needs, sa.Text).label("needs_json"),
            sa.cast(t.extra, sa.Text).label("extra_json"),
        ).where(
            t.agency_id.in_(visible),
            t.status == EntryStatus.INCLUDED.value,
            t.kind == EntryKind.NEW.value,
        )
    ).all()
    rows = sorted(map(_EntryRow._make, rows), key=_BY_LIST_ORDER)
    entries: dict[int, list] = defaultdict(list)
    for row in rows:
        entries[row.agency_id].append(row)
    not_performed: dict[int, set[str]] = defaultdict(set)
    for agency_id, code in db.session.execute(
        sa.select(AreaStatus.agency_id, AreaStatus.area_code).where(
            AreaStatus.agency_id.in_(visible), AreaStatus.not_performed
        )
    ):
        not_performed[agency_id].add(code)
    sources = coverage.load(visible)
    return {
        agency_id: evaluate(
            agency_id,
            Form(forms[agency_id]),
            entries[agency_id],
            not_performed[agency_id],
            sources.get(agency_id),
        )
        for agency_id in visible
    }


def _json_filled(text: str | None) -> bool:
    """Whether a JSON document's value is truthy, without decoding lists and objects."""
    if text is None:
        return False
    text = text.strip()
    if text[:1] in ("[", "{"):
        return text[1:].lstrip()[:1] not in ("]", "}")
    try:
        return bool(json.loads(text))
    except ValueError:
        return bool(text)


def _needs_filled(entry) -> bool:
    text = getattr(entry, "needs_json", _NO_TEXT)
    return bool(entry.client_needs) if text is _NO_TEXT else _json_filled(text)


def _extra(entry) -> dict:
    text = getattr(entry, "extra_json", _NO_TEXT)
    if text is _NO_TEXT:
        return entry.extra or {}
    try:
        value = json.loads(text) if text else None
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_NO_TEXT = object()


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
    if field == "client_needs":
        return _needs_filled(entry)
    value = getattr(entry, field)
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, list | dict):
        return bool(value)
    return value is not None


def _entry_name(entry) -> str:
    name = (entry.touchpoint or "").strip() or "точка не указана"
    process = (entry.process_name or "").strip()
    return f"«{name}»" + (f" ({process})" if process else "")


#: The entry's field each norm rule reads.
NORMS = {
    "norm_mentions": "response_hours_mentions",
    "norm_requests": "response_hours_requests",
    "norm_transfers": "max_transfers",
    "norm_waiting": "waiting_minutes",
}


def _limits(procedure: dict) -> tuple[tuple[str, str, float], ...]:
    """(rule, field, limit) of the norms the procedure states."""
    out = []
    for rule, field in NORMS.items():
        limit = procedures.limit(procedure, rule)
        if limit is not None:
            out.append((rule, field, limit))
    return tuple(out)


def _exceeds_a_norm(e, limits) -> bool:
    for _, field, limit in limits:
        value = getattr(e, field)
        if value is not None and value > limit:
            return True
    return False


def evaluate(
    agency_id: int,
    form: Form,
    entries: list,
    not_performed: set[str],
    sources: coverage.Sources | None = None,
) -> Report:
    """Apply every rule to the included entries of one agency (rows or Entry objects).

    One pass over the entries; findings are added in the order of the rules (per-entry rules,
    then duplicates, offline-only processes and areas), as the list pages show them."""
    procedure = procedures.procedure_of(form.d)
    limits = _limits(procedure)
    report = Report(agency_id=agency_id, entry_count=len(entries), procedure=procedure)
    add = report.add
    # Activity area and touchpoint are always needed: the list is grouped by area and each row
    # is a touchpoint (Murmansk 2.3, 2.6; Kuzbass 3.5, 3.7), whatever the form's columns.
    required = [
        (field, label_for(form, field))
        for field in ["activity_area", "touchpoint", *sorted(form.required_fields - {"touchpoint"})]
    ]
    required_extra = [(c["key"], c["label"]) for c in form.extra_columns if c.get("required")]
    areas = form.area_by_code
    unknown_area = f"{label_for(form, 'activity_area')} (нет в справочнике формы)"
    # touchpoint_identity() and process_key(), with what repeats across entries computed once.
    catalogue_names: dict[str, str] = {}
    for item in form.touchpoints:
        catalogue_names.setdefault(_norm_text(item["name"]), f"code:{item['code']}")
    norm: dict = {}

    def normed(value) -> str:
        found = norm.get(value)
        if found is None:
            found = norm[value] = _norm_text(value)
        return found

    seen: dict[tuple, int] = {}
    duplicates = []
    processes: dict[tuple, list] = defaultdict(list)
    covered = set()
    for e in entries:
        area = e.activity_area
        covered.add(area)
        missing = [label for field, label in required if not _filled(e, field)]
        if required_extra:
            extra = _extra(e)
            missing += [
                label for key, label in required_extra if not str(extra.get(key, "")).strip()
            ]
        if area and area not in areas:
            missing.append(unknown_area)
        name = None
        if missing:
            name = _entry_name(e)
            add(
                "required",
                f"{name}: не заполнено — {', '.join(missing)}.",
                entry_id=e.id,
                area=area,
            )
        if not _needs_filled(e):
            name = name or _entry_name(e)
            add(
                "needs",
                f"{name}: не указаны удовлетворяемые потребности клиента.",
                entry_id=e.id,
                area=area,
            )
        if _exceeds_a_norm(e, limits):
            _check_norms(
                report, limits, e, name or _entry_name(e), {"entry_id": e.id, "area": area}
            )

        process = (area or "", normed(e.process_name))
        if e.touchpoint_code:
            identity = f"code:{e.touchpoint_code}"
        else:
            typed = normed(e.touchpoint)
            identity = catalogue_names.get(typed) or f"name:{typed}"
        key = (*process, identity)
        if key in seen:
            duplicates.append(e)
        else:
            seen[key] = e.id
        if e.client_kind == "external":
            processes[process].append(e)

    # No duplicate touchpoint within one process (Murmansk 2.8, Kuzbass 3.7).
    for e in duplicates:
        add(
            "duplicate",
            f"{_entry_name(e)}: эта точка взаимодействия уже указана для того же процесса "
            "в другой строке. Укажите одну точку и раскройте в ней потребности клиента.",
            entry_id=e.id,
            area=e.activity_area,
        )

    # External processes served through offline touchpoints only (Murmansk 2.10.2, Kuzbass 3.8).
    for (area, _), group in processes.items():
        if all(e.channel_kind == "offline" for e in group):
            process = (group[0].process_name or "").strip() or form.area_name(area)
            add(
                "offline_only",
                f"Процесс «{process}» для внешних клиентов доступен только через офлайн-точки; "
                "взаимодействие через информационные системы и онлайн-каналы преимущественно.",
                entry_id=group[0].id,
                area=area,
            )

    # Every activity area has entries or is marked as not performed (Kuzbass 3.5, Murmansk 2.3).
    for area in form.activity_areas:
        if area["code"] not in covered and area["code"] not in not_performed:
            add(
                "area",
                f"Направление «{area['name']}»: нет ни одной точки взаимодействия. Добавьте "
                "сведения или отметьте, что направление не осуществляется.",
                area=area["code"],
            )
    if sources is not None:
        report.extend(coverage.evaluate(procedure, form, entries, sources))
    return report


def _norm_message(rule: str, name: str, value, limit) -> str:
    if rule == "norm_mentions":
        return f"{name}: время ответа на упоминания {number(value)} ч — больше {number(limit)} ч."
    if rule == "norm_requests":
        return (
            f"{name}: время ответа на официальное обращение или комментарий "
            f"{number(value)} ч — больше {number(limit)} ч."
        )
    if rule == "norm_transfers":
        return (
            f"{name}: до {value} переключений на других сотрудников — "
            f"допускается не более {number(limit)}."
        )
    return f"{name}: время ожидания {value} мин — больше {number(limit)} мин."


def _check_norms(report: Report, limits, e, name: str, where: dict) -> None:
    for rule, field, limit in limits:
        value = getattr(e, field)
        if value is not None and value > limit:
            report.add(rule, _norm_message(rule, name, value, limit), **where)
