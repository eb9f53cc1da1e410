from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import URL, DataRequired, Optional, Regexp

from touchpoints.core.forms import BaseForm, limit, required


def _name(label: str, missing: str, example: str = "", max_length: int = 500) -> StringField:
    """A name the card must have: ``missing`` says so when it is empty."""
    return StringField(label, validators=required(missing, max_length), description=example)


class CardForm(BaseForm):
    """The agency card: what titles, the order and the public pages say about the agency."""

    full_name = _name(
        "Полное наименование (именительный падеж: кто?)",
        "Укажите наименование",
        "Например: Комитет по культуре Мурманской области.",
    )
    name_genitive = _name(
        "Полное наименование в родительном падеже (кого? чего?)",
        "Укажите наименование в родительном падеже",
        "«Перечень точек взаимодействия с клиентом Комитета по культуре Мурманской области».",
    )
    name_dative = _name(
        "Полное наименование в дательном падеже (кому? чему?)",
        "Укажите наименование в дательном падеже",
        "«Организации, подведомственные Комитету по культуре Мурманской области».",
    )
    name_prepositional = _name(
        "Полное наименование в предложном падеже (в ком? в чём?)",
        "Укажите наименование в предложном падеже",
        "«Об утверждении перечня … в Комитете по культуре Мурманской области».",
    )
    short_name = _name("Краткое наименование", "Укажите краткое наименование", max_length=255)
    head_title = StringField("Должность руководителя", validators=[limit(500)])
    head_name = StringField("Инициалы и фамилия руководителя", validators=[limit(255)])
    city = StringField("Город (для приказа)", validators=[limit(255)])
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
    name = _name("Наименование", "Укажите наименование")
    kind = SelectField(
        "Что это",
        choices=[
            ("subdivision", "Структурное подразделение"),
            ("subordinate", "Подведомственная организация"),
        ],
    )
