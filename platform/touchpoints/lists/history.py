"""An audit event as a person reads it: a Russian sentence and «field: before → after» lines.

Values are shown as the list shows them: catalogue codes as their names («portal» →
«Единый портал…»), statuses, roles and yes/no in Russian, dates as ДД.ММ.ГГГГ, subdivisions by
name, versions by their number (never by the row id). Nothing raw reaches the page or the CSV.
"""

from __future__ import annotations

import dataclasses
import re

from touchpoints.audit.labels import action_label
from touchpoints.auth.roles import ROLE_LABELS
from touchpoints.lists.form import Form
from touchpoints.lists.labels import CHANNEL_KINDS, CLIENT_KINDS, FIELD_LABELS, STATUS_LABELS

KEY_LABELS = {
    **FIELD_LABELS,
    "status": "Статус",
    "touchpoint_code": "Точка из справочника",
    "subdivision_id": "Подразделение",
    "extra": "Дополнительные графы",
    "target_id": "Строка перечня",
    "reason": "Причина",
    "not_performed": "Направление не осуществляется",
    "number": "Редакция",
    "version": "Редакция",
    "order_number": "Номер приказа",
    "order_date": "Дата приказа",
    "entries": "Строк",
    "entry_ids": "Строки",
    "file": "Файл",
    "published_on": "Дата размещения",
    "url": "Адрес на сайте",
    "on_time": "В срок",
    "day": "День",
    "is_working": "Рабочий день",
    "note": "Примечание",
    "before_days": "Напоминать заранее, раб. дн.",
    "on_day": "Напоминать в день срока",
    "after_days": "Напоминать после срока, раб. дн.",
    "send_hour": "Час отправки",
    "email": "Электронная почта",
    "name": "Имя",
    "role": "Роль",
    "active": "Учётная запись включена",
    "agency_id": "Организация",
    "region_id": "Регион",
    "full_name": "Полное наименование",
    "name_genitive": "Наименование в родительном падеже",
    "name_dative": "Наименование в дательном падеже",
    "name_prepositional": "Наименование в предложном падеже",
    "unit_kind": "Вид",
    "short_name": "Краткое наименование",
    "head_name": "Руководитель",
    "head_title": "Должность руководителя",
    "city": "Город",
    "legal_basis": "Правовое основание",
    "website": "Сайт",
    "office_email": "Почта проектного офиса",
    "timezone": "Часовой пояс",
    "slug": "Адрес в реестре",
    "form": "Форма перечня",
    "form_template": "Шаблон формы",
    "settings": "Настройки",
    "definition": "Определение",
    "code": "Код",
    "comment": "Комментарий",
    "scopes": "Права",
    "label": "Название",
}
UNIT_KINDS = {
    "subdivision": "структурное подразделение",
    "subordinate": "подведомственная организация",
}
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
#: References a row keeps to its registry process and shared touchpoint: the trail says them in
#: words through the process and touchpoint names recorded with them, never as ids.
HIDDEN_KEYS = frozenset({"process_id", "shared_touchpoint_id"})


@dataclasses.dataclass
class Context:
    """What turns codes into names for one agency's events."""

    form: Form | None = None
    subdivisions: dict[int, str] = dataclasses.field(default_factory=dict)
    #: list_version.id → its number.
    versions: dict[int, int] = dataclasses.field(default_factory=dict)


def value_text(key: str, value, ctx: Context) -> str:
    if value is None or value == "" or value == [] or value == {}:
        return ""
    form = ctx.form
    if isinstance(value, bool):
        return "да" if value else "нет"
    if key == "status":
        return STATUS_LABELS.get(value, "изменён")
    if key == "channel_kind":
        return CHANNEL_KINDS.get(value, str(value))
    if key == "client_kind":
        return CLIENT_KINDS.get(value, str(value))
    if key == "unit_kind":
        return UNIT_KINDS.get(value, str(value))
    if key == "role":
        return ROLE_LABELS.get(value, "другая")
    if key == "activity_area" and form is not None:
        return form.area_name(value)
    if key == "client_needs" and form is not None:
        return "; ".join(form.need_names(value))
    if key == "touchpoint_code":
        item = form.touchpoint_by_code.get(value) if form is not None else None
        return item["name"] if item else "своя точка (не из справочника)"
    if key == "subdivision_id":
        return ctx.subdivisions.get(value, "другое подразделение")
    if key == "target_id":
        return f"№ {value}"
    if key == "extra":
        if form is None:
            return ""
        return "; ".join(
            f"{c['label']}: {value[c['key']]}"
            for c in form.extra_columns
            if value.get(c["key"]) not in (None, "")
        )
    if key in ("form", "settings", "definition") or isinstance(value, dict):
        return "изменены"
    if key == "entry_ids":
        return f"{len(value)} шт."
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    text = str(value)
    m = _ISO_DATE.match(text)
    if m:
        return f"{m.group(3)}.{m.group(2)}.{m.group(1)}"
    return text


def key_label(key: str, ctx: Context) -> str:
    if ctx.form is not None:
        for column in ctx.form.columns:
            if column["field"] == key:
                return column["label"]
    return KEY_LABELS.get(key, "Прочие сведения")


def items(values: dict | None, ctx: Context, skip_empty: bool = False) -> list[tuple[str, str]]:
    """Label and readable value of each recorded key (entry histories)."""
    out = []
    for key, value in (values or {}).items():
        if key in HIDDEN_KEYS:
            continue
        text = value_text(key, value, ctx)
        if text or not skip_empty:
            out.append((key_label(key, ctx), text or "—"))
    return out


def changes(event, ctx: Context) -> list[tuple[str, str, str]]:
    """(field, before, after) for every key of the event; an empty side reads «—»."""
    before, after = event.before or {}, event.after or {}
    keys = [k for k in dict.fromkeys([*before, *after]) if k not in HIDDEN_KEYS]
    out = []
    for key in keys:
        if key in ("number", "version") and event.object_type == "list_version":
            continue  # said in the sentence
        b, a = value_text(key, before.get(key), ctx), value_text(key, after.get(key), ctx)
        if key in before or b:
            out.append((key_label(key, ctx), b or "—", a or "—"))
        elif a:
            out.append((key_label(key, ctx), "", a))
    return out


def object_text(event, ctx: Context) -> str:
    after, before = event.after or {}, event.before or {}
    kind = event.object_type
    if kind == "entry":
        return f"строка № {event.object_id}"
    if kind == "list_version":
        number = after.get("number") or before.get("number")
        if number is None and event.object_id and event.object_id.isdigit():
            number = ctx.versions.get(int(event.object_id))
        return f"редакция № {number}" if number else "редакция"
    if kind == "publication":
        number = after.get("version")
        return f"редакция № {number}" if number else "размещение"
    if kind == "user_account":
        name = after.get("name") or before.get("name")
        return f"пользователь {name}" if name else "пользователь"
    if kind == "subdivision":
        return f"подразделение «{after.get('subdivision')}»" if after.get("subdivision") else ""
    if kind == "area_status" and ctx.form is not None:
        return ""
    return ""


def sentence(event, ctx: Context) -> str:
    """«Утверждена редакция перечня № 2», «Создана строка № 12», «Отозвана (строка № 12)»."""
    what = action_label(event.action)
    obj = object_text(event, ctx)
    if not obj:
        return what
    noun, _, number = obj.partition(" № ")
    if number and noun.split()[0][:5] in what.lower():
        # The label already names the object («Утверждена редакция перечня»): add the number.
        return f"{what} № {number}"
    return f"{what} ({obj})"
