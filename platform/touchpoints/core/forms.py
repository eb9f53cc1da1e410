"""The base of every form: typed text is cleaned and bounded, numbers are bounded.

Every form of the application derives from :class:`BaseForm`, so a new field gets the limits
without anyone remembering them: text fields lose control and bidi characters
(core/safety.py) and are at most ``TEXT_LIMIT`` characters unless they say otherwise; whole
numbers stay within PostgreSQL's ``integer``; fractions must be finite and within ``±1e9``.
A field's own, narrower limits still apply first.
"""

from __future__ import annotations

import math

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, FloatField, IntegerField, StringField, TextAreaField
from wtforms.fields.core import UnboundField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from touchpoints.core.safety import clean_text

#: The longest text any field accepts (a long description fits; a 2 MB paste does not).
TEXT_LIMIT = 10_000
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
FLOAT_LIMIT = 1e9


class FieldError(ValueError):
    """A refusal that names the form field it concerns, so the page shows it by that field."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def limit(max_length: int) -> Length:
    return Length(max=max_length, message=f"Не длиннее {max_length} символов")


def required(message: str, max_length: int) -> list:
    """Validators of a text that must be given: ``message`` when it is not, and its limit."""
    return [DataRequired(message), limit(max_length)]


def optional(max_length: int) -> list:
    """Validators of a text that may stay empty, with its limit."""
    return [Optional(), limit(max_length)]


def text_area(label: str, max_length: int, missing: str | None = None, **kwargs) -> TextAreaField:
    """A text area of at most ``max_length`` characters: required, saying ``missing`` when it is
    left empty, or optional when ``missing`` is None."""
    validators = optional(max_length) if missing is None else required(missing, max_length)
    return TextAreaField(label, validators=validators, **kwargs)


def bounded(most: float, message: str | None = None) -> list:
    """Validators of a number that may stay empty, from 0 to ``most`` (``message`` past it)."""
    return [
        Optional(),
        NumberRange(min=0, message="Не может быть отрицательным"),
        NumberRange(max=most, message=message or f"Не больше {most:g}"),
    ]


def upload(label: str, missing: str, **kwargs) -> FileField:
    """A file the form needs, saying ``missing`` when none is chosen."""
    return FileField(label, validators=[FileRequired(missing)], **kwargs)


def finite_number(form, field) -> None:
    value = field.data
    if value is None:
        return
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError("Введите число") from None
    if not math.isfinite(number) or abs(number) > FLOAT_LIMIT:
        raise ValidationError("Слишком большое число")


def _bounded(unbound: UnboundField) -> UnboundField:
    cls = unbound.field_class
    kwargs = dict(unbound.kwargs)
    validators = list(kwargs.get("validators") or ())
    if issubclass(cls, StringField):
        kwargs["filters"] = [clean_text, *kwargs.get("filters", ())]
        if not any(isinstance(v, Length) and v.max not in (None, -1) for v in validators):
            validators.append(Length(max=TEXT_LIMIT, message=f"Не длиннее {TEXT_LIMIT} символов"))
    elif issubclass(cls, IntegerField):
        validators.append(NumberRange(INT_MIN, INT_MAX, "Слишком большое число"))
    elif issubclass(cls, FloatField | DecimalField):
        validators.insert(0, finite_number)
    else:
        return unbound
    kwargs["validators"] = validators
    return UnboundField(cls, *unbound.args, name=unbound.name, **kwargs)


class BaseForm(FlaskForm):
    class Meta(FlaskForm.Meta):
        def bind_field(self, form, unbound_field, options):
            return super().bind_field(form, _bounded(unbound_field), options)
