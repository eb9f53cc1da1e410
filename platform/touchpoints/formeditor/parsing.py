"""The editor's page as data: a form definition as rows of text, and back (docs/forms.md).

The page is one HTML form whose inputs are named ``<section>-<row>-<field>`` (``columns-2-label``),
``procedure-<field>``, ``rule-<rule>-<field>``, ``hint-<topic>`` and ``reason-<code>``. What a person
typed is kept as text (:class:`Parsed.raw`), so a page with errors shows it again as typed; the
typed definition (:class:`Parsed.definition`) is what is validated and saved. Every error is
keyed by the name of the input it is about (or the section's name).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

from touchpoints.core.text import number
from touchpoints.lists import procedures
from touchpoints.lists.models import COMMON_FIELDS

NORM_FIELDS = (
    "response_hours_mentions",
    "response_hours_requests",
    "max_transfers",
    "waiting_minutes",
)

#: The inputs of a row in each section; ``order`` and ``delete`` come with every row.
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "columns": ("key", "label", "field", "required", "width"),
    "activity_areas": (
        "code",
        "common",
        "name",
        "process_hint",
        "client_kind",
        "clause",
        "not_performed",
        "reason",
    ),
    "touchpoints": ("code", "name", "channel_kind", "taxonomy", "clause", "norms"),
    "client_needs": ("code", "common", "name", "clause"),
}
SECTIONS = tuple(SECTION_FIELDS)
#: Fields of an item that are kept as they were when present but not shown in the editor.
_KEPT = ("note",)
#: A row whose code and name are both empty is the blank row for a new item: left out.
_IDENTITY = ("key", "code", "label", "name")
_NAME = re.compile(r"^(columns|activity_areas|touchpoints|client_needs)-(\d+)-(\w+)$")


@dataclasses.dataclass
class Parsed:
    #: What the page shows: {"form": {...}, section: [row dicts of text], "procedure": {...}}.
    raw: dict
    #: The typed definition (valid or not: the checks judge it).
    definition: dict
    #: area code -> reason, for the areas marked as not performed.
    not_performed: dict[str, str]
    #: input name (or section) -> message.
    errors: dict[str, str]
    revision: str = ""


def raw_of(definition: dict, not_performed: dict[str, str] | None = None) -> dict:
    """The page's rows for a stored definition."""
    raw: dict = {
        "form": {
            "name": definition.get("name", ""),
            "title": definition.get("title", ""),
            "group_by_area": "1" if definition.get("group_by_area", True) else "",
        }
    }
    for section, fields in SECTION_FIELDS.items():
        rows = []
        for i, item in enumerate(definition.get(section) or []):
            row = {f: _text(item.get(f)) for f in fields}
            row["order"] = str(i + 1)
            if section == "columns":
                row["required"] = "1" if item.get("required") else ""
                row["width"] = str(item.get("width", 10))
            if section == "touchpoints":
                row["norms"] = list(item.get("norms") or [])
            if section == "activity_areas" and not_performed is not None:
                code = item.get("code")
                row["not_performed"] = "1" if code in not_performed else ""
                row["reason"] = not_performed.get(code, "")
            rows.append(row)
        raw[section] = rows
    raw["procedure"] = _raw_procedure(procedures.procedure_of(definition))
    return raw


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else ""
    return number(value)  # a norm of 4.0 reads «4», 1.5 «1,5» (parsed back with either mark)


def _raw_procedure(proc: dict) -> dict:
    order = proc.get("order") or {}
    rules = {}
    for rule in procedures.RULE_CODES:
        citation = proc["rules"].get(rule)
        rules[rule] = {
            "applies": "1" if citation is not None else "",
            "clause": (citation or {}).get("clause", ""),
            "limit": _text((citation or {}).get("limit")),
            "level": (citation or {}).get("level", ""),
        }
    return {
        "code": proc.get("code", ""),
        "name": proc.get("name", ""),
        "order_number": order.get("number", ""),
        "order_date": _text(order.get("date")),
        "order_title": order.get("title", ""),
        "rules": rules,
        "hints": {h: (proc.get("hints") or {}).get(h, "") for h in procedures.HINT_CODES},
        "reasons": {r: proc["change_reasons"].get(r, "") for r in procedures.REASON_CODES},
    }


def parse(data, stored: dict, with_areas_status: bool = False) -> Parsed:
    """The submitted page (a MultiDict) as rows and as a definition; ``stored`` supplies what the
    editor does not show (slug, kept item fields)."""
    errors: dict[str, str] = {}
    raw: dict = {
        "form": {
            "name": data.get("name", "").strip(),
            "title": data.get("title", "").strip(),
            "group_by_area": "1" if data.get("group_by_area") else "",
        }
    }
    rows: dict[str, dict[int, dict]] = {s: {} for s in SECTIONS}
    for name in data:
        m = _NAME.match(name)
        if m:
            section, index, field = m.group(1), int(m.group(2)), m.group(3)
            value = data.getlist(name) if field == "norms" else data.get(name, "").strip()
            rows[section].setdefault(index, {})[field] = value
    definition: dict = {
        "slug": stored.get("slug", ""),
        "name": raw["form"]["name"],
        "title": raw["form"]["title"],
        "group_by_area": bool(raw["form"]["group_by_area"]),
    }
    not_performed: dict[str, str] = {}
    for section, fields in SECTION_FIELDS.items():
        kept = _ordered(rows[section], fields)
        raw[section] = kept
        previous = {
            i.get("key", i.get("code")): i for i in stored.get(section) or [] if isinstance(i, dict)
        }
        items = []
        for i, row in enumerate(kept):
            item = _typed(section, row, i, errors)
            old = previous.get(item.get("key", item.get("code")), {})
            item.update({k: old[k] for k in _KEPT if k in old})
            items.append(item)
            if section == "activity_areas" and with_areas_status and row.get("not_performed"):
                not_performed[item["code"]] = row.get("reason", "")
                if not row.get("reason"):
                    errors[f"activity_areas-{i}-reason"] = (
                        "Укажите, почему направление не осуществляется"
                    )
        definition[section] = items
    raw["procedure"], definition["procedure"] = _procedure(data, errors)
    return Parsed(raw, definition, not_performed, errors, data.get("revision", ""))


def _ordered(rows: dict[int, dict], fields: tuple[str, ...]) -> list[dict]:
    """Rows in the order a person numbered them; deleted and blank rows left out."""
    kept = []
    for index, row in sorted(rows.items()):
        if row.get("delete"):
            continue
        if not any(row.get(f) for f in _IDENTITY):
            continue
        for f in fields:
            row.setdefault(f, [] if f == "norms" else "")
        try:
            position = float(row.get("order", "").replace(",", "."))
        except ValueError:
            position = float(index + 1)
        kept.append((position, index, row))
    kept.sort(key=lambda t: (t[0], t[1]))
    out = []
    for n, (_, _, row) in enumerate(kept):
        row["order"] = str(n + 1)
        out.append(row)
    return out


def _typed(section: str, row: dict, i: int, errors: dict) -> dict:
    prefix = f"{section}-{i}-"
    if section == "columns":
        width = _integer(row["width"])
        if width is None:
            errors[prefix + "width"] = "Ширина — целое число от 1 до 100"
        return {
            "key": row["key"],
            "label": row["label"],
            "field": row["field"] if row["field"] in (*COMMON_FIELDS, "extra") else "",
            "required": bool(row["required"]),
            "width": width if width is not None else row["width"],
        }
    item = {f: row[f] for f in SECTION_FIELDS[section] if f not in ("not_performed", "reason")}
    for optional in ("clause", "process_hint"):
        if optional in item and not item[optional]:
            del item[optional]
    if section == "activity_areas":
        item["client_kind"] = item.get("client_kind") or "external"
    if section == "touchpoints":
        item["norms"] = [n for n in NORM_FIELDS if n in (row.get("norms") or [])]
    return item


def _integer(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _number(text: str) -> float | int | None:
    try:
        value = float(text.replace(",", "."))
    except (AttributeError, ValueError):
        return None
    return int(value) if value.is_integer() else value


def _procedure(data, errors: dict) -> tuple[dict, dict]:
    raw = {
        "code": data.get("procedure-code", "").strip(),
        "name": data.get("procedure-name", "").strip(),
        "order_number": data.get("procedure-order_number", "").strip(),
        "order_date": data.get("procedure-order_date", "").strip(),
        "order_title": data.get("procedure-order_title", "").strip(),
        "rules": {},
        "hints": {h: data.get(f"hint-{h}", "").strip() for h in procedures.HINT_CODES},
        "reasons": {r: data.get(f"reason-{r}", "").strip() for r in procedures.REASON_CODES},
    }
    proc: dict = {"code": raw["code"] or "own", "name": raw["name"]}
    if raw["order_number"] or raw["order_date"] or raw["order_title"]:
        order: dict = {"number": raw["order_number"], "title": raw["order_title"]}
        if raw["order_date"]:
            try:
                order["date"] = dt.date.fromisoformat(raw["order_date"]).isoformat()
            except ValueError:
                errors["procedure-order_date"] = "Дата приказа — в виде ГГГГ-ММ-ДД"
        proc["order"] = order
    rules = {}
    for rule in procedures.RULE_CODES:
        r = {
            f: data.get(f"rule-{rule}-{f}", "").strip()
            for f in ("applies", "clause", "limit", "level")
        }
        raw["rules"][rule] = r
        if not r["applies"]:
            continue
        citation: dict = {"clause": r["clause"]}
        if rule in procedures.NORM_RULES:
            value = _number(r["limit"])
            if value is None:
                errors[f"rule-{rule}-limit"] = "Укажите предельное значение нормы числом"
            citation["limit"] = value
        if r["level"] in ("error", "warning"):
            citation["level"] = r["level"]
        rules[rule] = citation
    proc["rules"] = rules
    proc["hints"] = {h: v for h, v in raw["hints"].items() if v}
    proc["change_reasons"] = raw["reasons"]
    for code, text in raw["reasons"].items():
        if not text:
            errors[f"reason-{code}"] = "Укажите, как называется это основание изменения"
    return raw, proc
