"""Entry forms generated from the agency's form definition: its labels, order, required columns
and catalogues (docs/list-kernel.md)."""

from __future__ import annotations

from wtforms import (
    DateField,
    FloatField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from touchpoints.core.forms import BaseForm, bounded, required, text_area
from touchpoints.lists import procedures
from touchpoints.lists.compliance import NORMS
from touchpoints.lists.form import Form
from touchpoints.lists.labels import CHANNEL_CHOICES, CHANNEL_KINDS, CLIENT_CHOICES, FIELD_LABELS
from touchpoints.lists.models import COMMON_FIELDS
from touchpoints.lists.services import NORM_FIELDS

CUSTOM = ""  # the "typed by hand" choice of the touchpoint select
SHARED = "shared:"  # prefix of a region's shared touchpoint in the same select
#: What describes an entry, in the fullest form's order, as the form asks it: the area and
#: process may come from the registry (process_id), the touchpoint from the reference
#: (touchpoint_code); the norms and the subdivision have places of their own.
_DESCRIBING = (
    "activity_area",
    "process_id",
    "process_name",
    "touchpoint_code",
    *(f for f in COMMON_FIELDS[2:] if f not in (*NORM_FIELDS, "subdivision")),
)
#: Upper bounds of the norms (the columns hold up to 9999.99 hours and any integer).
HOURS_MAX = 8760
MINUTES_MAX = 1440
TRANSFERS_MAX = 100
#: Each norm field of the form, in the form's order: its kind of number, bound and the refusal.
NORM_BOUNDS = (
    ("response_hours_mentions", FloatField, HOURS_MAX, f"Не больше {HOURS_MAX} часов (это год)"),
    ("response_hours_requests", FloatField, HOURS_MAX, f"Не больше {HOURS_MAX} часов (это год)"),
    ("max_transfers", IntegerField, TRANSFERS_MAX, f"Не больше {TRANSFERS_MAX} переключений"),
    ("waiting_minutes", IntegerField, MINUTES_MAX, f"Не больше {MINUTES_MAX} минут (это сутки)"),
)
#: The same bounds by field: an uploaded row keeps them too (transfer/rows.py).
NUMBER_LIMITS = {key: most for key, _kind, most, _refusal in NORM_BOUNDS}

HINTS = {
    "touchpoint_code": "Выберите точку из справочника или введите свою ниже.",
    "touchpoint": "Только если точки нет в справочнике; тогда укажите и её вид.",
    "organisation": "Если взаимодействие осуществляет подведомственная организация.",
}
#: The norm each norm field is checked against (lists.compliance.NORMS, the other way round).
NORM_RULE_OF = {field: rule for rule, field in NORMS.items()}


def measured_number(rule: str, label: str):
    """A field for a measured figure compared with the norm ``rule`` (a touchpoint's passport):
    the same kind of number within the same bound as the entry's field for that norm."""
    field = NORMS[rule]
    field_class, most = next((c, m) for f, c, m, _ in NORM_BOUNDS if f == field)
    return field_class(label, validators=bounded(most))


def hint(form: Form, field: str) -> str:
    """A field's hint; what cites the procedure cites the agency's own (its form's), and a norm
    the procedure does not state gets no hint (no Kuzbass norm on a Murmansk form)."""
    procedure = form.procedure
    if field in NORM_RULE_OF:
        return procedures.norm_hint(procedure, NORM_RULE_OF[field])
    if field == "channel_kind":
        cited = procedures.hint(procedure, "channel_kind")
        text = "Для точки из справочника вид определяется справочником"
        return f"{text} ({cited})." if cited else f"{text}."
    if field == "client_needs":
        cited = procedures.clause(procedure, "needs")
        text = "Цель обращения клиента в этой точке"
        return f"{text} ({cited})." if cited else f"{text}."
    return HINTS.get(field, "")


#: Longest text a person may type in each field of an entry: a process name is a heading on
#: pages and in the order's PDF (a 12,000-character one once became a page heading). The page
#: shows a counter (static/app.js) and the form refuses more with a field error.
TEXT_LIMITS = {
    "process_name": 500,
    "touchpoint": 500,
    "interaction": 2000,
    "specifics": 2000,
    "organisation": 500,
    "extra": 1000,
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class EntryFormBase(BaseForm):
    revision = HiddenField()

    #: [(section title, [field names])], filled per form definition.
    layout: list = []
    #: field name -> norms of each catalogue touchpoint, for showing only the relevant norms.
    norms_by_touchpoint: dict = {}
    #: activity area -> what its process column holds (Murmansk Appendix 2, column 3).
    process_hints: dict = {}
    #: registry process id -> its name; "shared:<id>" -> the region's shared touchpoint.
    process_names: dict = {}
    shared_touchpoints: dict = {}

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if (self.touchpoint_code.data or CUSTOM) in self.shared_touchpoints:
            return ok
        if (self.touchpoint_code.data or CUSTOM) == CUSTOM:
            if not (self.touchpoint.data or "").strip():
                self.touchpoint.errors = [
                    *self.touchpoint.errors,
                    "Выберите точку из справочника или введите её название",
                ]
                ok = False
            if self.channel_kind.data not in CHANNEL_CHOICES:
                self.channel_kind.errors = [
                    *self.channel_kind.errors,
                    "Укажите, цифровая это точка или офлайн-точка",
                ]
                ok = False
        return ok

    def entry_data(self, form: Form) -> dict:
        """The service's data dict from the submitted values."""
        data = {
            "activity_area": self.activity_area.data,
            "process_name": (self.process_name.data or "").strip(),
            "client_kind": self.client_kind.data
            or form.area_by_code.get(self.activity_area.data, {}).get("client_kind", "external"),
            "client_needs": list(self.client_needs.data or []),
            "interaction": (self.interaction.data or "").strip(),
            "specifics": (self.specifics.data or "").strip(),
            "organisation": (self.organisation.data or "").strip(),
        }
        data["process_id"] = self.process_id.data or None
        if data["process_id"] in self.process_names:
            data["process_name"] = self.process_names[data["process_id"]]
        code = self.touchpoint_code.data or CUSTOM
        item = form.touchpoint_by_code.get(code)
        shared = self.shared_touchpoints.get(code)
        data["shared_touchpoint_id"] = shared.id if shared is not None else None
        if shared is not None:
            data["touchpoint_code"] = None
            data["touchpoint"] = shared.name
            data["channel_kind"] = shared.channel_kind
        elif item:
            data["touchpoint_code"] = code
            data["touchpoint"] = item["name"]
            data["channel_kind"] = item["channel_kind"]
        else:
            data["touchpoint_code"] = None
            data["touchpoint"] = (self.touchpoint.data or "").strip()
            data["channel_kind"] = self.channel_kind.data
        for norm in NORM_FIELDS:
            data[norm] = getattr(self, norm).data
        if hasattr(self, "subdivision_id"):
            data["subdivision_id"] = self.subdivision_id.data or None
        data["extra"] = {
            c["key"]: (getattr(self, f"extra__{c['key']}").data or "").strip()
            for c in form.extra_columns
        }
        return data


def _labels(form: Form) -> dict[str, str]:
    labels = dict(FIELD_LABELS)
    for column in form.columns:
        if column["field"] != "extra":
            labels[column["field"]] = column["label"]
    return labels


def entry_form_class(
    form: Form,
    subdivisions: list,
    *,
    fixed_subdivision: bool,
    processes: list = (),
    shared: list = (),
):
    """A FlaskForm class for entries of this form. Columns come first, in the form's order."""
    labels = _labels(form)
    required = form.required_fields
    attrs: dict = {}

    def text_validators(field: str, limit: int | None = None):
        v = [DataRequired("Заполните это поле")] if field in required else [Optional()]
        limit = limit or TEXT_LIMITS.get(field)
        if limit:
            v.append(Length(max=limit, message=f"Не длиннее {limit} символов"))
        return v

    attrs["activity_area"] = SelectField(
        labels["activity_area"],
        choices=[(a["code"], a["name"]) for a in form.activity_areas],
        validators=[InputRequired("Выберите направление деятельности")],
    )
    attrs["process_name"] = TextAreaField(
        labels["process_name"]
        if "process_name" in {c["field"] for c in form.columns}
        else "Наименование процесса (услуги, функции, сервиса)",
        validators=text_validators("process_name"),
        description="Услуга, функция или сервис, в рамках которых происходит взаимодействие.",
    )
    # The agency's registry of processes (Kuzbass 3.1): a row names one of them, or types its
    # process in (allowed, with a warning of the check).
    attrs["process_id"] = SelectField(
        "Процесс из реестра процессов",
        coerce=lambda v: int(v) if v not in (None, "", "None") else None,
        choices=[("", "— нет в реестре (введите ниже) —")]
        + [(p.id, f"{p.kind_label}: {p.name}") for p in processes],
        validators=[Optional()],
        description="Выбранный процесс заменяет введённое наименование.",
    )
    attrs["process_names"] = {p.id: p.name for p in processes}
    attrs["shared_touchpoints"] = {f"{SHARED}{t.id}": t for t in shared}
    digital = [(t["code"], t["name"]) for t in form.touchpoints if t["channel_kind"] == "digital"]
    offline = [(t["code"], t["name"]) for t in form.touchpoints if t["channel_kind"] == "offline"]
    attrs["touchpoint_code"] = SelectField(
        f"{labels['touchpoint']} (справочник)",
        choices=[
            (CUSTOM, "— нет в справочнике (введите ниже) —"),
            *[(c, f"{n} · {CHANNEL_KINDS['digital']}") for c, n in digital],
            *[(c, f"{n} · {CHANNEL_KINDS['offline']}") for c, n in offline],
            *[
                (
                    f"{SHARED}{t.id}",
                    f"{t.name} · общая точка региона · {CHANNEL_KINDS[t.channel_kind]}",
                )
                for t in shared
            ],
        ],
        validators=[Optional()],
        description=HINTS["touchpoint_code"],
    )
    attrs["touchpoint"] = StringField(
        f"{labels['touchpoint']} (своя)",
        validators=[
            Optional(),
            Length(
                max=TEXT_LIMITS["touchpoint"],
                message=f"Не длиннее {TEXT_LIMITS['touchpoint']} символов",
            ),
        ],
        description=HINTS["touchpoint"],
    )
    attrs["channel_kind"] = RadioField(
        labels["channel_kind"],
        choices=list(CHANNEL_CHOICES.items()),
        default="digital",
        validators=[Optional()],
        description=hint(form, "channel_kind"),
    )
    attrs["client_kind"] = RadioField(
        labels["client_kind"],
        choices=list(CLIENT_CHOICES.items()),
        default="external",
        validators=[Optional()],
    )
    attrs["client_needs"] = MultiCheckboxField(
        labels["client_needs"],
        choices=[(n["code"], n["name"]) for n in form.client_needs],
        validators=[Optional()],
        description=hint(form, "client_needs"),
    )
    attrs["interaction"] = TextAreaField(
        labels["interaction"], validators=text_validators("interaction")
    )
    attrs["specifics"] = TextAreaField(labels["specifics"], validators=text_validators("specifics"))
    attrs["organisation"] = StringField(
        labels["organisation"],
        validators=text_validators("organisation", 500),
        description=HINTS["organisation"],
    )
    if not fixed_subdivision:
        sub_required = "subdivision" in required
        attrs["subdivision_id"] = SelectField(
            labels["subdivision"],
            coerce=lambda v: int(v) if v not in (None, "", "None") else None,
            choices=([] if sub_required else [("", "—")])
            + [(s.id, s.name) for s in subdivisions if s.active],
            validators=[InputRequired("Выберите подразделение")] if sub_required else [Optional()],
        )

    for field, field_class, most, message in NORM_BOUNDS:
        attrs[field] = field_class(
            labels[field],
            # Within the column (Numeric(6, 2) hours; integer minutes) and within reason.
            validators=bounded(most, message),
            description=hint(form, field),
        )
    for column in form.extra_columns:
        attrs[f"extra__{column['key']}"] = TextAreaField(
            column["label"],
            validators=[
                DataRequired("Заполните это поле") if column.get("required") else Optional(),
                Length(
                    max=TEXT_LIMITS["extra"],
                    message=f"Не длиннее {TEXT_LIMITS['extra']} символов",
                ),
            ],
        )

    # Layout: the form's own columns first, in its order, then what the form does not print.
    in_form: list[str] = []
    for column in form.columns:
        field = column["field"]
        if field == "extra":
            in_form.append(f"extra__{column['key']}")
        elif field == "touchpoint":
            in_form += ["touchpoint_code", "touchpoint", "channel_kind"]
        elif field == "subdivision":
            if not fixed_subdivision:
                in_form.append("subdivision_id")
        elif field in NORM_FIELDS:
            continue
        elif field == "process_name":
            in_form += ["process_id", "process_name"]
        elif field in COMMON_FIELDS:
            in_form.append(field)
    if "activity_area" not in in_form:
        # Forms grouped by area print it as a heading, not a column; it is still asked first.
        in_form.insert(0, "activity_area")
    rest = [
        f
        for f in (*_DESCRIBING, *([] if fixed_subdivision else ["subdivision_id"]))
        if f not in in_form and (f != "process_id" or processes)
    ]
    attrs["layout"] = [
        ("Графы формы перечня", in_form),
        ("Сведения для проверки и сравнения (в форму не выводятся)", rest),
        ("Нормы обслуживания (если у точки они есть)", list(NORM_FIELDS)),
    ]
    attrs["norms_by_touchpoint"] = {t["code"]: t.get("norms", []) for t in form.touchpoints}
    attrs["process_hints"] = {
        a["code"]: a["process_hint"] for a in form.activity_areas if a.get("process_hint")
    }
    return type("EntryForm", (EntryFormBase,), attrs)


def initial_values(entry, form: Form) -> dict:
    """Form data from an entry (for GET) — the same keys the form posts."""
    # The subdivision is posted by id (below), not by the name the common model prints.
    data = {f: getattr(entry, f) for f in COMMON_FIELDS if f != "subdivision"}
    data["touchpoint_code"] = entry.touchpoint_code or CUSTOM
    if entry.touchpoint_code:
        data["touchpoint"] = ""
    data["process_id"] = getattr(entry, "process_id", None)
    if getattr(entry, "shared_touchpoint_id", None):
        data["touchpoint_code"] = f"{SHARED}{entry.shared_touchpoint_id}"
        data["touchpoint"] = ""
    data["subdivision_id"] = entry.subdivision_id
    data["revision"] = entry.revision
    for column in form.extra_columns:
        data[f"extra__{column['key']}"] = (entry.extra or {}).get(column["key"], "")
    return data


class ReturnForm(BaseForm):
    comment = text_area("Что нужно исправить", 4000, "Укажите, что нужно исправить")


class ReviewCommentForm(BaseForm):
    comment = text_area("Комментарий (необязательно)", 4000)


class ExclusionForm(BaseForm):
    reason = text_area(
        "Причина исключения",
        4000,
        "Укажите причину исключения",
        description="Например: точка взаимодействия больше не используется (п. 5.2.4 / 5.3).",
    )


class AreaStatusForm(BaseForm):
    area_code = HiddenField(validators=[DataRequired()])
    not_performed = HiddenField(default="1")
    reason = text_area("Почему направление не осуществляется", 2000)


class ApproveForm(BaseForm):
    order_number = StringField(
        "Номер приказа",
        validators=required("Укажите номер приказа", 64),
    )
    order_date = DateField(
        "Дата приказа",
        validators=[InputRequired("Укажите дату приказа")],
        format="%Y-%m-%d",
    )
    signatory_title = StringField(
        "Должность подписавшего",
        validators=required("Укажите должность", 500),
    )
    signatory_name = StringField(
        "Инициалы и фамилия подписавшего",
        validators=required("Укажите, кто подписал приказ", 255),
    )
