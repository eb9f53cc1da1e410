"""CSV files: the one module that decides how a CSV is written.

Two kinds, each for its reader:

* **for people** (every download button: the list, the audit trail, the users): what Russian
  Excel opens as columns by a double click — semicolons, UTF-8 with a byte order mark, CRLF
  line ends, Russian headings only; every text cell through
  :func:`touchpoints.core.safety.spreadsheet_text`, so text that starts like a formula is
  shown as typed and never runs (OWASP "CSV injection"); line breaks inside a cell stay inside
  its quotes, which Excel shows as lines of one cell;
* **for scripts** (``flask lists export --format csv``): commas, UTF-8 with a BOM, stable
  column names, the same formula guard. Open data writes its own documented format
  (``public/opendata.py``) and does not come through here.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from urllib.parse import quote

from touchpoints.core.safety import spreadsheet_text

MIMETYPE = "text/csv; charset=utf-8"
BOM = "\ufeff"


def _write(header: Iterable, rows: Iterable[Iterable], delimiter: str) -> bytes:
    buf = io.StringIO()
    buf.write(BOM)
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([_cell(v) for v in header])
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    return spreadsheet_text(value if isinstance(value, str) else str(value))


def for_people(header: Iterable[str], rows: Iterable[Iterable]) -> bytes:
    """A CSV Russian Excel opens as columns: ``;``, BOM, Russian ``header``."""
    return _write(header, rows, ";")


def for_scripts(header: Iterable[str], rows: Iterable[Iterable]) -> bytes:
    """A CSV for programs: ``,``, BOM, the stable column names in ``header``."""
    return _write(header, rows, ",")


def attachment(data: bytes, filename: str, ascii_name: str | None = None):
    """A download response; ``filename`` may be Russian (RFC 6266 ``filename*``)."""
    from flask import Response

    response = Response(data, mimetype=MIMETYPE)
    response.headers.set(
        "Content-Disposition",
        "attachment",
        filename=ascii_name or "export.csv",
        **{"filename*": "UTF-8''" + quote(filename, safe="")},
    )
    return response
