from wtforms import DateField, HiddenField, StringField
from wtforms.validators import URL, DataRequired, Length

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
    subdivision_id = HiddenField(validators=[DataRequired()])
    comment = text_area("Комментарий", 2000)
