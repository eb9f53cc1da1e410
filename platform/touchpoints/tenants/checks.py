"""The rules a form must keep, with messages a person reads (docs/forms.md).

Both paths use them: the form editor shows each message next to the field it is about, the
loader reports them with the file. :func:`problems` returns ``[(where, message)]`` where
``where`` is ``(section, row index or None, field or None)``.

``base`` is the form the region set (the template the agency's form was made from); with
``limited=True`` (the agency's registrar) the form must stay within it: the template's
required columns stay and stay required, a rule the template applies stays, and no norm is
laxer than the template's.
"""

from __future__ import annotations

import re

from touchpoints.core.text import number
from touchpoints.lists import procedures
from touchpoints.lists.labels import FIELD_LABELS
from touchpoints.lists.models import COMMON_FIELDS

CODE = re.compile(r"^[a-z][a-z0-9_]*$")
CODE_HINT = "латинские строчные буквы, цифры и «_», первая — буква"
CHANNEL_KINDS = ("digital", "offline")
CLIENT_KINDS = ("external", "internal")
#: Fields every form has a column for: each row of the list is a touchpoint (Murmansk 2.6,
#: Kuzbass 3.7).
ALWAYS_REQUIRED = ("touchpoint",)
#: Section names as messages say them.
SECTIONS = {
    "columns": "Графы",
    "activity_areas": "Направления деятельности",
    "touchpoints": "Точки взаимодействия",
    "client_needs": "Потребности клиента",
}

Where = tuple[str, int | None, str | None]


def _codes(catalogue: dict, name: str) -> set[str]:
    return {i["code"] for i in catalogue.get(name, [])}


def problems(
    form: dict, catalogue: dict, base: dict | None = None, limited: bool = False
) -> list[tuple[Where, str]]:
    out: list[tuple[Where, str]] = []

    def bad(section: str, index: int | None, field: str | None, message: str) -> None:
        out.append(((section, index, field), message))

    if not str(form.get("name") or "").strip():
        bad("form", None, "name", "Укажите название формы")
    title = str(form.get("title") or "").strip()
    if not title:
        bad("form", None, "title", "Укажите заголовок перечня")
    else:
        try:
            title.format(agency="", agency_genitive="", agency_prepositional="")
        except (KeyError, IndexError, ValueError):
            bad(
                "form",
                None,
                "title",
                "В заголовке допустимы только подстановки {agency}, {agency_genitive} и "
                "{agency_prepositional}",
            )
    _columns(form.get("columns") or [], base, limited, bad)
    _catalogue_items(form, catalogue, bad)
    _procedure(form.get("procedure") or {}, base, limited, bad)
    return out


def _unique(items: list[dict], id_field: str, section: str, bad, noun: str) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        code = item.get(id_field) or ""
        if not code:
            bad(section, i, id_field, "Укажите код")
        elif not CODE.match(code):
            bad(section, i, id_field, f"Код «{code}»: допустимы {CODE_HINT}")
        elif code in seen:
            bad(section, i, id_field, f"Код «{code}» уже есть у {noun} № {seen[code] + 1}")
        else:
            seen[code] = i
        if not str(item.get("name", item.get("label")) or "").strip():
            bad(section, i, "label" if "label" in item else "name", "Укажите название")


def _columns(columns: list[dict], base: dict | None, limited: bool, bad) -> None:
    if not columns:
        bad("columns", None, None, "В форме должна быть хотя бы одна графа")
    _unique(columns, "key", "columns", bad, "графы")
    fields: dict[str, int] = {}
    for i, c in enumerate(columns):
        field = c.get("field")
        if field != "extra" and field not in COMMON_FIELDS:
            bad("columns", i, "field", "Выберите поле общей модели или «своя графа»")
        elif field != "extra" and field in fields:
            bad(
                "columns",
                i,
                "field",
                f"Поле «{FIELD_LABELS[field]}» уже выведено в графе № {fields[field] + 1}",
            )
        elif field != "extra":
            fields[field] = i
        width = c.get("width")
        if not isinstance(width, int) or not 1 <= width <= 100:
            bad("columns", i, "width", "Ширина — целое число от 1 до 100")
    for field in ALWAYS_REQUIRED:
        if field not in fields:
            bad(
                "columns",
                None,
                None,
                f"Графу «{FIELD_LABELS[field]}» удалить нельзя: каждая строка перечня — "
                "точка взаимодействия",
            )
    if limited and base:
        for c in base.get("columns", []):
            field = c["field"]
            if not c.get("required") or field == "extra":
                continue
            mine = next((x for x in columns if x.get("field") == field), None)
            if mine is None:
                bad(
                    "columns",
                    None,
                    None,
                    f"Графа «{c['label']}» обязательна в форме региона: её нельзя удалить",
                )
            elif not mine.get("required"):
                bad(
                    "columns",
                    columns.index(mine),
                    "required",
                    f"Графа «{mine.get('label') or c['label']}» обязательна в форме региона",
                )


def _catalogue_items(form: dict, catalogue: dict, bad) -> None:
    areas = form.get("activity_areas") or []
    needs = form.get("client_needs") or []
    points = form.get("touchpoints") or []
    for name, items, noun in (
        ("activity_areas", areas, "направления"),
        ("client_needs", needs, "потребности"),
        ("touchpoints", points, "точки"),
    ):
        if not items:
            bad(name, None, None, f"Раздел «{SECTIONS[name]}» не может быть пустым")
        _unique(items, "code", name, bad, noun)
    common_areas = _codes(catalogue, "activity_areas")
    common_needs = _codes(catalogue, "client_needs")
    taxonomy = _codes(catalogue, "taxonomy")
    for i, a in enumerate(areas):
        if a.get("common") not in common_areas:
            bad("activity_areas", i, "common", "Выберите направление общего каталога")
        if a.get("client_kind", "external") not in CLIENT_KINDS:
            bad("activity_areas", i, "client_kind", "Выберите вид клиента")
    for i, n in enumerate(needs):
        if n.get("common") not in common_needs:
            bad("client_needs", i, "common", "Выберите потребность общего каталога")
    for i, t in enumerate(points):
        if t.get("channel_kind") not in CHANNEL_KINDS:
            bad("touchpoints", i, "channel_kind", "Укажите, цифровая это точка или офлайн-точка")
        if t.get("taxonomy") not in taxonomy:
            bad("touchpoints", i, "taxonomy", "Выберите код общей таксономии")


def _procedure(proc: dict, base: dict | None, limited: bool, bad) -> None:
    if not str(proc.get("name") or "").strip():
        bad("procedure", None, "name", "Укажите, чей это порядок (например, «Приказ … № …»)")
    rules = proc.get("rules") or {}
    for rule, citation in rules.items():
        if not str(citation.get("clause") or "").strip():
            bad("procedure", None, f"{rule}.clause", "Укажите пункт, на который ссылается проверка")
        value = citation.get("limit")
        if rule in procedures.NORM_RULES and (value is None or value < 0):
            bad(
                "procedure", None, f"{rule}.limit", "Укажите предельное значение нормы (0 и больше)"
            )
    if not (limited and base):
        return
    template = base.get("procedure") or procedures.PROCEDURES[procedures.DEFAULT]
    for rule in template.get("rules", {}):
        if rule not in rules:
            bad(
                "procedure",
                None,
                f"{rule}.applies",
                "Это правило применяется в регионе: отключить его может проектный офис",
            )
            continue
        most = procedures.limit(template, rule)
        value = rules[rule].get("limit")
        if most is not None and value is not None and value > most:
            bad(
                "procedure",
                None,
                f"{rule}.limit",
                f"Норма региона — не более {number(most)}: установить мягче нельзя",
            )
