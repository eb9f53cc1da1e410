"""Reading tables out of uploaded Word (.docx) and Excel (.xlsx) files, defensively.

Files come from outside: each reader checks the size packed and unpacked before parsing (a .docx
or .xlsx is a ZIP archive and could be a "zip bomb"), limits the number of rows, and turns every
failure into :class:`ImportFileError` with a message the user can act on, never a traceback.
"""

from __future__ import annotations

import dataclasses
import io
import logging
import zipfile
from datetime import date, datetime

log = logging.getLogger(__name__)

#: Unpacked size of all parts of the archive; a real list of a few thousand rows is far below.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_COLUMNS = 60


class ImportFileError(ValueError):
    """The file cannot be imported; the message says why in words the user understands."""


@dataclasses.dataclass
class RawTable:
    #: Where in the file the table was found, e.g. «лист «Перечень»» or «таблица 2».
    source: str
    rows: list[list[str]]
    #: Rows that are a single cell merged across the table (grouping rows of activity areas).
    merged_rows: list[int]

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)


def mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} МБ" if n >= 1024 * 1024 else f"{max(1, n // 1024)} КБ"


def read_tables(data: bytes, filename: str, *, max_bytes: int, max_rows: int) -> list[RawTable]:
    """Every table of the file (sheets of a workbook, tables of a document) as rows of text."""
    name = (filename or "").lower()
    if not data:
        raise ImportFileError("Файл пустой.")
    if len(data) > max_bytes:
        raise ImportFileError(
            f"Файл слишком большой ({mb(len(data))}); можно загрузить не больше {mb(max_bytes)}. "
            "Разделите перечень на несколько файлов."
        )
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise ImportFileError(
            "Файл в старом формате Word или Excel (.doc, .xls). Откройте его и сохраните "
            "как «Документ Word (.docx)» или «Книга Excel (.xlsx)», затем загрузите снова."
        )
    if not name.endswith((".docx", ".xlsx")) and data[:4] != b"PK\x03\x04":
        raise ImportFileError(
            "Загрузите таблицу Word (.docx) или Excel (.xlsx). Файлы других форматов не "
            "поддерживаются."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        unpacked = sum(i.file_size for i in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError(_corrupt(name)) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ImportFileError(
            "Файл после распаковки слишком большой для перечня. Проверьте, что это тот файл."
        )
    if "word/document.xml" in names:
        tables = _read_docx(data, max_rows)
    elif "xl/workbook.xml" in names:
        tables = _read_xlsx(data, max_rows)
    else:
        raise ImportFileError(_corrupt(name))
    return tables


def _corrupt(name: str) -> str:
    kind = "Excel" if name.endswith(".xlsx") else "Word" if name.endswith(".docx") else "Word/Excel"
    return (
        f"Файл повреждён или не является документом {kind}: его не удалось открыть. "
        "Откройте его в Word или Excel, сохраните заново как .docx или .xlsx и загрузите снова."
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d.%m.%Y")
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return "\n".join(line.strip() for line in text.strip().split("\n"))


def _trim(rows: list[list[str]], max_rows: int, where: str) -> list[list[str]]:
    while rows and not any(rows[-1]):
        rows.pop()
    if len(rows) > max_rows:
        raise ImportFileError(
            f"В {where} больше {max_rows} строк: это больше, чем можно загрузить за один раз. "
            "Разделите перечень на несколько файлов."
        )
    width = 0
    for r in rows:
        for i in range(len(r) - 1, -1, -1):
            if r[i]:
                width = max(width, i + 1)
                break
    width = min(width, MAX_COLUMNS)
    return [(r + [""] * width)[:width] for r in rows]


def _read_xlsx(data: bytes, max_rows: int) -> list[RawTable]:
    from openpyxl import load_workbook

    try:
        # Not read-only: merged ranges are needed to recognise the grouping rows.
        wb = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        log.info("unreadable xlsx upload: %s", exc)
        raise ImportFileError(_corrupt(".xlsx")) from None
    tables = []
    try:
        for ws in wb.worksheets:
            if ws.sheet_state != "visible":
                continue
            where = f"листе «{ws.title}»"
            if (ws.max_row or 0) > max_rows * 4:
                raise ImportFileError(
                    f"На {where} больше {max_rows} строк: это больше, чем можно загрузить за "
                    "один раз. Разделите перечень на несколько файлов."
                )
            rows = [[_text(v) for v in row[:MAX_COLUMNS]] for row in ws.iter_rows(values_only=True)]
            rows = _trim(rows, max_rows, where)
            if not rows:
                continue
            merged = set()
            for rng in ws.merged_cells.ranges:
                if rng.max_col > rng.min_col and rng.min_row - 1 < len(rows):
                    row = rows[rng.min_row - 1]
                    if sum(1 for v in row if v) == 1 and row[rng.min_col - 1]:
                        merged.add(rng.min_row - 1)
            tables.append(RawTable(f"лист «{ws.title}»", rows, sorted(merged)))
    finally:
        wb.close()
    return tables


def _read_docx(data: bytes, max_rows: int) -> list[RawTable]:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx and lxml raise many kinds on a broken file
        log.info("unreadable docx upload: %s", exc)
        raise ImportFileError(_corrupt(".docx")) from None
    tables = []
    for n, table in enumerate(document.tables, start=1):
        where = f"таблице {n}"
        if len(table._tbl.tr_lst) > max_rows * 4:
            raise ImportFileError(
                f"В {where} больше {max_rows} строк: это больше, чем можно загрузить за один "
                "раз. Разделите перечень на несколько файлов."
            )
        rows, merged = [], []
        for i, row in enumerate(table.rows):
            cells, seen = [], []
            for cell in row.cells[:MAX_COLUMNS]:
                # A cell merged across columns comes back once per column: keep its text once.
                repeated = bool(seen) and seen[-1] is cell._tc
                seen.append(cell._tc)
                cells.append("" if repeated else _text(cell.text))
            if len(seen) > 1 and all(tc is seen[0] for tc in seen) and cells[0]:
                merged.append(i)
            rows.append(cells)
        rows = _trim(rows, max_rows, where)
        if rows:
            tables.append(RawTable(f"таблица {n}", rows, [i for i in merged if i < len(rows)]))
    if not tables:
        raise ImportFileError(
            "В документе Word нет таблицы. Перечень должен быть оформлен таблицей: графы — "
            "столбцы, каждая точка взаимодействия — строка."
        )
    return tables
