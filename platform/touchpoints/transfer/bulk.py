"""Many rows in one statement on PostgreSQL: what the import's confirmation writes with.

A multi-row VALUES list binds thirty parameters a row, and binding them cost more than
PostgreSQL's work of writing the rows; here the rows travel as one JSON parameter.
"""

from __future__ import annotations

import json
from datetime import datetime

import sqlalchemy as sa

from touchpoints.core.db import db


def postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def new_ids(table: sa.Table, n: int) -> list[int]:
    """``n`` ids from the table's own sequence, so the rows can be written without RETURNING."""
    return list(
        db.session.scalars(
            sa.text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"
            ),
            {"table": table.name, "n": n},
        )
    )


def insert_json(table: sa.Table, rows: list[dict]) -> None:
    """``rows`` (every dict with the same keys) in one INSERT, unpacked by
    ``json_populate_recordset`` into the table's own row type. Row-level security applies as
    to any INSERT."""
    columns = ", ".join(f'"{c}"' for c in rows[0])
    statement = (
        f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} '
        f'FROM json_populate_recordset(NULL::"{table.name}", CAST(:rows AS json))'
    )
    db.session.execute(sa.text(statement), {"rows": json.dumps(rows, default=_json_value)})


def _json_value(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON: {type(value).__name__}")
