"""Text that is safe to store, print and open: one place for every surface.

* ``clean_text``: what a form keeps of typed text. Control characters (NUL included) and the
  bidirectional controls that reorder text (U+202E «RIGHT-TO-LEFT OVERRIDE» and its kin) go;
  tabs and line breaks stay.
* ``has_forbidden_controls``: what a query string, a path or a form value must not carry at
  all (a 400 before any view runs, core/web.py).
* ``spreadsheet_text``: a cell of an XLSX or CSV meant for people. Text starting with
  ``= + - @`` (or a tab or carriage return) is something a spreadsheet would run as a formula,
  so it is written after an apostrophe (OWASP, "CSV injection"); numbers stay numbers.
* ``neutralise_bidi``: text for a PDF or an export, so that stored data printed from before the
  input filter cannot show reversed.
"""

from __future__ import annotations

import re

from markupsafe import Markup

#: C0 and C1 controls but tab, line feed and carriage return.
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
#: Embeddings, overrides and isolates, the marks and the Arabic letter mark.
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CLEAN_RE = re.compile(f"[{_CONTROLS}{_BIDI}]")
_BIDI_RE = re.compile(f"[{_BIDI}]")
#: In a URL nothing below U+0020 is ever typed; in a form, tabs and line breaks are.
_FORBIDDEN_IN_URL = re.compile("[\x00-\x1f\x7f-\x9f]")
_FORBIDDEN_IN_FORM = re.compile(f"[{_CONTROLS}]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value):
    """``value`` without control and bidi characters (non-strings pass through)."""
    if isinstance(value, str):
        return _CLEAN_RE.sub("", value)
    return value


def neutralise_bidi(value):
    """``value`` without bidi controls; markup stays markup (a Jinja ``finalize``)."""
    if isinstance(value, Markup):
        return Markup(_BIDI_RE.sub("", value))
    if isinstance(value, str):
        return _BIDI_RE.sub("", value)
    return value


def has_forbidden_controls(value: str, *, url: bool = True) -> bool:
    return bool((_FORBIDDEN_IN_URL if url else _FORBIDDEN_IN_FORM).search(value))


def spreadsheet_text(value):
    """A cell value a spreadsheet shows as typed: text never becomes a formula."""
    if not isinstance(value, str):
        return value
    value = neutralise_bidi(value)
    if value.startswith(FORMULA_START):
        return "'" + value
    return value


#: Characters XML 1.0 cannot hold: openpyxl refuses them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_value(value):
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("", neutralise_bidi(value))
    return value


def text_cell(cell):
    """An openpyxl cell whose text stays text: openpyxl reads ``=…`` as a formula, and a cell
    typed as a string is never one (in Excel or LibreOffice), so no apostrophe is needed."""
    if cell.data_type == "f":
        cell.data_type = "s"
    return cell


def append_row(ws, values) -> None:
    """``ws.append`` for sheets meant for people: no formulas, no bidi tricks."""
    ws.append([xlsx_value(v) for v in values])
    for cell in ws[ws.max_row]:
        text_cell(cell)
