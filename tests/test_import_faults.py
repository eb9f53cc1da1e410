"""Faults leave nothing stuck (issue 14, item 3) for an import confirmed in the background: a
real Celery worker is killed with SIGKILL while it applies a few thousand rows; a second worker
applies the import — once — within a minute, and the job's page shows the result."""

from __future__ import annotations

import signal
import time

import sqlalchemy as sa
from conftest import login

from tests.test_import_apply import _job_url, kuzbass_file
from tests.test_transfer import token_of, upload
from touchpoints.audit.models import AuditEvent
from touchpoints.auth.roles import Role
from touchpoints.background.models import BackgroundJob
from touchpoints.core.db import agency_scope, db, scoped
from touchpoints.lists.models import Entry

ROWS = 2000


def _read(app, agency_id, query):
    with app.app_context(), scoped(agency_scope(agency_id)):
        try:
            return db.session.execute(query).one()
        finally:
            db.session.remove()


def _job(app, agency_id, job_id) -> tuple[str, int, int]:
    table = BackgroundJob.__table__
    query = sa.select(table.c.status, table.c.done, table.c.total).where(table.c.id == job_id)
    return tuple(_read(app, agency_id, query))


def _applied(app, agency_id) -> tuple[int, int]:
    """Entries in the list, and the imports the audit trail records."""
    entries = sa.select(sa.func.count()).select_from(Entry).scalar_subquery()
    imports = sa.select(sa.func.count()).where(AuditEvent.action == "list.import").scalar_subquery()
    return tuple(_read(app, agency_id, sa.select(entries, imports)))


def _writing_entries(app) -> bool:
    """Some other connection has inserted into ``entry`` in a transaction still open."""
    query = sa.text(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'entry' AND l.mode = 'RowExclusiveLock' AND l.granted "
        "AND l.pid <> pg_backend_pid()"
    )
    with app.app_context():
        try:
            return bool(db.session.scalar(query))
        finally:
            db.session.remove()


#: Seconds, for the web application and the workers alike (both read the environment): the
#: production recovery with shorter timings; the production values are checked in
#: tests/test_config.py (docs/testing.md).
FAST_RECOVERY = {"VISIBILITY_TIMEOUT": "3", "JOB_LEASE_SECONDS": "5"}


def test_import_is_applied_once_within_a_minute_after_its_worker_is_killed(
    seeded, make_agency, make_user, real_workers, monkeypatch
):
    for name, value in FAST_RECOVERY.items():
        monkeypatch.setenv(f"TOUCHPOINTS_{name}", value)
    agency_id = make_agency(template="kuzbass-3")
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
    web = real_workers.broker_app()
    first = real_workers.start()
    client = web.test_client()
    login(client, web, registrar)
    token = token_of(upload(client, kuzbass_file(ROWS), "big.xlsx"))
    page_url = _job_url(client.post(f"/list/import/{token}/confirm"))
    job_id = int(page_url.rsplit("/", 1)[-1])

    # Mid-apply: the worker's transaction holds rows it inserted into the list, uncommitted.
    deadline = time.monotonic() + 120
    while not _writing_entries(web):
        status = _job(web, agency_id, job_id)[0]
        assert status in ("queued", "running"), f"the job ended before the kill: {status}"
        assert time.monotonic() < deadline, "the first worker never started applying"
        real_workers.assert_alive(first)
        time.sleep(0.01)
    first.send_signal(signal.SIGKILL)  # no cleanup of any kind
    first.wait(10)
    killed_at = time.monotonic()
    assert _job(web, agency_id, job_id)[0] == "running"
    assert _applied(web, agency_id) == (0, 0), "nothing of the import is committed mid-apply"

    second = real_workers.start()
    while True:
        # The page's poll, as the person's browser sends it (it revives a job whose worker died).
        state = client.get(f"{page_url}.json").get_json()
        if state["finished"]:
            break
        assert time.monotonic() - killed_at < 60, f"the import is stuck after the kill: {state}"
        real_workers.assert_alive(second)
        time.sleep(0.5)
    took = time.monotonic() - killed_at
    assert state["status"] == "ready", state
    assert state["summary"]["added"] == ROWS
    assert _applied(web, agency_id) == (ROWS, 1), "applied exactly once"
    page = client.get(page_url).get_data(as_text=True)
    assert "Загрузка выполнена" in page and f"новых строк: <b>{ROWS}</b>" in page
    assert "Открыть перечень" in page
    print(f"import applied {took:.1f} s after its worker was killed")
