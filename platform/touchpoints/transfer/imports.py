"""Import of a list from a file: upload → preview where people fix things → confirm (issue 11).

The path: read every table of the file (:mod:`.reader`), take the tables that carry the list's
header or continue it and bring them to one column order, understand columns and cells
(:mod:`.matching`, :mod:`.rows`), compare with the list (:mod:`.plan`) and, on confirmation,
apply the changes through the review path (:mod:`.apply`) in one transaction.

The parsed cells and everything the person fixed in the preview wait in an agency-scoped
:class:`ImportSession` row; nothing touches the list before confirmation, and a refused or
failed confirmation leaves it exactly as it was. See docs/import.md.
"""

from __future__ import annotations

import dataclasses
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from touchpoints.audit import service as audit  # noqa: F401  (tests patch imports.audit.record)
from touchpoints.core.db import db, utcnow
from touchpoints.core.safety import clean_text
from touchpoints.core.tenancy import Agency
from touchpoints.lists.form import Form
from touchpoints.transfer.analysis import CATALOGUE_KINDS, analyse_session, remembered
from touchpoints.transfer.fields import norm
from touchpoints.transfer.matching import (
    ENTRY_ID,
    HEADER_SEARCH_ROWS,
    NUMBER,
    Target,
    find_header,
    guess_mapping,
    header_hits,
    targets_for,
)
from touchpoints.transfer.models import ImportSession
from touchpoints.transfer.reader import ImportFileError, RawTable, read_tables

__all__ = ["HEADER_SEARCH_ROWS", "NUMBER", "ImportFileError", "Target", "guess_mapping"]


class ImportRefused(ValueError):
    """Confirmation refused: the rows still have errors or open questions, or no session."""


@dataclasses.dataclass
class Prepared:
    cells: list[list[str]]
    header_row: int
    mapping: list[str]
    merged_rows: list[int]
    #: Per row: [table number, line in its table, flag: "" / "header" / "title"].
    origins: list
    sources: list[str]
    notes: list[str]


def _config(name: str, default: int) -> int:
    return int(current_app.config.get(name) or default)


def read_upload(agency: Agency, data: bytes, filename: str, sheet: str | None = None) -> Prepared:
    """Parse a file into the rows to import; ImportFileError when it is not a list."""
    tables = read_tables(
        data,
        filename,
        max_bytes=_config("IMPORT_MAX_BYTES", 5 * 1024 * 1024),
        max_rows=_config("IMPORT_MAX_ROWS", 3000),
        sheet=sheet,
    )
    form = Form(agency.form)
    targets = targets_for(form)
    headers = remembered(agency.id)["header"]
    found = [(t, find_header(t.rows, targets, headers)) for t in tables]
    full = [(t, f) for t, f in found if f and ENTRY_ID in f[1]]
    notes = []
    if full:
        # Our own export: «Все сведения» carries every field and the entry ids; the form's
        # table beside it repeats the same rows and is not read twice.
        notes += [f"{t.source}: повторяет «Все сведения», не загружается" for t, _ in found
                  if (t, _) not in full]  # fmt: skip
        found = full
    scored = [(header_hits(f[1]), -n, t, f) for n, (t, f) in enumerate(found) if f]
    if not scored or max(s[0] for s in scored) < 1:
        labels = "; ".join(f"«{c['label']}»" for c in form.columns)
        raise ImportFileError(
            "В файле не найдено граф, похожих на графы формы перечня: похоже, это не перечень. "
            f"Строка заголовка таблицы должна называть графы, например: {labels}."
        )
    best_hits, _, main, (header_row, mapping) = max(scored, key=lambda s: (s[0], s[1]))
    order = list(mapping)
    prepared = Prepared([], header_row, list(mapping), [], [], [], notes)
    started = False
    for table, header in found:
        if table is main:
            started = True
            _append(prepared, table, None, header_row, title_above=True)
        elif header and header_hits(header[1]) >= max(2, best_hits // 2):
            # A table or sheet with its own header (reworded or reordered): columns brought
            # to the order of the main table by meaning.
            _append(prepared, table, _permutation(header[1], order), header[0])
        elif started and abs(table.width - len(order)) <= 1:
            _append(prepared, table, None, -1)  # continues the list after a page break
        else:
            notes.append(f"{table.source}: не похожа на продолжение перечня, не загружается")
    return prepared


def _permutation(mapping: list[str], order: list[str]) -> list[int | None]:
    """For each column of the main order: the column of this table holding the same field."""
    where = {m: i for i, m in enumerate(mapping) if m}
    return [where.get(m) if m else None for m in order]


def _append(p: Prepared, table: RawTable, perm, header_row: int, title_above=False) -> None:
    source = len(p.sources)
    p.sources.append(table.source)
    if title_above:
        p.header_row = len(p.cells) + header_row
    merged = set(table.merged_rows)
    for i, row in enumerate(table.rows):
        if perm is not None:
            row = [row[c] if c is not None and c < len(row) else "" for c in perm]
        flag = "header" if i == header_row and not title_above else ""
        if i < header_row:
            flag = "title"
        if i in merged:
            p.merged_rows.append(len(p.cells))
        p.cells.append(list(row))
        p.origins.append([source, table.line(i), flag])


# --------------------------------------------------------------------------- sessions


def start_import(
    agency: Agency, data: bytes, filename: str, user_id: int | None, sheet: str | None = None
) -> ImportSession:
    prepared = read_upload(agency, data, filename, sheet)
    purge_expired(agency.id)
    session = ImportSession(
        agency_id=agency.id,
        token=secrets.token_urlsafe(24),
        created_by_id=user_id,
        expires_at=utcnow() + timedelta(hours=_config("IMPORT_TTL_HOURS", 24)),
        filename=(clean_text(filename or "") or "файл")[-255:],
        source=", ".join(prepared.sources)[:255],
        cells=prepared.cells,
        merged_rows=prepared.merged_rows,
        header_row=prepared.header_row,
        mapping=prepared.mapping,
        state={"origins": prepared.origins, "sources": prepared.sources, "notes": prepared.notes},
    )
    db.session.add(session)
    db.session.flush()
    return session


def purge_expired(agency_id: int) -> int:
    result = db.session.execute(
        sa.delete(ImportSession).where(
            ImportSession.agency_id == agency_id, ImportSession.expires_at < utcnow()
        )
    )
    return result.rowcount or 0


def get_session(agency: Agency, token: str, *, for_update: bool = False) -> ImportSession | None:
    q = sa.select(ImportSession).where(
        ImportSession.token == token, ImportSession.agency_id == agency.id
    )
    if for_update:
        q = q.with_for_update()
    return db.session.scalar(q)


def is_expired(session: ImportSession) -> bool:
    return session.expires_at < utcnow()


def update_state(session: ImportSession, **changes) -> None:
    # A new dict: JSON columns notice assignment, not in-place change.
    session.state = {**(session.state or {}), **changes}


def set_mapping(agency: Agency, session: ImportSession, header_row: int, mapping: list[str]):
    keys = {t.key for t in targets_for(Form(agency.form))} | {NUMBER, ""}
    width = max((len(r) for r in session.cells), default=0)
    mapping = [(m if m in keys else "") for m in mapping[:width]]
    mapping += [""] * (width - len(mapping))
    used: set[str] = set()
    for i, m in enumerate(mapping):
        if m and m != NUMBER:
            if m in used:
                mapping[i] = ""  # a field filled from two columns would lose one: keep the first
            used.add(m)
    session.header_row = max(0, min(header_row, len(session.cells) - 1))
    session.mapping = mapping


def fix_cell(session: ImportSession, index: int, key: str, text: str) -> None:
    edits = dict((session.state or {}).get("edits") or {})
    row = dict(edits.get(str(index)) or {})
    row[key] = (text or "").strip()
    edits[str(index)] = row
    update_state(session, edits=edits)


def skip_row(session: ImportSession, index: int, skip: bool = True) -> None:
    skipped = set((session.state or {}).get("skipped") or [])
    (skipped.add if skip else skipped.discard)(index)
    update_state(session, skipped=sorted(skipped))


def settle(session: ImportSession, kind: str, text_key: str, code: str) -> None:
    """The person's answer to a question: ``code`` ("" = not loaded / keep as typed)."""
    if kind not in CATALOGUE_KINDS:
        return
    settled = {k: dict(v) for k, v in ((session.state or {}).get("settled") or {}).items()}
    settled.setdefault(kind, {})[norm(text_key)] = code
    update_state(session, settled=settled)


def accept_suggestions(agency: Agency, session: ImportSession) -> int:
    """Settle every open question with its most likely item; returns how many."""
    analysis = analyse_session(agency, session, with_plan=False)
    n = 0
    for q, _line in analysis.questions:
        if q.match.code:
            settle(session, q.kind, q.key, q.match.code)
            n += 1
    return n


def set_options(session: ImportSession, *, apply_changes: bool, exclude_missing: bool, reason=""):
    update_state(
        session,
        apply_changes=apply_changes,
        exclude_missing=exclude_missing,
        exclusion_reason=(reason or "").strip(),
    )


def confirm(agency: Agency, token: str, user_id: int | None, *, actor_label=None):
    """Apply the upload and drop the session, in the caller's transaction (all or nothing)."""
    from touchpoints.transfer import apply

    session = get_session(agency, token, for_update=True)
    if session is None or is_expired(session):
        raise ImportRefused("Загрузка не найдена или устарела. Загрузите файл снова.")
    analysis = analyse_session(agency, session)
    result = apply.apply(agency, analysis, session, user_id=user_id, actor_label=actor_label)
    db.session.delete(session)
    return result
