"""The editor's live preview: the list table and the order's appendix of the form being edited,
built by the same builders every surface uses (lists.table, orders.document)."""

from __future__ import annotations

import dataclasses

from touchpoints.lists import table as list_table
from touchpoints.lists.form import Form
from touchpoints.orders.document import ListAppendix, list_appendix

#: Rows the preview shows: enough to see the grouping, few enough to redraw while typing.
PREVIEW_ROWS = 12


@dataclasses.dataclass
class Preview:
    title: str
    table: list_table.Table
    #: What the appendix template (templates/pdf/appendix.html) reads as ``doc``.
    doc: object
    sample: bool


@dataclasses.dataclass
class _Doc:
    appendix: ListAppendix


def sample_rows(form: Form) -> list[dict]:
    """Rows made from the form's own catalogues, for a form with no list yet (a template, a new
    agency): one per activity area, with the area's process hint and a catalogue touchpoint."""
    rows = []
    points = form.touchpoints or [{"code": "", "name": "Точка взаимодействия"}]
    needs = [n["code"] for n in form.client_needs[:2]]
    for i, area in enumerate(form.activity_areas[:PREVIEW_ROWS]):
        point = points[i % len(points)]
        rows.append(
            {
                "activity_area": area["code"],
                "process_name": area.get("process_hint") or "Наименование процесса",
                "touchpoint_code": point.get("code"),
                "touchpoint": point["name"],
                "channel_kind": point.get("channel_kind"),
                "client_kind": area.get("client_kind", "external"),
                "client_needs": needs,
                "interaction": "Описание взаимодействия с клиентом",
                "specifics": "",
                "subdivision": "Структурное подразделение",
                "organisation": "",
                "extra": {c["key"]: c["label"] for c in form.extra_columns},
            }
        )
    return rows


def build(definition: dict, title: str, entries: list, not_performed: list[str]) -> Preview:
    """The preview of ``definition`` with the agency's entries (the first few), or sample rows."""
    form = Form(definition)
    sample = not entries
    rows = sample_rows(form) if sample else list(entries)[:PREVIEW_ROWS]
    known = set(form.area_by_code)
    not_performed = [c for c in not_performed if c in known]
    return Preview(
        title=title,
        table=list_table.build(form, rows, not_performed=not_performed, renumber=True),
        doc=_Doc(list_appendix(form, title, rows, not_performed, row_numbers=False)),
        sample=sample,
    )
