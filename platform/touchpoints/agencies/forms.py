from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Length, Optional, Regexp

from touchpoints.core.forms import BaseForm

_LONG = Length(max=500, message="Не длиннее 500 символов")
_SHORT = Length(max=255, message="Не длиннее 255 символов")


class CardForm(BaseForm):
    """The agency card: what titles, the order and the public pages say about the agency."""

    full_name = StringField(
        "Полное наименование (именительный падеж: кто?)",
        validators=[DataRequired("Укажите наименование"), _LONG],
        description="Например: Комитет по культуре Мурманской области.",
    )
    name_genitive = StringField(
        "Полное наименование в родительном падеже (кого? чего?)",
        validators=[DataRequired("Укажите наименование в родительном падеже"), _LONG],
        description="«Перечень точек взаимодействия с клиентом Комитета по культуре Мурманской области».",
    )
    name_dative = StringField(
        "Полное наименование в дательном падеже (кому? чему?)",
        validators=[DataRequired("Укажите наименование в дательном падеже"), _LONG],
        description="«Организации, подведомственные Комитету по культуре Мурманской области».",
    )
    name_prepositional = StringField(
        "Полное наименование в предложном падеже (в ком? в чём?)",
        validators=[DataRequired("Укажите наименование в предложном падеже"), _LONG],
        description="«Об утверждении перечня … в Комитете по культуре Мурманской области».",
    )
    short_name = StringField(
        "Краткое наименование",
        validators=[DataRequired("Укажите краткое наименование"), _SHORT],
    )
    head_title = StringField("Должность руководителя", validators=[_LONG])
    head_name = StringField("Инициалы и фамилия руководителя", validators=[_SHORT])
    city = StringField("Город (для приказа)", validators=[_SHORT])
    legal_basis = TextAreaField("Правовое основание приказа (преамбула)")
    website = StringField(
        "Сайт",
        validators=[
            Optional(),
            URL(message="Укажите адрес вида https://…"),
            Regexp(r"^https?://", message="Адрес должен начинаться с http:// или https://"),
        ],
    )


#: Card fields in the order the forms show them (and the audit trail compares).
CARD_FIELDS = (
    "full_name",
    "name_genitive",
    "name_dative",
    "name_prepositional",
    "short_name",
    "head_title",
    "head_name",
    "city",
    "website",
    "legal_basis",
)


class AgencyForm(CardForm):
    slug = StringField(
        "Краткий латинский код (для адресов)",
        validators=[
            DataRequired("Укажите код"),
            Regexp(r"^[a-z0-9][a-z0-9-]{1,62}$", message="Латинские строчные буквы, цифры и дефис"),
        ],
        description="Например: murmansk-culture. Используется в адресе публичной страницы.",
    )
    region_id = SelectField("Регион", coerce=int)
    form_template = SelectField("Форма перечня")


class UnitForm(BaseForm):
    name = StringField(
        "Наименование",
        validators=[DataRequired("Укажите наименование"), _LONG],
    )
    kind = SelectField(
        "Что это",
        choices=[
            ("subdivision", "Структурное подразделение"),
            ("subordinate", "Подведомственная организация"),
        ],
    )
