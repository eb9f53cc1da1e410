"""Russian labels of the list's fields, kinds and statuses: defined here once, imported everywhere.

Two wordings of a field, each for its own place:

* :data:`FIELD_LABELS` — the field's name in running text and on pages: the entry form, the entry
  page, the compliance messages, the audit trail, the changes appendix of an order.
* :data:`COLUMN_LABELS` — the field as the head of a table column that the agency's form does not
  have (the full form's wording, «Клиент (внешний / внутренний)»); the importer also matches file
  headers against these.

An agency's own form overrides both with its column labels (:func:`label_for`).
"""

from __future__ import annotations

from touchpoints.lists.models import EntryKind, EntryStatus

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
EXTRA_LABEL = "Дополнительные графы"

COLUMN_LABELS = {
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

#: A kind of touchpoint as a cell of the list reads (Murmansk 3.1, Kuzbass 4.1).
CHANNEL_KINDS = {"digital": "цифровая", "offline": "офлайн"}
#: A kind of client as a cell of the list reads (Murmansk 1.3, Kuzbass 1.2).
CLIENT_KINDS = {"external": "внешний", "internal": "внутренний"}
#: The same kinds as choices of a form or a filter, where they stand alone.
CHANNEL_CHOICES = {"digital": "Цифровая точка", "offline": "Офлайн-точка"}
CLIENT_CHOICES = {"external": "Внешний клиент", "internal": "Внутренний клиент"}

STATUS_LABELS = {
    EntryStatus.DRAFT.value: "черновик",
    EntryStatus.SUBMITTED.value: "ожидает проверки",
    EntryStatus.RETURNED.value: "возвращена на доработку",
    EntryStatus.INCLUDED.value: "в перечне",
    EntryStatus.EXCLUDED.value: "исключена",
    EntryStatus.APPLIED.value: "учтено в перечне",
    EntryStatus.WITHDRAWN.value: "отозвана",
}
KIND_LABELS = {
    EntryKind.NEW.value: "новая строка",
    EntryKind.CHANGE.value: "предложение изменения",
    EntryKind.EXCLUSION.value: "предложение исключения",
}

#: Keys of an entry's audit record beyond its fields.
AUDIT_LABELS = {
    **FIELD_LABELS,
    "status": "Статус",
    "touchpoint_code": "Код точки в справочнике",
    "subdivision_id": "Подразделение",
    "extra": EXTRA_LABEL,
    "target_id": "Строка перечня",
    "reason": "Причина",
}

#: The form editor's names of a procedure's hint clauses (lists.procedures.HINT_CODES) and of
#: its reasons for actualisation (REASON_CODES).
HINT_LABELS = {
    "review": "Проверка сведений уполномоченным лицом",
    "proposal": "Изменение включённой строки через предложение",
    "channel_kind": "Виды точек: цифровые и офлайн",
    "publication": "Срок размещения перечня на сайте",
}
#: The rules of the check (lists.compliance.RULE_CODES) as the form editor names them, without
#: any order's numbers: the agency sets its own.
RULE_LABELS = {
    "required": "Обязательные сведения заполнены",
    "needs": "Для каждой точки определены удовлетворяемые потребности",
    "duplicate": "Точки в рамках одного процесса не дублируются",
    "area": "Каждое направление деятельности заполнено или отмечено",
    "offline_only": "Цифровые каналы — преимущественные",
    "norm_mentions": "Время ответа на упоминания в соцсетях, ч",
    "norm_requests": "Время ответа на официальное обращение или комментарий, ч",
    "norm_transfers": "Число переключений при телефонном звонке",
    "norm_waiting": "Время ожидания при очном обслуживании, мин",
}
#: The norms a catalogue touchpoint has, as the editor's check boxes name them.
NORM_SHORT_LABELS = {
    "response_hours_mentions": "ответ на упоминания",
    "response_hours_requests": "ответ на обращения",
    "max_transfers": "переключения при звонке",
    "waiting_minutes": "время ожидания",
}
REASON_LABELS = {
    "added": "Новая точка взаимодействия",
    "kind": "Изменён вид точки",
    "needs": "Изменены потребности клиента",
    "excluded": "Точка исключена",
    "details": "Уточнены сведения",
}

#: Row kinds of an order's changes appendix (Murmansk 5.2, Kuzbass 5.3).
CHANGE_KINDS = {"added": "Включена", "changed": "Изменена", "excluded": "Исключена"}
NOT_PERFORMED = "Направление деятельности не осуществляется"


def label_for(form, field: str) -> str:
    """The field's label in this agency's form when the form has a column for it, else ours."""
    for column in form.columns:
        if column["field"] == field and field != "extra":
            return column["label"]
    if field == "extra":
        return EXTRA_LABEL
    return FIELD_LABELS.get(field, field)
