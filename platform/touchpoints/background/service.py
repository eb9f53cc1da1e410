"""Starting, running, watching and cleaning up background jobs (docs/jobs.md).

* :func:`start` — a job for the current person, queued after the request commits (services
  flush; the view commits). A second click while the same job is unfinished gets that job.
* :func:`run` — the Celery task's body: claim the job with one conditional UPDATE, run its kind
  with a heartbeat thread that also writes the progress (on its own connection, so the kind's
  transaction stays whole), store the outcome or the failure. Idempotent: a finished job is left
  alone, a live claim is left to its worker, a claim whose heartbeat stopped is taken over.
* :func:`revive_if_lost` — a job whose message or worker was lost is queued again (the status
  poll asks).
* :func:`retry`, :func:`cleanup`, :func:`result_bytes`, :func:`status`, :func:`message`.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from touchpoints.background import registry
from touchpoints.background.models import BackgroundJob, JobStatus
from touchpoints.background.registry import JobError, Outcome
from touchpoints.core.db import agency_scope, db, push_scope, scoped, utcnow

log = logging.getLogger(__name__)

TASK = "workers.tasks.background.run"
#: How often the running worker renews its claim and writes the progress.
HEARTBEAT_SECONDS = 2.0
#: Finished jobs' rows are deleted this long after they were made (their files sooner).
KEEP_ROWS = timedelta(days=7)
FAILED_MESSAGE = "Не удалось выполнить задание. Попробуйте ещё раз; если ошибка повторится, сообщите администратору."


def start(kind: str, agency_id: int, user_id: int, params: dict, total: int = 0) -> BackgroundJob:
    """A queued job (or the person's same unfinished one); sent to a worker after commit."""
    if registry.get(kind) is None:
        raise ValueError(f"unknown job kind {kind!r}")
    same = BackgroundJob.unfinished_like(agency_id, user_id, kind, params)
    if same is not None:
        return same
    job = BackgroundJob(kind=kind, agency_id=agency_id, user_id=user_id, params=params, total=total)
    db.session.add(job)
    db.session.flush()
    _enqueue(job)
    return job


def _enqueue(job: BackgroundJob) -> None:
    from touchpoints.jobs import enqueue

    enqueue(TASK, job.agency_id, job.id)


def retry(job: BackgroundJob) -> None:
    """Queue a failed (or lost) job again, from the start."""
    if job.ready or job.expired or (job.in_progress and not _lost(job)):
        return
    job.status = JobStatus.QUEUED.value
    job.error = None
    job.done = 0
    job.queued_at = utcnow()
    job.heartbeat_at = None
    _enqueue(job)


def _lease() -> timedelta:
    """A claim whose heartbeat is older than this belongs to a dead worker and is taken over
    (``JOB_LEASE_SECONDS``, several heartbeats long)."""
    return timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])


def _lost(job: BackgroundJob) -> bool:
    """Queued or running, but no worker can still be at it."""
    now = utcnow()
    if job.status == JobStatus.RUNNING.value:
        return job.heartbeat_at is None or now - job.heartbeat_at > _lease()
    if job.status == JobStatus.QUEUED.value:
        # Redis gives a message a dead worker took back after the visibility timeout; one that
        # is still not taken after twice that was lost (the broker was down at commit).
        visibility = current_app.config["CELERY"]["broker_transport_options"]["visibility_timeout"]
        return now - job.queued_at > timedelta(seconds=2 * visibility + 10)
    return False


def revive_if_lost(job: BackgroundJob) -> bool:
    """Queue the job again when its message or its worker is gone; True if it was."""
    if not job.in_progress or not _lost(job):
        return False
    log.warning("background job %s (%s) was lost; queued again", job.id, job.kind)
    job.status = JobStatus.QUEUED.value
    job.queued_at = utcnow()
    _enqueue(job)
    return True


# --------------------------------------------------------------------------- the task's body


def run(agency_id: int, job_id: int) -> str:
    """Claim, run and finish one job. Returns what happened ("busy": someone else runs it)."""
    with scoped(agency_scope(agency_id)):
        now = utcnow()
        table = BackgroundJob.__table__
        claimed = db.session.execute(
            sa.update(table)
            .where(
                table.c.id == job_id,
                table.c.agency_id == agency_id,
                sa.or_(
                    table.c.status == JobStatus.QUEUED.value,
                    sa.and_(
                        table.c.status == JobStatus.RUNNING.value,
                        sa.or_(
                            table.c.heartbeat_at.is_(None), table.c.heartbeat_at < now - _lease()
                        ),
                    ),
                ),
            )
            .values(
                status=JobStatus.RUNNING.value,
                started_at=now,
                heartbeat_at=now,
                attempts=table.c.attempts + 1,
                done=0,
            )
        ).rowcount
        db.session.commit()
        job = db.session.get(BackgroundJob, job_id)
        if job is None:
            return "missing"
        if not claimed:
            return "busy" if job.in_progress else job.status
        kind = registry.get(job.kind)
        try:
            if kind is None:
                raise JobError("Задание этого вида больше не выполняется.")
            with Heartbeat(job) as beat:
                outcome = kind.run(job, beat.progress)
        except JobError as exc:
            return _fail(agency_id, job_id, str(exc))
        except Exception:
            log.exception("background job %s (%s) failed", job_id, job.kind)
            return _fail(agency_id, job_id, FAILED_MESSAGE)
        _finish(job, outcome, beat)
        db.session.commit()
        log.info("background job %s (%s) done: %s of %s", job_id, job.kind, job.done, job.total)
        return "ready"


def _finish(job: BackgroundJob, outcome: Outcome, beat: Heartbeat) -> None:
    now = utcnow()
    job.status = JobStatus.READY.value
    job.total = max(job.total, beat.total, beat.done)
    job.done = job.total
    job.finished_at = now
    job.heartbeat_at = now
    job.error = None
    job.summary = outcome.summary
    if outcome.data is not None:
        job.result = outcome.data
        job.result_name = outcome.filename
        job.result_mimetype = outcome.mimetype
        job.result_size = len(outcome.data)
        job.expires_at = now + timedelta(hours=current_app.config["JOB_RESULT_HOURS"])


def _fail(agency_id: int, job_id: int, message: str) -> str:
    db.session.rollback()  # nothing the kind wrote stays
    with scoped(agency_scope(agency_id)):
        job = db.session.get(BackgroundJob, job_id)
        job.status = JobStatus.FAILED.value
        job.error = message
        job.finished_at = utcnow()
        db.session.commit()
    return "failed"


class Heartbeat:
    """A thread renewing the running job's claim and writing its progress every few seconds.

    It writes on a connection of its own, in its own short transactions: the kind's transaction
    (an import applied all-or-nothing) is not committed by a progress report, and the page
    polling the job sees the progress while that transaction is still open."""

    def __init__(self, job: BackgroundJob):
        self.job_id, self.agency_id = job.id, job.agency_id
        self.done, self.total = 0, job.total
        self._app = current_app._get_current_object()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"job-{job.id}", daemon=True)

    def progress(self, done: int, total: int) -> None:
        """What the kind calls as it goes: cheap, no database."""
        self.done, self.total = done, total

    def __enter__(self) -> Heartbeat:
        # SQLite (the demo, jobs on the web process's own threads): no other worker takes a job
        # over, and a second connection's write would wait for the job's open transaction.
        if db.engine.dialect.name != "sqlite":
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        with self._app.app_context():
            while not self._stop.wait(HEARTBEAT_SECONDS):
                try:
                    self._write()
                except Exception:  # a missed beat is no failure: the next one comes
                    log.warning("background job %s: heartbeat not written", self.job_id)

    def _write(self) -> None:
        table = BackgroundJob.__table__
        with db.engine.begin() as conn:
            push_scope(conn, agency_scope(self.agency_id))
            conn.execute(
                sa.update(table)
                .where(
                    table.c.id == self.job_id,
                    table.c.agency_id == self.agency_id,
                    table.c.status == JobStatus.RUNNING.value,
                )
                .values(done=self.done, total=self.total, heartbeat_at=utcnow())
            )


# --------------------------------------------------------------------------- results, cleanup


def result_bytes(job: BackgroundJob) -> bytes | None:
    return db.session.scalar(
        sa.select(BackgroundJob.result).where(
            BackgroundJob.id == job.id, BackgroundJob.agency_id == job.agency_id
        )
    )


def cleanup() -> tuple[int, int]:
    """Drop files past their keeping time and rows past a week (the caller commits).

    Returns (files dropped, rows deleted). Runs in the system scope (every agency's jobs)."""
    now = utcnow()
    dropped = db.session.execute(
        sa.update(BackgroundJob)
        .where(BackgroundJob.status == JobStatus.READY.value, BackgroundJob.expires_at < now)
        .values(status=JobStatus.EXPIRED.value, result=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    deleted = db.session.execute(
        sa.delete(BackgroundJob)
        .where(
            BackgroundJob.created_at < now - KEEP_ROWS,
            BackgroundJob.status != JobStatus.RUNNING.value,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    return dropped, deleted


STATUS_TEXT = {
    JobStatus.QUEUED.value: "В очереди: начнём, как только освободится обработчик.",
    JobStatus.RUNNING.value: "Файл формируется.",
    JobStatus.READY.value: "Готово.",
    JobStatus.FAILED.value: "Не получилось.",
    JobStatus.EXPIRED.value: "Срок хранения результата истёк.",
}


def message(job: BackgroundJob) -> str:
    """The status line, in the words of the job's kind where it has its own."""
    kind = registry.get(job.kind)
    own = kind.messages.get(job.status) if kind is not None else None
    return own or STATUS_TEXT.get(job.status, job.status)


def status(job: BackgroundJob) -> dict:
    """What the page's poll reads."""
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": message(job),
        "error": job.error,
        "summary": job.summary,
        "finished": not job.in_progress,
    }
