"""Reminder scanner at 10,000 agencies, production-like (issue 15, item 5).

A migrated PostgreSQL database (bench/_harness.py), the scan run as the application role in the
system scope (what the beat's task does), on the publication deadline's day: every agency has an
included entry (a publication deadline) and a submission waiting for review. Measured in one run:

* the first scan (40,000 deadlines opened, 180,000 reminders claimed, digests made) — target
  ≤ 10 s;
* a rerun with nothing new due, every two minutes after it as the beat runs it (the median of
  ``BENCH_REMINDER_RERUNS``), after the first scan's digests were sent (marked so in the
  database, as the digest tasks would) — target ≤ 1 s;
* the baseline: one SQL query reading what the scan reads (open deadlines with their agencies'
  people) as the scan reads it (application role, system scope), after the scans of the same
  run; reported as the ratio.

The follow-up tasks go to the Redis broker (``BENCH_REDIS_URL``) as in production, and are
purged afterwards; digests are not enqueued (sending them is not the scan's work).

    PYTHONPATH=platform:. python -m bench reminders          (BENCH_REMINDER_AGENCIES=1000 quicker)
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from bench._harness import REDIS_URL, Database, Figure

AGENCIES = int(os.environ.get("BENCH_REMINDER_AGENCIES", "10000"))
NAME = "reminders"


def _seed(conn, n_agencies: int, regions: int = 10) -> None:
    from touchpoints.config import ROOT_DIR
    from touchpoints.tenants.loader import load
    from touchpoints.tenants.schema import jsonable

    form = jsonable(load(ROOT_DIR / "tenants").forms["default-full"])
    area = form["activity_areas"][0]["code"]
    created = datetime(2025, 1, 10, 9, tzinfo=UTC)
    changed = datetime(2025, 4, 25, 7, tzinfo=UTC)
    submitted = datetime(2025, 5, 6, 7, tzinfo=UTC)
    md = sa.MetaData()
    md.reflect(conn)
    t = md.tables
    zones = ["Europe/Moscow", "Asia/Novokuznetsk", "Asia/Yekaterinburg", "Europe/Samara"]
    conn.execute(
        t["region"].insert(),
        [
            {
                "id": r + 1,
                "slug": f"r{r}",
                "name": f"Регион {r}",
                "timezone": zones[r % 4],
                "office_email": f"office{r}@example.org",
                "created_at": created,
            }
            for r in range(regions)
        ],
    )
    conn.execute(
        t["agency"].insert(),
        [
            {
                "id": a,
                "slug": f"a{a}",
                "region_id": a % regions + 1,
                "full_name": f"Орган {a}",
                "short_name": f"Орган {a}",
                "form_template": "default-full",
                "form": form,
                "head_name": "",
                "head_title": "",
                "city": "",
                "legal_basis": "",
                "settings": {},
                "source": "ui",
                "created_at": created,
            }
            for a in range(1, n_agencies + 1)
        ],
    )
    conn.execute(
        t["subdivision"].insert(),
        [
            {"id": a * 2 + s, "agency_id": a, "code": f"s{s}", "name": f"Отдел {s}", "active": True}
            for a in range(1, n_agencies + 1)
            for s in range(2)
        ],
    )
    users = []
    for a in range(1, n_agencies + 1):
        users.append(
            {
                "email": f"reg{a}@example.org",
                "role": "registrar",
                "agency_id": a,
                "subdivision_id": None,
            }
        )
        users.append(
            {
                "email": f"ed{a}@example.org",
                "role": "editor",
                "agency_id": a,
                "subdivision_id": a * 2,
            }
        )
        users.append(
            {
                "email": f"head{a}@example.org",
                "role": "viewer",
                "agency_id": a,
                "subdivision_id": None,
            }
        )
    conn.execute(
        t["user_account"].insert(),
        [
            u
            | {
                "name": u["email"],
                "active": True,
                "is_demo": False,
                "created_at": created,
                "region_id": None,
            }
            for u in users
        ],
    )
    entry = {
        "activity_area": area,
        "process_name": "Процесс",
        "touchpoint": "Сайт",
        "channel_kind": "digital",
        "client_kind": "external",
        "client_needs": [],
        "interaction": "",
        "specifics": "",
        "organisation": "",
        "extra": {},
        "kind": "new",
        "position": 1,
        "revision": 1,
        "created_at": created,
        "updated_at": created,
        "reviewed_at": None,
        "submitted_at": None,
    }
    conn.execute(
        t["entry"].insert(),
        [
            entry
            | {
                "agency_id": a,
                "status": "included",
                "reviewed_at": changed,
                "subdivision_id": a * 2,
            }
            for a in range(1, n_agencies + 1)
        ]
        + [
            entry
            | {
                "agency_id": a,
                "status": "submitted",
                "submitted_at": submitted,
                "subdivision_id": a * 2 + 1,
            }
            for a in range(1, n_agencies + 1)
        ],
    )


def _baseline() -> float:
    """What the scan reads, read once: the open deadlines with their agencies' people, as the
    scan reads it (the application role, the system scope, row-level security on)."""
    from touchpoints.core.db import SYSTEM_SCOPE, db, scoped

    query = sa.text(
        "SELECT d.id, d.kind, d.due_on, u.email FROM deadline d"
        " JOIN user_account u ON u.agency_id = d.agency_id WHERE d.status = 'open'"
    )
    with scoped(SYSTEM_SCOPE):
        db.session.execute(sa.text("SELECT 1"))  # the scope set, as for the scan
        started = time.perf_counter()
        db.session.execute(query).all()
        elapsed = time.perf_counter() - started
        db.session.rollback()
    return elapsed


#: Reruns measured; the median is reported (a shared machine's hiccup is one of them).
RERUNS = int(os.environ.get("BENCH_REMINDER_RERUNS", "5"))


def run() -> list[Figure]:
    from touchpoints import create_app
    from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
    from touchpoints.reminders import scan

    out: list[Figure] = []
    with Database(NAME) as database:
        engine = sa.create_engine(database.owner_url)
        with engine.begin() as conn:
            _seed(conn, AGENCIES)
        # A database in service is vacuumed and analysed (autovacuum) and its pages are on disk;
        # the deadlines the first scan opens have no statistics yet, as in production after a
        # burst of changes. Without this, autovacuum and the checkpoint of the seed's 100,000
        # rows ran during the measured scan.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
            conn.exec_driver_sql("CHECKPOINT")
        engine.dispose()
        # As the beat's task runs it: the follow-up tasks (dashboard figures of the agencies
        # that got reminders) go to the Redis broker, not to threads of this process.
        os.environ["TOUCHPOINTS_REDIS_URL"] = REDIS_URL
        try:
            app = create_app(
                "test",
                SQLALCHEMY_DATABASE_URI=database.app_url,
                MAIL_BACKEND="outbox",
                RATELIMIT_STORAGE_URI="memory://",
            )
        finally:
            os.environ.pop("TOUCHPOINTS_REDIS_URL", None)
        moment = datetime(2025, 5, 15, 9, 30, tzinfo=UTC)  # the publication deadline's day
        # Digests are handed to tasks; the scanner's own time is what is measured here.
        scan.enqueue = lambda name, digest_id: None
        engine_owner = sa.create_engine(database.owner_url)
        with app.app_context():
            with scoped(SYSTEM_SCOPE):
                started = time.perf_counter()
                r1 = scan.scan(moment)
                first = time.perf_counter() - started
            # Two minutes later the digest tasks have sent what the first scan claimed (digests
            # are not enqueued here): the state a rerun with nothing new finds in production.
            with engine_owner.begin() as conn:
                conn.exec_driver_sql("UPDATE reminder SET status = 'sent' WHERE status = 'claimed'")
                conn.exec_driver_sql(
                    "UPDATE reminder_digest SET status = 'sent' WHERE status = 'pending'"
                )
            engine_owner.dispose()
            reruns, r2 = [], None
            for n in range(1, RERUNS + 1):
                # Every two minutes, as the beat runs it.
                with scoped(SYSTEM_SCOPE):
                    started = time.perf_counter()
                    r2 = scan.scan(moment + timedelta(minutes=2 * n))
                    reruns.append(time.perf_counter() - started)
            baseline = _baseline()
            db.session.remove()
            db.engine.dispose()
            # Nobody consumes this run's queued tasks: leave the broker as it was.
            app.extensions["celery"].control.purge()
        rerun = statistics.median(reruns)
        print(f"first scan: {r1}; rerun: {r2}; reruns {', '.join(f'{t:.3f}' for t in reruns)} s")
        out.append(
            Figure(
                NAME,
                f"full scan, {AGENCIES} agencies ({r1['claimed']} claimed)",
                first,
                "s",
                "one SQL query",
                baseline,
            )
        )
        out.append(Figure(NAME, "full scan, absolute", first, "s", kind="abs", threshold=10))
        out.append(
            Figure(
                NAME,
                f"rerun, nothing due ({r2['claimed']} claimed), median of {RERUNS}",
                rerun,
                "s",
                kind="abs",
                threshold=1,
            )
        )
        out.append(Figure(NAME, "rerun, nothing due", rerun, "s", "one SQL query", baseline))
    return out


if __name__ == "__main__":
    from bench._harness import report

    raise SystemExit(report(run()))
