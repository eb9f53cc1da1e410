"""Import of a 5,000-row list from DOCX and XLSX: upload, preview and confirm (issue 11).

Production-like (bench/_harness.py): a migrated database of its own, gunicorn as the Dockerfile
runs it (row-level security on, CSRF on) and a real Celery worker. For each format a file of
BENCH_IMPORT_ROWS rows in the Kuzbass form (area rows, a title, a row of column numbers; the
«Все сведения» part our exports write is left out, so every cell is understood from the form's
own table) is uploaded over HTTP by the registrar of a fresh agency, the preview is rendered,
and the import confirmed: a file this large goes to a background job (kind ``import``,
transfer/import_jobs.py, run by workers.tasks.background.run), and confirm is timed from the
POST until the job's JSON — polled as its page polls it — says ready. Every row is created and included with its
audit events, in one transaction.

Baseline, measured in the same run: reading the same file with the bare library (openpyxl
read-only values; python-docx opening the document and walking its text). Thresholds (exit code
1 when missed): upload and preview each ≤ BENCH_IMPORT_RATIO × baseline; confirm ≤
BENCH_IMPORT_CONFIRM_MS per row (the review path row by row took 50-80 ms a row: 4-7 minutes
for 5,000); peak memory (VmHWM) of the web worker that served upload + preview and of the
Celery worker process that applied the import, each ≤ BENCH_IMPORT_PEAK_MB.

    PYTHONPATH=platform:. python -m bench imports
"""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import sqlalchemy as sa

from bench._harness import Database, Figure, Processes, add_user, session

ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", 5000))
RATIO = float(os.environ.get("BENCH_IMPORT_RATIO", 25))
CONFIRM_MS = float(os.environ.get("BENCH_IMPORT_CONFIRM_MS", 8))
PEAK_MB = float(os.environ.get("BENCH_IMPORT_PEAK_MB", 600))
NAME = "imports"
FORMATS = ("xlsx", "docx")


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


def _seed(database: Database) -> tuple[dict, dict[str, int]]:
    """Seed agencies from tenants/ and one fresh Kuzbass-form agency per format."""
    from touchpoints.auth.roles import Role
    from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
    from touchpoints.core.tenancy import Agency
    from touchpoints.tenants.sync import sync

    app = database.owner_app()
    agencies = {}
    with app.app_context():
        sync(app.config["TENANTS_DIR"])
        db.session.commit()
        with scoped(SYSTEM_SCOPE):
            source = db.session.scalar(
                sa.select(Agency).where(Agency.slug == "kuzbass-emergencies")
            )
            form = source.form
            for fmt in FORMATS:
                agency = Agency(
                    slug=f"bench-import-{fmt}", region_id=source.region_id,
                    full_name=f"Замер {fmt}", short_name=f"Замер {fmt}",
                    form_template=source.form_template, form=form,
                    head_title="Начальник", head_name="И. И. Иванов", city="г. Кемерово",
                    legal_basis="-", settings=source.settings,
                )  # fmt: skip
                db.session.add(agency)
                db.session.commit()
                agencies[fmt] = agency.id
        for fmt, agency_id in agencies.items():
            add_user(f"registrar-{fmt}@bench.example.org", Role.REGISTRAR.value,
                     agency_id=agency_id)  # fmt: skip
        db.session.remove()
        db.engine.dispose()
    return form, agencies


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if match is None:
        match = re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    return match.group(1)


def _peak_mb(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def _included(database: Database, agency_id: int) -> int:
    engine = sa.create_engine(database.owner_url)
    with engine.connect() as conn:
        n = conn.execute(
            sa.text("SELECT count(*) FROM entry WHERE agency_id = :a AND status = 'included'"),
            {"a": agency_id},
        ).scalar()
    engine.dispose()
    return n


def run() -> list[Figure]:
    figures: list[Figure] = []
    with Database(NAME) as database:
        form, agencies = _seed(database)
        rows = list_rows(form, ROWS)
        files = {"xlsx": xlsx_file(rows), "docx": docx_file(rows)}
        procs = Processes(database, worker=True)
        procs.env.update(
            TOUCHPOINTS_IMPORT_MAX_ROWS=str(ROWS + 100),
            TOUCHPOINTS_IMPORT_MAX_BYTES=str(50 * 1024 * 1024),
            TOUCHPOINTS_MAX_UPLOAD_BYTES=str(60 * 1024 * 1024),
        )
        print(f"{ROWS} rows; thresholds: upload and preview ≤ {RATIO:g}× bare library read, "
              f"confirm ≤ {CONFIRM_MS:g} ms/row, peak memory ≤ {PEAK_MB:g} MB")  # fmt: skip
        with procs:
            celery_master = procs.procs[0].pid
            for fmt, data in files.items():
                figures += _measure(procs, database, fmt, data, agencies[fmt], celery_master)
    return figures


def _measure(procs, database, fmt, data, agency_id, celery_master) -> list[Figure]:
    base = min(baseline(fmt, data) for _ in range(3))
    s = session(procs.base, f"registrar-{fmt}@bench.example.org")
    token = _csrf(s.get(procs.base + "/list/import", timeout=60).text)
    started = time.perf_counter()
    response = s.post(procs.base + "/list/import", data={"csrf_token": token},
                      files={"file": (f"list.{fmt}", data)}, allow_redirects=False,
                      timeout=600)  # fmt: skip
    upload = time.perf_counter() - started
    assert response.status_code == 302, response.text[:3000]
    location = procs.base + response.headers["Location"]
    started = time.perf_counter()
    page = s.get(location, timeout=600)
    preview = time.perf_counter() - started
    assert page.status_code == 200 and "Загрузить (" in page.text, page.text[:3000]
    web_peak = max(_peak_mb(pid) for pid in procs.worker_pids())
    started = time.perf_counter()
    response = s.post(location + "/confirm", data={"csrf_token": _csrf(page.text)},
                      allow_redirects=False, timeout=600)  # fmt: skip
    job_url = procs.base + response.headers["Location"]
    assert re.search(r"/jobs/\d+$", job_url), "a large file runs as a background job"
    steps = []
    deadline = time.monotonic() + 1800
    while time.monotonic() < deadline:
        state = s.get(job_url + ".json", timeout=60).json()
        if state["status"] == "failed":
            raise AssertionError(state["error"])
        if state["status"] == "ready":
            break
        if not steps or steps[-1] != state["done"]:
            steps.append(state["done"])
        time.sleep(0.1)
    confirm = time.perf_counter() - started
    assert _included(database, agency_id) == ROWS
    worker_peak = max(_peak_mb(pid) for pid in _children(celery_master) or [celery_master])
    per_row = confirm * 1000 / ROWS
    print(f"  {fmt}: {len(data) // 1024} KiB; bare read {base * 1000:.0f} ms", flush=True)
    print(f"    upload   {upload * 1000:8.0f} ms  ×{upload / base:5.1f}")
    print(f"    preview  {preview * 1000:8.0f} ms  ×{preview / base:5.1f}")
    print(f"    confirm  {confirm * 1000:8.0f} ms  ({per_row:.2f} ms per row; progress seen: "
          f"{steps[:12]})")  # fmt: skip
    print(f"    peak memory: web worker {web_peak:.0f} MB, Celery worker {worker_peak:.0f} MB",
          flush=True)  # fmt: skip
    bare = f"bare {fmt} read"
    return [
        Figure(NAME, f"{fmt} upload, {ROWS} rows", upload, "s", bare, base, threshold=RATIO),
        Figure(NAME, f"{fmt} preview", preview, "s", bare, base, threshold=RATIO),
        Figure(NAME, f"{fmt} confirm per row (background task)", per_row, "ms", kind="abs",
               threshold=CONFIRM_MS),
        Figure(NAME, f"{fmt} peak memory, web worker (upload + preview)", web_peak, "MB",
               kind="abs", threshold=PEAK_MB),
        Figure(NAME, f"{fmt} peak memory, Celery worker (confirm)", worker_peak, "MB",
               kind="abs", threshold=PEAK_MB),
    ]  # fmt: skip


if __name__ == "__main__":
    from bench._harness import report

    raise SystemExit(report(run()))
