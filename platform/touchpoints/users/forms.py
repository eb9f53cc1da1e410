from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from touchpoints.auth.forms import MIN_PASSWORD
from touchpoints.core.forms import BaseForm


class UserForm(BaseForm):
    email = EmailField(
        "Электронная почта", validators=[DataRequired("Укажите почту"), Email("Неверный адрес")]
    )
    name = StringField(
        "Фамилия, имя, отчество",
        validators=[
            DataRequired("Укажите имя"),
            Length(max=255, message="Не длиннее 255 символов"),
        ],
    )
    role = SelectField("Роль")
    agency_id = SelectField("Организация", coerce=int, validate_choice=False)
    region_id = SelectField("Регион (для проектного офиса)", coerce=int, validate_choice=False)
    subdivision_id = SelectField(
        "Подразделение (для сотрудника подразделения)", coerce=int, validate_choice=False
    )
    password = PasswordField(
        "Пароль",
        validators=[
            Optional(),
            Length(min=MIN_PASSWORD, message=f"Не короче {MIN_PASSWORD} символов"),
        ],
        description="Оставьте пустым, чтобы не менять.",
    )
