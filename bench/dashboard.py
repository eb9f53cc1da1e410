"""Region dashboard with 100 agencies × 300 entries, against a trivial page of the same app.

Runs on a dedicated PostgreSQL database (touchpoints_bench_dashboard, created and dropped here)
when PostgreSQL answers at BENCH_PG_ADMIN_URL, else on SQLite in a temporary directory. Times
are server times through the WSGI test client (no network), medians of several runs, each
also as a ratio to two trivial pages of the same app measured in the same run: /login
(anonymous: no database at all) and /account/password (signed in: the user load and the
tenant-scope round trips every signed-in page pays).

The dashboard is measured three ways: reused (figures and the rendered page body reused while
the data is unchanged, the office's usual reload), new view (figures reused, a sort order not
rendered before on this board) and recomputed (cache off: every figure and other features'
sources: compliance, deadlines).

    PYTHONPATH=platform:. python -m bench dashboard
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

AGENCIES = int(os.environ.get("BENCH_AGENCIES", 100))
ROWS = int(os.environ.get("BENCH_ROWS", 300))
RUNS = int(os.environ.get("BENCH_RUNS", 7))
PG_ADMIN = os.environ.get(
    "BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
DB_NAME = "touchpoints_bench_dashboard"


def _postgres_url() -> str | None:
    try:
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
        admin.dispose()
    except Exception as exc:  # no PostgreSQL here: fall back to SQLite
        print(f"PostgreSQL unavailable ({type(exc).__name__}); using SQLite")
        return None
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{DB_NAME}"


def _drop_postgres() -> None:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
    admin.dispose()


def _median(client, url: str, runs: int = RUNS) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        size = len(response.data)
    return statistics.median(times), size


def _median_of(client, urls: list[str]) -> tuple[float, int]:
    """Median over different URLs, each asked once."""
    times, size = [], 0
    for url in urls:
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        size = len(response.data)
    return statistics.median(times), size


#: Sort orders of the region table, each a view of its own for the page cache.
SORTS = (
    "touchpoints",
    "digital",
    "areas",
    "needs",
    "errors",
    "warnings",
    "pending",
    "days",
    "reminder",
    "version",
    "version_date",
    "publication",
)


def main() -> None:
    from touchpoints import create_app
    from touchpoints.auth.models import User
    from touchpoints.auth.roles import Role
    from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
    from touchpoints.core.tenancy import Region
    from touchpoints.demo.seed import seed_region

    tmp = tempfile.TemporaryDirectory()
    url = _postgres_url()
    backend = "postgresql" if url else "sqlite"
    url = url or f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    app = create_app(
        "demo",
        SQLALCHEMY_DATABASE_URI=url,
        INSTANCE_DIR=Path(tmp.name),
        WTF_CSRF_ENABLED=False,
        RATELIMIT_ENABLED=False,
    )
    try:
        with app.app_context():
            db.create_all()
            started = time.perf_counter()
            report = seed_region("bench", AGENCIES, ROWS)
            seeded = time.perf_counter() - started
            with scoped(SYSTEM_SCOPE):
                region = db.session.scalar(sa.select(Region).where(Region.slug == "bench"))
                office = User(
                    email="office@bench.example.org",
                    name="Проектный офис",
                    role=Role.OFFICE.value,
                    region_id=region.id,
                    is_demo=True,
                )
                db.session.add(office)
                db.session.commit()
        print(
            f"backend {backend}; seeded {report.agencies} agencies × {ROWS} rows "
            f"({report.entries} entries, {report.versions} versions) in {seeded:.1f} s"
        )
        client = app.test_client()
        response = client.post(
            "/login", data={"email": "office@bench.example.org", "password": "demo"}
        )
        assert response.status_code == 302, response.status_code
        client.get("/dashboard/")  # warm-up: templates compiled, catalogue read
        client.get("/account/password")
        anonymous = app.test_client()
        anonymous.get("/login")
        trivial, _ = _median(anonymous, "/login")
        signed_in, _ = _median(client, "/account/password")
        health, _ = _median(client, "/healthz")
        board, size = _median(client, "/dashboard/")
        # Figures reused, but each view (sort order) rendered for the first time on this board.
        fresh_views = [f"/dashboard/?sort={key}&dir=desc" for key in SORTS[:RUNS]]
        view, _ = _median_of(client, fresh_views)
        app.config["DASHBOARD_CACHE_SECONDS"] = 0
        cold, _ = _median(client, "/dashboard/", runs=3)
        app.config["DASHBOARD_CACHE_SECONDS"] = 120
        channels, _ = _median(client, "/dashboard/channels")
        xlsx, xlsx_size = _median(client, "/dashboard/export.xlsx", runs=3)
        # The first PDF of a set of figures is laid out by WeasyPrint; later ones are reused.
        pdf, pdf_size = _median(client, "/dashboard/export.pdf", runs=1)
        pdf_again, _ = _median(client, "/dashboard/export.pdf", runs=3)

        def line(label: str, seconds: float, note: str = "") -> None:
            print(
                f"  {label:<44} {seconds * 1000:8.1f} ms   ×{seconds / trivial:6.1f} /login"
                f"   ×{seconds / signed_in:5.1f} signed-in page{note}"
            )

        print(f"server times, median of {RUNS} (3 for recomputed and exports); target ≤ 5×")
        line("trivial page /login (anonymous)", trivial)
        line("trivial signed-in page /account/password", signed_in)
        line("/healthz (database, Redis, worker)", health)
        line("dashboard, figures and page reused", board, f"   ({size // 1024} KiB)")
        line("dashboard, figures reused, new view", view, "   (first render of a sort order)")
        line("dashboard, recomputed (cache off)", cold)
        line("channels /dashboard/channels", channels)
        line("XLSX export", xlsx, f"   ({xlsx_size // 1024} KiB)")
        line("PDF export, laid out", pdf, f"   ({pdf_size // 1024} KiB)")
        line("PDF export, same figures again", pdf_again)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if backend == "postgresql":
            _drop_postgres()
        tmp.cleanup()


if __name__ == "__main__":
    main()
