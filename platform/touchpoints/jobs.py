"""Celery integration (Flask's `examples/celery` pattern) and after-commit dispatch.

Tasks live in ``workers/tasks/`` and take ids, never ORM objects. Platform code enqueues them by
name with :func:`enqueue`, which waits for the current transaction to commit, so a worker never
sees an id that is not there yet and nothing is sent for a change that was rolled back.

Without Redis (the demo) tasks run in-process on a small thread pool, each in its own application
context and so in its own database session.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from celery import Celery, Task
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from touchpoints.core.db import NO_SCOPE, db, set_scope

log = logging.getLogger(__name__)
_PENDING = "touchpoints_pending_tasks"


def celery_init_app(app: Flask) -> Celery:
    class FlaskTask(Task):
        #: Scopes are explicit: a task starts seeing nothing and picks its agency itself.
        def __call__(self, *args, **kwargs):
            with app.app_context():
                set_scope(NO_SCOPE)
                try:
                    return self.run(*args, **kwargs)
                finally:
                    db.session.remove()

    celery_app = Celery(app.name, task_cls=FlaskTask)
    celery_app.config_from_object(app.config["CELERY"])
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    app.extensions["inprocess_jobs"] = InProcessRunner(app)
    return celery_app


class InProcessRunner:
    """Runs tasks on a background thread pool of the web process (demo; no broker)."""

    def __init__(self, app: Flask, workers: int = 2):
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tasks")
        self._futures: list[Future] = []
        self._lock = threading.Lock()

    def submit(self, name: str, args: tuple, kwargs: dict) -> Future:
        task = self.app.extensions["celery"].tasks[name]
        future = self.pool.submit(task.apply, args=args, kwargs=kwargs)
        with self._lock:
            self._futures = [f for f in self._futures if not f.done()] + [future]
        return future

    def wait(self, timeout: float = 60) -> None:
        """Block until every submitted task has finished (tests, CLI)."""
        while True:
            with self._lock:
                pending = [f for f in self._futures if not f.done()]
            if not pending:
                return
            for f in pending:
                f.result(timeout=timeout)


def _dispatch(app: Flask, name: str, args: tuple, kwargs: dict) -> None:
    celery_app = app.extensions["celery"]
    if celery_app.conf.task_always_eager:
        app.extensions["inprocess_jobs"].submit(name, args, kwargs)
    else:
        celery_app.tasks[name].apply_async(args=args, kwargs=kwargs)


def enqueue(name: str, *args, **kwargs) -> None:
    """Run task ``name`` once the current transaction commits (now, if none is open)."""
    app = current_app._get_current_object()
    session = db.session()
    if session.in_transaction():
        session.info.setdefault(_PENDING, []).append((app, name, args, kwargs))
    else:
        _dispatch(app, name, args, kwargs)


@event.listens_for(Session, "after_commit")
def _after_commit(session):
    for app, name, args, kwargs in session.info.pop(_PENDING, []):
        try:
            _dispatch(app, name, args, kwargs)
        except Exception:
            # The broker being down must not fail a commit that already happened; periodic
            # sweepers pick up whatever stays queued in the database.
            log.exception("could not enqueue task %s%s", name, args)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session):
    session.info.pop(_PENDING, None)


def wait_for_inprocess_jobs(timeout: float = 60) -> None:
    runner = current_app.extensions.get("inprocess_jobs")
    if runner is not None:
        runner.wait(timeout)
