from wtforms import DateField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional

from touchpoints.core.forms import BaseForm


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
        validators=[Optional(), Length(max=500, message="Не длиннее 500 символов")],
        description="Например, закон или постановление региона",
    )
