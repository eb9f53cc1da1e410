"""Spreadsheet cells written in openpyxl's write-only mode with shared named styles.

Styling cells one by one (a Font, a Border, an Alignment set on each cell) made openpyxl spend
more than half of an export on styles. Here each look is one named style of the workbook
(they show in Excel's style gallery under «Перечень: …»), registered once; a cell takes a copy
of the style's small index array, and rows stream to the file as they are made (write-only
mode keeps no sheet in memory). Text is cleaned for XML and never becomes a formula
(:mod:`touchpoints.core.safety`).
"""

from __future__ import annotations

from touchpoints.core.safety import xlsx_value

BORDERED = ("header", "number_header", "group", "cell", "number")


def _named_styles() -> dict:
    from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side

    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    fill = PatternFill("solid", fgColor="EEF1F6")
    wrap = Alignment(wrap_text=True, vertical="top")
    centre = Alignment(wrap_text=True, vertical="center", horizontal="center")
    looks = {
        "title": ("Перечень: заголовок", Font(bold=True, size=12), None, None,
                  Alignment(wrap_text=True, horizontal="center")),
        "subtitle": ("Перечень: подзаголовок", Font(italic=True), None, None, None),
        "header": ("Перечень: шапка", Font(bold=True), border, fill, centre),
        "number_header": ("Перечень: номера граф", None, border, None, centre),
        "group": ("Перечень: направление", Font(bold=True), border, fill, wrap),
        "cell": ("Перечень: ячейка", None, border, None, wrap),
        "number": ("Перечень: номер строки", None, border, None,
                   Alignment(vertical="top", horizontal="center")),
        "note": ("Перечень: примечание", Font(italic=True), None, None, None),
        "plain_header": ("Перечень: шапка сведений", Font(bold=True), None, None, None),
        "plain": ("Перечень: сведения", None, None, None, wrap),
    }  # fmt: skip
    out = {}
    for key, (name, font, brd, fll, alignment) in looks.items():
        style = NamedStyle(name=name)
        if font is not None:
            style.font = font
        if brd is not None:
            style.border = brd
        if fll is not None:
            style.fill = fll
        if alignment is not None:
            style.alignment = alignment
        out[key] = style
    return out


class StyledCells:
    """Makes write-only cells of one sheet in the workbook's named styles.

    Rows of such a sheet are lists of these cells only (``sheet.append``)."""

    def __init__(self, workbook, sheet):
        from openpyxl.cell import Cell

        self._cell_class = Cell
        self.sheet = sheet
        existing = set(workbook.named_styles)
        self._protos = {}
        for key, style in _named_styles().items():
            if style.name not in existing:
                workbook.add_named_style(style)
            proto = Cell(sheet)
            proto.style = style.name
            # A cell's style is a small array of indexes into the workbook's shared tables:
            # a new cell copies the prototype's, which is what assigning the name does,
            # without looking the name up again for every cell.
            self._protos[key] = proto._style
        # openpyxl first tries each appended value as a plain value and only then, after a
        # ValueError, takes it as a cell: rows of ready cells skip that detour.
        sheet._values_to_row = _cells_to_row

    def __call__(self, value, style: str):
        cell = self._cell_class(
            self.sheet, value=xlsx_value(value), style_array=self._protos[style]
        )
        if cell.data_type == "f":
            cell.data_type = "s"  # text that starts with "=" stays text, never a formula
        return cell

    def row(self, values, style: str) -> list:
        return [self(v, style) for v in values]


def _cells_to_row(cells, row_idx: int):
    for col_idx, cell in enumerate(cells, 1):
        cell.column = col_idx
        cell.row = row_idx
        yield cell
