from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from touchpoints.core.forms import BaseForm

MIN_PASSWORD = 10


class LoginForm(BaseForm):
    email = EmailField("Электронная почта", validators=[DataRequired("Укажите электронную почту")])
    password = PasswordField("Пароль", validators=[DataRequired("Введите пароль")])
    remember = BooleanField("Запомнить меня на этом компьютере")
    next = StringField()


class NewPasswordForm(BaseForm):
    """A password a person chooses for themselves (changing it, or from an invitation)."""

    new = PasswordField(
        "Новый пароль",
        validators=[
            DataRequired("Введите новый пароль"),
            Length(min=MIN_PASSWORD, message=f"Не короче {MIN_PASSWORD} символов"),
        ],
    )
    confirm = PasswordField(
        "Повторите новый пароль", validators=[EqualTo("new", message="Пароли не совпадают")]
    )


class ChangePasswordForm(NewPasswordForm):
    current = PasswordField("Текущий пароль", validators=[DataRequired("Введите текущий пароль")])
