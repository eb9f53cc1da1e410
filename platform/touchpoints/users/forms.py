from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from touchpoints.core.forms import BaseForm


class UserForm(BaseForm):
    """Changing a person's data. No password here: people set their own, from an invitation
    (touchpoints.invitations) or on «Сменить пароль»."""

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
