"""What our XLSX and DOCX exports carry beside the official form, so that they import back whole.

The form's table stays exactly as the order prescribes. Every field of every row — needs,
client kind, channel, subdivision, norms, extra columns and the entry's id — goes into a second
sheet «Все сведения» (XLSX) or a second table under that heading (DOCX), with headers people
read. The importer takes that table when it is there (it is a superset of the form's table) and
matches rows to entries by the id (:mod:`.plan`), so export → import changes nothing.
"""

from __future__ import annotations

import json

from touchpoints.core.text import number
from touchpoints.lists.table import value_of
from touchpoints.transfer.fields import CHANNEL_LABELS, CLIENT_LABELS, FIELD_LABELS, NUMERIC_FIELDS
from touchpoints.transfer.matching import PSEUDO_LABELS

SHEET_TITLE = "Все сведения"
FIELDS = (
    "entry_id", "activity_area", "process_name", "touchpoint", "touchpoint_code",
    "channel_kind", "client_kind", "client_needs", "interaction", "specifics", "subdivision",
    "organisation", "response_hours_mentions", "response_hours_requests", "max_transfers",
    "waiting_minutes", "extra_json",
)  # fmt: skip
NOTE = (
    "Все сведения строк перечня, включая не входящие в форму. Лист нужен для повторной "
    "загрузки файла: код строки связывает её со строкой перечня."
)


def header() -> list[str]:
    return [PSEUDO_LABELS.get(f) or FIELD_LABELS[f] for f in FIELDS]


def cells(layout) -> list[list[str]]:
    """One row per entry in the order of the form's table."""
    form = layout.form
    out = []
    for row in layout.rows:
        e = row.source
        values = {
            "entry_id": str(getattr(e, "entry_id", None) or e.id),
            "activity_area": form.area_name(e.activity_area),
            "process_name": e.process_name or "",
            "touchpoint": e.touchpoint or "",
            "touchpoint_code": e.touchpoint_code or "",
            "channel_kind": CHANNEL_LABELS.get(e.channel_kind, e.channel_kind or ""),
            "client_kind": CLIENT_LABELS.get(e.client_kind, e.client_kind or ""),
            "client_needs": "\n".join(form.need_names(e.client_needs or [])),
            "interaction": e.interaction or "",
            "specifics": e.specifics or "",
            "subdivision": value_of(e, "subdivision") or "",
            "organisation": e.organisation or "",
            "extra_json": json.dumps(e.extra, ensure_ascii=False, sort_keys=True)
            if e.extra
            else "",
        }
        for f in NUMERIC_FIELDS:
            values[f] = number(getattr(e, f, None))
        out.append([values[f] for f in FIELDS])
    return out


def add_sheet(wb, layout, clean) -> None:
    """The «Все сведения» sheet of the XLSX export; ``clean`` strips what XML cannot hold."""
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(SHEET_TITLE)
    ws.cell(row=1, column=1, value=NOTE).font = Font(italic=True)
    for c, label in enumerate(header(), start=1):
        ws.cell(row=2, column=c, value=label).font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, values in enumerate(cells(layout), start=3):
        for c, text in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=clean(text))
            cell.data_type = "s"  # text, never a formula
            cell.alignment = wrap
    ws.freeze_panes = "B3"


def add_table(doc, layout, clean) -> None:
    """The «Все сведения» table after the form's table in the DOCX export, on a new page."""
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt

    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph().add_run(SHEET_TITLE).bold = True
    doc.add_paragraph(NOTE)
    rows = cells(layout)
    table = doc.add_table(rows=1 + len(rows), cols=len(FIELDS))
    table.style = "Table Grid"
    for r, values in enumerate([header(), *rows]):
        for cell, text in zip(table.rows[r].cells, values, strict=True):
            cell.text = clean(text)
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(7)
