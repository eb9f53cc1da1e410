"""Word (.docx) and Excel (.xlsx) tables as rows of text, merged cells filled as people mean them.

Excel is read with openpyxl in read-only (streaming) mode, which does not expose merged ranges
or hidden rows and columns. Those are taken from the sheet's XML in a separate streaming pass
(``iterparse``, each row cleared once seen) that also counts rows and stops at the limit: a
workbook of a million rows is refused after reading a few thousand of them, at bounded memory,
instead of being loaded whole (non-read-only openpyxl would build every cell object first).

Word tables are walked in their XML: a cell spanning columns (``gridSpan``) keeps its text once,
a cell merged down (``vMerge``) gives its text to each row it spans, as the reader sees it.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import re
import zipfile

from lxml import etree

from touchpoints.transfer.reader import (
    MAX_COLUMNS,
    ImportFileError,
    RawTable,
    cell_text,
    corrupt,
    merged_across,
    too_many_rows,
    trim,
)

log = logging.getLogger(__name__)

S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
#: Rows beyond the limit a sheet may still have: title, footnotes, signatures, hidden rows.
SPARE_ROWS = 50


# --------------------------------------------------------------------------- Excel


@dataclasses.dataclass
class SheetLayout:
    hidden_rows: set[int]
    hidden_cols: set[int]
    #: (first row, first column, last row, last column), 1-based as in the sheet.
    merges: list[tuple[int, int, int, int]]


def _ref(ref: str) -> tuple[int, int]:
    m = re.fullmatch(r"\$?([A-Z]+)\$?(\d+)", ref.upper())
    if not m:
        return 0, 0
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def scan_sheet(stream, max_rows: int, where: str) -> SheetLayout:
    """Hidden rows and columns and merged ranges of a sheet, streaming; too long is refused."""
    layout = SheetLayout(set(), set(), [])
    rows = 0
    for _event, el in etree.iterparse(
        stream, events=("end",), tag=(f"{S}row", f"{S}col", f"{S}mergeCell")
    ):
        if el.tag == f"{S}row":
            rows += 1
            if rows > max_rows + SPARE_ROWS:
                raise too_many_rows(where, max_rows)
            if el.get("hidden") in ("1", "true"):
                layout.hidden_rows.add(int(el.get("r") or rows))
        elif el.tag == f"{S}col":
            if el.get("hidden") in ("1", "true"):
                first, last = int(el.get("min", 0)), int(el.get("max", 0))
                layout.hidden_cols.update(range(first, min(last, MAX_COLUMNS) + 1))
        else:
            first, _, last = (el.get("ref") or "").partition(":")
            (r1, c1), (r2, c2) = _ref(first), _ref(last or first)
            if r1 and c1:
                layout.merges.append((r1, c1, r2, c2))
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]
    return layout


def read_xlsx(data: bytes, max_rows: int) -> list[RawTable]:
    from openpyxl import load_workbook

    archive = zipfile.ZipFile(io.BytesIO(data))
    # Every sheet is scanned before openpyxl opens the workbook: its read-only mode measures a
    # sheet without a <dimension> by parsing all of it (minutes for a million rows); the scan
    # stops at the row limit.
    layouts = {}
    for name in archive.namelist():
        if name.startswith("xl/worksheets/") and name.endswith(".xml"):
            try:
                with archive.open(name) as stream:
                    layouts[name] = scan_sheet(stream, max_rows, "листе книги")
            except etree.XMLSyntaxError as exc:
                log.info("unreadable sheet %s: %s", name, exc)
                raise ImportFileError(corrupt(".xlsx")) from None
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        log.info("unreadable xlsx upload: %s", exc)
        raise ImportFileError(corrupt(".xlsx")) from None
    tables = []
    try:
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                continue
            where = f"листе «{ws.title}»"
            layout = layouts.get(ws._worksheet_path.lstrip("/"), SheetLayout(set(), set(), []))
            grid: list[list[str]] = []
            for row in ws.iter_rows(values_only=True):
                if len(grid) >= max_rows + SPARE_ROWS:
                    raise too_many_rows(where, max_rows)
                grid.append([cell_text(ooxml_unescape(v)) for v in row[:MAX_COLUMNS]])
            tables.append(_sheet_table(ws.title, grid, layout, max_rows, where))
    finally:
        wb.close()
    return tables


_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def ooxml_unescape(value):
    """Excel writes characters XML cannot hold (NUL, ESC…) as ``_x0000_``; openpyxl leaves
    them so. Decoded here, so that :func:`cell_text` drops them like any control character
    (``_x005F_`` is an escaped underscore: a literal «_x0000_» survives)."""
    if isinstance(value, str) and "_x" in value:
        return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), value)
    return value


def _sheet_table(title, grid, layout: SheetLayout, max_rows: int, where: str) -> RawTable:
    width = min(max((len(r) for r in grid), default=0), MAX_COLUMNS)
    grid = [(r + [""] * width)[:width] for r in grid]
    spans: dict[int, tuple[int, int]] = {}
    for r1, c1, r2, c2 in layout.merges:
        if r1 > len(grid) or c1 > width:
            continue
        value = grid[r1 - 1][c1 - 1]
        # Merged down (an activity area beside its rows): every row it spans has that value.
        for r in range(r1 + 1, min(r2, len(grid)) + 1):
            grid[r - 1][c1 - 1] = value
        if c2 > c1:
            spans[r1 - 1] = (c1 - 1, min(c2, width) - 1)
    keep_cols = [c for c in range(width) if c + 1 not in layout.hidden_cols]
    rows, lines, merged_map = [], [], {}
    for i, row in enumerate(grid):
        if i + 1 in layout.hidden_rows:
            continue
        if i in spans:
            merged_map[len(rows)] = spans[i]
        rows.append([row[c] for c in keep_cols])
        lines.append(i + 1)
    rows = trim(rows, max_rows, where)
    # Spans were counted in sheet columns; hidden columns before them shift the start.
    shift = {c: n for n, c in enumerate(keep_cols)}
    spans = {
        i: (shift.get(a, 0), shift.get(b, max(0, len(keep_cols) - 1)))
        for i, (a, b) in merged_map.items()
    }
    return RawTable(f"лист «{title}»", rows, merged_across(rows, spans), lines[: len(rows)])


# --------------------------------------------------------------------------- Word


def _tc_text(tc) -> str:
    paragraphs = []
    for p in tc.iter(f"{W}p"):
        parts = []
        for node in p.iter(f"{W}t", f"{W}br", f"{W}tab", f"{W}cr"):
            if node.tag == f"{W}t":
                parts.append(node.text or "")
            elif node.tag == f"{W}tab":
                parts.append(" ")
            else:
                parts.append("\n")
        paragraphs.append("".join(parts))
    return cell_text("\n".join(paragraphs))


def _int(el, default=1) -> int:
    try:
        return int(el.get(f"{W}val"))
    except (TypeError, ValueError):
        return default


def read_docx(data: bytes, max_rows: int) -> list[RawTable]:
    import docx

    try:
        body = docx.Document(io.BytesIO(data)).element.body
    except Exception as exc:  # python-docx and lxml raise many kinds on a broken file
        log.info("unreadable docx upload: %s", exc)
        raise ImportFileError(corrupt(".docx")) from None
    tables = []
    for n, tbl in enumerate(body.iter(f"{W}tbl"), start=1):
        if tbl.getparent().tag == f"{W}tc":
            continue  # a table inside a cell belongs to that cell's text
        where = f"таблице {n}"
        trs = tbl.findall(f"{W}tr")
        if len(trs) > max_rows + SPARE_ROWS:
            raise too_many_rows(where, max_rows)
        rows, spans = [], {}
        above: dict[int, str] = {}
        for i, tr in enumerate(trs):
            cells: list[str] = []
            before = tr.find(f"{W}trPr/{W}gridBefore")
            if before is not None:
                cells += [""] * _int(before, 0)
            tcs = tr.findall(f"{W}tc")
            for tc in tcs:
                span = tc.find(f"{W}tcPr/{W}gridSpan")
                span = _int(span) if span is not None else 1
                vmerge = tc.find(f"{W}tcPr/{W}vMerge")
                col = len(cells)
                if vmerge is not None and vmerge.get(f"{W}val") != "restart":
                    text = above.get(col, "")  # merged down from the row above
                else:
                    text = _tc_text(tc)
                above[col] = text
                cells += [text] + [""] * (span - 1)
                if len(tcs) == 1 and span > 1:
                    spans[i] = (col, col + span - 1)
            rows.append(cells[:MAX_COLUMNS])
        rows = trim(rows, max_rows, where)
        if rows:
            tables.append(RawTable(f"таблица {n}", rows, merged_across(rows, spans)))
    return tables
