from wtforms import DateField, IntegerField, StringField
from wtforms.validators import URL, DataRequired, Length
from wtforms.widgets import HiddenInput

from touchpoints.core.forms import BaseForm, text_area


class PublicationForm(BaseForm):
    published_on = DateField("Дата размещения", validators=[DataRequired("Укажите дату")])
    url = StringField(
        "Адрес страницы на сайте",
        validators=[
            DataRequired("Укажите адрес страницы"),
            URL(message="Укажите полный адрес, начиная с https://"),
            Length(max=1000, message="Не длиннее 1000 символов"),
        ],
        description="Страница сайта организации, где размещён актуальный перечень",
    )


class ReconfirmForm(BaseForm):
    # A whole number, so that core.forms keeps it within PostgreSQL's integer: a forged
    # 2147483648 is a refusal, not a database error.
    subdivision_id = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    comment = text_area("Комментарий", 2000)
