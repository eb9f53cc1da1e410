"""Faults leave nothing stuck (issue 14, item 3): a real Celery worker is killed with SIGKILL in
the middle of rendering an order PDF; a second worker finishes it within a minute."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import redis
import sqlalchemy as sa

from tests.conftest import REDIS_TEST_URL, load_demo_data, make_app
from touchpoints.config import ROOT_DIR, build_config
from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, scoped
from touchpoints.lists.models import ListVersion
from touchpoints.orders import storage as orders
from touchpoints.orders.models import OrderDocument


def _worker(migrated) -> subprocess.Popen:
    env = dict(
        os.environ,
        TOUCHPOINTS_ENV="test",
        TOUCHPOINTS_DATABASE_URL=migrated["app"],
        TOUCHPOINTS_REDIS_URL=REDIS_TEST_URL,
        PYTHONPATH=f"{ROOT_DIR / 'platform'}:{ROOT_DIR}",
    )
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers.celery_app",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _status(app, agency_id, doc_id) -> str:
    with app.app_context(), scoped(agency_scope(agency_id)):
        status = db.session.scalar(
            sa.select(OrderDocument.status).where(OrderDocument.id == doc_id)
        )
        db.session.remove()
        return status


def test_order_pdf_is_ready_within_a_minute_after_its_worker_is_killed(seeded, migrated):
    load_demo_data(seeded)
    with seeded.app_context(), scoped(SYSTEM_SCOPE):
        db.session.execute(sa.delete(OrderDocument))
        version = db.session.scalars(sa.select(ListVersion).order_by(ListVersion.id)).first()
        agency_id, version_id = version.agency_id, version.id
        db.session.commit()
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    celery_cfg = dict(build_config("test")["CELERY"])
    celery_cfg.update(broker_url=REDIS_TEST_URL, result_backend=REDIS_TEST_URL)
    celery_cfg["task_always_eager"] = False
    broker_app = make_app(migrated, REDIS_URL=REDIS_TEST_URL, CELERY=celery_cfg)
    first = _worker(migrated)
    second = None
    try:
        with broker_app.app_context(), scoped(agency_scope(agency_id)):
            doc_id = orders.request_version_pdf(db.session.get(ListVersion, version_id)).id
        deadline = time.monotonic() + 90
        while _status(broker_app, agency_id, doc_id) != "rendering":
            assert time.monotonic() < deadline, "the first worker never started rendering"
            assert first.poll() is None
            time.sleep(0.05)
        first.send_signal(signal.SIGKILL)  # mid-render: no cleanup of any kind
        first.wait(10)
        killed_at = time.monotonic()
        assert _status(broker_app, agency_id, doc_id) == "rendering"
        second = _worker(migrated)
        while _status(broker_app, agency_id, doc_id) != "ready":
            assert time.monotonic() - killed_at < 60, "the PDF is stuck after the kill"
            assert second.poll() is None
            time.sleep(0.5)
        took = time.monotonic() - killed_at
        print(f"order PDF ready {took:.1f} s after the worker was killed")
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(20)
                except subprocess.TimeoutExpired:
                    worker.kill()
        with broker_app.app_context():
            db.session.remove()
            db.engine.dispose()
