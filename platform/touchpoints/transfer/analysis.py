"""Understanding the rows of an upload with everything the person fixed: the preview's content.

Reads the session's cells with its mapping, edits, skipped rows and settled matches, classifies
every row (:mod:`.rows`) and, when the file as a whole is usable, plans the changes to the list
(:mod:`.plan`). Writes nothing.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency, Subdivision
from touchpoints.lists.form import Form
from touchpoints.transfer import plan as planning
from touchpoints.transfer.links import Links
from touchpoints.transfer.matching import NUMBER, Catalogue, Target, catalogue_synonyms, targets_for
from touchpoints.transfer.models import ImportChoice, ImportSession
from touchpoints.transfer.rows import Question, RowReader, RowResult

CATALOGUE_KINDS = ("area", "touchpoint", "need", "subdivision")


def remembered(agency_id: int) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {k: {} for k in (*CATALOGUE_KINDS, "header")}
    rows = db.session.execute(
        sa.select(ImportChoice.kind, ImportChoice.text, ImportChoice.code).where(
            ImportChoice.agency_id == agency_id
        )
    )
    for kind, text, code in rows:
        out.setdefault(kind, {})[text] = code
    return out


@dataclasses.dataclass
class Analysis:
    targets: list[Target]
    mapping: list[str]
    rows: list[RowResult]
    #: Problems of the file as a whole (a required column not mapped, no rows at all).
    problems: list[str]
    notes: list[str]
    plan: planning.Plan | None = None

    @property
    def data_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.kind == "data"]

    @property
    def error_rows(self) -> int:
        return sum(1 for r in self.rows if r.errors)

    @property
    def warning_rows(self) -> int:
        return sum(1 for r in self.rows if r.warnings)

    @property
    def questions(self) -> list:
        """Open questions, one per distinct (kind, text), in the order of the file."""
        seen, out = set(), []
        for r in self.rows:
            for q in r.questions:
                if (q.kind, q.key) not in seen:
                    seen.add((q.kind, q.key))
                    out.append((q, r.line))
        return out

    @property
    def ok(self) -> bool:
        return (
            not self.problems
            and not self.error_rows
            and not self.questions
            and bool(self.data_rows)
        )

    @property
    def shown_targets(self) -> list[Target]:
        mapped = set(self.mapping)
        return [t for t in self.targets if t.key in mapped]

    def messages(self) -> list[str]:
        out = list(self.problems)
        for r in self.rows:
            out += [f"строка {r.line} ({r.source}): {e}" for e in r.errors]
        for q, line in self.questions:
            out.append(f"строка {line}: не ясно, что значит «{q.text}» — уточните при проверке")
        return out


def catalogues(agency: Agency, form: Form, settled: dict) -> dict[str, Catalogue]:
    synonyms = catalogue_synonyms()
    memory = remembered(agency.id)
    subs = db.session.scalars(sa.select(Subdivision).where(Subdivision.agency_id == agency.id))
    items = [{"code": str(s.id), "name": s.name, "clause": s.code} for s in subs]
    return {
        "area": Catalogue("area", form.activity_areas, synonyms.get("activity_areas"),
                          memory["area"], settled.get("area")),
        "touchpoint": Catalogue("touchpoint", form.touchpoints, synonyms.get("taxonomy"),
                                memory["touchpoint"], settled.get("touchpoint")),
        "need": Catalogue("need", form.client_needs, synonyms.get("client_needs"),
                          memory["need"], settled.get("need")),
        "subdivision": Catalogue("subdivision", items, None, memory["subdivision"],
                                 settled.get("subdivision")),
    }  # fmt: skip


def analyse_session(agency: Agency, session: ImportSession, *, with_plan=True) -> Analysis:
    form = Form(agency.form)
    state = session.state or {}
    targets = targets_for(form)
    cats = catalogues(agency, form, state.get("settled") or {})
    mapping = session.mapping
    reader = RowReader(form, mapping, cats, targets, Links.of(agency))
    problems = []
    mapped = reader.mapped
    for t in targets:
        if t.required and t.key not in mapped and t.key != "touchpoint":
            problems.append(
                f"Графа «{t.label}» обязательна, но ни один столбец файла не сопоставлен с ней."
            )
    if "touchpoint" not in mapped and "touchpoint_code" not in mapped:
        problems.append("Ни один столбец файла не сопоставлен с точкой взаимодействия.")
    origins = state.get("origins") or [[0, i + 1, ""] for i in range(len(session.cells))]
    sources = state.get("sources") or [session.source]
    edits = state.get("edits") or {}
    skipped = set(state.get("skipped") or [])
    merged = set(session.merged_rows or [])
    text_needs = "client_needs" not in mapped
    header = session.cells[session.header_row] if session.cells else []
    results: list[RowResult] = []
    current = None
    signed = set()
    for i, row in enumerate(session.cells):
        source, line, flag = origins[i] if i < len(origins) else (0, i + 1, "")
        where = sources[source] if source < len(sources) else ""
        cells = {m: row[c] for c, m in enumerate(mapping) if m and c < len(row) and row[c]}
        cells.update({k: v for k, v in (edits.get(str(i)) or {}).items()})
        cells = {k: v for k, v in cells.items() if v}
        r = RowResult(i, line, where, "data", cells, {}, [], [])
        if i < session.header_row or flag == "title":
            r.kind, r.text = "title", " ".join(v for v in row if v)
        elif i == session.header_row or flag == "header" or row == header:
            r.kind = "header"
        elif source in signed:
            r.kind, r.text = "signature", " ".join(v for v in row if v)
        elif i in skipped:
            r.kind, r.text = "skipped", " ".join(v for v in row if v)
        else:
            kind, text = reader.kind_of(row, cells, i in merged)
            r.kind, r.text = kind, text
            if kind == "signature":
                signed.add(source)  # what follows a signature is not the list
        if r.kind == "empty":
            continue
        if r.kind == "group":
            m = cats["area"](r.text)
            current = (m, r.text)
            r.area_name = m.name or r.text
            r.matches["activity_area"] = m
            if not (m.code and m.sure) and m.how != "settled":
                r.questions.append(Question("area", r.text, m))
        elif r.kind == "data":
            r.cells.pop(NUMBER, None)
            reader.data_row(r, current, text_needs)
        results.append(r)
    if not any(r.kind == "data" for r in results):
        problems.append("В таблице нет ни одной строки со сведениями под строкой заголовка.")
    analysis = Analysis(targets, mapping, results, problems, state.get("notes") or [])
    if with_plan and not problems:
        analysis.plan = planning.make_plan(agency, form, analysis.data_rows, mapped)
        for r in analysis.data_rows:
            for w in analysis.plan.row_warnings.get(r.index, []):
                r.warnings.append(w)
    return analysis
