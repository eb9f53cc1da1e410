from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from touchpoints.core.forms import BaseForm


class TokenForm(BaseForm):
    name = StringField(
        "Назначение токена",
        validators=[
            DataRequired("Укажите, для чего нужен токен"),
            Length(max=255, message="Не длиннее 255 символов"),
        ],
        description="Например: «Сводная панель правительства области». Видно только вам и администратору.",
    )
    region_id = SelectField("Доступ к данным", coerce=int)
