"""Throughput of the public page and the JSON API under load, against a trivial page (issue 7).

Runs the application with gunicorn on loopback over a throw-away SQLite database with the demo
data (both seed agencies, one approved version each, their order PDFs rendered beforehand), and
drives it from a pool of keep-alive HTTP clients with a fixed number of requests per URL. Prints
requests per second and the ratio to the baseline (GET /login: a small template, no queries).

    PYTHONPATH=platform:. python -m bench public
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "1500"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
SLUG = "murmansk-tourism"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepare(env: dict) -> str:
    """Tables, demo data and rendered order PDFs, in this process, before the server starts."""
    os.environ.update(env)
    from touchpoints import create_app
    from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
    from touchpoints.demo.data import load_demo
    from touchpoints.lists.models import ListVersion

    app = create_app("demo", SQLALCHEMY_DATABASE_URI=env["TOUCHPOINTS_DATABASE_URL"])
    with app.app_context():
        db.create_all()
        load_demo()
        try:
            from touchpoints.orders.storage import request_version_pdf
        except ImportError:
            request_version_pdf = None
        if request_version_pdf is not None:
            with scoped(SYSTEM_SCOPE):
                versions = db.session.scalars(db.select(ListVersion)).all()
            for v in versions:
                request_version_pdf(v)
            app.extensions["inprocess_jobs"].wait(timeout=300)
    return app.name


def _wait_up(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("gunicorn exited; see its output above")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def _load(port: int, path: str, headers: dict | None = None) -> tuple[float, dict[int, int]]:
    """Requests per second for REQUESTS requests of ``path`` from CLIENTS keep-alive clients."""
    per_client = REQUESTS // CLIENTS

    def worker(_):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        codes: dict[int, int] = {}
        for _ in range(per_client):
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            response.read()
            codes[response.status] = codes.get(response.status, 0) + 1
        conn.close()
        return codes

    # Warm up (caches, first renders of downloads) outside the measurement.
    for _ in range(3):
        worker_conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        worker_conn.request("GET", path, headers=headers or {})
        worker_conn.getresponse().read()
        worker_conn.close()
    start = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        results = list(pool.map(worker, range(CLIENTS)))
    elapsed = time.perf_counter() - start
    codes: dict[int, int] = {}
    for r in results:
        for k, v in r.items():
            codes[k] = codes.get(k, 0) + v
    return per_client * CLIENTS / elapsed, codes


def _etag(port: int, path: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    return response.getheader("ETag")


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="touchpoints_bench_public_")
    port = _free_port()
    env = {
        "TOUCHPOINTS_ENV": "demo",
        "TOUCHPOINTS_DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
        "TOUCHPOINTS_INSTANCE_DIR": tmp,
        "TOUCHPOINTS_BASE_URL": f"http://127.0.0.1:{port}",
        # The load generator is one address: the per-client budget would throttle the run.
        "TOUCHPOINTS_PUBLIC_RATE_LIMIT": "1000000 per minute",
    }
    proc = None
    try:
        _prepare(env)
        server_env = {**os.environ, **env}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--threads",
                "4",
                "--worker-class",
                "gthread",
                "--log-level",
                "warning",
                "touchpoints:create_app()",
            ],
            env=server_env,
        )
        _wait_up(port, proc)
        page = f"/p/{SLUG}/"
        targets = [
            ("baseline: GET /login (trivial page)", "/login", None),
            ("public page /p/<slug>/", page, None),
            ("public page, conditional (304)", page, {"If-None-Match": _etag(port, page)}),
            ("JSON list /api/v1/agencies", "/api/v1/agencies", None),
            (
                "JSON entries, per_page=100",
                f"/api/v1/agencies/{SLUG}/versions/1/entries?per_page=100",
                None,
            ),
            ("open data current.json (cached)", f"/p/{SLUG}/current.json", None),
        ]
        print(f"{REQUESTS} requests per URL, {CLIENTS} keep-alive clients, gunicorn 2×4 gthread")
        base = None
        for label, path, headers in targets:
            rps, codes = _load(port, path, headers)
            base = base or rps
            print(f"  {label:42s} {rps:8.0f} req/s  ratio {rps / base:5.2f}  statuses {codes}")
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
