"""A Word table written as one piece of WordprocessingML, not cell by cell.

python-docx finds a row's cells by walking the whole table, so filling a table row by row costs
time in the square of its length (minutes for 5,000 rows). The exports know every cell before
they write, so the table is written here as XML text in one go and parsed once (lxml), producing
what python-docx itself writes for the same table: the «Table Grid» style, fixed column widths,
runs with a font size, bold header runs, centred header paragraphs, header rows repeated on every
page, and a row spanning the table (an activity area heading) as one cell with ``gridSpan``.
Line breaks in a cell are ``<w:br/>`` inside the run, as python-docx's ``cell.text`` writes them
and reads them back (the importer relies on it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from xml.sax.saxutils import escape

from touchpoints.core.safety import xlsx_value

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_LOOK = (
    '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
    'w:noHBand="0" w:noVBand="1" w:val="04A0"/>'
)


@dataclasses.dataclass(frozen=True)
class RowStyle:
    """How one row's runs and paragraphs look."""

    #: Font size in half-points (w:sz): 18 is 9 pt.
    size: int
    bold: bool = False
    centred: bool = False
    #: Repeated at the top of every page (w:tblHeader).
    header: bool = False


def _run(text: str, rpr: str) -> str:
    if not text:
        return f"<w:r>{rpr}</w:r>"
    parts = []
    for i, line in enumerate(text.split("\n")):
        if i:
            parts.append("<w:br/>")
        for j, chunk in enumerate(line.split("\t")):
            if j:
                parts.append("<w:tab/>")
            if chunk:
                space = ' xml:space="preserve"' if chunk != chunk.strip() else ""
                parts.append(f"<w:t{space}>{escape(chunk)}</w:t>")
    return f"<w:r>{rpr}{''.join(parts)}</w:r>"


class TableXml:
    """Rows appended as text; :meth:`element` parses the whole table once."""

    def __init__(self, widths: list[int], *, fixed: bool = True):
        #: Column widths in twentieths of a point (dxa), as python-docx's ``Length.twips``.
        self.widths = widths
        self.fixed = fixed
        self._parts: list[str] = []

    def add(self, values: Iterable, style: RowStyle) -> None:
        """One row of cells; ``None`` is an empty cell."""
        rpr = f'<w:rPr>{"<w:b/>" if style.bold else ""}<w:sz w:val="{style.size}"/></w:rPr>'
        ppr = '<w:pPr><w:jc w:val="center"/></w:pPr>' if style.centred else ""
        out = ["<w:tr>"]
        if style.header:
            out.append('<w:trPr><w:tblHeader w:val="true"/></w:trPr>')
        for value, width in zip(values, self.widths, strict=True):
            text = "" if value is None else str(xlsx_value(value))
            out.append(
                f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/></w:tcPr>'
                f"<w:p>{ppr}{_run(text, rpr)}</w:p></w:tc>"
            )
        out.append("</w:tr>")
        self._parts.append("".join(out))

    def add_spanning(self, text: str, style: RowStyle) -> None:
        """One cell across the whole row (an activity area's heading)."""
        rpr = f'<w:rPr>{"<w:b/>" if style.bold else ""}<w:sz w:val="{style.size}"/></w:rPr>'
        width = sum(self.widths)
        self._parts.append(
            f'<w:tr><w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>'
            f'<w:gridSpan w:val="{len(self.widths)}"/></w:tcPr>'
            f"<w:p>{_run(str(xlsx_value(text or '')), rpr)}</w:p></w:tc></w:tr>"
        )

    def element(self):
        from docx.oxml import parse_xml

        grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in self.widths)
        layout = '<w:tblLayout w:type="fixed"/>' if self.fixed else ""
        xml = (
            f'<w:tbl xmlns:w="{_W}"><w:tblPr><w:tblStyle w:val="TableGrid"/>'
            f'<w:tblW w:type="auto" w:w="0"/>{layout}{_LOOK}</w:tblPr>'
            f"<w:tblGrid>{grid}</w:tblGrid>{''.join(self._parts)}</w:tbl>"
        )
        return parse_xml(xml)


def append_table(document, table: TableXml) -> None:
    """Put the table at the end of the document's body (before its section properties)."""
    body = document.element.body
    element = table.element()
    sect = body.sectPr
    if sect is not None:
        sect.addprevious(element)
    else:
        body.append(element)


def content_width_twips(document) -> int:
    """The width between the margins of the document's (last) section."""
    section = document.sections[-1]
    return int(section.page_width - section.left_margin - section.right_margin) // 635
