"""Rows built once per test process through the real code, written back with COPY afterwards.

Seeding the tenants (``flask tenants sync``) and loading the demo (``flask demo load``) go through
the real services and cost from a fraction of a second to seconds; most tests start from one of
them. The first build in a process is real; the tables it leaves are kept as COPY binary, and a
later build of the same thing onto exactly the same starting state (every non-empty table
compared byte for byte) deletes those tables' rows and copies the kept ones back. Any other
starting state builds for real. See docs/testing.md.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Hashable

import sqlalchemy as sa

from touchpoints.core.db import db

#: (what was built, digest of the state it was built on) -> the tables' rows after the build.
_kept: dict[tuple, dict[str, bytes]] = {}


@functools.cache
def owner_engine(url: str) -> sa.Engine:
    """The database owner's connections, kept for the session: the per-test reset and the
    snapshots run several statements a test, and a new PostgreSQL connection is a new process."""
    return sa.create_engine(url, pool_size=1, max_overflow=2)


def _dump(conn) -> dict[str, bytes]:
    """Every non-empty table of the models, as COPY binary, rows in a fixed order (the heap's
    order depends on where earlier deleted rows left room)."""
    names = [t.name for t in db.metadata.sorted_tables]
    probe = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in names
    )
    used = list(conn.exec_driver_sql(probe).scalars())
    rows = {}
    with conn.connection.driver_connection.cursor() as cur:
        for name in used:
            query = f'SELECT * FROM "{name}" AS t ORDER BY t::text'
            with cur.copy(f"COPY ({query}) TO STDOUT (FORMAT binary)") as copy:
                rows[name] = b"".join(bytes(chunk) for chunk in copy)
    return rows


def _digest(rows: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for name in sorted(rows):
        h.update(f"{name}:{len(rows[name])}:".encode())
        h.update(rows[name])
    return h.hexdigest()


def replay(owner_url: str, what: Hashable, build: Callable[[], None]) -> None:
    """Run ``build`` (which commits) the first time; afterwards restore what it left."""
    engine = owner_engine(owner_url)
    with engine.connect() as conn:
        before = _dump(conn)
    key = (what, _digest(before))
    kept = _kept.get(key)
    if kept is None:
        build()
        with engine.connect() as conn:
            _kept[key] = _dump(conn)
        return
    with engine.begin() as conn:
        # Triggers (foreign keys, the immutability of approved versions) off for this
        # transaction only: the rows are exactly those the real build wrote.
        conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
        with conn.connection.driver_connection.cursor() as cur:
            for name in before.keys() - kept.keys():
                cur.execute(f'DELETE FROM "{name}"')
            for name, rows in kept.items():
                cur.execute(f'DELETE FROM "{name}"')
                with cur.copy(f'COPY "{name}" FROM STDIN (FORMAT binary)') as copy:
                    copy.write(rows)
                if "id" in db.metadata.tables[name].c:
                    cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), "
                        f'(SELECT max(id) FROM "{name}"))'
                    )
