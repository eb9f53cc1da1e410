from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from touchpoints.auth.forms import NewPasswordForm
from touchpoints.core.forms import BaseForm, required


class InviteForm(BaseForm):
    email = EmailField(
        "Электронная почта",
        validators=[DataRequired("Укажите почту"), Email("Неверный адрес"), Length(max=255)],
        description="На неё придёт письмо со ссылкой; она же будет логином.",
    )
    name = StringField(
        "Фамилия, имя, отчество",
        validators=[Length(max=255, message="Не длиннее 255 символов")],
        description="Необязательно: человек сможет указать имя сам.",
    )
    role = SelectField("Роль")
    subdivision_id = SelectField(
        "Подразделение (для сотрудника подразделения)", coerce=int, validate_choice=False
    )


class AcceptForm(NewPasswordForm):
    name = StringField(
        "Фамилия, имя, отчество",
        validators=required("Укажите имя", 255),
    )
