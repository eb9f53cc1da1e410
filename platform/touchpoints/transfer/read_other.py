"""OpenDocument (.odt, .ods: LibreOffice, МойОфис, Р7-Офис), CSV and HTML tables as rows of text.

- OpenDocument is opened with odfpy. Repeated rows and cells (``number-rows-repeated``: a sheet
  ends with a million "repeated" empty rows) are expanded only while they carry text; spanned
  cells fill down like Excel's merged cells; collapsed (hidden) rows and columns are skipped.
- CSV: UTF-8 (with or without a BOM) or Windows-1251, comma or semicolon; the people's CSV
  export of a list is such a file.
- HTML: Excel and 1С save "web page" tables with an .xls name; read with the standard parser.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
from html.parser import HTMLParser

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
SPARE_ROWS = 50


# --------------------------------------------------------------------------- OpenDocument


def read_odf(data: bytes, max_rows: int) -> list[RawTable]:
    from odf import teletype
    from odf.namespaces import TABLENS
    from odf.opendocument import load

    try:
        doc = load(io.BytesIO(data))
    except Exception as exc:  # odfpy raises many kinds on a broken file
        log.info("unreadable OpenDocument upload: %s", exc)
        raise ImportFileError(corrupt(".ods")) from None

    def attr(el, name, default=None):
        return el.attributes.get((TABLENS, name), default)

    spreadsheet = doc.mimetype.endswith("spreadsheet")
    tables = []
    for n, table in enumerate(doc.getElementsByType(_table_class()), start=1):
        name = attr(table, "name") or str(n)
        where = f"листе «{name}»" if spreadsheet else f"таблице {n}"
        source = f"лист «{name}»" if spreadsheet else f"таблица {n}"
        hidden_cols: set[int] = set()
        col = 0
        rows_el = []
        for el in _walk(table):
            if el.qname == (TABLENS, "table-column"):
                repeat = min(int(attr(el, "number-columns-repeated", 1)), MAX_COLUMNS)
                if attr(el, "visibility", "visible") != "visible":
                    hidden_cols.update(range(col, col + repeat))
                col += repeat
            elif el.qname == (TABLENS, "table-row"):
                rows_el.append(el)
        rows: list[list[str]] = []
        spans: dict[int, tuple[int, int]] = {}
        down: dict[int, tuple[int, str]] = {}  # column → (rows left, text) merged down
        for row_el in rows_el:
            repeat = int(attr(row_el, "number-rows-repeated", 1))
            hidden = attr(row_el, "visibility", "visible") != "visible"
            cells: list[str] = []
            single = None
            for cell in row_el.childNodes:
                if cell.qname not in ((TABLENS, "table-cell"), (TABLENS, "covered-table-cell")):
                    continue
                times = min(int(attr(cell, "number-columns-repeated", 1)), MAX_COLUMNS)
                for _ in range(times):
                    c = len(cells)
                    if cell.qname == (TABLENS, "covered-table-cell"):
                        left, text = down.get(c, (0, ""))
                        cells.append(text if left > 0 else "")
                    else:
                        text = cell_text(teletype.extractText(cell))
                        cells.append(text)
                        span_rows = int(attr(cell, "number-rows-spanned", 1))
                        span_cols = int(attr(cell, "number-columns-spanned", 1))
                        if span_rows > 1:
                            down[c] = (span_rows, text)
                        if span_cols > 1:
                            single = (c, c + span_cols - 1)
                    if len(cells) >= MAX_COLUMNS:
                        break
            for c in list(down):
                left, text = down[c]
                down[c] = (left - 1, text)
            if not any(cells):
                repeat = min(repeat, 1)  # a run of empty rows is one empty row
            for _ in range(repeat):
                if hidden:
                    break
                if single is not None and sum(1 for v in cells if v) == 1:
                    spans[len(rows)] = single
                rows.append([v for i, v in enumerate(cells) if i not in hidden_cols])
                if len(rows) > max_rows + SPARE_ROWS:
                    raise too_many_rows(where, max_rows)
        rows = trim(rows, max_rows, where)
        if rows:
            tables.append(RawTable(source, rows, merged_across(rows, spans)))
    return tables


def _table_class():
    from odf.table import Table

    return Table


def _walk(table):
    """Columns and rows of a table, also inside header-rows / row-groups, not nested tables."""
    from odf.namespaces import TABLENS

    for el in table.childNodes:
        if el.qname in ((TABLENS, "table-column"), (TABLENS, "table-row")):
            yield el
        elif el.qname[0] == TABLENS and el.qname[1] in (
            "table-header-rows",
            "table-rows",
            "table-row-group",
            "table-columns",
            "table-header-columns",
            "table-column-group",
        ):
            yield from _walk(el)


# --------------------------------------------------------------------------- CSV


def decode(data: bytes) -> str:
    """UTF-8 (BOM or not) first, then Windows-1251: what Russian spreadsheets save CSV in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def read_csv(data: bytes, max_rows: int) -> list[RawTable]:
    text = decode(data)
    delimiter = sniff_delimiter(text)
    rows = []
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        if len(rows) > max_rows + SPARE_ROWS:
            raise too_many_rows("файле", max_rows)
        rows.append([cell_text(_unescape(v)) for v in row[:MAX_COLUMNS]])
    return [RawTable("файл CSV", trim(rows, max_rows, "файле"), [])]


def sniff_delimiter(text: str) -> str:
    """«;» (Excel in Russian locales, the people's CSV export), «,» or tab: the one that splits
    the first rows into one width most consistently, quotes respected. A «;» file has commas
    in its prose and headings («Время ответа, ч») that separate nothing, and the other way
    round; the right delimiter gives every row of a form the same number of columns."""
    sample = text[:50000]

    def score(delimiter: str) -> tuple[int, int]:
        try:
            widths = [len(r) for r in itertools.islice(
                csv.reader(io.StringIO(sample), delimiter=delimiter), 12) if any(r)]  # fmt: skip
        except csv.Error:
            return (0, 0)
        widths = [w for w in widths if w > 1]
        if not widths:
            return (0, 0)
        modal = max(set(widths), key=lambda w: (widths.count(w), w))
        return (widths.count(modal), modal)

    return max(";,\t", key=score)


def _unescape(text: str) -> str:
    # The CSV export guards formula-like text with an apostrophe (CSV injection); take it off.
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


# --------------------------------------------------------------------------- HTML


class _Tables(HTMLParser):
    def __init__(self, max_rows: int):
        super().__init__(convert_charrefs=True)
        self.max_rows = max_rows
        self.tables: list[tuple[list[list[str]], dict]] = []
        self.stack: list[tuple[list[list[str]], dict]] = []
        self.cell: list[str] | None = None
        self.span = 1
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        style = (a.get("style") or "").replace(" ", "").lower()
        if tag == "table":
            self.stack.append(([], {}))
        elif not self.stack:
            return
        elif tag == "tr":
            self.stack[-1][0].append([])
            if len(self.stack[-1][0]) > self.max_rows + SPARE_ROWS:
                raise too_many_rows("таблице", self.max_rows)
            self.hidden = "display:none" in style
        elif tag in ("td", "th"):
            self.cell = []
            try:
                self.span = max(1, min(int(a.get("colspan") or 1), MAX_COLUMNS))
            except ValueError:
                self.span = 1
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag):
        if not self.stack:
            return
        rows, spans = self.stack[-1]
        if tag in ("td", "th") and self.cell is not None and rows:
            row = rows[-1]
            if self.span > 1:
                spans[len(rows) - 1] = (len(row), len(row) + self.span - 1)
            row += [cell_text("".join(self.cell))] + [""] * (self.span - 1)
            self.cell = None
        elif tag == "tr" and rows and self.hidden:
            rows.pop()
            self.hidden = False
        elif tag in ("p", "div") and self.cell is not None:
            self.cell.append("\n")
        elif tag == "table":
            self.tables.append(self.stack.pop())

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(" ".join(data.split()) if "\n" in data else data)


def read_html(data: bytes, max_rows: int) -> list[RawTable]:
    parser = _Tables(max_rows)
    try:
        parser.feed(decode(data))
        parser.close()
    except ImportFileError:
        raise
    except Exception as exc:
        log.info("unreadable html upload: %s", exc)
        raise ImportFileError(
            "Файл похож на веб-страницу, но таблицу из него прочитать не удалось. Откройте его "
            "в Excel и сохраните как «Книга Excel (.xlsx)»."
        ) from None
    out = []
    for n, (rows, spans) in enumerate(parser.tables, start=1):
        rows = trim([r[:MAX_COLUMNS] for r in rows], max_rows, f"таблице {n}")
        if rows:
            out.append(RawTable(f"таблица {n}", rows, merged_across(rows, spans)))
    if not out:
        raise ImportFileError(
            "Файл сохранён как веб-страница, но таблицы в нём нет. Откройте его в Excel и "
            "сохраните как «Книга Excel (.xlsx)»."
        )
    return out
