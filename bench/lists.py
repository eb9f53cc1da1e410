"""The working list page of a 5,000-entry agency against a 300-entry one (issue 15, item 4).

Production-like (bench/_harness.py). Both agencies have an approved version and further changes,
so the page marks rows changed since that version. Signed in as each agency's registrar, the
median latency of ``/list/`` after warm-up (each of the 3 workers has compared once) — target:
the large list within 1.5× of the small one; ``GET /login`` reported as the second baseline.

    PYTHONPATH=platform:. python -m bench lists
"""

from __future__ import annotations

import os

import sqlalchemy as sa

from bench._harness import Database, Figure, Processes, add_user, latency, session

SIZES = (300, 5000)
RUNS = int(os.environ.get("BENCH_RUNS", "15"))
NAME = "lists"


def _seed(database: Database) -> None:
    from touchpoints.auth.roles import Role
    from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
    from touchpoints.demo.seed import seed_region
    from touchpoints.regions.models import Agency

    app = database.owner_app()
    with app.app_context():
        for n in SIZES:
            seed_region(f"lists{n}", 1, n)
            with scoped(SYSTEM_SCOPE):
                agency_id = db.session.scalar(
                    sa.select(Agency.id).where(Agency.slug == f"lists{n}-demo-001")
                )
            add_user(f"registrar{n}@bench.example.org", Role.REGISTRAR.value, agency_id=agency_id)
        db.session.remove()
        db.engine.dispose()


def run() -> list[Figure]:
    out: list[Figure] = []
    with Database(NAME) as database:
        _seed(database)
        with Processes(database) as procs:
            login, _ = latency(session(procs.base), procs.base + "/login", RUNS)
            times = {}
            for n in SIZES:
                s = session(procs.base, f"registrar{n}@bench.example.org")
                times[n], _ = latency(s, procs.base + "/list/", RUNS, warm=6)
            small, large = SIZES
            out.append(
                Figure(
                    NAME,
                    f"working list page, {large} entries",
                    times[large],
                    "s",
                    f"the same, {small} entries",
                    times[small],
                    threshold=1.5,
                )
            )
            out.append(
                Figure(
                    NAME,
                    f"working list page, {large} entries",
                    times[large],
                    "s",
                    "GET /login",
                    login,
                )
            )
    return out


if __name__ == "__main__":
    from bench._harness import report

    raise SystemExit(report(run()))
