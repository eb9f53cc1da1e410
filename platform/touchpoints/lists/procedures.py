"""Which order's clauses the checks, hints and change reasons cite, and the values of the norms.

A form declares its procedure (``procedure:`` in ``tenants/forms/*.yaml``, a code of
:data:`PROCEDURES` or a mapping of the same shape); the tenants loader resolves it into the
form's JSON, and the form editor (touchpoints.formeditor) edits it there, so the agency's form
and every approved version carry the mapping they were checked with. Nothing is inferred from a
slug. See docs/forms.md.

Shape of a procedure::

    {"code": ..., "name": ...,
     "order": {"number": ..., "date": "YYYY-MM-DD", "title": ...},   # the agency's own order
     "rules": {rule: {"clause": text cited, "limit": number?, "level": "warning"?}},
     "hints": {topic: clause},          # clauses the pages cite outside the check (HINT_CODES)
     "change_reasons": {"added" | "kind" | "needs" | "excluded" | "details": text}}

A rule missing from ``rules`` does not apply: the check skips it and no page mentions it (the
Murmansk order has no waiting-time norm, so a Murmansk form neither checks nor hints one).
"""

from __future__ import annotations

import datetime as dt

from touchpoints.core.text import date_short, number, plural

#: Rule codes of the compliance check (touchpoints.lists.compliance) a procedure maps.
RULE_CODES = (
    "required",
    "needs",
    "duplicate",
    "area",
    "offline_only",
    "norm_mentions",
    "norm_requests",
    "norm_transfers",
    "norm_waiting",
)
#: Reasons for actualisation a change of the list is classified by (lists.diff).
REASON_CODES = ("added", "kind", "needs", "excluded", "details")
#: Clauses pages cite outside the check: the review by the authorised person, a change proposed
#: after inclusion, the channel kinds, the publication deadline.
HINT_CODES = ("review", "proposal", "channel_kind", "publication")
#: The norm rules: their limits are numbers a procedure sets.
NORM_RULES = ("norm_mentions", "norm_requests", "norm_transfers", "norm_waiting")

#: Limits of the service norms where an order states them (Murmansk 3.2.3-3.2.4, Kuzbass
#: 4.2.3 в, 4.2.5 а, 4.2.7 ж). The Murmansk order has no waiting-time norm, so its procedure
#: has no such rule.
_LIMITS = {"norm_mentions": 4, "norm_requests": 2, "norm_transfers": 2, "norm_waiting": 15}

#: Murmansk 5.2.1-5.2.4.
_MURMANSK_REASONS = {
    "added": "Появление новой точки взаимодействия (п. 5.2.1)",
    "kind": "Изменение вида точки взаимодействия (п. 5.2.2)",
    "needs": "Изменение удовлетворяемых потребностей клиента (п. 5.2.3)",
    "excluded": "Исключение точки взаимодействия из перечня (п. 5.2.4)",
    "details": "Уточнение сведений о точке взаимодействия",
}
#: Kuzbass 5.3: no separate item for a new touchpoint or an exclusion; both follow from 5.3.1,
#: the inclusion in (exclusion from) the process registry.
_KUZBASS_REASONS = {
    "added": "Включение услуги, функции, сервиса в реестр процессов (п. 5.3 подп. 1)",
    "kind": "Изменение вида точки взаимодействия (п. 5.3 подп. 2)",
    "needs": "Изменение удовлетворяемых потребностей клиента (п. 5.3 подп. 3)",
    "excluded": "Исключение из реестра процессов (п. 5.3 подп. 1)",
    "details": _MURMANSK_REASONS["details"],
}


def _rule(clause: str, rule: str, **more) -> dict:
    out = {"clause": clause, **more}
    if rule in _LIMITS:
        out["limit"] = _LIMITS[rule]
    return out


def _rules(clauses: dict[str, str], **levels: str) -> dict[str, dict]:
    out = {}
    for rule, clause in clauses.items():
        extra = {"level": levels[rule]} if rule in levels else {}
        out[rule] = _rule(clause, rule, **extra)
    return out


PROCEDURES: dict[str, dict] = {
    "murmansk-21": {
        "code": "murmansk-21",
        "name": "Приказ Комитета по туризму Мурманской области от 28.02.2024 № 21",
        "order": {
            "number": "21",
            "date": "2024-02-28",
            "title": "Об утверждении порядка ведения перечня точек взаимодействия с клиентом "
            "в Комитете по туризму Мурманской области",
        },
        "rules": _rules(
            {
                "required": "п. 2.2.2 Порядка",
                "needs": "п. 2.6 Порядка",
                "duplicate": "п. 2.8 Порядка",
                "area": "п. 2.3 Порядка",
                "offline_only": "п. 2.10.2 Порядка",
                "norm_mentions": "п. 3.2.3 Порядка",
                "norm_requests": "п. 3.2.3 Порядка",
                "norm_transfers": "п. 3.2.4 Порядка",
            },
        ),
        "hints": {
            "review": "п. 2.2.2 Порядка",
            "proposal": "п. 2.2.4 Порядка",
            "channel_kind": "п. 3.1 Порядка",
            "publication": "п. 5.4 Порядка",
        },
        "change_reasons": _MURMANSK_REASONS,
    },
    "kuzbass-134": {
        "code": "kuzbass-134",
        "name": "Приказ Департамента по чрезвычайным ситуациям Кузбасса от 08.12.2023 № 134",
        # The order's own date; its appendices say 28.12.2029 and 08.12.2024 (docs/legal-sources.md).
        "order": {
            "number": "134",
            "date": "2023-12-08",
            "title": "Об утверждении порядка ведения перечня точек взаимодействия с клиентом "
            "в рамках обеспечения доступа к информации о деятельности Департамента "
            "по чрезвычайным ситуациям Кузбасса",
        },
        "rules": _rules(
            {
                "required": "п. 3.3 подп. 2 Порядка",
                "needs": "п. 3.7 Порядка",
                "duplicate": "п. 3.7 Порядка",
                "area": "п. 3.5 Порядка",
                "offline_only": "п. 3.8 подп. 2 Порядка",
                "norm_mentions": "п. 4.2.3 в Порядка",
                "norm_requests": "п. 4.2.3 в Порядка",
                "norm_transfers": "п. 4.2.5 а Порядка",
                "norm_waiting": "п. 4.2.7 ж Порядка",
            }
        ),
        "hints": {
            "review": "п. 3.3 Порядка",
            "proposal": "п. 3.4 Порядка",
            "channel_kind": "п. 4.1 Порядка",
            "publication": "п. 5.5 Порядка",
        },
        "change_reasons": _KUZBASS_REASONS,
    },
    # A form of neither order: both clauses are cited.
    "common": {
        "code": "common",
        "name": "Порядки Мурманской области и Кузбасса",
        "rules": _rules(
            {
                "required": "п. 2.2.2 (Мурманская обл.) / п. 3.3 подп. 2 (Кузбасс)",
                "needs": "п. 2.6 (Мурманская обл.) / п. 3.7 (Кузбасс)",
                "duplicate": "п. 2.8 (Мурманская обл.) / п. 3.7 (Кузбасс)",
                "area": "п. 2.3 (Мурманская обл.) / п. 3.5 (Кузбасс)",
                "offline_only": "п. 2.10.2 (Мурманская обл.) / п. 3.8 подп. 2 (Кузбасс)",
                "norm_mentions": "п. 3.2.3 (Мурманская обл.) / п. 4.2.3 в (Кузбасс)",
                "norm_requests": "п. 3.2.3 (Мурманская обл.) / п. 4.2.3 в (Кузбасс)",
                "norm_transfers": "п. 3.2.4 (Мурманская обл.) / п. 4.2.5 а (Кузбасс)",
                "norm_waiting": "п. 4.2.7 ж (Кузбасс)",
            }
        ),
        "hints": {
            "review": "п. 2.2.2 (Мурманская обл.) / п. 3.3 (Кузбасс)",
            "proposal": "п. 2.2.4 (Мурманская обл.) / п. 3.4 (Кузбасс)",
            "channel_kind": "п. 3.1 (Мурманская обл.) / п. 4.1 (Кузбасс)",
            "publication": "п. 5.4 (Мурманская обл.) / п. 5.5 (Кузбасс)",
        },
        "change_reasons": _MURMANSK_REASONS,
    },
}

#: The procedure of a form that declares none (a form stored before forms declared one).
DEFAULT = "common"


def procedure_of(form_definition: dict) -> dict:
    """The procedure a form's JSON carries, or the default one."""
    return form_definition.get("procedure") or PROCEDURES[DEFAULT]


def clause(procedure: dict, rule: str) -> str:
    return procedure["rules"].get(rule, {}).get("clause", "")


def limit(procedure: dict, rule: str, default: float | None = None) -> float | None:
    return procedure["rules"].get(rule, {}).get("limit", default)


def level(procedure: dict, rule: str, default: str) -> str:
    return procedure["rules"].get(rule, {}).get("level", default)


def applies(procedure: dict, rule: str) -> bool:
    """Whether the procedure states the rule at all (a missing rule is not checked)."""
    return rule in procedure["rules"]


def hint(procedure: dict, topic: str) -> str:
    """The clause a page cites on a topic of :data:`HINT_CODES`, or ""."""
    return (procedure.get("hints") or {}).get(topic, "")


#: How a norm's hint reads: its words and the unit in the genitive after «не более»
#: (singular after 1, 21 … and fractions, plural otherwise).
_NORM_WORDS = {
    "norm_mentions": ("Ответ на упоминания в соцсетях — не более", "часа", "часов"),
    "norm_requests": ("Ответ на официальное обращение — не более", "часа", "часов"),
    "norm_transfers": ("Не более", "переключения", "переключений"),
    "norm_waiting": ("Ожидание — не более", "минуты", "минут"),
}


def limit_text(rule: str, value: float) -> str:
    """A norm's limit with its unit as it reads after «не более»: «15 минут», «1 переключения»,
    «1,5 часа»."""
    _, singular, plural_ = _NORM_WORDS[rule]
    whole = float(value).is_integer()
    unit = plural(int(value), singular, plural_, plural_) if whole else singular
    return f"{number(value)} {unit}"


def norm_hint(procedure: dict, rule: str) -> str:
    """«Ожидание — не более 15 минут (п. 4.2.7 ж Порядка).» in the procedure's own terms, or ""
    when the procedure states no such norm."""
    value = limit(procedure, rule) if applies(procedure, rule) else None
    if value is None:
        return ""
    text = f"{_NORM_WORDS[rule][0]} {limit_text(rule, value)}"
    cited = clause(procedure, rule)
    return f"{text} ({cited})." if cited else f"{text}."


def order_reference(procedure: dict) -> str:
    """The order that set up the agency's list, as a page or a PDF quotes it:
    «Приказ … от 28.02.2024 № 21 «Об утверждении порядка …»», or "" when none is named."""
    order = procedure.get("order") or {}
    name = procedure.get("name") or ""
    if not (order.get("number") or order.get("title")):
        return name
    title = order.get("title") or ""
    return f"{name} «{title}»" if title else name


def approved_by(procedure: dict) -> str:
    """«приказом от 28.02.2024 № 21»: how the order that set up the list is cited, or ""."""
    order = procedure.get("order") or {}
    if not order.get("number"):
        return ""
    when = f" от {date_short(dt.date.fromisoformat(order['date']))}" if order.get("date") else ""
    return f"приказом{when} № {order['number']}"


def basis(procedure: dict) -> str:
    """The order's preamble cites the procedure the list is kept by, as the agency set it."""
    by = approved_by(procedure)
    if not by:
        return ""
    return (
        f"на основании Порядка ведения перечня точек взаимодействия с клиентом, утверждённого {by}"
    )


def cited(agency, topic: str, wrap: str = " ({})") -> str:
    """For pages (a Jinja global): the clause of the agency's own procedure on a topic (a hint
    topic or a rule), wrapped for running text; "" when its procedure names none."""
    proc = procedure_of(getattr(agency, "form", None) or {})
    text = hint(proc, topic) or clause(proc, topic)
    return wrap.format(text) if text else ""
