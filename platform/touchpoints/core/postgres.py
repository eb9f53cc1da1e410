"""PostgreSQL: a pooled connection carries nothing from one request into the next.

The scope a request hands to PostgreSQL is signed and bound to the server process
(core/db.py), so an SQL injection cannot widen its own scope. It could still leave something
behind on its pooled connection for a later request of another person to run, in that person's
scope (docs/security.md):

* a named prepared statement: psycopg prepares a query it has run five times under a name
  (``_pg3_0``…) and later runs it by that name; an injection could ``DEALLOCATE`` it and
  ``PREPARE`` its own statement under the name. So psycopg never prepares
  (``prepare_threshold = None``): every statement the application runs is its own text;
* temporary tables and views, which shadow the real tables for later queries on the same
  connection (the application's role has no ``TEMPORARY`` privilege either:
  ``flask database grant-app-role``), session settings, advisory locks, ``LISTEN``: a
  connection given back to the pool is reset with ``DISCARD ALL``.

Installed on the application's own engine by create_app, as core/sqlite.py is on SQLite.
"""

from __future__ import annotations

import sqlalchemy as sa


def _no_prepared_statements(dbapi_connection, _record) -> None:
    dbapi_connection.prepare_threshold = None


def _discard_session_state(dbapi_connection, _record, reset_state) -> None:
    if reset_state.terminate_only:
        return
    dbapi_connection.rollback()
    # DISCARD ALL cannot run in a transaction block: one statement on its own.
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute("DISCARD ALL")
    finally:
        dbapi_connection.autocommit = False


def install(engine: sa.engine.Engine) -> None:
    if engine.dialect.name != "postgresql" or sa.event.contains(
        engine, "connect", _no_prepared_statements
    ):
        return
    sa.event.listen(engine, "connect", _no_prepared_statements)
    sa.event.listen(engine, "reset", _discard_session_state)
