"""Office files shaped like real agencies' lists, built at test time (issue 11).

Each builder takes a list of "blocks" — tables or sheets, each a list of rows — plus what a
person did to them in the editor (merged cells, hidden rows and columns, several tables), and
writes the file with the library an editor's file would be read by: openpyxl, python-docx,
odfpy. No binaries are committed.
"""

from __future__ import annotations

import io
import zipfile

MURMANSK_HEADER = [
    "№",
    "Направление деятельности органа власти",
    "Наименование конкретного процесса",
    "Точка взаимодействия",
    "Осуществляемое взаимодействие с клиентом",
    "Особенности взаимодействия с клиентом",
]
KUZBASS_HEADER = [
    "№ п/п",
    "Точки взаимодействия с внутренним клиентом",
    "Порядок взаимодействия с клиентом",
]


def murmansk_rows(first=1) -> list[list[str]]:
    """Murmansk Appendix 2 shape: area rows with the hint of column 3, then its rows."""
    return [
        [str(first), "Предоставление государственных услуг", "Наименование государственной услуги", "", "", ""],
        ["", "", "Аттестация экскурсоводов", "Официальный сайт Комитета (Портал)", "Размещение порядка аттестации", ""],
        ["", "", "Аттестация экскурсоводов", "Телефонная связь", "Консультирование", "Не более двух переключений"],
        [str(first + 1), "Рассмотрение обращений и запросов", "Наименование процесса по рассмотрению обращений и запросов", "", "", ""],
        ["", "", "Рассмотрение обращений граждан", "Электронная почта Комитета", "Приём обращений", ""],
    ]  # fmt: skip


def murmansk_internal_rows() -> list[list[str]]:
    return [
        ["6", "Взаимодействие с внутренним клиентом", "Наименование процесса по взаимодействию с внутренним клиентом", "", "", ""],
        ["", "", "Согласование служебных записок", "Система электронного документооборота (СЭДО)", "Согласование в СЭДО", ""],
        ["", "", "Заявки на ремонт техники", "Журнал заявок", "Запись заявки в журнал", ""],
    ]  # fmt: skip


def kuzbass_rows() -> list[list[str]]:
    """Kuzbass appendix shape: «1. | area» rows (merged over the columns), then its rows."""
    return [
        ["1.", "Предоставление государственных услуг, услуг", ""],
        ["1", "Официальный сайт Департамента", "Размещение информации об услугах"],
        ["2", "Телефонная связь", "Консультирование по телефону"],
        ["2.", "Рассмотрение обращений и запросов", ""],
        ["3", "Электронная почта", "Приём обращений по электронной почте"],
        ["4", "Письмо", "Приём письменных обращений"],
    ]


# --------------------------------------------------------------------------- XLSX


def xlsx(sheets: dict[str, list[list]], *, merges=None, hidden_rows=None, hidden_cols=None,
         hidden_sheets=()) -> bytes:  # fmt: skip
    """``sheets``: title → rows; merges/hidden_*: title → ranges / row numbers / letters."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        for rng in (merges or {}).get(title, []):
            ws.merge_cells(rng)
        for r in (hidden_rows or {}).get(title, []):
            ws.row_dimensions[r].hidden = True
        for c in (hidden_cols or {}).get(title, []):
            ws.column_dimensions[c].hidden = True
        if title in hidden_sheets:
            ws.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def million_row_xlsx(rows: int = 1_000_000) -> bytes:
    """A workbook of ``rows`` rows, written straight as XML (openpyxl would take minutes)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"))  # fmt: skip
        z.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"))  # fmt: skip
        z.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="Перечень" sheetId="1" r:id="rId1"/></sheets></workbook>'))  # fmt: skip
        z.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"))  # fmt: skip
        with z.open("xl/worksheets/sheet1.xml", "w") as f:
            f.write(
                b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            )
            f.write(
                '<row r="1"><c r="A1" t="inlineStr"><is><t>Точки взаимодействия</t></is></c><c r="B1" t="inlineStr"><is><t>Порядок взаимодействия с клиентом</t></is></c></row>'.encode()
            )
            chunk = []
            for i in range(2, rows + 1):
                chunk.append(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>')
                if len(chunk) == 10_000:
                    f.write("".join(chunk).encode())
                    chunk = []
            f.write("".join(chunk).encode())
            f.write(b"</sheetData></worksheet>")
    return buf.getvalue()


def zip_bomb() -> bytes:
    """A .xlsx whose one part unpacks to 1 GB of zeros (about 1 MB packed)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            block = b"\0" * (1 << 20)
            for _ in range(1024):
                f.write(block)
    return buf.getvalue()


# --------------------------------------------------------------------------- DOCX


def docx(tables: list[list[list[str]]], *, before="", between="", after="", merge_rows=()) -> bytes:
    """Tables separated by ``between`` text (a page break: the list continues); ``merge_rows``:
    (table index, row index) pairs whose cells are merged across the table."""
    import docx as python_docx
    from docx.enum.text import WD_BREAK

    document = python_docx.Document()
    if before:
        document.add_paragraph(before)
    for n, rows in enumerate(tables):
        if n:
            p = document.add_paragraph(between)
            p.add_run().add_break(WD_BREAK.PAGE)
        width = max(len(r) for r in rows)
        table = document.add_table(rows=len(rows), cols=width)
        for i, row in enumerate(rows):
            cells = table.rows[i].cells
            if (n, i) in merge_rows:
                text = next(v for v in row[1:] if v) if any(row[1:]) else row[0]
                merged = cells[1 if row[0] else 0].merge(cells[-1])
                if row[0]:
                    cells[0].text = row[0]
                merged.text = text
                continue
            for cell, value in zip(cells, row, strict=False):
                cell.text = value
    if after:
        document.add_paragraph(after)
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- OpenDocument


def odf(tables: dict[str, list[list[str]]], *, spreadsheet: bool, hidden_rows=()) -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet, OpenDocumentText
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet() if spreadsheet else OpenDocumentText()
    for name, rows in tables.items():
        table = Table(name=name)
        width = max(len(r) for r in rows)
        table.addElement(TableColumn(numbercolumnsrepeated=width))
        for i, row in enumerate(rows):
            tr = TableRow(visibility="collapse") if (name, i) in hidden_rows else TableRow()
            for value in row:
                cell = TableCell(valuetype="string")
                for line in str(value).split("\n"):
                    cell.addElement(P(text=line))
                tr.addElement(cell)
            table.addElement(tr)
        # What a spreadsheet editor writes after the data: a huge run of empty rows.
        table.addElement(TableRow(numberrowsrepeated=1_048_000))
        if spreadsheet:
            doc.spreadsheet.addElement(table)
        else:
            doc.text.addElement(table)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- text formats


def csv_bytes(rows: list[list[str]], *, delimiter=";", encoding="cp1251") -> bytes:
    import csv

    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter).writerows(rows)
    return buf.getvalue().encode(encoding)


def html_xls(rows: list[list[str]], title="Перечень") -> bytes:
    """What Excel's «Веб-страница» (and 1С) writes, saved with an .xls name."""
    from html import escape

    body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in rows)
    return (
        f'<html xmlns:x="urn:schemas-microsoft-com:office:excel"><head><meta charset="utf-8">'
        f"<title>{title}</title></head><body><table border=1>{body}</table></body></html>"
    ).encode()
