"""What every benchmark runs on: production-like, on loopback, torn down afterwards.

* a PostgreSQL database of its own (``touchpoints_bench_<name>``), upgraded with Alembic as the
  owner, the application connecting as a non-owner role without BYPASSRLS (as in production and
  tests/conftest.py ``migrated``), so row-level security is on;
* gunicorn started as the Dockerfile starts it (``--workers 3``, the default sync workers) with
  ``TOUCHPOINTS_ENV=production`` (CSRF on, no demo passwords);
* Redis for Celery and the rate limiter, and a real Celery worker where a benchmark needs tasks;
* results as :class:`Figure` rows — a measured value, its baseline from the same run, the ratio
  and the threshold — that ``python -m bench`` prints as one table and turns into the exit code.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get(
    "BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
APP_ROLE = "touchpoints_bench_app"
PASSWORD = "bench-password-not-for-production"
#: Gunicorn as the Dockerfile's CMD runs it.
GUNICORN_ARGS = ["--workers", "3"]
#: The key that signs tenant scopes (docs/security.md): one per bench process, stored by
#: ``grant_app_role`` and read by every application of the run — the in-process ones through the
#: environment, gunicorn and the worker through theirs (production refuses the demo key).
SCOPE_KEY = os.environ.setdefault("TOUCHPOINTS_SCOPE_KEY", secrets.token_hex(32))


@dataclasses.dataclass
class Figure:
    bench: str
    label: str
    value: float
    unit: str
    baseline_label: str = ""
    baseline: float | None = None
    #: "max": ratio value/baseline must be ≤ threshold; "min": ≥ threshold; "abs": value ≤ it.
    kind: str = "max"
    threshold: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / self.baseline

    @property
    def ok(self) -> bool:
        if self.threshold is None:
            return True
        if self.kind == "abs":
            return self.value <= self.threshold
        if self.ratio is None:
            return False
        if self.kind == "min":
            return self.ratio >= self.threshold
        return self.ratio <= self.threshold

    def row(self) -> str:
        value = f"{self.value:.3f} {self.unit}"
        if self.kind == "abs":
            ratio, target = "", f"≤ {self.threshold} {self.unit}" if self.threshold else ""
        else:
            ratio = f"×{self.ratio:.2f}" if self.ratio is not None else "—"
            sign = "≥" if self.kind == "min" else "≤"
            target = f"{sign} ×{self.threshold}" if self.threshold is not None else ""
        base = f"{self.baseline:.3f} {self.unit} {self.baseline_label}" if self.baseline else ""
        verdict = "" if self.threshold is None else ("ok" if self.ok else "MISSED")
        return (
            f"{self.bench:<10} {self.label:<46} {value:>14} {ratio:>9} {target:>10} "
            f"{verdict:>6}  {base}"
        )


def header() -> str:
    return (
        f"{'bench':<10} {'figure':<46} {'value':>14} {'ratio':>9} {'target':>10} "
        f"{'':>6}  baseline (same run)"
    )


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} CPU ({cpu}), {mem} RAM, Python {sys.version.split()[0]}"


def report(figures: list[Figure], failed: list[str] = ()) -> int:
    """Print one table; the exit code: 1 when a figure missed its target or a bench failed."""
    print()
    print(f"machine: {machine()}")
    print(header())
    for f in figures:
        print(f.row())
    missed = [f for f in figures if not f.ok]
    for name in failed:
        print(f"{name:<10} FAILED (see the traceback above)")
    return 1 if missed or failed else 0


# --------------------------------------------------------------------------- database


class Database:
    """A migrated database of its own, the owner's and the application role's URLs."""

    def __init__(self, name: str):
        self.name = f"touchpoints_bench_{name}"
        base = PG_ADMIN.rsplit("/", 1)[0]
        self.owner_url = f"{base}/{self.name}"
        self.app_url = self.owner_url.replace("postgres@", f"{APP_ROLE}@", 1)

    def __enter__(self) -> Database:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{self.name}"')
        from flask_migrate import upgrade

        from touchpoints import create_app
        from touchpoints.core.cli import grant_app_role

        app = create_app("test", SQLALCHEMY_DATABASE_URI=self.owner_url)
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
        engine = sa.create_engine(self.owner_url)
        grant_app_role(engine, APP_ROLE, scope_key=SCOPE_KEY)
        engine.dispose()
        return self

    def __exit__(self, *exc) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    @staticmethod
    def _admin(statement: str) -> None:
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(statement))
        admin.dispose()

    def owner_app(self, **config):
        """The application on the owner's connection, for seeding (bulk writes)."""
        from touchpoints import create_app

        return create_app(
            "test",
            SQLALCHEMY_DATABASE_URI=self.owner_url,
            RATELIMIT_STORAGE_URI=REDIS_URL,
            **config,
        )

    def env(self, port: int) -> dict:
        """The environment of the production processes (web and worker)."""
        return {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(ROOT / "platform"), str(ROOT)]),
            "TOUCHPOINTS_ENV": "production",
            "TOUCHPOINTS_SECRET_KEY": secrets.token_hex(32),
            "TOUCHPOINTS_DATABASE_URL": self.app_url,
            "TOUCHPOINTS_MIGRATION_DATABASE_URL": self.owner_url,
            "TOUCHPOINTS_REDIS_URL": REDIS_URL,
            "TOUCHPOINTS_TRUSTED_HOSTS": "127.0.0.1",
            "TOUCHPOINTS_BASE_URL": f"http://127.0.0.1:{port}",
            "TOUCHPOINTS_SECURE_COOKIES": "0",
            "TOUCHPOINTS_MAIL_BACKEND": "outbox",
            # One load generator is one client address: per-client budgets would throttle it.
            "TOUCHPOINTS_LOGIN_RATE_LIMIT": "100000 per minute",
            "TOUCHPOINTS_PUBLIC_RATE_LIMIT": "1000000 per minute",
        }


def add_user(email: str, role: str, **fields) -> None:
    """A user with the bench password (inside an application context)."""
    from touchpoints.auth.models import User
    from touchpoints.core.db import SYSTEM_SCOPE, db, scoped

    with scoped(SYSTEM_SCOPE):
        user = User(email=email, name=email, role=role, **fields)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    """``BENCH_PORT`` when set (a shared machine gives each engineer a range), else any free one."""
    if os.environ.get("BENCH_PORT"):
        return int(os.environ["BENCH_PORT"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Processes:
    """gunicorn (and a Celery worker) on loopback; stopped by their own pids."""

    def __init__(self, database: Database, *, worker: bool = False):
        self.port = free_port()
        self.env = database.env(self.port)
        self.worker = worker
        self.procs: list[subprocess.Popen] = []
        self.base = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Processes:
        if self.worker:
            self.procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "celery",
                        "-A",
                        "workers.celery_app",
                        "worker",
                        "--concurrency",
                        "1",
                        "--loglevel",
                        "warning",
                        "--without-heartbeat",
                        "--without-gossip",
                        "--without-mingle",
                    ],
                    env=self.env,
                    cwd=ROOT,
                )
            )
        self.web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                *GUNICORN_ARGS,
                "--log-level",
                "warning",
                "touchpoints:create_app()",
            ],
            env=self.env,
            cwd=ROOT,
        )
        self.procs.append(self.web)
        try:
            self._wait_up()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    def _wait_up(self) -> None:
        import requests

        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                raise RuntimeError("gunicorn exited; see its output above")
            try:
                requests.get(self.base + "/login", timeout=60)
                return
            except (requests.ConnectionError, requests.Timeout):
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def worker_pids(self) -> list[int]:
        """The gunicorn workers (children of the master)."""
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.web.pid)],
            capture_output=True,
            text=True,
            check=False,
        )
        return [int(p) for p in out.stdout.split()]

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            match = re.search(r"VmRSS:\s+(\d+) kB", status)
            if match:
                sizes.append(int(match.group(1)) / 1024)
        return sizes


def session(base: str, email: str | None = None):
    """A requests session, signed in as ``email`` (through the login form, CSRF included)."""
    import requests

    s = requests.Session()
    if email:
        page = s.get(base + "/login", timeout=30)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
        if token is None:
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        response = s.post(
            base + "/login",
            data={"email": email, "password": PASSWORD, "csrf_token": token.group(1)},
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code != 302:
            raise RuntimeError(f"login as {email} failed: {response.status_code}")
    return s


def latency(s, url: str, runs: int, warm: int = 1) -> tuple[float, int]:
    """Median wall time of ``runs`` sequential GETs (``warm`` warm-ups first) and the size."""
    for _ in range(warm):
        s.get(url, timeout=120)
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        response = s.get(url, timeout=120)
        times.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        size = len(response.content)
    return statistics.median(times), size
