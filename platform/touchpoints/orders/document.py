"""The order approving a version, as plain data (issue 4): what the PDF templates show.

:func:`order_context` turns an agency and a version (or the working list, as a draft) into an
:class:`OrderData`; the list appendix is the form-shaped table of :mod:`touchpoints.lists.table`,
laid out as the seeds' Word tables (merged area and process cells, process headings for a form
without a process column). Templates of the agencies read these classes: their fields are the
templates' interface and change only together with ``templates/pdf/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa

from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency
from touchpoints.core.text import date_long, date_short
from touchpoints.lists import diff as list_diff
from touchpoints.lists import procedures
from touchpoints.lists import table as list_table
from touchpoints.lists.form import Form
from touchpoints.lists.labels import CHANGE_KINDS, label_for
from touchpoints.lists.models import AreaStatus, Entry, ListVersion
from touchpoints.lists.services import sort_key_for


class OrderError(ValueError):
    """Rendering cannot go on; the message is shown to the user."""


@dataclass
class Column:
    label: str
    width: float  # percent of the table width


@dataclass
class AppendixGroup:
    """Rows of one activity area (Kuzbass 3.5: the list is formed per area), optionally split by
    process when the form has no column for it (the Kuzbass form has none)."""

    title: str
    not_performed: bool = False
    #: (process heading, rows of cell texts); a None cell continues the cell above.
    subgroups: list[tuple[str, list[list[str | None]]]] = field(default_factory=list)


@dataclass
class ListAppendix:
    title: str
    columns: list[Column]
    groups: list[AppendixGroup]
    row_count: int


@dataclass
class ChangeRow:
    kind: str  # Включена / Изменена / Исключена
    area: str
    process: str
    touchpoint: str
    details: list[str]


@dataclass
class ChangesAppendix:
    title: str
    previous: str  # «редакции № 1, утверждённой приказом от … № …»
    rows: list[ChangeRow]


@dataclass
class OrderData:
    draft: bool
    agency_name: str
    agency_genitive: str
    city: str
    order_number: str
    order_date: date | None
    title: str
    preamble: str
    paragraphs: list[str]
    signatory_title: str
    signatory_name: str
    appendix: ListAppendix
    changes: ChangesAppendix | None = None
    #: What this document prints; a large order is rendered in parts (orders/chunks.py) and
    #: prints the order itself and the appendix's heading in its first part, the changes in its
    #: last.
    prints_order: bool = True
    prints_appendix_opening: bool = True
    prints_changes: bool = True

    @property
    def date_long(self) -> str:
        return date_long(self.order_date) if self.order_date else "«___» __________ 20__ г."

    @property
    def date_short(self) -> str:
        return date_short(self.order_date) if self.order_date else "__________"

    @property
    def number(self) -> str:
        return self.order_number or "______"


def _columns(form: Form) -> list[Column]:
    # Column 1 is «№» in both seed forms (Murmansk appendix 2, Kuzbass appendix to the Procedure);
    # the forms list only the columns after it.
    number_width = 4.0
    columns = list_table.columns_of(form)
    total = sum(c.width for c in columns) or 1
    return [Column("№", number_width)] + [
        Column(c.label, round((100 - number_width) * c.width / total, 3)) for c in columns
    ]


def list_appendix(
    form: Form, title: str, entries: list, not_performed: list[str], row_numbers: bool = True
) -> ListAppendix:
    """The form-shaped table (:func:`touchpoints.lists.table.build`) as the appendix prints it;
    an area without rows appears only when it is marked as not performed (Kuzbass 3.5).

    Within a group, the area and a process that repeat the row above are left out (None: the
    template draws a continued cell), as merged cells in the seeds' Word tables; repeating them
    on every row made the rows and the PDF half as long again."""
    table = list_table.build(form, entries, not_performed=not_performed, renumber=not row_numbers)
    merged = [c.field in ("activity_area", "process_name") for c in table.columns]
    groups = []
    for g in table.groups:
        group = AppendixGroup(g.title, not_performed=g.not_performed)
        above: list = []
        for process, rows in g.by_process():
            cells_of_rows = []
            for row in rows:
                cells = [str(row.number)] + [
                    None if merge and above and v == above[i] else v
                    for i, (v, merge) in enumerate(zip(row.cells, merged, strict=True))
                ]
                above = row.cells
                cells_of_rows.append(cells)
            group.subgroups.append(("" if table.has_process_column else process, cells_of_rows))
        groups.append(group)
    return ListAppendix(
        title=title, columns=_columns(form), groups=groups, row_count=table.row_count
    )


def _changed_text(form: Form, f: str, value) -> str:
    if f == "extra":
        return list_table.extra_text(form, value)
    return list_table.field_text(form, f, {f: value})


def changes_appendix(
    form: Form, agency_id: int, previous: ListVersion, old: dict, new: dict
) -> ChangesAppendix | None:
    """Added, changed and excluded rows against the previous version (Murmansk 5.2, Kuzbass 5.3)."""
    # The Kuzbass order cites its own clauses (5.3) for the same reasons.
    # Reasons worded and cited as the form's procedure says (Murmansk 5.2, Kuzbass 5.3).
    d = list_diff.compare(old, new, form.procedure)
    if d.empty:
        return None
    reasons = {}
    if d.excluded:
        keys = [r["_key"] for r in d.excluded]
        reasons = dict(
            db.session.execute(
                sa.select(Entry.id, Entry.exclusion_reason).where(
                    Entry.agency_id == agency_id, Entry.id.in_(keys)
                )
            ).all()
        )

    def row(kind: str, r: dict, details: list[str]) -> ChangeRow:
        return ChangeRow(
            kind=CHANGE_KINDS[kind],
            area=list_table.field_text(form, "activity_area", r),
            process=r.get("process_name") or "",
            touchpoint=r.get("touchpoint") or "",
            details=details,
        )

    rows = [row("added", r, [d.reasons["added"]]) for r in d.added]
    for c in d.changed:
        details = [*c.reasons, *c.notes]
        for f in c.fields:
            old_text = _changed_text(form, f, c.old.get(f))
            new_text = _changed_text(form, f, c.new.get(f))
            details.append(f"{label_for(form, f)}: {_quoted(old_text)} → {_quoted(new_text)}")
        rows.append(row("changed", c.new, details))
    for r in d.excluded:
        details = [d.reasons["excluded"]]
        if reasons.get(r["_key"]):
            details.append(f"Причина: {reasons[r['_key']]}")
        rows.append(row("excluded", r, details))
    area_order = {a["code"]: i for i, a in enumerate(form.activity_areas)}
    rows.sort(key=lambda r: area_order.get(_area_code(form, r.area), 999))
    return ChangesAppendix(
        title="Изменения в перечне точек взаимодействия",
        previous=(
            f"по сравнению с редакцией № {previous.number}, утверждённой приказом "
            f"от {date_short(previous.order_date)} № {previous.order_number}"
        ),
        rows=rows,
    )


def _area_code(form: Form, name: str) -> str:
    return next((a["code"] for a in form.activity_areas if a["name"] == name), "")


def _preamble(legal_basis: str | None, form: Form) -> str:
    """The agency's legal basis and the procedure its list is kept by, cited from the form the
    list is approved in (its own order: docs/forms.md)."""
    text = (legal_basis or "").strip()
    cited = procedures.basis(form.procedure)
    if not cited or cited in text:
        return text
    if not text:
        return f"{cited[0].upper()}{cited[1:]},"
    return f"{text.rstrip(' ,.')}, {cited},"


def _order_settings(agency: Agency) -> dict:
    return (agency.settings or {}).get("order") or {}


def _names(agency: Agency) -> tuple[str, str]:
    return agency.name_in("genitive"), agency.name_in("prepositional")


def _quoted(text: str) -> str:
    """A value in quotes; an empty one said in words (not «» → «…»)."""
    return f"«{text}»" if text else "(не заполнено)"


SINGLE_APPENDIX = "согласно приложению к настоящему приказу"


def refer_to_appendices(paragraphs: list[str]) -> list[str]:
    """With the changes as a second appendix the list is appendix № 1: say so in the clause
    that approves it, and where the changes are."""
    return [
        p.replace(
            SINGLE_APPENDIX,
            "согласно приложению № 1 к настоящему приказу (изменения по сравнению с предыдущей "
            "редакцией приведены в приложении № 2)",
        )
        for p in paragraphs
    ]


def _paragraphs(agency: Agency, previous: ListVersion | None) -> list[str]:
    genitive, prepositional = _names(agency)
    paragraphs = list(_order_settings(agency).get("paragraphs") or [])
    if not paragraphs:
        paragraphs = [
            f"Утвердить перечень точек взаимодействия с клиентом в {prepositional} "
            "согласно приложению к настоящему приказу.",
            "Контроль за исполнением настоящего приказа оставляю за собой.",
        ]
    if previous is not None:
        superseded = (
            f"Признать утратившим силу приказ {genitive} от {date_short(previous.order_date)} "
            f"№ {previous.order_number} «Об утверждении перечня точек взаимодействия с клиентом»."
        )
        # The control clause closes an order (both seeds), so the new clause goes before it.
        paragraphs.insert(max(len(paragraphs) - 1, 0), superseded)
    return paragraphs


def _previous_version(agency_id: int, before_number: int | None) -> ListVersion | None:
    if before_number is None:
        return ListVersion.latest(agency_id)
    return ListVersion.previous(agency_id, before_number)


def default_with_changes(version: ListVersion) -> bool:
    """The order approving an updated list carries the list of changes (a second appendix)."""
    return _previous_version(version.agency_id, version.number) is not None


def order_context(
    agency: Agency, version: ListVersion | None = None, with_changes: bool | None = None
) -> OrderData:
    """Everything the templates show, as plain data; ``version=None`` is the working list (draft)."""
    genitive, prepositional = _names(agency)
    settings = _order_settings(agency)
    if version is not None:
        form = Form(version.form)
        entries = list(version.entries)
        not_performed = list(version.areas_not_performed or [])
        previous = _previous_version(agency.id, version.number)
    else:
        form = Form(agency.form)
        entries = Entry.working(agency.id)
        entries.sort(key=sort_key_for(form))
        not_performed = sorted(
            db.session.scalars(
                sa.select(AreaStatus.area_code).where(
                    AreaStatus.agency_id == agency.id, AreaStatus.not_performed
                )
            )
        )
        previous = _previous_version(agency.id, None)
    title = settings.get("appendix_title") or form.title(agency)
    data = OrderData(
        draft=version is None,
        agency_name=agency.full_name,
        agency_genitive=genitive,
        city=agency.city,
        order_number=version.order_number if version else "",
        order_date=version.order_date if version else None,
        title=f"Об утверждении перечня точек взаимодействия с клиентом в {prepositional}",
        preamble=_preamble(agency.legal_basis, form),
        paragraphs=_paragraphs(agency, previous),
        signatory_title=(version.signatory_title if version else "") or agency.head_title,
        signatory_name=(version.signatory_name if version else "") or agency.head_name,
        appendix=list_appendix(
            form, title, entries, not_performed, row_numbers=version is not None
        ),
    )
    if with_changes is None:
        with_changes = previous is not None
    if with_changes and previous is not None:
        new = (
            list_diff.version_rows(version)
            if version is not None
            else {e.id: list_diff.row_of(e) for e in entries}
        )
        data.changes = changes_appendix(
            form, agency.id, previous, list_diff.version_rows(previous), new
        )
        if data.changes is not None:
            data.paragraphs = refer_to_appendices(data.paragraphs)
    return data
