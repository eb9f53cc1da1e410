"""Order PDFs: our pipeline against a bare WeasyPrint table of the same rows (issue 4).

    PYTHONPATH=platform:. python -m bench orders

Builds a throw-away SQLite database with two agencies in the Murmansk form (500 and 2,000 rows,
each approved as a version), then renders, each in a fresh process so that peak memory is the
rendering's own (WeasyPrint frees memory only at exit, docs/pdf.md):

* ours       — the whole pipeline: load the version, build the context, Jinja, WeasyPrint
               (order page, landscape appendix, repeated header, groups, page numbers);
* bare       — the same cells in a minimal <table>, same font, size and page, default CSS;
* bare-fixed — the same, with ``table-layout: fixed`` (the fastest table WeasyPrint does).

Prints seconds, pages and peak RSS of each, and the ratio ours / bare (target ≤ 1.3).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from html import escape
from pathlib import Path

SIZES = (500, 2000)
REPEATS = {500: 3, 2000: 1}
TARGET = 1.3


def _app(db_path: Path):
    from touchpoints import create_app

    return create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{db_path}",
        INSTANCE_DIR=db_path.parent,
        RATELIMIT_STORAGE_URI="memory://",
    )


def build_database(db_path: Path) -> None:
    import sqlalchemy as sa

    from touchpoints.auth.models import User
    from touchpoints.auth.roles import Role
    from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, scoped
    from touchpoints.core.tenancy import Agency
    from touchpoints.demo.data import MURMANSK
    from touchpoints.lists import approval
    from touchpoints.lists.models import Entry
    from touchpoints.tenants.sync import sync

    app = _app(db_path)
    with app.app_context():
        db.create_all()
        sync(app.config["TENANTS_DIR"])
        db.session.commit()
        with scoped(SYSTEM_SCOPE):
            template = db.session.scalar(sa.select(Agency).where(Agency.slug == "murmansk-tourism"))
            for n in SIZES:
                agency = Agency(
                    slug=f"bench-{n}",
                    region_id=template.region_id,
                    full_name=template.full_name,
                    short_name=f"Бенчмарк {n}",
                    form_template=template.form_template,
                    form=template.form,
                    head_title=template.head_title,
                    head_name=template.head_name,
                    city=template.city,
                    legal_basis=template.legal_basis,
                    settings=template.settings,
                )
                db.session.add(agency)
                db.session.flush()
                user = User(
                    email=f"registrar@bench-{n}.example.org",
                    name="Регистратор",
                    role=Role.REGISTRAR.value,
                    agency_id=agency.id,
                )
                db.session.add(user)
                db.session.flush()
                plan = [(area, process, tp) for area, process, _, tps in MURMANSK for tp in tps]
                names = {t["code"]: t for t in agency.form["touchpoints"]}
                for i in range(n):
                    area, process, (code, needs, interaction, specifics) = plan[i % len(plan)]
                    db.session.add(
                        Entry(
                            agency_id=agency.id,
                            activity_area=area,
                            process_name=f"{process} (процесс {i // len(plan) + 1})",
                            touchpoint_code=code,
                            touchpoint=names[code]["name"],
                            channel_kind=names[code]["channel_kind"],
                            client_needs=needs,
                            interaction=interaction,
                            specifics=specifics,
                            status="included",
                            position=i,
                            created_by_id=user.id,
                        )
                    )
                db.session.flush()
                with scoped(agency_scope(agency.id)):
                    approval.approve_version(
                        agency, user, order_number=str(n), order_date=date(2024, 5, 1)
                    )
            db.session.commit()


def _bare_html(rows: list[list[str]], fixed: bool) -> str:
    layout = "table-layout: fixed;" if fixed else ""
    css = (
        "@page { size: A4 landscape; margin: 15mm 12mm 15mm 15mm; }"
        'body { font-family: "Liberation Serif", "DejaVu Serif", serif; font-size: 10pt; }'
        f"table {{ width: 100%; border-collapse: collapse; {layout} }}"
        "td { border: 0.5pt solid #000; padding: 2pt 3pt; vertical-align: top; }"
    )
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>" for cells in rows
    )
    return f"<html><head><style>{css}</style></head><body><table>{body}</table></body></html>"


def child(kind: str, db_path: Path, n: int) -> dict:
    """One measurement in this (fresh) process; prints JSON."""
    import sqlalchemy as sa
    import weasyprint

    from touchpoints.core.db import agency_scope, db, scoped
    from touchpoints.core.tenancy import Agency
    from touchpoints.lists.form import Form
    from touchpoints.lists.models import ListVersion
    from touchpoints.orders import document, rendering

    # Warm up fontconfig and Pango in both cases: a worker renders many documents.
    weasyprint.HTML(string="<p>Прогрев</p>").write_pdf()
    app = _app(db_path)
    with app.app_context():
        agency = db.session.scalar(sa.select(Agency).where(Agency.slug == f"bench-{n}"))
        with scoped(agency_scope(agency.id)):
            started, cpu_started = time.perf_counter(), time.process_time()
            version = db.session.scalar(
                sa.select(ListVersion).where(ListVersion.agency_id == agency.id)
            )
            if kind == "ours":
                rendered = rendering.render_order(agency, version)
                pdf, pages = rendered.pdf, rendered.pages
            else:
                # The very cells our appendix shows, in a plain table: what remains is the
                # cost of our layout (order page, header, groups, page numbers).
                appendix = document.list_appendix(Form(version.form), "", list(version.entries), [])
                rows = [
                    [c or "" for c in cells]
                    for g in appendix.groups
                    for _, group_rows in g.subgroups
                    for cells in group_rows
                ]
                document = weasyprint.HTML(
                    string=_bare_html(rows, fixed=kind == "bare-fixed")
                ).render()
                pdf, pages = document.write_pdf(), len(document.pages)
            seconds = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "kind": kind,
        "n": n,
        "seconds": seconds,
        "cpu": cpu,
        "pages": pages,
        "bytes": len(pdf),
        "peak_mb": peak_kb / 1024,
    }


def _measure(kind: str, db_path: Path, n: int) -> dict:
    env = dict(os.environ)
    root = Path(__file__).resolve().parents[1]
    env["PYTHONPATH"] = os.pathsep.join([str(root / "platform"), str(root)])
    out = subprocess.run(
        [sys.executable, "-m", "bench.orders", "--child", kind, str(db_path), str(n)],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{kind} {n}: {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def run() -> list:
    from bench._harness import Figure

    figures = []
    # CPU seconds of the rendering process are the figure compared: on a shared machine wall time
    # mostly measures the neighbours. Each case runs REPEATS[n] times; the best run counts.
    with tempfile.TemporaryDirectory(prefix="bench-orders-") as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        t = time.perf_counter()
        build_database(db_path)
        print(
            f"database with {' and '.join(map(str, SIZES))} rows: {time.perf_counter() - t:.1f} s"
        )
        print(
            f"{'rows':>6} {'kind':<11} {'cpu s':>7} {'wall s':>7} {'pages':>6} {'KB':>6} "
            f"{'peak MB':>8}"
        )
        for n in SIZES:
            results = {}
            for kind in ("bare", "bare-fixed", "ours"):
                runs = [_measure(kind, db_path, n) for _ in range(REPEATS[n])]
                r = results[kind] = min(runs, key=lambda x: x["cpu"])
                print(
                    f"{n:>6} {kind:<11} {r['cpu']:>7.2f} {r['seconds']:>7.2f} {r['pages']:>6} "
                    f"{r['bytes'] // 1024:>6} {max(x['peak_mb'] for x in runs):>8.0f}",
                    flush=True,
                )
            ratio = results["ours"]["cpu"] / results["bare"]["cpu"]
            ratio_fixed = results["ours"]["cpu"] / results["bare-fixed"]["cpu"]
            verdict = "ok" if ratio <= TARGET else "ABOVE TARGET"
            memory = results["ours"]["peak_mb"] / results["bare"]["peak_mb"]
            figures.append(
                Figure(
                    "orders",
                    f"order PDF {n} rows, CPU",
                    results["ours"]["cpu"],
                    "s",
                    "bare WeasyPrint table",
                    results["bare"]["cpu"],
                    threshold=TARGET,
                )
            )
            print(
                f"{n:>6} ours/bare = {ratio:.2f} (target ≤ {TARGET}: {verdict}); "
                f"ours/bare-fixed = {ratio_fixed:.2f}; peak memory ours/bare = {memory:.2f}",
                flush=True,
            )
    return figures


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], Path(sys.argv[3]), int(sys.argv[4]))))
    else:
        from bench._harness import report

        raise SystemExit(report(run()))
