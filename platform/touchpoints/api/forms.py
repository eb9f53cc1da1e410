from wtforms import SelectField, StringField

from touchpoints.core.forms import BaseForm, required


class TokenForm(BaseForm):
    name = StringField(
        "Назначение токена",
        validators=required("Укажите, для чего нужен токен", 255),
        description="Например: «Сводная панель правительства области». Видно только вам и администратору.",
    )
    region_id = SelectField("Доступ к данным", coerce=int)
