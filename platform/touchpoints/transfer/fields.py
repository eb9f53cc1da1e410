"""How entry fields read as text in a file, both ways (export writes them, import parses them)."""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from touchpoints.lists.form import Form

#: Labels of the common fields for columns that the agency's form does not have.
FIELD_LABELS = {
    "activity_area": "Направление деятельности",
    "process_name": "Наименование процесса",
    "touchpoint": "Точка взаимодействия",
    "channel_kind": "Вид точки (цифровая / офлайн)",
    "client_kind": "Клиент (внешний / внутренний)",
    "client_needs": "Удовлетворяемые потребности клиента",
    "interaction": "Осуществляемое взаимодействие с клиентом",
    "specifics": "Особенности взаимодействия с клиентом",
    "subdivision": "Структурное подразделение",
    "organisation": "Подведомственная организация",
    "response_hours_mentions": "Время ответа на упоминания, ч",
    "response_hours_requests": "Время ответа на официальные запросы и комментарии, ч",
    "max_transfers": "Переключений на других сотрудников, не более",
    "waiting_minutes": "Время ожидания, мин",
}
NUMERIC_FIELDS = {
    "response_hours_mentions": float,
    "response_hours_requests": float,
    "max_transfers": int,
    "waiting_minutes": int,
}
CHANNEL_LABELS = {"digital": "цифровая", "offline": "офлайн"}
CLIENT_LABELS = {"external": "внешний", "internal": "внутренний"}
#: Client needs are written one per line in DOCX and XLSX cells, «; » in CSV.
NEEDS_SEPARATOR = "\n"


def column_target(column: dict) -> str:
    """The field a form column fills: a common field name or ``extra:<key>``."""
    return f"extra:{column['key']}" if column["field"] == "extra" else column["field"]


def number_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace(".", ",")


def field_text(form: Form, target: str, row, subdivision_name: str = "", sep: str = "") -> str:
    """The text of one field of an Entry or VersionEntry, as the list shows it."""
    if target.startswith("extra:"):
        value = (row.extra or {}).get(target[6:])
        return "" if value is None else str(value)
    if target == "activity_area":
        return form.area_name(row.activity_area)
    if target == "channel_kind":
        return CHANNEL_LABELS.get(row.channel_kind, row.channel_kind or "")
    if target == "client_kind":
        return CLIENT_LABELS.get(row.client_kind, row.client_kind or "")
    if target == "client_needs":
        return (sep or NEEDS_SEPARATOR).join(form.need_names(row.client_needs))
    if target == "subdivision":
        return subdivision_name or ""
    if target in NUMERIC_FIELDS:
        return number_text(getattr(row, target))
    value = getattr(row, target, "")
    return "" if value is None else str(value)


# --------------------------------------------------------------------------- fuzzy text


def norm(text) -> str:
    """Lower case, «ё» as «е», punctuation and extra spaces dropped: how headers are compared."""
    text = str(text or "").replace("ё", "е").replace("Ё", "Е").lower()
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


def _stems(text: str) -> set[str]:
    # Four letters are a crude but dependable Russian stem: «точка»/«точки», «взаимодействие»/«-ия».
    return {w[:4] for w in text.split() if len(w) > 2}


def similarity(a, b, floor: float = 0.0) -> float:
    """0..1: how alike two labels are, tolerant of word endings, order and small typos.

    Scores below ``floor`` may come back as a cheaper lower estimate: callers that only care
    whether a threshold is reached pass it, and most pairs are then settled without the full
    (quadratic) comparison."""
    return _similarity(norm(a), norm(b), floor)


@lru_cache(maxsize=20_000)
def _similarity(na: str, nb: str, floor: float) -> float:
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    sa, sb = _stems(na), _stems(nb)
    dice = 0.95 * 2 * len(sa & sb) / (len(sa) + len(sb)) if sa and sb else 0.0
    matcher = SequenceMatcher(None, na, nb, autojunk=False)
    if max(dice, matcher.real_quick_ratio()) < floor or max(dice, matcher.quick_ratio()) < floor:
        return dice
    return max(matcher.ratio(), dice)
