"""Reminder scanner at scale: time and SQL queries for 100 and 1,000 agencies.

The scanner reads every agency with a fixed set of queries, so its query count must not grow
with the number of agencies; the baseline is the naive way (the same summary asked agency by
agency), whose count grows linearly. Uses a scratch PostgreSQL database it creates and drops.

    PYTHONPATH=platform:. python -m bench reminders
"""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime

import sqlalchemy as sa

PG = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
NAME = "touchpoints_bench_reminders"


class QueryCounter:
    """Counts statements sent by the calling thread only (digests are sent on other threads)."""

    def __init__(self, engine):
        self.engine, self.n, self.thread = engine, 0, threading.get_ident()

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._count)

    def _count(self, *args, **kwargs):
        if threading.get_ident() == self.thread:
            self.n += 1


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


def _run(n_agencies: int) -> dict:
    from touchpoints import create_app
    from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
    from touchpoints.deadlines.services import deadline_summaries
    from touchpoints.reminders import services

    admin = sa.create_engine(f"{PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{NAME}"'))
    url = f"{PG}/{NAME}"
    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=url,
        MAIL_BACKEND="outbox",
        RATELIMIT_STORAGE_URI="memory://",
    )
    out = {"agencies": n_agencies}
    try:
        with app.app_context():
            db.create_all()
            with db.engine.begin() as conn:
                _seed(conn, n_agencies)
            engine = db.engine
            moment = datetime(2025, 5, 15, 9, 30, tzinfo=UTC)  # the publication deadline's day
            digests: list[int] = []
            real_enqueue = services.enqueue
            # The scanner hands digests to tasks; collect them here and send them afterwards,
            # so the scanner's own time is measured and not the mail rendering of the workers.
            services.enqueue = lambda name, digest_id: digests.append(digest_id)
            try:
                for label in ("first", "rerun"):
                    with scoped(SYSTEM_SCOPE), QueryCounter(engine) as qc:
                        t0 = time.perf_counter()
                        result = services.scan(moment)
                        out[f"{label}_seconds"] = time.perf_counter() - t0
                    out[f"{label}_queries"] = qc.n
                    out[f"{label}_claimed"] = result["claimed"]
            finally:
                services.enqueue = real_enqueue
            unique = sorted(set(digests))
            with scoped(SYSTEM_SCOPE):
                t0 = time.perf_counter()
                sent = [services.send_digest(d, now=moment) for d in unique]
                out["send_seconds"] = time.perf_counter() - t0
            out["digests"] = len(unique)
            out["sent"] = sent.count("sent")
            app.extensions["inprocess_jobs"].wait(timeout=600)
            ids = list(range(1, n_agencies + 1))
            with scoped(SYSTEM_SCOPE), QueryCounter(engine) as qc:
                t0 = time.perf_counter()
                deadline_summaries(ids, moment.date())
                out["summary_seconds"] = time.perf_counter() - t0
            out["summary_queries"] = qc.n
            sample = ids[:100]
            with scoped(SYSTEM_SCOPE), QueryCounter(engine) as qc:
                t0 = time.perf_counter()
                for a in sample:
                    deadline_summaries([a], moment.date())
                out["naive_seconds_100"] = time.perf_counter() - t0
            out["naive_queries_100"] = qc.n
            db.session.remove()
            db.engine.dispose()
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        admin.dispose()
    return out


def main() -> None:
    small, large = _run(100), _run(1000)
    for r in (small, large):
        print(
            f"{r['agencies']:>5} agencies: scan {r['first_seconds']:.2f} s, {r['first_queries']} queries, "
            f"{r['first_claimed']} reminders claimed; rerun {r['rerun_seconds']:.2f} s, "
            f"{r['rerun_queries']} queries, {r['rerun_claimed']} claimed; "
            f"{r['digests']} digests queued as mail in {r['send_seconds']:.2f} s "
            f"({r['sent']} sent, re-enqueued ones skipped); "
            f"summaries {r['summary_seconds']:.2f} s, {r['summary_queries']} queries"
        )
    print(
        f"scan queries 1000/100 agencies: {large['first_queries'] / small['first_queries']:.2f}x "
        f"(rerun {large['rerun_queries'] / small['rerun_queries']:.2f}x); "
        f"time {large['first_seconds'] / small['first_seconds']:.1f}x"
    )
    per_agency = large["naive_queries_100"] / 100
    print(
        f"baseline, summary agency by agency: {per_agency:.0f} queries per agency "
        f"→ {per_agency * 1000:.0f} for 1,000 vs {large['summary_queries']} batched "
        f"({per_agency * 1000 / large['summary_queries']:.0f}x fewer)"
    )


if __name__ == "__main__":
    main()
