"""The OpenAPI 3.1 description of API v1, served at /api/v1/openapi.json.

Built from the same field list as the open-data files (touchpoints.public.opendata), so that the
entries described here and the entries served cannot drift apart; tests run schemathesis
against this document.
"""

from __future__ import annotations

from touchpoints.public import opendata

JSON = "application/json"
STRING = {"type": "string"}
NULLABLE_STRING = {"type": ["string", "null"]}
INTEGER = {"type": "integer"}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {"anyOf": [schema, {"type": "null"}]}


def _obj(properties: dict, required: list[str] | None = None, **extra) -> dict:
    out = {"type": "object", "properties": properties, "required": required or list(properties)}
    out.update(extra)
    return out


def _page(item: str) -> dict:
    return _obj(
        {
            "items": {"type": "array", "items": _ref(item)},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
            "links": _ref("PageLinks"),
        },
        description="Страница списка. Страница за последней пуста.",
    )


def schemas() -> dict:
    version_props = {
        "number": {"type": "integer", "minimum": 1, "description": "Номер редакции у организации"},
        "order_number": {**STRING, "description": "Номер утвердившего приказа"},
        "order_date": {**STRING, "format": "date", "description": "Дата приказа"},
        "signatory_title": {**STRING, "description": "Должность подписавшего приказ"},
        "signatory_name": {**STRING, "description": "Подписавший приказ"},
        "approved_at": {
            **STRING,
            "format": "date-time",
            "description": "Когда редакция утверждена",
        },
        "entry_count": {"type": "integer", "minimum": 0},
        "areas_not_performed": {"type": "array", "items": STRING},
        "is_current": {"type": "boolean", "description": "Действующая ли это редакция"},
        "links": _obj(
            {
                "self": STRING,
                "entries": STRING,
                "html": STRING,
                "csv": STRING,
                "json": STRING,
            },
            additionalProperties=STRING,
            description="Адреса: строки редакции, страница, файлы (pdf и xlsx — когда доступны)",
        ),
    }
    region_ref = _obj({"slug": STRING, "name": STRING})
    return {
        "Error": _obj(
            {
                "error": {**STRING, "description": "Что случилось, по-русски"},
                "code": {"type": "integer", "description": "Код HTTP"},
                "detail": {**STRING, "description": "Подробности и что исправить"},
            },
            ["error", "code"],
        ),
        "PageLinks": _obj(
            {
                "self": STRING,
                "first": STRING,
                "last": STRING,
                "prev": NULLABLE_STRING,
                "next": NULLABLE_STRING,
            }
        ),
        "Region": _obj(
            {
                "slug": STRING,
                "name": STRING,
                "timezone": {**STRING, "description": "Часовой пояс IANA"},
                "agencies_count": {"type": "integer", "minimum": 0},
                "links": _obj({"agencies": STRING}),
            }
        ),
        "Version": _obj(version_props),
        "Agency": _obj(
            {
                "slug": STRING,
                "full_name": STRING,
                "short_name": STRING,
                "region": region_ref,
                "website": NULLABLE_STRING,
                "form": _obj({"slug": STRING, "name": STRING}),
                "current_version": _nullable(_ref("Version")),
                "links": _obj({"self": STRING, "versions": STRING, "html": STRING}),
            }
        ),
        "Entry": opendata.entry_json_schema(),
        "AgencyStatus": _obj(
            {
                "slug": STRING,
                "short_name": STRING,
                "full_name": STRING,
                "region": region_ref,
                "latest_version": _nullable(
                    _obj(
                        {
                            "number": INTEGER,
                            "order_number": STRING,
                            "order_date": {**STRING, "format": "date"},
                            "approved_at": {**STRING, "format": "date-time"},
                            "entry_count": INTEGER,
                        }
                    )
                ),
                "working_list": _obj(
                    {
                        "included": INTEGER,
                        "submitted": INTEGER,
                        "returned": INTEGER,
                        "draft": INTEGER,
                        "excluded": INTEGER,
                    },
                    description="Строки рабочего перечня по состояниям (включая предложения на проверке)",
                ),
                "last_change_at": {
                    "type": ["string", "null"],
                    "format": "date-time",
                    "description": "Последнее изменение рабочего перечня",
                },
                "deadlines": _nullable(_ref("Deadlines")),
            }
        ),
        "Deadlines": {
            "type": "object",
            "description": (
                "Сроки организации (размещение в течение 10 рабочих дней после изменений — "
                "п. 5.4 / 5.5 приказов; проверка строк; подтверждение подразделениями). "
                "null в AgencyStatus, если модуль сроков не подключён."
            ),
            "properties": {
                "publication_status": {**STRING, "enum": ["on_time", "due", "overdue"]},
                "publication_label": STRING,
                "publication_due_on": {**NULLABLE_STRING, "format": "date"},
                "publication_days": {
                    "type": ["integer", "null"],
                    "description": "Рабочих дней осталось (отрицательное — просрочено)",
                },
                "publication_started_on": {**NULLABLE_STRING, "format": "date"},
                "last_publication_on": {**NULLABLE_STRING, "format": "date"},
                "last_publication_url": NULLABLE_STRING,
                "last_publication_on_time": {"type": ["boolean", "null"]},
                "pending_reviews": INTEGER,
                "overdue_reviews": INTEGER,
                "oldest_review_submitted_on": {**NULLABLE_STRING, "format": "date"},
                "oldest_review_due_on": {**NULLABLE_STRING, "format": "date"},
                "reconfirm_overdue": INTEGER,
                "reconfirm_next_due_on": {**NULLABLE_STRING, "format": "date"},
                "items": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "kind": NULLABLE_STRING,
                            "title": STRING,
                            "started_on": {**NULLABLE_STRING, "format": "date"},
                            "due_on": {**NULLABLE_STRING, "format": "date"},
                            "days": {"type": ["integer", "null"]},
                            "state": NULLABLE_STRING,
                            "label": NULLABLE_STRING,
                        },
                    },
                },
            },
            "required": ["publication_status", "items"],
        },
        "RegionPage": _page("Region"),
        "AgencyPage": _page("Agency"),
        "VersionPage": _page("Version"),
        "EntryPage": _page("Entry"),
        "AgencyStatusPage": _page("AgencyStatus"),
    }


PAGING = [
    {
        "name": "page",
        "in": "query",
        "required": False,
        "description": "Номер страницы, с 1",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1_000_000, "default": 1},
    },
    {
        "name": "per_page",
        "in": "query",
        "required": False,
        "description": "Размер страницы, не больше 100",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    },
]
SLUG = {
    "name": "slug",
    "in": "path",
    "required": True,
    "description": "Код организации (slug), например murmansk-tourism",
    "schema": STRING,
}
NUMBER = {
    "name": "number",
    "in": "path",
    "required": True,
    "description": "Номер редакции у организации (1, 2, 3 …)",
    "schema": {"type": "integer", "minimum": 1},
}


def _error(description: str) -> dict:
    return {"description": description, "content": {JSON: {"schema": _ref("Error")}}}


def _op(op_id: str, summary: str, schema: str, params: list, *, paged: bool, token: bool = False):
    responses = {
        "200": {"description": "Успешно", "content": {JSON: {"schema": _ref(schema)}}},
        "404": _error("Нет такой организации, редакции или региона"),
        # Every request with a control character in its path or query is refused (webapp.py).
        "400": _error("Управляющие символы в адресе запроса"),
    }
    if paged:
        responses["400"] = _error("Неверные page или per_page, или управляющие символы в адресе")
    if token:
        responses["401"] = _error("Нет токена, или он неизвестен или отозван")
    op = {
        "operationId": op_id,
        "summary": summary,
        "parameters": params + (PAGING if paged else []),
        "responses": responses,
        "tags": ["monitoring" if token else "public"],
    }
    if token:
        op["security"] = [{"bearer": []}]
    return {"get": op}


def document(server: str) -> dict:
    region_filter = {
        "name": "region",
        "in": "query",
        "required": False,
        "description": "Только организации региона с этим кодом",
        "schema": STRING,
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Реестр перечней точек взаимодействия с клиентом",
            "version": "1.0.0",
            "description": (
                "Утверждённые перечни органов власти (открыто, без токена) и, с токеном "
                "проектного офиса или администратора, состояние перечней и сроки организаций. "
                "Ошибки — JSON со полями error, code, detail. Строки перечня имеют ту же "
                "структуру, что открытые данные (/p/opendata/)."
            ),
        },
        "servers": [{"url": server}],
        "tags": [
            {"name": "public", "description": "Открытые данные: только утверждённые редакции"},
            {"name": "monitoring", "description": "Для проектного офиса: нужен токен"},
        ],
        "paths": {
            "/api/v1/regions": _op("listRegions", "Регионы", "RegionPage", [], paged=True),
            "/api/v1/agencies": _op(
                "listAgencies", "Организации", "AgencyPage", [region_filter], paged=True
            ),
            "/api/v1/agencies/{slug}": _op(
                "getAgency", "Организация и её действующая редакция", "Agency", [SLUG], paged=False
            ),
            "/api/v1/agencies/{slug}/versions": _op(
                "listVersions",
                "Утверждённые редакции организации",
                "VersionPage",
                [SLUG],
                paged=True,
            ),
            "/api/v1/agencies/{slug}/versions/{number}": _op(
                "getVersion",
                "Редакция и утвердивший её приказ",
                "Version",
                [SLUG, NUMBER],
                paged=False,
            ),
            "/api/v1/agencies/{slug}/versions/{number}/entries": _op(
                "listEntries", "Строки редакции", "EntryPage", [SLUG, NUMBER], paged=True
            ),
            "/api/v1/monitoring/agencies": _op(
                "listAgencyStatuses",
                "Состояние перечней и сроки организаций, доступных токену",
                "AgencyStatusPage",
                [],
                paged=True,
                token=True,
            ),
            "/api/v1/monitoring/agencies/{slug}": _op(
                "getAgencyStatus",
                "Состояние перечня и сроки одной организации",
                "AgencyStatus",
                [SLUG],
                paged=False,
                token=True,
            ),
        },
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Токен со страницы «Токены API» (/api-tokens/)",
                }
            },
        },
    }
