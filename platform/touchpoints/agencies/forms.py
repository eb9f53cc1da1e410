from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, Optional, Regexp

from touchpoints.core.forms import BaseForm


class AgencyForm(BaseForm):
    slug = StringField(
        "Краткий латинский код (для адресов)",
        validators=[
            DataRequired("Укажите код"),
            Regexp(r"^[a-z0-9][a-z0-9-]{1,62}$", message="Латинские строчные буквы, цифры и дефис"),
        ],
        description="Например: murmansk-culture. Используется в адресе публичной страницы.",
    )
    full_name = StringField(
        "Полное наименование",
        validators=[
            DataRequired("Укажите наименование"),
            Length(max=500, message="Не длиннее 500 символов"),
        ],
    )
    short_name = StringField(
        "Краткое наименование",
        validators=[
            DataRequired("Укажите краткое наименование"),
            Length(max=255, message="Не длиннее 255 символов"),
        ],
    )
    region_id = SelectField("Регион", coerce=int)
    form_template = SelectField("Форма перечня")
    head_title = StringField(
        "Должность руководителя", validators=[Length(max=500, message="Не длиннее 500 символов")]
    )
    head_name = StringField(
        "Инициалы и фамилия руководителя",
        validators=[Length(max=255, message="Не длиннее 255 символов")],
    )
    city = StringField(
        "Город (для приказа)", validators=[Length(max=255, message="Не длиннее 255 символов")]
    )
    legal_basis = TextAreaField("Правовое основание приказа (преамбула)")
    website = StringField(
        "Сайт",
        validators=[
            Optional(),
            URL(message="Укажите адрес вида https://…"),
            Regexp(r"^https?://", message="Адрес должен начинаться с http:// или https://"),
        ],
    )
