"""Forms of the registry of processes, the touchpoint passports and the shared touchpoints."""

from __future__ import annotations

from wtforms import DateField, HiddenField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Optional

from touchpoints.core.forms import BaseForm, optional, required, text_area, upload
from touchpoints.lists.forms import MultiCheckboxField, measured_number
from touchpoints.lists.labels import CHANNEL_CHOICES
from touchpoints.lists.passports import BASIS_KINDS, CLIENT_GROUPS, FEEDBACK_KINDS, MEASURED_NORMS
from touchpoints.lists.processes import PROCESS_KIND_LABELS

KIND_CHOICES = [(k.value, label) for k, label in PROCESS_KIND_LABELS.items()]


class ProcessForm(BaseForm):
    kind = RadioField("Вид", choices=KIND_CHOICES, default="service", validators=[DataRequired()])
    name = text_area("Наименование услуги, функции или сервиса", 2000, "Укажите наименование")
    code = StringField(
        "Номер в реестре (необязательно)",
        validators=optional(64),
    )
    activity_area = SelectField("Направление деятельности (необязательно)", choices=[])
    life_situations = text_area(
        "Жизненные ситуации (необязательно)",
        4000,
        description="Каждая с новой строки или через точку с запятой.",
    )

    def with_areas(self, agency) -> ProcessForm:
        areas = (agency.form or {}).get("activity_areas", [])
        self.activity_area.choices = [("", "—")] + [(a["code"], a["name"]) for a in areas]
        return self

    def values(self) -> dict:
        return {
            "kind": self.kind.data,
            "name": self.name.data,
            "code": self.code.data,
            "activity_area": self.activity_area.data or "",
            "life_situations": self.life_situations.data or "",
        }


class ArchiveForm(BaseForm):
    reason = text_area("Почему процесс исключается из реестра", 4000, "Укажите причину исключения")


class ImportForm(BaseForm):
    file = upload(
        "Файл реестра (.xlsx)",
        "Выберите файл реестра в формате Excel (.xlsx)",
        description=(
            "Первый лист книги: строка заголовков с графами «Наименование» и «Вид» (услуга, "
            "функция, сервис); по желанию — «Номер в реестре», «Направление деятельности», "
            "«Жизненные ситуации». Графы могут идти в любом порядке."
        ),
    )


class ConfirmImportForm(BaseForm):
    token = HiddenField(validators=[DataRequired()])


def _measured(field: str, label: str):
    """A measured figure of the passport, a number like the entry's norm it is compared with."""
    return measured_number(MEASURED_NORMS[field], label)


class PassportForm(BaseForm):
    basis_kind = RadioField(
        "Правовое основание",
        choices=[("", "не указано"), *BASIS_KINDS.items()],
        default="",
        validators=[Optional()],
    )
    basis_title = text_area(
        "Документ или распорядительное действие",
        2000,
        description="Название, номер и дата акта или контракта; что и кем поручено.",
    )
    basis_url = StringField(
        "Ссылка на документ",
        validators=optional(1000),
    )
    feedback = MultiCheckboxField(
        "Обратная связь собирается", choices=list(FEEDBACK_KINDS.items()), validators=[Optional()]
    )
    feedback_note = text_area("Как ещё собирается обратная связь", 2000)
    measured_mentions_hours = _measured(
        "measured_mentions_hours", "Время ответа на упоминания в соцсетях, ч"
    )
    measured_requests_hours = _measured(
        "measured_requests_hours", "Время ответа на официальные обращения и комментарии, ч"
    )
    measured_transfers = _measured(
        "measured_transfers", "Переключений на других сотрудников при звонке"
    )
    measured_waiting_minutes = _measured(
        "measured_waiting_minutes", "Время ожидания при очном обслуживании, мин"
    )
    measured_on = DateField("Дата замера", validators=[Optional()], format="%Y-%m-%d")


# One text area per client group and one checkbox value per feedback kind, named by their keys.
for _key, _label in CLIENT_GROUPS.items():
    setattr(PassportForm, f"offer__{_key}", text_area(_label, 2000))


class SharedForm(BaseForm):
    name = StringField(
        "Наименование",
        validators=required("Укажите наименование", 500),
        description="Например: МФЦ «Мои документы», региональная горячая линия 122.",
    )
    channel_kind = RadioField("Вид точки", choices=list(CHANNEL_CHOICES.items()), default="offline")
    description = text_area("Кто её ведёт и как к ней обратиться", 4000)
