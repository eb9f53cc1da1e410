from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email

from touchpoints.core.forms import BaseForm, required


class UserForm(BaseForm):
    """Changing a person's data. No password here: people set their own, from an invitation
    (touchpoints.invitations) or on «Сменить пароль»."""

    email = EmailField(
        "Электронная почта", validators=[DataRequired("Укажите почту"), Email("Неверный адрес")]
    )
    name = StringField(
        "Фамилия, имя, отчество",
        validators=required("Укажите имя", 255),
    )
    role = SelectField("Роль")
    agency_id = SelectField("Организация", coerce=int, validate_choice=False)
    region_id = SelectField("Регион (для проектного офиса)", coerce=int, validate_choice=False)
    subdivision_id = SelectField(
        "Подразделение (для сотрудника подразделения)", coerce=int, validate_choice=False
    )
