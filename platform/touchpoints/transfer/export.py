"""Export of the working list or an approved version in the agency's own form.

Three formats, one layout (the table of Murmansk Appendix 2 / the Kuzbass appendix): a header row
with «№» and the form's column labels, a row of column numbers 1..N, rows grouped under their
activity area (when the form groups, Kuzbass 3.5) and numbered through the whole list.

- XLSX: that table on one sheet, with the list's title above it; landscape, header repeated on
  every printed page.
- DOCX: the same table in a landscape section, header rows repeated on every page.
- CSV (UTF-8 with a BOM so that Excel reads Cyrillic): a flat file for machines. Columns: «№»,
  the form's column labels in its order (as people read them), then stable machine columns that
  are the same for every form (:data:`MACHINE_COLUMNS`): codes of area, touchpoint and needs,
  channel and client kinds, subdivision, norms and extra fields as JSON. No grouping rows.

Text that a spreadsheet would run as a formula (``=…``, ``+…``, ``@…``) is written as text in
XLSX and prefixed with an apostrophe in CSV (OWASP, "CSV injection").

:func:`export_list` is the one entry point; the public pages call it for approved versions, so
with a version it reads nothing but the version (readable in the "public" scope).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from datetime import date

from touchpoints.core.safety import spreadsheet_text, text_cell, xlsx_value
from touchpoints.core.text import number, ru_date
from touchpoints.lists.models import COMMON_FIELDS, ListVersion
from touchpoints.lists.table import NEEDS_PER_LINE, FormTable, Group, Row, build, value_of
from touchpoints.regions.models import Agency
from touchpoints.tenants.form import Form
from touchpoints.transfer import roundtrip
from touchpoints.transfer.fields import column_target

MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv; charset=utf-8",
}
FORMATS = tuple(MIMETYPES)
#: Machine columns of the CSV, after the form's own: the same for every agency's form.
MACHINE_COLUMNS = (
    "entry_id",
    "activity_area_code",
    "process_name",
    "touchpoint_code",
    "touchpoint",
    "channel_kind",
    "client_kind",
    "client_needs",
    "interaction",
    "specifics",
    "subdivision",
    "organisation",
    "response_hours_mentions",
    "response_hours_requests",
    "max_transfers",
    "waiting_minutes",
    "extra",
)


class UnknownFormat(ValueError):
    """Asked for a format we do not write."""


@dataclasses.dataclass
class Layout:
    """The form-shaped table (:func:`touchpoints.lists.table.build`) with the file's title."""

    table: FormTable
    title: str
    subtitle: str

    @property
    def form(self) -> Form:
        return self.table.form

    @property
    def header(self) -> list[str]:
        return self.table.header

    @property
    def targets(self) -> list[str]:
        return [column_target(c.definition) for c in self.table.columns]

    @property
    def widths(self) -> list[float]:
        return [float(c.width) for c in self.table.columns]

    @property
    def groups(self) -> list[Group]:
        return self.table.groups

    @property
    def rows(self) -> list[Row]:
        return self.table.rows


def _sources(agency: Agency, version: ListVersion | None) -> tuple[Form, list]:
    if version is not None:
        # Frozen rows in their frozen order and form: an old version renders as it was approved.
        return Form(version.form), list(version.entries)
    from touchpoints.lists import services as lists

    form = Form(agency.form)
    entries = lists.working_entries(agency.id)
    entries.sort(key=lists.sort_key_for(form))
    return form, entries


def build_layout(agency: Agency, version: ListVersion | None = None) -> Layout:
    form, sources = _sources(agency, version)
    if version is not None:
        subtitle = (
            f"Редакция № {version.number}, утверждена приказом от "
            f"{ru_date(version.order_date)} № {version.order_number}"
        )
    else:
        subtitle = f"Рабочая редакция на {ru_date(date.today())} (не утверждена)"
    # Numbering follows the printed order, group after group; needs one per line in a cell.
    table = build(form, sources, renumber=True, needs_separator=NEEDS_PER_LINE)
    return Layout(table=table, title=form.title(agency), subtitle=subtitle)


def export_list(agency: Agency, version: ListVersion | None = None, fmt: str = "xlsx"):
    """The working list (or ``version``) as a file: ``(bytes, filename, mimetype)``."""
    fmt = (fmt or "").lower()
    if fmt not in MIMETYPES:
        raise UnknownFormat(fmt)
    layout = build_layout(agency, version)
    data = {"xlsx": to_xlsx, "docx": to_docx, "csv": to_csv}[fmt](layout)
    if version is not None:
        name = f"perechen-{agency.slug}-redakciya-{version.number}.{fmt}"
    else:
        name = f"perechen-{agency.slug}-rabochaya-{date.today().isoformat()}.{fmt}"
    return data, name, MIMETYPES[fmt]


# --------------------------------------------------------------------------- CSV


def csv_safe(text: str) -> str:
    """Text a spreadsheet will not run as a formula (CSV injection): core.safety's rule."""
    return spreadsheet_text(text)


def to_csv(layout: Layout) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([*layout.header, *MACHINE_COLUMNS])
    for row in layout.rows:
        e = row.source
        machine = {
            "entry_id": getattr(e, "entry_id", None) or e.id,
            "activity_area_code": e.activity_area,
            "touchpoint_code": e.touchpoint_code or "",
            "client_needs": ";".join(e.client_needs or []),
            "subdivision": value_of(e, "subdivision"),
            "extra": json.dumps(e.extra or {}, ensure_ascii=False, sort_keys=True)
            if e.extra
            else "",
        }
        for f in COMMON_FIELDS:
            if f not in machine and f != "activity_area":
                value = value_of(e, f)
                machine[f] = number(value) if isinstance(value, int | float) else value or ""
        cells = [str(row.number)]
        cells += [c.replace("\n", "; ") if t == "client_needs" else c for c, t in
                  zip(row.cells, layout.targets, strict=True)]  # fmt: skip
        cells += [str(machine[c]) for c in MACHINE_COLUMNS]
        writer.writerow([csv_safe(c) for c in cells])
    return buf.getvalue().encode("utf-8-sig")


# --------------------------------------------------------------------------- XLSX


def to_xlsx(layout: Layout) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Перечень"
    ncols = len(layout.header)
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    center = Alignment(wrap_text=True, vertical="center", horizontal="center")
    bold = Font(bold=True)
    group_fill = PatternFill("solid", fgColor="EEF1F6")

    def put(row: int, col: int, value, *, style=wrap, font=None, fill=None):
        cell = text_cell(ws.cell(row=row, column=col, value=xlsx_value(value)))
        cell.alignment = style
        cell.border = border
        if font:
            cell.font = font
        if fill:
            cell.fill = fill
        return cell

    ws.cell(row=1, column=1, value=layout.title).font = Font(bold=True, size=12)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=ncols)
    ws.cell(row=1, column=1).alignment = Alignment(wrap_text=True, horizontal="center")
    ws.row_dimensions[1].height = 32
    ws.cell(row=2, column=1, value=layout.subtitle).font = Font(italic=True)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=ncols)
    header_row = 4
    for i, label in enumerate(layout.header, start=1):
        put(header_row, i, label, style=center, font=bold, fill=group_fill)
        put(header_row + 1, i, i, style=center)
    r = header_row + 2
    for group in layout.groups:
        if group.code is not None:
            put(r, 1, group.title, font=bold, fill=group_fill)
            for c in range(2, ncols + 1):
                put(r, c, None, fill=group_fill)
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncols)
            r += 1
        for row in group.rows:
            put(r, 1, row.number, style=Alignment(vertical="top", horizontal="center"))
            for c, text in enumerate(row.cells, start=2):
                put(r, c, text)
            r += 1
    ws.column_dimensions["A"].width = 6
    total = sum(layout.widths) or 1
    for i, w in enumerate(layout.widths, start=2):
        ws.column_dimensions[get_column_letter(i)].width = max(12, round(150 * w / total))
    ws.freeze_panes = ws.cell(row=header_row + 2, column=1)
    ws.print_title_rows = f"{header_row}:{header_row + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    roundtrip.add_sheet(wb, layout, xlsx_value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- DOCX


def to_docx(layout: Layout) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(10)
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(1.5))

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(layout.title).bold = True
    sub = doc.add_paragraph()
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub.add_run(layout.subtitle).italic = True

    ncols = len(layout.header)
    usable = 29.7 - 3.0
    number_width = 1.2
    total = sum(layout.widths) or 1
    widths = [Cm(number_width)] + [Cm((usable - number_width) * w / total) for w in layout.widths]
    table = doc.add_table(rows=0, cols=ncols)
    table.style = "Table Grid"
    table.autofit = False

    def repeat_as_header(row) -> None:
        tr_pr = row._tr.get_or_add_trPr()
        el = OxmlElement("w:tblHeader")
        el.set(qn("w:val"), "true")
        tr_pr.append(el)

    def fill(row, values, *, bold=False, align=None) -> None:
        for cell, value, width in zip(row.cells, values, widths, strict=True):
            cell.width = width
            cell.text = xlsx_value(value)
            for p in cell.paragraphs:
                if align is not None:
                    p.alignment = align
                for run in p.runs:
                    run.font.size = Pt(9)
                    run.bold = bold or None

    head = table.add_row()
    fill(head, layout.header, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    repeat_as_header(head)
    nums = table.add_row()
    fill(nums, [str(i) for i in range(1, ncols + 1)], align=WD_ALIGN_PARAGRAPH.CENTER)
    repeat_as_header(nums)
    for group in layout.groups:
        if group.code is not None:
            row = table.add_row()
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = width
            merged = row.cells[0].merge(row.cells[-1])
            merged.text = xlsx_value(group.title)
            for run in merged.paragraphs[0].runs:
                run.bold = True
                run.font.size = Pt(9)
        for r in group.rows:
            fill(table.add_row(), [str(r.number), *r.cells])
    roundtrip.add_table(doc, layout, xlsx_value)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
