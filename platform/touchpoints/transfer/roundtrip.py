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


def _no_report(written: int) -> None:
    pass


def add_sheet(wb, layout, on_row=_no_report) -> None:
    """The «Все сведения» sheet of the XLSX export (a write-only workbook, :mod:`.xlsx_sheet`)."""
    from touchpoints.transfer.xlsx_sheet import StyledCells

    ws = wb.create_sheet(SHEET_TITLE)
    cell = StyledCells(wb, ws)
    ws.freeze_panes = "B3"
    ws.append([cell(NOTE, "note")])
    ws.append(cell.row(header(), "plain_header"))
    for n, values in enumerate(cells(layout), start=1):
        # Every value is text here («1,5», codes): a string cell, never a formula.
        ws.append(cell.row(values, "plain"))
        on_row(n)


def add_table(doc, layout, on_row=_no_report) -> None:
    """The «Все сведения» table after the form's table in the DOCX export, on a new page."""
    from docx.enum.text import WD_BREAK

    from touchpoints.transfer.docx_table import (
        RowStyle,
        TableXml,
        append_table,
        content_width_twips,
    )

    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph().add_run(SHEET_TITLE).bold = True
    doc.add_paragraph(NOTE)
    # Columns of equal width across the page, as Word gives a table nobody sized.
    width = content_width_twips(doc) // len(FIELDS)
    table = TableXml([width] * len(FIELDS), fixed=False)
    small = RowStyle(size=14)
    table.add(header(), small)
    for n, values in enumerate(cells(layout), start=1):
        table.add(values, small)
        on_row(n)
    append_table(doc, table)
