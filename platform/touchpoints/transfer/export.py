"""Export of the working list or an approved version in the agency's own form.

Three formats, one layout (the table of Murmansk Appendix 2 / the Kuzbass appendix): a header row
with «№» and the form's column labels, a row of column numbers 1..N, rows grouped under their
activity area (when the form groups, Kuzbass 3.5) and numbered through the whole list.

- XLSX: that table on one sheet, with the list's title above it; landscape, header repeated on
  every printed page. Written in openpyxl's write-only mode with named styles
  (:mod:`.xlsx_sheet`).
- DOCX: the same table in a landscape section, header rows repeated on every page; the table is
  written as one piece of XML (:mod:`.docx_table`), not cell by cell.
- CSV for people (the download buttons, :mod:`touchpoints.core.csvfile`): semicolons and a BOM
  for Russian Excel, Russian headings only — «№», the form's columns as people read them, then
  the fields the form has no column for under their labels (:mod:`touchpoints.lists.labels`)
  and the row's code, so that the file also imports back.
- CSV for scripts (``flask lists export --format csv``): «№», the form's labels, then stable
  machine columns that are the same for every form (:data:`MACHINE_COLUMNS`).

Both office files also carry the «Все сведения» part (:mod:`.roundtrip`) the importer reads back.
Text that a spreadsheet would run as a formula (``=…``, ``+…``, ``@…``) is written as text in
XLSX and prefixed with an apostrophe in CSV (OWASP, "CSV injection").

:func:`export_list` is the one entry point; the public pages call it for approved versions, so
with a version it reads nothing but the version (readable in the "public" scope). Long lists go
to a background job instead of the request (:mod:`.export_jobs`).
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable
from datetime import date

from touchpoints.core import csvfile
from touchpoints.core.tenancy import Agency
from touchpoints.core.text import number, ru_date
from touchpoints.lists.form import Form
from touchpoints.lists.models import COMMON_FIELDS, Entry, ListVersion
from touchpoints.lists.table import NEEDS_PER_LINE, FormTable, Group, Row, build, value_of
from touchpoints.transfer import roundtrip
from touchpoints.transfer.fields import column_target

MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": csvfile.MIMETYPE,
}
FORMATS = tuple(MIMETYPES)
#: Machine columns of the scripts' CSV, after the form's own: the same for every agency's form.
#: They are the common fields with the area's code for its name, the touchpoint's code beside it.
MACHINE_COLUMNS = (
    "entry_id",
    "activity_area_code",
    "process_name",
    "touchpoint_code",
    *COMMON_FIELDS[COMMON_FIELDS.index("touchpoint") :],
    "extra",
)
#: Called with (rows written, rows in all) while a file is written: a job's progress.
Progress = Callable[[int, int], None]


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
    entries = Entry.working(agency.id)
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


def row_count(agency: Agency, version: ListVersion | None = None) -> int:
    """How many rows the file will have, without building it (the background threshold)."""
    if version is not None:
        return version.entry_count
    return Entry.working_count(agency.id)


def filename(agency: Agency, version: ListVersion | None, fmt: str) -> str:
    if version is not None:
        return f"perechen-{agency.slug}-redakciya-{version.number}.{fmt}"
    return f"perechen-{agency.slug}-rabochaya-{date.today().isoformat()}.{fmt}"


def export_list(
    agency: Agency,
    version: ListVersion | None = None,
    fmt: str = "xlsx",
    *,
    for_scripts: bool = False,
    progress: Progress | None = None,
):
    """The working list (or ``version``) as a file: ``(bytes, filename, mimetype)``.

    A CSV is the people's (``;``, Russian headings) unless ``for_scripts``; ``progress`` hears
    how many of the rows are written."""
    fmt = (fmt or "").lower()
    if fmt not in MIMETYPES:
        raise UnknownFormat(fmt)
    layout = build_layout(agency, version)
    tick = progress or (lambda done, total: None)
    if fmt == "csv":
        data = to_script_csv(layout) if for_scripts else to_people_csv(layout)
    else:
        data = {"xlsx": to_xlsx, "docx": to_docx}[fmt](layout, tick)
    tick(len(layout.rows), len(layout.rows))
    return data, filename(agency, version, fmt), MIMETYPES[fmt]


# --------------------------------------------------------------------------- CSV


def to_people_csv(layout: Layout) -> bytes:
    """«№», the form's columns, the fields it lacks (Russian labels), the row's code."""
    shown = set(layout.targets)
    labels = roundtrip.header()
    extra = [
        (i, label)
        for i, (field, label) in enumerate(zip(roundtrip.FIELDS, labels, strict=True))
        if field not in shown and field != "entry_id"
    ]
    everything = roundtrip.cells(layout)
    if not any(values[roundtrip.FIELDS.index("extra_json")] for values in everything):
        extra = [(i, label) for i, label in extra if roundtrip.FIELDS[i] != "extra_json"]
    id_at = roundtrip.FIELDS.index("entry_id")
    header = [*layout.header, *(label for _, label in extra), labels[id_at]]

    def rows():
        for row, values in zip(layout.rows, everything, strict=True):
            yield [row.number, *row.cells, *(values[i] for i, _ in extra), values[id_at]]

    return csvfile.for_people(header, rows())


def to_script_csv(layout: Layout) -> bytes:
    """The form's columns, then :data:`MACHINE_COLUMNS` (codes, raw values) for scripts."""

    def rows():
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
            yield cells

    return csvfile.for_scripts([*layout.header, *MACHINE_COLUMNS], rows())


# --------------------------------------------------------------------------- XLSX

#: Rows between two progress reports.
_TICK = 250


def _ticker(tick: Progress, total: int):
    """Progress of the second half of an office file: its «Все сведения» rows."""

    def on_row(written: int) -> None:
        if written % _TICK == 0:
            tick((total + written) // 2, total)

    return on_row


def to_xlsx(layout: Layout, progress: Progress | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.cell_range import CellRange

    from touchpoints.transfer.xlsx_sheet import StyledCells

    tick = progress or (lambda done, total: None)
    total = len(layout.rows)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Перечень")
    cell = StyledCells(wb, ws)
    ncols = len(layout.header)
    header_row = 4
    # Write-only: sizes, panes and print settings before the first row.
    ws.column_dimensions["A"].width = 6
    width_sum = sum(layout.widths) or 1
    for i, w in enumerate(layout.widths, start=2):
        ws.column_dimensions[get_column_letter(i)].width = max(12, round(150 * w / width_sum))
    ws.row_dimensions[1].height = 32
    ws.freeze_panes = f"A{header_row + 2}"
    ws.print_title_rows = f"{header_row}:{header_row + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4 (openpyxl: Worksheet.PAPERSIZE_A4)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True

    def merge(row: int) -> None:
        ws.merged_cells.add(CellRange(min_col=1, min_row=row, max_col=ncols, max_row=row))

    ws.append([cell(layout.title, "title")])
    merge(1)
    ws.append([cell(layout.subtitle, "subtitle")])
    merge(2)
    ws.append([])
    ws.append(cell.row(layout.header, "header"))
    ws.append(cell.row(range(1, ncols + 1), "number_header"))
    r, done = header_row + 2, 0
    for group in layout.groups:
        if group.code is not None:
            ws.append([cell(group.title, "group"), *cell.row([None] * (ncols - 1), "group")])
            merge(r)
            r += 1
        for row in group.rows:
            ws.append([cell(row.number, "number"), *cell.row(row.cells, "cell")])
            r += 1
            done += 1
            if done % _TICK == 0:
                tick(done // 2, total)  # the «Все сведения» part is the other half
    roundtrip.add_sheet(wb, layout, _ticker(tick, total))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- DOCX


def to_docx(layout: Layout, progress: Progress | None = None) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    from touchpoints.transfer.docx_table import RowStyle, TableXml, append_table

    tick = progress or (lambda done, total: None)
    total = len(layout.rows)
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
    width_sum = sum(layout.widths) or 1
    widths = [Cm(number_width).twips] + [
        Cm((usable - number_width) * w / width_sum).twips for w in layout.widths
    ]
    table = TableXml(widths)
    table.add(layout.header, RowStyle(size=18, bold=True, centred=True, header=True))
    table.add([str(i) for i in range(1, ncols + 1)], RowStyle(size=18, centred=True, header=True))
    body, done = RowStyle(size=18), 0
    heading = RowStyle(size=18, bold=True)
    for group in layout.groups:
        if group.code is not None:
            table.add_spanning(group.title, heading)
        for r in group.rows:
            table.add([str(r.number), *r.cells], body)
            done += 1
            if done % _TICK == 0:
                tick(done // 2, total)  # the «Все сведения» part is the other half
    append_table(doc, table)
    roundtrip.add_table(doc, layout, _ticker(tick, total))
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
