from wtforms import BooleanField, IntegerField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, NumberRange, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from touchpoints.core.forms import BaseForm


def _days(text: str) -> list[int]:
    out = []
    for part in (text or "").replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit() or not 1 <= int(part) <= 30:
            raise ValidationError("Перечислите через запятую числа от 1 до 30, например: 3, 1")
        out.append(int(part))
    return sorted(set(out))


class DaysField(StringField):
    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)

    def days(self) -> list[int]:
        return _days(self.data)

    def pre_validate(self, form):
        _days(self.data)


class PolicyForm(BaseForm):
    before_days = DaysField(
        "Заранее, за сколько рабочих дней",
        description="Через запятую, например: 3, 1. Пусто — не напоминать заранее.",
    )
    on_day = BooleanField("В день срока")
    after_days = DaysField(
        "После срока, через сколько рабочих дней",
        description="Эти напоминания получают также руководитель и проектный офис.",
    )
    send_hour = IntegerField(
        "Час отправки (местное время)",
        validators=[InputRequired("Укажите час"), NumberRange(0, 23, "Час — от 0 до 23")],
    )


class OptOutForm(BaseForm):
    muted = SelectMultipleField(
        "Не присылать заблаговременные напоминания о",
        choices=[],
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
        validate_choice=True,
    )
