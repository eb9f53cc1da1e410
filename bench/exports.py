"""Exports of a 5,000-row list: the new writers against the previous ones, in one run (issue 15,
item 7), and the same export end to end through gunicorn and a Celery worker.

Production-like (bench/_harness.py): a migrated PostgreSQL database, an agency of
BENCH_EXPORT_ROWS entries seeded by ``flask demo seed``'s code, the layout read as the
application's non-owner role under row-level security. Then, in this process:

* XLSX: openpyxl write-only mode with named styles (touchpoints.transfer.export.to_xlsx)
  against the previous writer, which styled every cell of a normal workbook one by one;
* DOCX: the table written as one piece of XML (docx_table.py) against the previous writer,
  which filled a python-docx table cell by cell (quadratic: python-docx finds a row's cells by
  walking the whole table). Target: new ≤ 0.5 × old (BENCH_EXPORT_DOCX_RATIO).

The previous writers are kept below, as they were, only as this baseline. New writers: median of
BENCH_EXPORT_RUNS runs; old: one run (the old DOCX takes minutes). Both files are checked to hold
the same table before anything is timed.

End to end (gunicorn as the Dockerfile runs it, a real worker): the registrar clicks «Word
(DOCX)»; the request only queues the job (target: within 5 × ``GET /login``), the worker writes
the file, the page polls until it is ready and the file is downloaded.

    PYTHONPATH=platform:. python -m bench exports
"""

from __future__ import annotations

import io
import os
import statistics
import time

import sqlalchemy as sa

from bench._harness import (
    Database,
    Figure,
    Processes,
    add_user,
    latency,
    session,
)

ROWS = int(os.environ.get("BENCH_EXPORT_ROWS", "5000"))
RUNS = int(os.environ.get("BENCH_EXPORT_RUNS", "3"))
DOCX_RATIO = float(os.environ.get("BENCH_EXPORT_DOCX_RATIO", "0.5"))
XLSX_RATIO = float(os.environ.get("BENCH_EXPORT_XLSX_RATIO", "0.8"))
QUEUE_RATIO = float(os.environ.get("BENCH_EXPORT_QUEUE_RATIO", "5"))
#: Click to file, behind a CSV and an XLSX of the same list in the one worker's queue.
READY_SECONDS = float(os.environ.get("BENCH_EXPORT_READY_SECONDS", "120"))
NAME = "exports"
SLUG = "exports-demo-001"
EMAIL = "registrar@exports.bench.example.org"


def _seed(database: Database) -> None:
    from touchpoints.auth.roles import Role
    from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
    from touchpoints.core.tenancy import Agency
    from touchpoints.demo.seed import seed_region

    app = database.owner_app()
    with app.app_context():
        seed_region("exports", 1, ROWS)
        with scoped(SYSTEM_SCOPE):
            agency_id = db.session.scalar(sa.select(Agency.id).where(Agency.slug == SLUG))
        add_user(EMAIL, Role.REGISTRAR.value, agency_id=agency_id)
        db.session.remove()
        db.engine.dispose()


def _timed(fn, *args) -> tuple[float, bytes]:
    started = time.perf_counter()
    data = fn(*args)
    return time.perf_counter() - started, data


def _median(fn, layout) -> float:
    return statistics.median(_timed(fn, layout)[0] for _ in range(RUNS))


def _same_table_xlsx(new: bytes, old: bytes) -> None:
    from openpyxl import load_workbook

    def values(data):
        wb = load_workbook(io.BytesIO(data), read_only=True)
        return [[list(r) for r in wb[name].iter_rows(values_only=True)] for name in wb.sheetnames]

    def norm(sheets):
        # "" and empty cells read alike; a read-only sheet pads rows to its width with None.
        out = []
        for sheet in sheets:
            rows = [[c if c != "" else None for c in r] for r in sheet]
            for r in rows:
                while r and r[-1] is None:
                    r.pop()
            out.append(rows)
        return out

    if norm(values(new)) != norm(values(old)):
        raise AssertionError("the new XLSX does not hold the old one's table")


def _same_table_docx(new: bytes, old: bytes) -> None:
    import zipfile

    from lxml import etree

    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

    def cells(data):
        # Straight from the XML: python-docx's row.cells walks the whole table for every row.
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            body = etree.fromstring(z.read("word/document.xml"))
        return [
            [
                [
                    "\n".join(
                        "".join(
                            t.text or "" if t.tag == f"{w}t" else "\n"
                            for t in p.iter(f"{w}t", f"{w}br")
                        )
                        for p in tc.iter(f"{w}p")
                    )
                    for tc in tr.iter(f"{w}tc")
                ]
                for tr in tbl.iter(f"{w}tr")
            ]
            for tbl in body.iter(f"{w}tbl")
        ]

    if cells(new) != cells(old):
        raise AssertionError("the new DOCX does not hold the old one's tables")


def _writers(database: Database) -> list[Figure]:
    from touchpoints import create_app
    from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, scoped
    from touchpoints.core.tenancy import Agency
    from touchpoints.transfer.export import build_layout, to_docx, to_xlsx

    app = create_app("test", SQLALCHEMY_DATABASE_URI=database.app_url)
    with app.app_context():
        with scoped(SYSTEM_SCOPE):
            agency_id = db.session.scalar(sa.select(Agency.id).where(Agency.slug == SLUG))
        with scoped(agency_scope(agency_id)):
            agency = db.session.get(Agency, agency_id)
            took, layout = _timed(build_layout, agency)
            print(f"layout of {len(layout.rows)} rows read in {took:.2f} s", flush=True)
            _same_table_xlsx(to_xlsx(layout), _old_to_xlsx(layout))
            new_xlsx = _median(to_xlsx, layout)
            old_xlsx, _ = _timed(_old_to_xlsx, layout)
            print(f"XLSX new {new_xlsx:.2f} s, old {old_xlsx:.2f} s", flush=True)
            new_docx_bytes = to_docx(layout)
            old_docx, old_docx_bytes = _timed(_old_to_docx, layout)
            _same_table_docx(new_docx_bytes, old_docx_bytes)
            new_docx = _median(to_docx, layout)
            print(f"DOCX new {new_docx:.2f} s, old {old_docx:.2f} s", flush=True)
        db.session.remove()
        db.engine.dispose()
    rows = f"{len(layout.rows):,} rows".replace(",", " ")
    return [
        Figure(NAME, f"XLSX, {rows}", new_xlsx, "s", "previous writer", old_xlsx,
               threshold=XLSX_RATIO),
        Figure(NAME, f"DOCX, {rows}", new_docx, "s", "previous writer", old_docx,
               threshold=DOCX_RATIO),
    ]  # fmt: skip


def _end_to_end(database: Database) -> list[Figure]:
    procs = Processes(database, worker=True)
    # The default threshold (1000 rows) unless a smaller BENCH_EXPORT_ROWS asks for less.
    procs.env["TOUCHPOINTS_EXPORT_BACKGROUND_ROWS"] = str(min(1000, ROWS // 2))
    with procs:
        login, _ = latency(session(procs.base), procs.base + "/login", 15)
        s = session(procs.base, EMAIL)
        # Each web worker talks to the broker once before (/healthz pings the Celery workers).
        for _ in range(6):
            s.get(procs.base + "/healthz", timeout=30)
        clicks, job = [], None
        for fmt in ("csv", "xlsx", "docx"):  # three clicks, three new jobs
            started = time.perf_counter()
            response = s.get(procs.base + f"/list/export.{fmt}", allow_redirects=False, timeout=60)
            clicks.append(time.perf_counter() - started)
            if response.status_code != 302 or "/jobs/" not in response.headers["Location"]:
                raise RuntimeError(f"the {fmt} export was not queued: {response.status_code}")
            job = procs.base + response.headers["Location"]
        queued = statistics.median(clicks)
        while True:
            state = s.get(job + ".json", timeout=30).json()
            if state["finished"]:
                break
            if time.perf_counter() - started > 900:
                raise RuntimeError(f"the export job did not finish: {state}")
            time.sleep(0.5)
        if state["status"] != "ready":
            raise RuntimeError(f"the export job failed: {state}")
        rows = f"{state['total']:,} rows".replace(",", " ")
        file = s.get(job + "/file", timeout=60)
        ready = time.perf_counter() - started
        if not file.content.startswith(b"PK"):
            raise RuntimeError("the downloaded file is not a DOCX")
    return [
        Figure(NAME, "a click on a long list's export (queues a job)", queued, "s", "GET /login",
               login, threshold=QUEUE_RATIO),
        Figure(NAME, f"DOCX {rows}: click to file downloaded", ready, "s", kind="abs",
               threshold=READY_SECONDS),
    ]  # fmt: skip


def run() -> list[Figure]:
    with Database(NAME) as database:
        _seed(database)
        out = _writers(database)
        out += _end_to_end(database)
    return out


# --------------------------------------------------------------------------- the previous writers
# As they were before the change (transfer/export.py and roundtrip.py), kept only as the baseline.


def _old_to_xlsx(layout) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    from touchpoints.core.safety import text_cell, xlsx_value

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
    _old_add_sheet(wb, layout, xlsx_value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _old_add_sheet(wb, layout, clean) -> None:
    from openpyxl.styles import Alignment, Font

    from touchpoints.transfer import roundtrip

    ws = wb.create_sheet(roundtrip.SHEET_TITLE)
    ws.cell(row=1, column=1, value=roundtrip.NOTE).font = Font(italic=True)
    for c, label in enumerate(roundtrip.header(), start=1):
        ws.cell(row=2, column=c, value=label).font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for r, values in enumerate(roundtrip.cells(layout), start=3):
        for c, text in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=clean(text))
            cell.data_type = "s"
            cell.alignment = wrap
    ws.freeze_panes = "B3"


def _old_to_docx(layout) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    from touchpoints.core.safety import xlsx_value

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
    _old_add_table(doc, layout, xlsx_value)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _old_add_table(doc, layout, clean) -> None:
    from docx.enum.text import WD_BREAK
    from docx.shared import Pt

    from touchpoints.transfer import roundtrip

    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    doc.add_paragraph().add_run(roundtrip.SHEET_TITLE).bold = True
    doc.add_paragraph(roundtrip.NOTE)
    rows = roundtrip.cells(layout)
    table = doc.add_table(rows=1 + len(rows), cols=len(roundtrip.FIELDS))
    table.style = "Table Grid"
    for r, values in enumerate([roundtrip.header(), *rows]):
        for cell, text in zip(table.rows[r].cells, values, strict=True):
            cell.text = clean(text)
            for p in cell.paragraphs:
                for run in p.runs:
                    run.font.size = Pt(7)


if __name__ == "__main__":
    from bench._harness import report

    raise SystemExit(report(run()))
