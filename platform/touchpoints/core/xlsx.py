"""Workbooks people read (the dashboard's summary, the quarterly report): one look for titles and
column headings, cells that stay text (core/safety.py), and the bytes to send."""

from __future__ import annotations

import io

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from touchpoints.core.safety import append_row

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TITLE = Font(bold=True, size=13)
BOLD = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="EEF1F6")
WRAP = Alignment(wrap_text=True, vertical="top")


def heading(cells, *, wrap: bool = True) -> None:
    """Cells of a heading row: bold on a pale fill, wrapped unless ``wrap`` is False."""
    for cell in cells:
        cell.font, cell.fill = BOLD, HEAD_FILL
        if wrap:
            cell.alignment = WRAP


def column_headings(ws, columns: list[tuple[str, float]]) -> int:
    """A heading row of ``columns`` (name, width), the widths set; returns its row number."""
    append_row(ws, [name for name, _ in columns])
    row = ws.max_row
    heading(ws.cell(row=row, column=i) for i in range(1, len(columns) + 1))
    for i, (_, width) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    return row


def to_bytes(wb) -> bytes:
    """The file of a workbook, or of anything else saved the same way (a python-docx document)."""
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
