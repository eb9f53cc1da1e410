"""Import of a 5,000-row list from DOCX and XLSX: upload, preview and confirm (issue 11).

Runs the application on PostgreSQL (touchpoints_bench_imports, created and dropped here) when
it answers at BENCH_PG_ADMIN_URL, else on SQLite, with the demo data. For each format a file of
BENCH_IMPORT_ROWS rows in the Kuzbass form (area rows, a title, a row of column numbers, and the
«Все сведения» part our exports write is left out, so every cell is understood from the form's
own table) is uploaded by a registrar of a fresh agency through the WSGI test client, the
preview is rendered and the import confirmed (through the review path: every row created and
included with its audit events).

Baseline, measured in the same run: reading the same file with the bare library (openpyxl
read-only values; python-docx opening the document and walking its text). Thresholds (exit code
1 when missed): upload and preview each ≤ BENCH_IMPORT_RATIO × baseline; confirm ≤
BENCH_IMPORT_CONFIRM_MS per row; peak Python memory (tracemalloc, a second pass) ≤
BENCH_IMPORT_PEAK_MB.

    PYTHONPATH=platform:. python -m bench imports
"""

from __future__ import annotations

import io
import os
import tempfile
import time
import tracemalloc
from pathlib import Path

import sqlalchemy as sa

from bench.dashboard import PG_ADMIN

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 5000))
RATIO = float(os.environ.get("BENCH_IMPORT_RATIO", 25))
CONFIRM_MS = float(os.environ.get("BENCH_IMPORT_CONFIRM_MS", 60))
PEAK_MB = float(os.environ.get("BENCH_IMPORT_PEAK_MB", 400))
DB_NAME = "touchpoints_bench_imports"


def _admin(statement: str) -> None:
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(statement))
    admin.dispose()


def _postgres_url() -> str | None:
    try:
        _admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        _admin(f'CREATE DATABASE "{DB_NAME}"')
    except Exception as exc:  # no PostgreSQL here: fall back to SQLite
        print(f"PostgreSQL unavailable ({type(exc).__name__}); using SQLite")
        return None
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{DB_NAME}"


def list_rows(form: dict, n: int) -> list[list[str]]:
    """A Kuzbass-form list of ``n`` rows: areas in turn, catalogue touchpoints, unique texts."""
    header = ["№ п/п", *[c["label"] for c in form["columns"]]]
    rows = [["Перечень точек взаимодействия (для замера)", "", ""], header, ["1", "2", "3"]]
    areas, points = form["activity_areas"], form["touchpoints"]
    per_area = n // len(areas) + 1
    k = 0
    for a, area in enumerate(areas, start=1):
        rows.append([f"{a}.", area["name"], ""])
        for _ in range(per_area):
            if k == n:
                break
            k += 1
            point = points[k % len(points)]
            rows.append([str(k), point["name"], f"Взаимодействие № {k}: порядок и сроки"])
    return rows


def xlsx_file(rows) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Перечень")
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def docx_file(rows) -> bytes:
    import docx

    document = docx.Document()
    table = document.add_table(rows=len(rows), cols=3)
    for tr, row in zip(table.rows, rows, strict=True):
        for cell, text in zip(tr.cells, row, strict=True):
            cell.text = text
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def baseline(fmt: str, data: bytes) -> float:
    started = time.perf_counter()
    if fmt == "xlsx":
        from openpyxl import load_workbook

        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sum(1 for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for _ in row)
        wb.close()
    else:
        import docx
        from docx.oxml.ns import qn

        body = docx.Document(io.BytesIO(data)).element.body
        sum(len(t.text or "") for t in body.iter(qn("w:t")))
    return time.perf_counter() - started


def main() -> None:
    from touchpoints import create_app
    from touchpoints.auth.models import User
    from touchpoints.auth.roles import Role
    from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
    from touchpoints.demo.data import load_demo
    from touchpoints.lists.models import Entry
    from touchpoints.regions.models import Agency

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
        IMPORT_MAX_ROWS=ROWS + 100,
        IMPORT_MAX_BYTES=50 * 1024 * 1024,
        MAX_CONTENT_LENGTH=60 * 1024 * 1024,
    )
    failures = []
    try:
        with app.app_context():
            db.create_all()
            load_demo()
            with scoped(SYSTEM_SCOPE):
                source = db.session.scalar(
                    sa.select(Agency).where(Agency.slug == "kuzbass-emergencies")
                )
                form = source.form
                users = {}
                for n in range(3):  # a fresh, empty list for each confirmed import
                    agency = Agency(
                        slug=f"bench-import-{n}", region_id=source.region_id,
                        full_name=f"Замер {n}", short_name=f"Замер {n}",
                        form_template=source.form_template, form=form,
                        head_title="Начальник", head_name="И. И. Иванов", city="г. Кемерово",
                        legal_basis="-", settings=source.settings,
                    )  # fmt: skip
                    db.session.add(agency)
                    db.session.flush()
                    email = f"registrar{n}@bench.example.org"
                    db.session.add(User(email=email, name="Уполномоченное лицо",
                                        role=Role.REGISTRAR.value, agency_id=agency.id,
                                        is_demo=True))  # fmt: skip
                    users[n] = (agency.id, email)
                db.session.commit()
        rows = list_rows(form, ROWS)
        started = time.perf_counter()
        files = {"xlsx": xlsx_file(rows), "docx": docx_file(rows)}
        print(f"files written in {time.perf_counter() - started:.1f} s", flush=True)
        print(f"backend {backend}; {ROWS} rows; thresholds: upload and preview ≤ {RATIO:g}× "
              f"bare library read, confirm ≤ {CONFIRM_MS:g} ms/row, peak ≤ {PEAK_MB:g} MB")  # fmt: skip
        for n, (fmt, data) in enumerate(files.items()):
            agency_id, email = users[n]
            client = app.test_client()
            client.post("/login", data={"email": email, "password": "demo"})
            base = min(baseline(fmt, data) for _ in range(3))
            started = time.perf_counter()
            response = client.post("/list/import", data={"file": (io.BytesIO(data), f"l.{fmt}")},
                                   content_type="multipart/form-data")  # fmt: skip
            upload = time.perf_counter() - started
            assert response.status_code == 302, response.get_data(as_text=True)[:3000]
            location = response.headers["Location"]
            started = time.perf_counter()
            page = client.get(location)
            preview = time.perf_counter() - started
            assert page.status_code == 200 and "Загрузить (" in page.get_data(as_text=True)
            started = time.perf_counter()
            response = client.post(f"{location}/confirm")
            confirm = time.perf_counter() - started
            assert response.status_code == 302
            with app.app_context(), scoped(SYSTEM_SCOPE):
                count = db.session.scalar(
                    sa.select(sa.func.count()).where(
                        Entry.agency_id == agency_id, Entry.status == "included"
                    )
                )
            assert count == ROWS, count
            # Peak memory: a second upload and preview of the same file, traced.
            tracemalloc.start()
            response = client.post("/list/import", data={"file": (io.BytesIO(data), f"l.{fmt}")},
                                   content_type="multipart/form-data")  # fmt: skip
            client.get(response.headers["Location"])
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peak_mb = peak / 2**20
            per_row = confirm * 1000 / ROWS
            print(f"  {fmt}: {len(data) // 1024} KiB; bare read {base * 1000:.0f} ms", flush=True)
            print(f"    upload   {upload * 1000:8.0f} ms  ×{upload / base:5.1f}")
            print(f"    preview  {preview * 1000:8.0f} ms  ×{preview / base:5.1f}")
            print(f"    confirm  {confirm * 1000:8.0f} ms  ({per_row:.2f} ms per row)")
            print(f"    peak memory (upload + preview) {peak_mb:.0f} MB", flush=True)
            if upload > RATIO * base:
                failures.append(f"{fmt} upload ×{upload / base:.1f} > ×{RATIO:g}")
            if preview > RATIO * base:
                failures.append(f"{fmt} preview ×{preview / base:.1f} > ×{RATIO:g}")
            if per_row > CONFIRM_MS:
                failures.append(f"{fmt} confirm {per_row:.2f} ms/row > {CONFIRM_MS:g}")
            if peak_mb > PEAK_MB:
                failures.append(f"{fmt} peak {peak_mb:.0f} MB > {PEAK_MB:g} MB")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        if backend == "postgresql":
            _admin(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        tmp.cleanup()
    if failures:
        print("MISSED: " + "; ".join(failures))
        raise SystemExit(1)
    print("all thresholds met")


if __name__ == "__main__":
    main()
