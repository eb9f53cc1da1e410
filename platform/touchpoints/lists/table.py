"""The list as the agency's form shows it, built once for every surface.

The working list and version pages, the comparison, the public page, the order's appendix (PDF),
the XLSX/DOCX/CSV exports and open data all read an agency's list through :func:`build` (the
form-shaped table) and :func:`cell_text` (the text of one cell). Both seed forms share the shape:

* column 1 is «№», then the form's own columns, numbered 2..N in a row under the header (Murmansk
  appendix 2: six columns; Kuzbass, the appendix to the Procedure: three);
* rows are grouped by activity area in the form's order (Kuzbass 3.5: the list is formed for each
  area; Murmansk appendix 2, rows 1-10), an area marked as not performed appears as such, and an
  area the form no longer has (an old version's rows) comes last;
* a form without a process column (Kuzbass) can head rows by process within an area
  (:meth:`Group.by_process`), as the order's appendix does.

A row is an :class:`~touchpoints.lists.models.Entry`, a
:class:`~touchpoints.lists.models.VersionEntry`, or a plain dict of fields
(:func:`touchpoints.lists.diff.row_of`); :func:`value_of` reads any of them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from touchpoints.core import text
from touchpoints.lists.labels import CHANNEL_KINDS, CLIENT_KINDS
from touchpoints.tenants.form import Form

#: Client needs in a cell: one after another on a page and in the PDF; one per line in office
#: files (:data:`NEEDS_PER_LINE`), where a cell wraps anyway.
NEEDS_SEPARATOR = "; "
NEEDS_PER_LINE = "\n"


def value_of(row, field: str):
    """A field of an entry, a version's row or a row dict; ``subdivision`` is the unit's name."""
    if isinstance(row, dict):
        return row.get(field)
    if field == "subdivision":
        name = getattr(row, "subdivision_name", None)
        if name is None:
            unit = getattr(row, "subdivision", None)
            name = unit.name if unit is not None else ""
        return name
    return getattr(row, field, None)


def cell_text(form: Form, column: dict, row, needs_separator: str = NEEDS_SEPARATOR) -> str:
    """The text of one cell of the agency's form: the one place a field becomes text.

    Catalogue values read by their names in the form, kinds by their Russian labels, numbers
    (norms, numeric extra columns) the one way of :func:`touchpoints.core.text.number`."""
    field = column["field"]
    if field == "extra":
        return text.number((value_of(row, "extra") or {}).get(column["key"]))
    value = value_of(row, field)
    if field == "activity_area":
        return form.area_name(value) if value is not None else ""
    if field == "channel_kind":
        return CHANNEL_KINDS.get(value, value or "")
    if field == "client_kind":
        return CLIENT_KINDS.get(value, value or "")
    if field == "client_needs":
        return needs_separator.join(form.need_names(value or []))
    return text.number(value)


def field_text(form: Form, field: str, row, needs_separator: str = NEEDS_SEPARATOR) -> str:
    """:func:`cell_text` of a common field, whether or not the form has a column for it."""
    return cell_text(form, {"field": field, "key": field}, row, needs_separator)


def extra_text(form: Form, extra: dict | None) -> str:
    """The form's extra columns of a row in one line: «Примечание: …; Срок: …»."""
    extra = extra or {}
    labels = {c["key"]: c["label"] for c in form.extra_columns}
    keys = [c["key"] for c in form.extra_columns] + sorted(k for k in extra if k not in labels)
    return "; ".join(
        f"{labels.get(k, k)}: {text.number(extra[k])}"
        for k in keys
        if extra.get(k) not in (None, "")
    )


@dataclasses.dataclass(frozen=True)
class Column:
    #: The column's number in the row under the header (1 is «№»).
    number: int
    label: str
    field: str
    key: str
    #: Relative width, as the form gives it.
    width: int
    #: The column a form's definition gives (what :func:`cell_text` takes).
    definition: dict


@dataclasses.dataclass
class Row:
    number: int
    cells: list[str]
    #: The entry, version row or dict the row was made from.
    source: object

    @property
    def process(self) -> str:
        return value_of(self.source, "process_name") or ""


@dataclasses.dataclass
class Group:
    #: None when the form does not group by area (one group holds every row).
    code: str | None
    #: The area's number in the form's order (None for an area the form no longer has).
    number: int | None
    title: str
    rows: list[Row] = dataclasses.field(default_factory=list)
    not_performed: bool = False

    @property
    def heading(self) -> str:
        """«1. Предоставление государственных услуг» — the area as the Murmansk appendix heads it."""
        return f"{self.number}. {self.title}" if self.number else self.title

    def by_process(self) -> list[tuple[str, list[Row]]]:
        """Consecutive rows of one process under its name."""
        out: list[tuple[str, list[Row]]] = []
        for row in self.rows:
            if not out or out[-1][0] != row.process:
                out.append((row.process, []))
            out[-1][1].append(row)
        return out


@dataclasses.dataclass
class FormTable:
    form: Form
    columns: list[Column]
    groups: list[Group]

    @property
    def header(self) -> list[str]:
        return ["№", *(c.label for c in self.columns)]

    @property
    def rows(self) -> list[Row]:
        return [r for g in self.groups for r in g.rows]

    @property
    def row_count(self) -> int:
        return sum(len(g.rows) for g in self.groups)

    @property
    def grouped(self) -> bool:
        return self.form.group_by_area

    @property
    def has_process_column(self) -> bool:
        return any(c.field == "process_name" for c in self.columns)


def columns_of(form: Form) -> list[Column]:
    return [
        Column(i, c["label"], c["field"], c["key"], c.get("width", 10), c)
        for i, c in enumerate(form.columns, start=2)
    ]


def build(
    form: Form,
    rows: Iterable,
    *,
    not_performed: Iterable[str] = (),
    start: int = 1,
    renumber: bool = False,
    needs_separator: str = NEEDS_SEPARATOR,
) -> FormTable:
    """The form-shaped table of ``rows`` (in the order they should print within an area).

    Rows are numbered by their version's ``row_number`` when they have one, otherwise (and with
    ``renumber``) one after another in printed order from ``start`` (a page of the working list
    starts where the previous page ended). Areas in ``not_performed`` without rows appear as
    empty groups marked ``not_performed``."""
    columns = columns_of(form)
    numbers = {a["code"]: i for i, a in enumerate(form.activity_areas, start=1)}
    skipped = set(not_performed)
    by_area: dict[str | None, list] = {}
    for r in rows:
        by_area.setdefault(value_of(r, "activity_area") if form.group_by_area else None, []).append(
            r
        )
    if form.group_by_area:
        known = [a["code"] for a in form.activity_areas]
        order = known + [code for code in by_area if code not in numbers]
    else:
        order = [None]
    groups: list[Group] = []
    n = start - 1
    for code in order:
        sources = by_area.get(code, [])
        if not sources and code not in skipped:
            continue
        group = Group(
            code,
            numbers.get(code) if code is not None else None,
            form.area_name(code) if code is not None else "",
            not_performed=not sources,
        )
        for source in sources:
            n += 1
            stored = None if renumber else value_of(source, "row_number")
            cells = [cell_text(form, c.definition, source, needs_separator) for c in columns]
            group.rows.append(Row(stored or n, cells, source))
        groups.append(group)
    return FormTable(form, columns, groups)
