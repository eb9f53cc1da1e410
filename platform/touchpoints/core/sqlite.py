"""SQLite, for the embedded demo only: what PostgreSQL does by itself.

SQLite's lower() folds ASCII only, and the list is searched in Russian; PostgreSQL's lower()
follows the database's locale and needs nothing. Installed on the application's own engine by
create_app, never as a global listener on every engine of the process.
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa


def _unicode_lower(dbapi_connection, _record) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(
            "lower", 1, lambda s: s.lower() if isinstance(s, str) else s, deterministic=True
        )


def install(engine: sa.engine.Engine) -> None:
    if engine.dialect.name == "sqlite" and not sa.event.contains(engine, "connect", _unicode_lower):
        sa.event.listen(engine, "connect", _unicode_lower)
