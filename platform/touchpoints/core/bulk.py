"""Statements over many rows at once: the reminder scan's, at 10,000 agencies (docs/jobs.md,
"The reminder scan"). PostgreSQL gets one statement where a row-by-row form costs round trips,
compilation or bad plans; SQLite (the demo) the plain form."""

from __future__ import annotations

import contextlib
import json
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from touchpoints.core.db import db


def _postgresql() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def insert_for(model):
    """``INSERT`` with ``ON CONFLICT`` for the session's database: PostgreSQL, or SQLite (the
    demo)."""
    if _postgresql():
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def insert_many(statement, rows: list[dict]) -> None:
    """Insert many rows (dicts with the same keys) with one statement on PostgreSQL: ``INSERT …
    SELECT … FROM jsonb_populate_recordset(NULL::<table>, <the rows as one JSON text>)``. A list
    of parameter sets is one statement per row with psycopg, each paying a round trip and the
    row-level security's scope check (40,000 deadlines: 12–24 s); a multi-row VALUES costs
    SQLAlchemy a second per 2,000 rows to compile, and one array per column costs psycopg over
    a second to quote 40,000 rows; ``json.dumps`` takes a third of that (docs/jobs.md, "The
    reminder scan"). SQLite (the demo) runs the list in-process."""
    if not rows:
        return
    conn = db.session.connection()
    if not _postgresql():
        conn.execute(statement, rows)
        return
    table = statement.table
    names = list(rows[0])
    row_type = sa.literal_column(f"NULL::{conn.dialect.identifier_preparer.quote(table.name)}")
    payload = sa.cast(sa.bindparam("many_rows", json.dumps(rows, default=_json_value)), JSONB)
    source = sa.func.jsonb_populate_recordset(row_type, payload).table_valued(*names)
    conn.execute(statement.from_select(names, sa.select(*source.c)))


def _json_value(value) -> str:
    """Dates and aware times as ISO text (PostgreSQL reads the offset)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC datetimes")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value insert_many knows")


def advisory_lock(key: int, *, shared: bool = False) -> None:
    """A transaction-level advisory lock on PostgreSQL, held until commit or rollback; nothing
    on SQLite (the demo), which has one writer at a time anyway."""
    if _postgresql():
        take = sa.func.pg_advisory_xact_lock_shared if shared else sa.func.pg_advisory_xact_lock
        db.session.execute(sa.select(take(key)))


def commit_without_waiting() -> None:
    """Let this transaction's commit return before its WAL is on disk (PostgreSQL's
    asynchronous commit; nothing on SQLite). Only for work whose every consequence commits
    later in a transaction that does wait — whose flush carries this one's WAL with it. A crash
    can lose such a transaction whole, never half of it, and nothing acted on it yet."""
    if _postgresql():
        db.session.execute(sa.select(sa.func.set_config("synchronous_commit", "off", True)))


def among(column, ids) -> sa.ColumnElement[bool]:
    """``column IN ids``; on PostgreSQL ``= ANY(<one array>)`` whatever their number (10,000 ids
    are otherwise 10,000 bound values to render, send and parse)."""
    ids = list(ids)
    if not _postgresql():
        return column.in_(ids)
    return column == sa.any_(sa.bindparam(None, ids, ARRAY(column.type)))


@contextlib.contextmanager
def bulk_plan():
    """Plan the statements inside as the bulk joins they are (the reminder scan's). Right after
    many rows were written (deadlines opened a moment ago, a restore) autovacuum has not counted
    them yet: PostgreSQL then expects one row where there are tens of thousands and picks nested
    loops that run for minutes (measured: 8 minutes at 10,000 agencies). Hash joins in the order
    written are right at every size. Only inside the block; nothing on SQLite."""
    if not _postgresql():
        yield
        return
    conn = db.session.connection()
    # Room for the hash tables in memory (the default 4 MB spilled the claim's to disk).
    settings = {"enable_nestloop": "off", "join_collapse_limit": "1", "work_mem": "32MB"}
    previous = conn.execute(sa.select(*map(sa.func.current_setting, settings))).one()
    _set(conn, settings)
    try:
        yield
    finally:
        _set(conn, dict(zip(settings, previous, strict=True)))


def _set(conn, settings: dict) -> None:
    """Settings for the rest of the transaction, in one statement."""
    conn.execute(sa.select(*(sa.func.set_config(n, v, True) for n, v in settings.items())))
