"""The open-data format of an approved list: one stable structure for every agency and form.

Agencies publish their lists in their own forms (6 columns in Murmansk, 3 in Kuzbass, …), but
every column maps to a field of the common model (docs/list-kernel.md), so
the machine-readable files use the common fields: a CSV of one row per entry, and a JSON document
with the agency, the version (the approving order) and the same rows. The structure is described
here once and published at /p/opendata/ (for people), /p/opendata/schema.json (JSON Schema of the
JSON document) and /p/opendata/tableschema.json (Frictionless Table Schema of the CSV).

Stability: FORMAT_VERSION follows semantic versioning. Within 1.x fields are only added, never
renamed, retyped or removed; consumers must ignore fields they do not know.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json

from touchpoints.lists.table import field_text, value_of
from touchpoints.tenants.form import Form

FORMAT_NAME = "touchpoints-list"
FORMAT_VERSION = "1.0"
#: Part of the cache key of generated files: bump when the bytes of a format change.
RENDERER = f"{FORMAT_VERSION}.1"


@dataclasses.dataclass(frozen=True)
class Field:
    name: str
    #: Table Schema type: string, integer, number, date, datetime, array, object.
    type: str
    title: str
    description: str
    required: bool = False
    enum: tuple[str, ...] | None = None
    example: object = None

    @property
    def json_type(self) -> str | list[str]:
        base = {"date": "string", "datetime": "string"}.get(self.type, self.type)
        return base if self.required else [base, "null"]


#: The fields of one entry, in CSV column order.
ENTRY_FIELDS: tuple[Field, ...] = (
    Field(
        "agency",
        "string",
        "Организация",
        "Код (slug) организации в реестре",
        True,
        example="murmansk-tourism",
    ),
    Field(
        "version",
        "integer",
        "Редакция",
        "Номер утверждённой редакции перечня организации (1, 2, 3 …)",
        True,
        example=1,
    ),
    Field(
        "row_number",
        "integer",
        "№ п/п",
        "Номер строки в утверждённой редакции, с 1",
        True,
        example=1,
    ),
    Field(
        "activity_area_code",
        "string",
        "Код направления деятельности",
        "Код направления деятельности в форме организации",
        True,
        example="services",
    ),
    Field(
        "activity_area",
        "string",
        "Направление деятельности",
        "Наименование направления деятельности органа власти",
        True,
        example="Предоставление государственных услуг",
    ),
    Field(
        "process_name",
        "string",
        "Процесс",
        "Наименование конкретного процесса (услуги, функции, сервиса)",
        True,
        example="Аттестация экскурсоводов (гидов)",
    ),
    Field(
        "touchpoint_code",
        "string",
        "Код точки взаимодействия",
        "Код точки в каталоге формы; пусто, если точка указана вручную",
        example="portal",
    ),
    Field(
        "touchpoint",
        "string",
        "Точка взаимодействия",
        "Наименование точки взаимодействия",
        True,
        example="Официальный сайт Комитета (Портал)",
    ),
    Field(
        "channel_kind",
        "string",
        "Вид точки",
        "digital — цифровая, offline — офлайн",
        True,
        enum=("digital", "offline"),
        example="digital",
    ),
    Field(
        "client_kind",
        "string",
        "Клиент",
        "external — внешний клиент, internal — внутренний",
        True,
        enum=("external", "internal"),
        example="external",
    ),
    Field(
        "client_needs",
        "array",
        "Коды удовлетворяемых потребностей",
        "Коды потребностей клиента из каталога формы; в CSV — через «; »",
        True,
        example=["info", "forms"],
    ),
    Field(
        "client_needs_names",
        "array",
        "Удовлетворяемые потребности",
        "Наименования тех же потребностей; в CSV — через «; »",
        True,
        example=["Получение информации"],
    ),
    Field(
        "interaction",
        "string",
        "Взаимодействие",
        "Осуществляемое взаимодействие с клиентом",
        True,
        example="Размещение порядка и форм заявлений",
    ),
    Field(
        "specifics",
        "string",
        "Особенности взаимодействия",
        "Особенности взаимодействия с клиентом",
        True,
        example="По предварительной записи",
    ),
    Field(
        "subdivision",
        "string",
        "Структурное подразделение",
        "Ответственное структурное подразделение организации",
        True,
        example="Отдел развития туризма",
    ),
    Field(
        "organisation",
        "string",
        "Подведомственная организация",
        "Подведомственная организация, осуществляющая взаимодействие; пусто — сама организация",
        True,
        example="",
    ),
    Field(
        "response_hours_mentions",
        "number",
        "Срок ответа на упоминания, ч",
        "Обещанный срок ответа на упоминания в социальных сетях, часов",
        example=4,
    ),
    Field(
        "response_hours_requests",
        "number",
        "Срок ответа на обращения, ч",
        "Обещанный срок ответа на официальные обращения и комментарии, часов",
        example=2,
    ),
    Field(
        "max_transfers",
        "integer",
        "Переключений не более",
        "Наибольшее число переключений на других сотрудников при звонке",
        example=2,
    ),
    Field(
        "waiting_minutes",
        "integer",
        "Ожидание, мин",
        "Время ожидания при личном обращении, минут",
        example=15,
    ),
    Field(
        "extra",
        "object",
        "Дополнительные графы",
        "Значения дополнительных граф формы организации по их ключам; в CSV — объект JSON",
        True,
        example={},
    ),
)
FIELD_NAMES = tuple(f.name for f in ENTRY_FIELDS)


def entry_record(agency_slug: str, version_number: int, row, form: Form) -> dict:
    """One entry of a version as an open-data record (the same in CSV, JSON and the API).

    Machines get codes and raw numbers (the documented structure), read through the same
    accessor as every table of the list (:func:`touchpoints.lists.table.value_of`)."""
    needs = list(value_of(row, "client_needs") or [])
    area = value_of(row, "activity_area")
    return {
        "agency": agency_slug,
        "version": version_number,
        "row_number": value_of(row, "row_number"),
        "activity_area_code": area,
        "activity_area": field_text(form, "activity_area", row),
        "process_name": value_of(row, "process_name") or "",
        "touchpoint_code": value_of(row, "touchpoint_code") or None,
        "touchpoint": value_of(row, "touchpoint") or "",
        "channel_kind": value_of(row, "channel_kind"),
        "client_kind": value_of(row, "client_kind"),
        "client_needs": needs,
        "client_needs_names": form.need_names(needs),
        "interaction": value_of(row, "interaction") or "",
        "specifics": value_of(row, "specifics") or "",
        "subdivision": value_of(row, "subdivision") or "",
        "organisation": value_of(row, "organisation") or "",
        "response_hours_mentions": value_of(row, "response_hours_mentions"),
        "response_hours_requests": value_of(row, "response_hours_requests"),
        "max_transfers": value_of(row, "max_transfers"),
        "waiting_minutes": value_of(row, "waiting_minutes"),
        "extra": dict(value_of(row, "extra") or {}),
    }


def version_record(agency, version) -> dict:
    """The approving order and the version's facts. Nothing that changes later (such as whether
    the version is still the current one), so the generated file never goes stale."""
    return {
        "number": version.number,
        "order_number": version.order_number,
        "order_date": version.order_date.isoformat(),
        # The signatory is printed on the signed, published order; no other staff data is public.
        "signatory_title": version.signatory_title or "",
        "signatory_name": version.signatory_name or "",
        "approved_at": version.approved_at.isoformat(),
        "entry_count": version.entry_count,
        "areas_not_performed": list(version.areas_not_performed or []),
    }


def agency_record(agency) -> dict:
    return {
        "slug": agency.slug,
        "full_name": agency.full_name,
        "short_name": agency.short_name,
        "region": {"slug": agency.region.slug, "name": agency.region.name},
        "website": agency.website or None,
    }


def form_record(form: Form, agency) -> dict:
    return {
        "slug": form.slug,
        "name": form.name,
        "title": form.title(agency),
        "columns": [
            {"key": c["key"], "label": c["label"], "field": c["field"]} for c in form.columns
        ],
        "activity_areas": [{"code": a["code"], "name": a["name"]} for a in form.activity_areas],
        "client_needs": [{"code": n["code"], "name": n["name"]} for n in form.client_needs],
    }


def json_document(agency, version, rows, schema_url: str) -> dict:
    form = Form(version.form)
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "schema": schema_url,
        "agency": agency_record(agency),
        "version": version_record(agency, version),
        "form": form_record(form, agency),
        "entries": [entry_record(agency.slug, version.number, r, form) for r in rows],
    }


def render_json(agency, version, rows, schema_url: str) -> bytes:
    doc = json_document(agency, version, rows, schema_url)
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")


def _csv_cell(field: Field, value) -> str:
    if value is None:
        return ""
    if field.type == "array":
        return "; ".join(str(v) for v in value)
    if field.type == "object":
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# Open data keeps every value exactly as approved, so that machines read what was signed:
# unlike the staff exports (transfer.export.csv_safe), no apostrophe guards against formulas.
def render_csv(agency, version, rows) -> bytes:
    """RFC 4180 CSV, UTF-8 with a BOM (so that Excel reads Cyrillic), a header of field names."""
    form = Form(version.form)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(FIELD_NAMES)
    for row in rows:
        rec = entry_record(agency.slug, version.number, row, form)
        writer.writerow([_csv_cell(f, rec[f.name]) for f in ENTRY_FIELDS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# --------------------------------------------------------------------------- schemas


def _json_field_schema(f: Field) -> dict:
    out: dict = {"title": f.title, "description": f.description}
    if f.type == "array":
        out["type"] = "array"
        out["items"] = {"type": "string"}
    elif f.type == "object":
        out["type"] = "object"
    else:
        out["type"] = f.json_type
    if f.type == "date":
        out["format"] = "date"
    if f.enum:
        out["enum"] = list(f.enum)
    return out


def entry_json_schema() -> dict:
    return {
        "type": "object",
        "title": "Строка перечня",
        "required": list(FIELD_NAMES),
        "properties": {f.name: _json_field_schema(f) for f in ENTRY_FIELDS},
    }


def document_json_schema(schema_url: str) -> dict:
    """JSON Schema (2020-12) of the JSON download."""
    string = {"type": "string"}
    nullable_string = {"type": ["string", "null"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_url,
        "title": "Перечень точек взаимодействия с клиентом: утверждённая редакция",
        "description": (
            "Открытые данные реестра перечней. Формат "
            f"{FORMAT_NAME} {FORMAT_VERSION}: в версиях 1.x поля только добавляются."
        ),
        "type": "object",
        "required": ["format", "format_version", "schema", "agency", "version", "form", "entries"],
        "properties": {
            "format": {"const": FORMAT_NAME},
            "format_version": {"type": "string", "pattern": r"^1\.\d+$"},
            "schema": {"type": "string", "description": "Адрес этой схемы"},
            "agency": {
                "type": "object",
                "required": ["slug", "full_name", "short_name", "region", "website"],
                "properties": {
                    "slug": string,
                    "full_name": string,
                    "short_name": string,
                    "region": {
                        "type": "object",
                        "required": ["slug", "name"],
                        "properties": {"slug": string, "name": string},
                    },
                    "website": nullable_string,
                },
            },
            "version": {
                "type": "object",
                "description": "Утверждённая редакция и утвердивший её приказ",
                "required": [
                    "number",
                    "order_number",
                    "order_date",
                    "signatory_title",
                    "signatory_name",
                    "approved_at",
                    "entry_count",
                    "areas_not_performed",
                ],
                "properties": {
                    "number": {"type": "integer", "minimum": 1},
                    "order_number": {**string, "description": "Номер приказа"},
                    "order_date": {**string, "format": "date", "description": "Дата приказа"},
                    "signatory_title": {**string, "description": "Должность подписавшего приказ"},
                    "signatory_name": {**string, "description": "Подписавший приказ"},
                    "approved_at": {**string, "format": "date-time"},
                    "entry_count": {"type": "integer", "minimum": 0},
                    "areas_not_performed": {
                        "type": "array",
                        "items": string,
                        "description": "Коды направлений, которые организация не осуществляет",
                    },
                },
            },
            "form": {
                "type": "object",
                "description": "Форма перечня организации: графы и каталоги",
                "required": ["slug", "name", "title", "columns", "activity_areas", "client_needs"],
                "properties": {
                    "slug": string,
                    "name": string,
                    "title": string,
                    "columns": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["key", "label", "field"],
                            "properties": {"key": string, "label": string, "field": string},
                        },
                    },
                    "activity_areas": {"type": "array", "items": {"$ref": "#/$defs/coded"}},
                    "client_needs": {"type": "array", "items": {"$ref": "#/$defs/coded"}},
                },
            },
            "entries": {"type": "array", "items": {"$ref": "#/$defs/entry"}},
        },
        "$defs": {
            "coded": {
                "type": "object",
                "required": ["code", "name"],
                "properties": {"code": string, "name": string},
            },
            "entry": entry_json_schema(),
        },
    }


def table_schema() -> dict:
    """Frictionless Table Schema of the CSV download."""
    fields = []
    for f in ENTRY_FIELDS:
        item = {
            "name": f.name,
            "title": f.title,
            "description": f.description,
            "type": "string" if f.type in ("array", "object") else f.type,
        }
        if f.type == "object":
            item["format"] = "default"
            item["description"] += " (JSON)"
        if f.required and f.type not in ("string", "array", "object"):
            item["constraints"] = {"required": True}
        if f.enum:
            item["constraints"] = {**item.get("constraints", {}), "enum": list(f.enum)}
        fields.append(item)
    return {
        "fields": fields,
        "primaryKey": ["agency", "version", "row_number"],
        "missingValues": [""],
    }
