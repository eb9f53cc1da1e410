"""A large import confirmed in the background: queued, claimed, applied in one transaction.

The preview's «Загрузить» for a file of more than ``IMPORT_BACKGROUND_ROWS`` rows marks the
upload ``queued`` and enqueues ``workers.tasks.imports.confirm`` after the commit; the person
waits on a progress page that polls :func:`status`. The task (:func:`run`):

1. claims the upload with one conditional UPDATE in a short transaction of its own (``queued``
   → ``running``; a ``running`` claim older than the task's time limit belonged to a killed
   worker and is taken over), so a redelivered message never applies an import twice;
2. analyses and applies it in one transaction, all or nothing, and marks it ``done`` with the
   counts in that same transaction: a repeated task finds it done;
3. reports progress after each batch on a separate connection (its own short transaction),
   so the page sees it while the import's transaction is still open.

A refusal (the list changed since the preview, a rule of the review path) marks it ``failed``
with the reason at once; any other failure is retried by the task, and after the last attempt
marked ``failed``. A failed upload returns to its preview and can be confirmed again.

The state lives on :class:`ImportSession` only (``job_*`` columns): minimal and local, to be
folded into a shared job model later.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from touchpoints.core.db import agency_scope, db, push_scope, scoped, utcnow
from touchpoints.core.tenancy import Agency
from touchpoints.jobs import enqueue
from touchpoints.transfer.models import ImportSession

log = logging.getLogger(__name__)

TASK = "workers.tasks.imports.confirm"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: A person's fixes are no longer taken once the upload is on its way into the list.
BUSY = (QUEUED, RUNNING, DONE)
INTERNAL_ERROR = (
    "Загрузка не выполнена из-за внутренней ошибки; перечень не изменён. "
    "Попробуйте ещё раз позже или сообщите администратору."
)


class Busy(RuntimeError):
    """Another worker is applying this upload right now."""


def background_rows() -> int:
    return int(current_app.config.get("IMPORT_BACKGROUND_ROWS") or 300)


def in_background(session: ImportSession) -> bool:
    """Large uploads are confirmed by a task; small ones within the request."""
    return len(session.cells or []) > background_rows()


def queue(agency: Agency, session: ImportSession, user_id: int | None) -> bool:
    """Mark the upload queued and start the task after the commit (the caller commits and
    holds the row locked). False when it is already under way or done."""
    if session.job_status in BUSY:
        return False
    session.job_status = QUEUED
    session.job_done = session.job_total = 0
    session.job_error = None
    session.job_started_at = None
    session.state = {**(session.state or {}), "job_user_id": user_id}
    db.session.flush()
    enqueue(TASK, agency.id, session.id)
    return True


@dataclasses.dataclass
class Status:
    status: str
    done: int
    total: int
    error: str | None
    result: dict | None

    @property
    def percent(self) -> int:
        if self.status == DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    def as_json(self) -> dict:
        return {**dataclasses.asdict(self), "percent": self.percent}


def status(session: ImportSession) -> Status:
    return Status(
        session.job_status or "",
        session.job_done or 0,
        session.job_total or 0,
        session.job_error,
        session.job_result,
    )


# --------------------------------------------------------------------------- the task's body


def _lease() -> timedelta:
    limit = (current_app.config.get("CELERY") or {}).get("task_time_limit") or 600
    return timedelta(seconds=int(limit))


def _claim(session_id: int) -> str:
    """``claimed``, or why not: ``done``, ``failed``, ``busy``, ``gone``."""
    now = utcnow()
    table = ImportSession.__table__
    claimed = db.session.execute(
        sa.update(table)
        .where(
            table.c.id == session_id,
            sa.or_(
                table.c.job_status == QUEUED,
                sa.and_(table.c.job_status == RUNNING, table.c.job_started_at < now - _lease()),
            ),
        )
        .values(job_status=RUNNING, job_started_at=now, job_error=None)
        .returning(table.c.id)
    ).scalar()
    if claimed is not None:
        db.session.commit()
        return "claimed"
    current = db.session.scalar(sa.select(table.c.job_status).where(table.c.id == session_id))
    db.session.rollback()
    if current is None:
        return "gone"
    return {RUNNING: "busy", DONE: "done"}.get(current, current or "gone")


def run(agency_id: int, session_id: int) -> str:
    """Apply a queued upload (see the module's docstring). Raises :class:`Busy` while another
    worker holds a fresh claim, and whatever failed unexpectedly (the task retries)."""
    from touchpoints.transfer import apply
    from touchpoints.transfer.analysis import analyse_session
    from touchpoints.transfer.imports import ImportRefused

    with scoped(agency_scope(agency_id)):
        outcome = _claim(session_id)
        if outcome == "busy":
            raise Busy(session_id)
        if outcome != "claimed":
            return outcome
        agency = db.session.get(Agency, agency_id)
        session = db.session.get(ImportSession, session_id)
        user_id = (session.state or {}).get("job_user_id")
        started = time.perf_counter()
        try:
            analysis = analyse_session(agency, session)
            report = Progress(agency_id, session_id)
            if analysis.plan is not None:
                report.total = sum(len(x) for x in apply.planned(analysis, session))
            result = apply.apply(
                agency, analysis, session, user_id=user_id, progress=report, actor_label="import"
            )
            session.job_status = DONE
            session.job_result = dataclasses.asdict(result)
            session.job_done = session.job_total = report.total
            session.job_error = None
            # The rows are in the list now; the file's cells are not needed for the result.
            session.cells, session.merged_rows = [], []
            db.session.commit()
        except ImportRefused as exc:
            db.session.rollback()
            fail(agency_id, session_id, str(exc))
            return FAILED
        except Exception:
            db.session.rollback()
            raise
        log.info(
            "import %s of agency %s applied in %.1f s: %s",
            session_id,
            agency_id,
            time.perf_counter() - started,
            session.job_result,
        )
        return DONE


def fail(agency_id: int, session_id: int, message: str, *, final: bool = True) -> None:
    """Record the failure the person reads; ``final=False``: it will be tried again."""
    with scoped(agency_scope(agency_id)):
        db.session.execute(
            sa.update(ImportSession.__table__)
            .where(ImportSession.__table__.c.id == session_id)
            .values(
                job_status=FAILED if final else QUEUED,
                job_error=message,
                job_done=0,
                job_started_at=None,
            )
        )
        db.session.commit()


class Progress:
    """Writes ``done / total`` on a connection of its own, committed at once, at most twice a
    second. It never waits for a lock: a report that cannot be written is skipped."""

    #: Seconds between two reports (the last one is always written).
    INTERVAL = 0.5

    def __init__(self, agency_id: int, session_id: int):
        self.agency_id, self.session_id = agency_id, session_id
        self.total = 0
        self._last = float("-inf")

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last < self.INTERVAL and done < total:
            return
        self._last = now
        engine = db.engine
        if engine.dialect.name != "postgresql":
            return  # SQLite (the demo): one writer at a time; the page waits for the end
        table = ImportSession.__table__
        try:
            with engine.connect() as conn, conn.begin():
                conn.execute(sa.text("SET LOCAL lock_timeout = '1s'"))
                push_scope(conn, agency_scope(self.agency_id))
                conn.execute(
                    sa.update(table)
                    .where(table.c.id == self.session_id)
                    .values(job_done=done, job_total=max(total, self.total))
                )
        except sa.exc.DBAPIError as exc:
            log.info("import %s: progress not written (%s)", self.session_id, exc)
