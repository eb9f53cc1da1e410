"""Public pages under load, production-like (issue 15, item 3).

bench/_harness.py: a migrated PostgreSQL database, the app role under RLS, gunicorn as the
Dockerfile runs it, Redis for the rate limiter (budgets raised: one load generator is one client
address), a Celery worker that renders the order PDFs. Data: the demo's two agencies with their
approved versions, plus ``BENCH_PUBLIC_AGENCIES`` seeded agencies for the index. Each URL gets a
fixed number of requests from a pool of keep-alive clients, in ``BENCH_ROUNDS`` rounds that
alternate it with ``GET /login`` (warm-up first); the round with the median ratio is reported,
so load that drifts during a run on a shared machine moves both sides of a ratio alike.
Measured in one run:

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
#: Rounds alternating the page and its /login baseline; the median round is reported.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
#: Sequential requests per round for a latency.
PER_ROUND = int(os.environ.get("BENCH_PER_ROUND", "30"))
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


def _throughput(base: str, path: str, total: int) -> float:
    """Requests per second of ``total`` GETs from CLIENTS keep-alive clients."""
    per_client = max(total // CLIENTS, 1)
    sessions = [session(base) for _ in range(CLIENTS)]

    def worker(s):
        for _ in range(per_client):
            response = s.get(base + path, timeout=60)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code}")
            response.content  # noqa: B018 - read the whole body
        return per_client

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(lambda s: s.get(base + path, timeout=60), sessions))  # warm-up
        started = time.perf_counter()
        done = sum(pool.map(worker, sessions))
    return done / (time.perf_counter() - started)


def _median_round(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    """The round whose ratio is the median: (value, baseline) measured side by side. A shared
    machine's load drifts within a run; a ratio taken within one short round does not."""
    ordered = sorted(pairs, key=lambda p: p[0] / p[1])
    return ordered[len(ordered) // 2]


def _interleaved_latency(s, base: str, path: str) -> tuple[float, float]:
    """Median latency of ``path`` and of /login, alternating in ROUNDS rounds."""
    pairs = []
    for _ in range(ROUNDS):
        login, _ = latency(s, base + "/login", PER_ROUND, warm=2)
        page, _ = latency(s, base + path, PER_ROUND, warm=2)
        pairs.append((page, login))
    return _median_round(pairs)


def _interleaved_rps(base: str, path: str) -> tuple[float, float]:
    """Requests per second of ``path`` and of /login, alternating in ROUNDS rounds."""
    pairs = []
    for _ in range(ROUNDS):
        login = _throughput(base, "/login", REQUESTS // ROUNDS)
        pairs.append((_throughput(base, path, REQUESTS // ROUNDS), login))
    # For a rate the better figure is the larger: the median round of the inverse ratio.
    value, baseline = _median_round([(1 / v, 1 / b) for v, b in pairs])
    return 1 / value, 1 / baseline


def run() -> list[Figure]:
    out: list[Figure] = []
    with Database(NAME) as database:
        _seed(database)
        with Processes(database, worker=True) as procs:
            base = procs.base
            _wait_for_pdfs(database, base)
            anonymous = session(base)
            page, login = _interleaved_latency(anonymous, base, f"/p/{SLUG}/")
            out.append(
                Figure(
                    NAME,
                    f"public page /p/<slug>/ latency (median of {ROUNDS} rounds)",
                    page,
                    "s",
                    "GET /login",
                    login,
                    threshold=2,
                )
            )
            index_rps, login_rps = _interleaved_rps(base, "/p/")
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
            page_rps, login_rps = _interleaved_rps(base, f"/p/{SLUG}/")
            out.append(
                Figure(NAME, "public page, req/s", page_rps, "rps", "GET /login req/s", login_rps)
            )
            pdf_rps, login_rps = _interleaved_rps(base, f"/p/{SLUG}/current.pdf")
            out.append(
                Figure(
                    NAME,
                    "order PDF download (streamed), req/s",
                    pdf_rps,
                    "rps",
                    "GET /login req/s",
                    login_rps,
                )
            )
    return out


if __name__ == "__main__":
    from bench._harness import report

    raise SystemExit(report(run()))
