"""Public pages under load, production-like (issue 15, item 3).

bench/_harness.py: a migrated PostgreSQL database, the app role under RLS, gunicorn as the
Dockerfile runs it, Redis for the rate limiter (budgets raised: one load generator is one client
address), a Celery worker that renders the order PDFs. Data: the demo's two agencies with their
approved versions, plus ``BENCH_PUBLIC_AGENCIES`` seeded agencies for the index. Each URL gets a
fixed number of requests from a pool of keep-alive clients; measured in one run:

* the agency page's median latency against ``GET /login`` — target ≤ 2×;
* requests per second of the ``/p/`` index against ``/login`` — target ≥ 0.5×;
* the order PDF download's requests per second (streamed from the database), reported.

    PYTHONPATH=platform:. python -m bench public
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from bench._harness import Database, Figure, Processes, latency, session

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "600"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "6"))
AGENCIES = int(os.environ.get("BENCH_PUBLIC_AGENCIES", "300"))
SLUG = "murmansk-tourism"
NAME = "public"


def _seed(database: Database) -> None:
    from touchpoints.core.db import db
    from touchpoints.demo.data import load_demo
    from touchpoints.demo.seed import seed_region

    app = database.owner_app()
    with app.app_context():
        load_demo()
        seed_region("public-bench", AGENCIES, 20)
        db.session.remove()
        db.engine.dispose()


def _wait_for_pdfs(database: Database, base: str) -> None:
    """The first view asks for the order PDF; the worker renders it. Measured once it is ready."""
    s = session(base)
    s.get(f"{base}/p/{SLUG}/", timeout=60)
    engine = sa.create_engine(database.owner_url)
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                ready = conn.scalar(
                    sa.text("SELECT count(*) FROM order_document WHERE status = 'ready'")
                )
            if ready:
                return
            time.sleep(1)
        raise RuntimeError("the worker did not render the order PDF")
    finally:
        engine.dispose()


def _throughput(base: str, path: str) -> float:
    per_client = REQUESTS // CLIENTS

    def worker(_):
        s = session(base)
        for _ in range(per_client):
            response = s.get(base + path, timeout=60)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code}")
            response.content  # noqa: B018 - read the whole body
        return per_client

    worker(None)  # warm-up outside the measurement
    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        done = sum(pool.map(worker, range(CLIENTS)))
    return done / (time.perf_counter() - started)


def run() -> list[Figure]:
    out: list[Figure] = []
    with Database(NAME) as database:
        _seed(database)
        with Processes(database, worker=True) as procs:
            base = procs.base
            _wait_for_pdfs(database, base)
            anonymous = session(base)
            login, _ = latency(anonymous, base + "/login", 60)
            page, _ = latency(anonymous, f"{base}/p/{SLUG}/", 60)
            out.append(
                Figure(
                    NAME,
                    "public page /p/<slug>/ latency",
                    page,
                    "s",
                    "GET /login",
                    login,
                    threshold=2,
                )
            )
            login_rps = _throughput(base, "/login")
            index_rps = _throughput(base, "/p/")
            out.append(
                Figure(
                    NAME,
                    f"/p/ index ({AGENCIES + 2} agencies), req/s",
                    index_rps,
                    "rps",
                    "GET /login req/s",
                    login_rps,
                    kind="min",
                    threshold=0.5,
                )
            )
            out.append(
                Figure(
                    NAME,
                    "public page, req/s",
                    _throughput(base, f"/p/{SLUG}/"),
                    "rps",
                    "GET /login req/s",
                    login_rps,
                )
            )
            out.append(
                Figure(
                    NAME,
                    "order PDF download (streamed), req/s",
                    _throughput(base, f"/p/{SLUG}/current.pdf"),
                    "rps",
                    "GET /login req/s",
                    login_rps,
                )
            )
    return out


if __name__ == "__main__":
    from bench._harness import report

    raise SystemExit(report(run()))
