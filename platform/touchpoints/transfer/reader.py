"""Reading tables out of uploaded files, defensively: what kind of file it is, and the limits.

Files come from outside. Before anything is parsed the file's kind is told by its first bytes
(not by its name), its size is checked and, for the ZIP-based formats (.docx, .xlsx, .odt, .ods),
the unpacked sizes listed in the archive's central directory are added up, so that a "zip bomb"
is refused without unpacking a byte. Readers then stream (openpyxl read-only, iterparse) and stop
as soon as a table has more rows than may be imported at once. Every failure becomes an
:class:`ImportFileError` with a message the person can act on, never a traceback.

The readers per format live in :mod:`.read_ooxml` (Word, Excel) and :mod:`.read_other`
(OpenDocument, CSV, HTML saved as .xls).
"""

from __future__ import annotations

import dataclasses
import io
import logging
import zipfile
from datetime import date, datetime

from touchpoints.core.safety import clean_text

log = logging.getLogger(__name__)

#: Unpacked size of all parts of an archive; a real list of a few thousand rows is far below.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
#: One part may not unpack to more than this many times its packed size (XML packs ~10-20×).
MAX_RATIO = 200
MAX_COLUMNS = 60
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class ImportFileError(ValueError):
    """The file cannot be imported; the message says why in words the user understands."""


@dataclasses.dataclass
class RawTable:
    #: Where in the file the table was found, e.g. «лист «Перечень»» or «таблица 2».
    source: str
    rows: list[list[str]]
    #: Rows that are a single cell merged across the table (grouping rows of activity areas).
    merged_rows: list[int]
    #: The row's line in its sheet (1-based) when it differs from its index + 1 (hidden rows).
    lines: list[int] | None = None

    @property
    def width(self) -> int:
        return max((len(r) for r in self.rows), default=0)

    def line(self, i: int) -> int:
        return self.lines[i] if self.lines else i + 1


def mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} МБ" if n >= 1024 * 1024 else f"{max(1, n // 1024)} КБ"


def too_many_rows(where: str, max_rows: int) -> ImportFileError:
    return ImportFileError(
        f"В {where} больше {max_rows} строк: это больше, чем можно загрузить за один раз. "
        "Разделите перечень на несколько файлов."
    )


OLD_FORMAT = (
    "Файл в старом формате Word или Excel (.doc, .xls), такие файлы не читаются. Откройте его "
    "и сохраните в современном формате: «Файл → Сохранить как» → «Документ Word (.docx)» или "
    "«Книга Excel (.xlsx)» (в LibreOffice, МойОфис, Р7-Офис — .docx/.xlsx или .odt/.ods), затем "
    "загрузите снова."
)
UNKNOWN_FORMAT = (
    "Загрузите таблицу Word (.docx) или Excel (.xlsx); подходят также .odt, .ods, .csv и "
    "таблица, сохранённая как веб-страница (.htm, .xls). Файлы других форматов не поддерживаются."
)


def kind_of(data: bytes, filename: str) -> str:
    """docx, xlsx, odt, ods, csv, html — or ImportFileError saying what to do."""
    name = (filename or "").lower()
    if data[:8] == OLE_MAGIC:
        raise ImportFileError(OLD_FORMAT)
    if data[:4] == b"PK\x03\x04":
        names = set(_archive(data, name).namelist())
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "content.xml" in names:
            return (
                "ods"
                if b"opendocument.spreadsheet" in data[:200] or name.endswith(".ods")
                else "odt"
            )
        raise ImportFileError(corrupt(name))
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) or b"<table" in head:
        return "html"
    if name.endswith(".csv") and not _binary(data[:4096]):
        return "csv"
    if name.endswith((".docx", ".xlsx", ".odt", ".ods")):
        raise ImportFileError(corrupt(name))
    raise ImportFileError(UNKNOWN_FORMAT)


def _binary(head: bytes) -> bool:
    # A stray NUL in a cell does not make a text file binary (it is cleaned at reading); a
    # UTF-16 text or an executable has one in every few bytes.
    return head.count(b"\0") * 20 > len(head)


def _archive(data: bytes, name: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise ImportFileError(corrupt(name)) from None
    # The central directory states every part's unpacked size: a zip bomb is refused here,
    # before a byte is inflated. (A lying directory is caught by zipfile's own size check.)
    unpacked = sum(i.file_size for i in infos)
    ratio = max((i.file_size / max(i.compress_size, 1) for i in infos), default=0)
    if unpacked > MAX_UNPACKED_BYTES or ratio > MAX_RATIO:
        log.info("refused archive: unpacked %s bytes, ratio %.0f", unpacked, ratio)
        raise ImportFileError(
            "Файл после распаковки слишком большой для перечня "
            f"({mb(unpacked)}). Проверьте, что это тот файл; большой перечень разделите на части."
        )
    return archive


def read_tables(
    data: bytes, filename: str, *, max_bytes: int, max_rows: int, sheet: str | None = None
) -> list[RawTable]:
    """Every table of the file (visible sheets of a workbook, tables of a document) as text."""
    from touchpoints.transfer import read_ooxml, read_other

    if not data:
        raise ImportFileError("Файл пустой.")
    if len(data) > max_bytes:
        raise ImportFileError(
            f"Файл слишком большой ({mb(len(data))}); можно загрузить не больше {mb(max_bytes)}. "
            "Разделите перечень на несколько файлов."
        )
    kind = kind_of(data, filename)
    readers = {
        "docx": read_ooxml.read_docx,
        "xlsx": read_ooxml.read_xlsx,
        "odt": read_other.read_odf,
        "ods": read_other.read_odf,
        "csv": read_other.read_csv,
        "html": read_other.read_html,
    }
    tables = readers[kind](data, max_rows)
    if sheet is not None:
        tables = [t for t in tables if t.source in (f"лист «{sheet}»", sheet)]
        if not tables:
            raise ImportFileError(f"В файле нет видимого листа «{sheet}».")
    tables = [t for t in tables if t.rows]
    if not tables:
        raise ImportFileError(
            "В файле нет таблицы. Перечень должен быть оформлен таблицей: графы — столбцы, "
            "каждая точка взаимодействия — строка."
        )
    return tables


def corrupt(name: str) -> str:
    kind = (
        "Excel"
        if name.endswith(".xlsx")
        else "Word"
        if name.endswith(".docx")
        else "OpenDocument"
        if name.endswith((".odt", ".ods"))
        else "Word/Excel"
    )
    return (
        f"Файл повреждён или не является документом {kind}: его не удалось открыть. "
        "Откройте его в редакторе, сохраните заново (.docx, .xlsx, .odt или .ods) и загрузите снова."
    )


def cell_text(value) -> str:
    """A cell's value as the text a person reads: every reader passes each cell through here.

    Control characters (NUL, ESC…) and bidirectional overrides are dropped (core.safety's
    ``clean_text``): a NUL would end in a database error, an override would show the text
    reversed on every page and in the order's PDF. Tabs and line breaks stay."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.strftime("%d.%m.%Y")
    text = clean_text(str(value)).replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    return "\n".join(line.strip() for line in text.strip().split("\n"))


def trim(rows: list[list[str]], max_rows: int, where: str) -> list[list[str]]:
    """Rows cut to the used width, trailing empty rows dropped; too many rows refused."""
    while rows and not any(rows[-1]):
        rows.pop()
    if len(rows) > max_rows:
        raise too_many_rows(where, max_rows)
    width = 0
    for r in rows:
        for i in range(len(r) - 1, -1, -1):
            if r[i]:
                width = max(width, i + 1)
                break
    width = min(width, MAX_COLUMNS)
    return [(r + [""] * width)[:width] for r in rows]


def merged_across(rows: list[list[str]], spans: dict[int, tuple[int, int]]) -> list[int]:
    """Rows whose only text sits in a cell merged over most of the table: group headings."""
    width = max((len(r) for r in rows), default=0)
    out = []
    for i, (first, last) in spans.items():
        wide = i < len(rows) and last - first + 1 >= max(2, width - 1)
        if wide and sum(1 for v in rows[i] if v) == 1 and rows[i][first]:
            out.append(i)
    return sorted(out)
