from wtforms import DateField, RadioField, StringField
from wtforms.validators import DataRequired

from touchpoints.core.forms import BaseForm, optional


class OverrideForm(BaseForm):
    day = DateField("Дата", validators=[DataRequired("Укажите дату")])
    is_working = RadioField(
        "Что это за день",
        choices=[("0", "Дополнительный выходной (региональный праздник)"), ("1", "Рабочий день")],
        default="0",
        validators=[DataRequired("Выберите вид дня")],
    )
    note = StringField(
        "Основание",
        validators=optional(500),
        description="Например, закон или постановление региона",
    )
