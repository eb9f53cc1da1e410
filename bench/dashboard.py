"""Region dashboard at 300 agencies × 100 rows and 1,000 × 300, nothing cached (issue 15, item 2).

Production-like (bench/_harness.py): a migrated database, the application role under RLS, gunicorn
as the Dockerfile runs it, Redis, and a Celery worker that keeps the stored figures up to date.
Measured in one run, each against its baseline:

* the dashboard of each region, signed in as its project office, in freshly started workers
  (no figures in any worker's memory: they are read from the database), against ``GET /login``
  — target ≤ 50×; the same against one SQL query computing the per-agency counts (reported);
* the memory of the gunicorn workers before and after — target growth < 50 MB per worker;
* one change in one agency: how long until the worker's recomputation is stored, and how many
  agencies of the other region were recomputed — target 0.

    PYTHONPATH=platform:. python -m bench dashboard        (BENCH_SCALE=0.1 for a quick run)
"""

from __future__ import annotations

import os
import statistics
import time

import sqlalchemy as sa

from bench._harness import REDIS_URL, Database, Figure, Processes, add_user
from bench._harness import latency as measure
from bench._harness import session as signed_in

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
REGIONS = (("small", int(300 * SCALE), 100), ("large", int(1000 * SCALE), 300))
RUNS = int(os.environ.get("BENCH_RUNS", "9"))
MAX_RATIO = 50
MAX_GROWTH_MB = 50
NAME = "dashboard"


def _seed(database: Database) -> dict:
    from touchpoints.auth.roles import Role
    from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
    from touchpoints.dashboard import figures
    from touchpoints.demo.seed import seed_region
    from touchpoints.regions.models import Region

    app = database.owner_app()
    out = {}
    with app.app_context():
        started = time.perf_counter()
        entries = 0
        for slug, agencies, rows in REGIONS:
            entries += seed_region(slug, agencies, rows).entries
            with scoped(SYSTEM_SCOPE):
                region_id = db.session.scalar(sa.select(Region.id).where(Region.slug == slug))
            add_user(f"office@{slug}.example.org", Role.OFFICE.value, region_id=region_id)
            out[slug] = region_id
        out["seed_seconds"] = time.perf_counter() - started
        out["entries"] = entries
        started = time.perf_counter()
        out["refreshed"] = figures.refresh_all()
        out["refresh_seconds"] = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return out


def _sql_baseline(database: Database, region_id: int) -> float:
    """One query computing the per-agency counts the dashboard shows, as the app role would."""
    engine = sa.create_engine(database.owner_url)
    query = sa.text(
        "SELECT e.agency_id, count(*) FILTER (WHERE status = 'included' AND kind = 'new'),"
        " count(*) FILTER (WHERE status = 'included' AND kind = 'new'"
        "                  AND channel_kind = 'digital'),"
        " count(*) FILTER (WHERE status = 'included' AND kind = 'new'"
        "                  AND client_kind = 'internal'),"
        " count(DISTINCT activity_area) FILTER (WHERE status = 'included'),"
        " count(*) FILTER (WHERE status = 'submitted'),"
        " count(*) FILTER (WHERE status = 'returned')"
        " FROM entry e JOIN agency a ON a.id = e.agency_id WHERE a.region_id = :r"
        " GROUP BY e.agency_id"
    )
    times = []
    with engine.connect() as conn:
        for _ in range(5):
            started = time.perf_counter()
            conn.execute(query, {"r": region_id}).all()
            times.append(time.perf_counter() - started)
    engine.dispose()
    return statistics.median(times)


def _one_change(database: Database, seeded: dict) -> tuple[float, int]:
    """Include one entry in one agency of the small region, through the services as the app role
    (the change enqueues its task through Redis); wait for the worker to store the figures."""
    os.environ["TOUCHPOINTS_REDIS_URL"] = REDIS_URL
    from touchpoints import create_app
    from touchpoints.auth.models import User
    from touchpoints.auth.roles import Role
    from touchpoints.core.db import agency_scope, db, scoped
    from touchpoints.lists import services as lists
    from touchpoints.regions.models import Agency

    owner = sa.create_engine(database.owner_url)
    with owner.connect() as conn:
        before = dict(
            conn.execute(
                sa.text("SELECT agency_id, computed_at FROM agency_figures WHERE region_id = :r"),
                {"r": seeded["large"]},
            ).all()
        )
        agency_id = conn.scalar(
            sa.text("SELECT min(id) FROM agency WHERE region_id = :r"), {"r": seeded["small"]}
        )
    app = create_app("test", SQLALCHEMY_DATABASE_URI=database.app_url)
    if app.config["CELERY"].get("task_always_eager"):
        raise RuntimeError("the change must go through the Celery worker")
    with app.app_context():
        add_user("registrar-bench@example.org", Role.REGISTRAR.value, agency_id=agency_id)
        with scoped(agency_scope(agency_id)):
            agency = db.session.get(Agency, agency_id)
            user = db.session.scalar(
                sa.select(User).where(User.email == "registrar-bench@example.org")
            )
            form = agency.form
            entry = lists.create_entry(
                agency,
                user,
                {
                    "activity_area": form["activity_areas"][0]["code"],
                    "process_name": "Новая услуга",
                    "touchpoint_code": form["touchpoints"][0]["code"],
                    "client_needs": [form["client_needs"][0]["code"]],
                    "interaction": "Информирование",
                },
            )
            reviewer = db.session.scalar(
                sa.select(User).where(
                    User.agency_id == agency_id,
                    User.role == Role.REGISTRAR.value,
                    User.id != user.id,
                )
            )
            lists.submit(entry, user)
            lists.include(entry, reviewer)
            started = time.perf_counter()
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    deadline = time.monotonic() + 120
    with owner.connect() as conn:
        while time.monotonic() < deadline:
            generation, computed = conn.execute(
                sa.text(
                    "SELECT generation, computed_generation FROM agency_figures"
                    " WHERE agency_id = :a"
                ),
                {"a": agency_id},
            ).one()
            if computed >= generation:
                break
            conn.rollback()
            time.sleep(0.05)
        else:
            raise RuntimeError("the worker did not recompute the changed agency")
        waited = time.perf_counter() - started
        after = dict(
            conn.execute(
                sa.text("SELECT agency_id, computed_at FROM agency_figures WHERE region_id = :r"),
                {"r": seeded["large"]},
            ).all()
        )
    owner.dispose()
    return waited, sum(1 for k, v in after.items() if before.get(k) != v)


def run() -> list[Figure]:
    figures_: list[Figure] = []
    with Database(NAME) as database:
        seeded = _seed(database)
        print(
            f"seeded {seeded['entries']} entries in {seeded['seed_seconds']:.1f} s; "
            f"figures of {seeded['refreshed']} agencies stored in "
            f"{seeded['refresh_seconds']:.1f} s (flask dashboard refresh)",
            flush=True,
        )
        with Processes(database, worker=True) as procs:
            anonymous = signed_in(procs.base)
            login, _ = measure(anonymous, procs.base + "/login", RUNS * 3)
            rss_before = procs.worker_rss_mb()
            for slug, agencies, rows in REGIONS:
                office = signed_in(procs.base, f"office@{slug}.example.org")
                board, size = measure(office, procs.base + "/dashboard/", RUNS)
                figures_.append(
                    Figure(
                        NAME,
                        f"dashboard {agencies}×{rows}, nothing cached",
                        board,
                        "s",
                        "GET /login",
                        login,
                        threshold=MAX_RATIO,
                    )
                )
                figures_.append(
                    Figure(
                        NAME,
                        f"dashboard {agencies}×{rows} vs one SQL query",
                        board,
                        "s",
                        "SQL per-agency counts",
                        _sql_baseline(database, seeded[slug]),
                    )
                )
                figures_.append(
                    Figure(NAME, f"dashboard {agencies}×{rows} page size", size / 1024, "KiB")
                )
            rss_after = procs.worker_rss_mb()
            growth = max((a - b for a, b in zip(rss_after, rss_before, strict=False)), default=0.0)
            figures_.append(
                Figure(
                    NAME,
                    "worker memory growth (largest of 3)",
                    growth,
                    "MB",
                    kind="abs",
                    threshold=MAX_GROWTH_MB,
                )
            )
            waited, elsewhere = _one_change(database, seeded)
            figures_.append(Figure(NAME, "one change: stored by the worker after", waited, "s"))
            figures_.append(
                Figure(
                    NAME,
                    "one change: agencies of another region redone",
                    elsewhere,
                    "",
                    kind="abs",
                    threshold=0,
                )
            )
    return figures_


if __name__ == "__main__":
    from bench._harness import report

    raise SystemExit(report(run()))
