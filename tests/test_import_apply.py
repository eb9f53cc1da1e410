"""Confirming an import: set-based writing, the review path's outcome, and large files confirmed
in the background with a progress page (issue 11: «confirming 5,000 rows takes minutes»)."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa
from conftest import login

from tests import import_fixtures as fx
from tests.test_transfer import token_of, upload
from touchpoints.audit.models import AuditEvent
from touchpoints.auth.roles import Role
from touchpoints.background import service
from touchpoints.background.models import BackgroundJob
from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, push_scope, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.jobs import wait_for_inprocess_jobs
from touchpoints.lists.models import Entry
from touchpoints.notifications.models import Notification
from touchpoints.transfer import apply, import_jobs, imports
from touchpoints.transfer.models import ImportSession


def kuzbass_file(n: int, *, fmt="xlsx", start=1) -> bytes:
    """A Kuzbass-form list of ``n`` rows over two areas (catalogue touchpoints, unique texts)."""
    points = ["Официальный сайт Департамента", "Телефонная связь", "Электронная почта", "Письмо"]
    rows = [fx.KUZBASS_HEADER, ["1.", "Предоставление государственных услуг, услуг", ""]]
    for k in range(start, start + n):
        if k == start + n // 2:
            rows.append(["2.", "Рассмотрение обращений и запросов", ""])
        rows.append([str(k), points[k % len(points)], f"Взаимодействие № {k}"])
    if fmt == "csv":
        return fx.csv_bytes(rows, encoding="utf-8")
    return fx.xlsx({"Перечень": rows})


class Statements:
    """Counts the SQL statements the application sends while it is active."""

    def __init__(self):
        self.n = 0

    def __call__(self, *args, **kwargs):
        self.n += 1

    def __enter__(self):
        wait_for_inprocess_jobs()  # tasks' threads are not what is counted
        sa.event.listen(db.engine, "before_cursor_execute", self)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self)


def _confirm_counting(app, agency_id, user_id, data, name="list.xlsx"):
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        session = imports.start_import(agency, data, name, user_id)
        db.session.commit()
        session = imports.get_session(agency, session.token)
        analysis = imports.analyse_session(agency, session)
        assert analysis.ok, analysis.messages()
        with Statements() as counted:
            result = apply.apply(agency, analysis, session, user_id=user_id)
        db.session.commit()
    return result, counted.n


def test_statements_do_not_grow_with_the_rows(seeded, make_agency, make_user):
    """About six statements per row went through the review path; now a few per batch."""
    app = seeded
    figures = {}
    for n in (50, 1000):
        agency_id = make_agency(template="kuzbass-3")
        registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
        result, statements = _confirm_counting(app, agency_id, registrar, kuzbass_file(n))
        assert (result.added, result.pending) == (n, False)
        figures[n] = statements
    # 20× the rows, a handful more statements (one INSERT per batch of rows and of events).
    assert figures[1000] <= figures[50] + 12, figures
    assert figures[1000] < 40, figures
    with app.app_context(), scoped(agency_scope(agency_id)):
        entries = db.session.scalars(sa.select(Entry).order_by(Entry.position)).all()
        assert [e.status for e in entries] == ["included"] * 1000
        assert [e.position for e in entries] == list(range(1, 1001))
        assert entries[0].touchpoint_code and entries[0].channel_kind
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.object_id == str(entries[7].id))
        ).all()
        # The registrar is the agency's only one: created and included at once, as by hand.
        assert sorted(actions) == ["entry.create", "entry.review.include"]
        note = db.session.scalar(
            sa.select(AuditEvent.comment).where(AuditEvent.action == "entry.review.include")
        )
        assert note == apply.ALONE_NOTE


def test_editor_import_becomes_submissions_with_one_notice_per_registrar(
    seeded, make_agency, make_user
):
    app = seeded
    agency_id = make_agency(template="kuzbass-3")
    reg1 = make_user(Role.REGISTRAR, agency_id=agency_id, email="reg1@example.org")
    make_user(Role.REGISTRAR, agency_id=agency_id, email="reg2@example.org")
    # First the registrar's own file: two registrars, so it waits for the other (four eyes).
    result, _ = _confirm_counting(app, agency_id, reg1, kuzbass_file(40))
    assert (result.added, result.pending) == (40, True)
    editor = make_user(Role.EDITOR, agency_id=agency_id)
    result, _ = _confirm_counting(app, agency_id, editor, kuzbass_file(30, start=100))
    assert (result.added, result.pending) == (30, True)
    with app.app_context(), scoped(agency_scope(agency_id)):
        statuses = db.session.execute(
            sa.select(Entry.status, Entry.submitted_by_id, sa.func.count())
            .group_by(Entry.status, Entry.submitted_by_id)
            .order_by(Entry.submitted_by_id)
        ).all()
        assert statuses == [("submitted", reg1, 40), ("submitted", editor, 30)]
        units = set(
            db.session.scalars(sa.select(Entry.subdivision_id).where(Entry.created_by_id == editor))
        )
        assert len(units) == 1 and None not in units, "an editor's rows are their subdivision's"
        notes = db.session.execute(
            sa.select(Notification.recipient, Notification.kind).order_by(Notification.id)
        ).all()
    # One notice per import and registrar (never the one who imported), not one per row.
    assert notes == [
        ("reg2@example.org", "entry_submitted"),
        ("reg1@example.org", "entry_submitted"),
        ("reg2@example.org", "entry_submitted"),
    ]


def _with_an_open_exclusion(app, agency_id, registrar) -> None:
    """Six rows imported, then a proposal to exclude the first one, still under review."""
    _confirm_counting(app, agency_id, registrar, kuzbass_file(6))
    with app.app_context(), scoped(agency_scope(agency_id)):
        first = db.session.scalars(sa.select(Entry).order_by(Entry.id)).first()
        db.session.add(Entry(agency_id=agency_id, kind="exclusion", target_id=first.id,
                             status="submitted", activity_area=first.activity_area,
                             exclusion_reason="нет"))  # fmt: skip
        db.session.commit()


def test_an_open_proposal_refuses_the_whole_import(seeded, make_agency, make_user):
    app = seeded
    agency_id = make_agency(template="kuzbass-3")
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
    _with_an_open_exclusion(app, agency_id, registrar)
    with app.app_context(), scoped(agency_scope(agency_id)):
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Entry))
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        # The first rows again, so the first entry is missing from the file: to be excluded.
        session = imports.start_import(agency, kuzbass_file(4, start=2), "list.xlsx", registrar)
        imports.set_options(session, apply_changes=True, exclude_missing=True)
        with pytest.raises(imports.ImportRefused, match="неподтверждённое предложение"):
            imports.confirm(agency, session.token, registrar)
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Entry)) == before


# --------------------------------------------------------------------------- in the background


def _job_url(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert re.fullmatch(r"/jobs/\d+", location), location
    return location


def _wait_json(client, page_url, timeout=60):
    """The job's JSON, as its page polls it, until the job has finished; and all seen."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        state = client.get(f"{page_url}.json").get_json()
        seen.append(state)
        if state["finished"]:
            return state, seen
        time.sleep(0.2)
    raise AssertionError(f"no end: {seen[-3:]}")


def _count(app, agency_id, model=Entry) -> int:
    with app.app_context(), scoped(agency_scope(agency_id)):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_large_confirm_runs_as_a_background_job_with_its_page(
    seeded, make_agency, make_user, login_as, client
):
    app = seeded
    app.config["IMPORT_BACKGROUND_ROWS"] = 20
    agency_id = make_agency(template="kuzbass-3")
    login_as(make_user(Role.REGISTRAR, agency_id=agency_id))
    small = token_of(upload(client, kuzbass_file(10), "small.xlsx"))
    response = client.post(f"/list/import/{small}/confirm")
    assert response.headers["Location"].endswith("/list/"), "a small file stays in-request"
    token = token_of(upload(client, kuzbass_file(60, start=11), "big.xlsx"))
    page_url = _job_url(client.post(f"/list/import/{token}/confirm"))
    page = client.get(page_url).get_data(as_text=True)
    assert "Загрузка перечня из файла" in page and "Файл «big.xlsx»" in page
    assert "← К перечню" in page
    app.extensions["inprocess_jobs"].wait()
    state, _ = _wait_json(client, page_url)
    assert state["status"] == "ready" and state["percent"] == 100
    assert state["done"] == state["total"] == 60
    # Kuzbass rows are the same entry when area and touchpoint agree (3.7): ten of them are
    # the small file's rows again, changed in their text; fifty are new.
    summary = state["summary"]
    assert (summary["added"], summary["changed"], summary["pending"]) == (50, 10, False)
    page = client.get(page_url).get_data(as_text=True)
    assert "Загрузка выполнена" in page and "новых строк: <b>50</b>" in page
    assert "изменённых строк: <b>10</b>" in page
    assert "Открыть перечень" in page and "К проверке строк" not in page
    # Applied: the preview leads to the job's page; fixes and a second confirm are refused.
    assert client.get(f"/list/import/{token}").headers["Location"] == page_url
    assert client.post(f"/list/import/{token}/confirm").headers["Location"] == page_url
    client.post(f"/list/import/{token}/rows/3/skip", data={"skip": "1"})
    app.extensions["inprocess_jobs"].wait()
    assert _count(app, agency_id) == 60
    assert _count(app, agency_id, BackgroundJob) == 1, "one job for the upload"
    with app.app_context(), scoped(agency_scope(agency_id)):
        session = db.session.scalar(sa.select(ImportSession).where(ImportSession.token == token))
        assert session.cells == [] and session.state["applied"]["added"] == 50
        assert "skipped" not in session.state
    # A colleague's job page is not theirs to see: the preview sends them to the list.
    colleague = app.test_client()
    login(colleague, app, make_user(Role.EDITOR, agency_id=agency_id))
    assert colleague.get(f"/list/import/{token}").headers["Location"].endswith("/list/")
    assert colleague.get(page_url).status_code == 404


def test_a_failed_import_says_so_and_returns_to_its_preview(
    seeded, make_agency, make_user, login_as, client, monkeypatch
):
    app = seeded
    app.config["IMPORT_BACKGROUND_ROWS"] = 5
    agency_id = make_agency(template="kuzbass-3")
    login_as(make_user(Role.REGISTRAR, agency_id=agency_id))
    token = token_of(upload(client, kuzbass_file(30), "big.xlsx"))
    real = apply._Writer.add

    def broken(self, rows):
        real(self, rows)  # the rows are written, then the connection "drops"
        raise sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(apply._Writer, "add", broken)
    page_url = _job_url(client.post(f"/list/import/{token}/confirm"))
    app.extensions["inprocess_jobs"].wait()
    state, _ = _wait_json(client, page_url)
    assert state["status"] == "failed" and state["error"] == service.FAILED_MESSAGE
    page = client.get(page_url).get_data(as_text=True)
    assert "перечень не изменён" in page and "Попробовать ещё раз" in page
    assert f'href="/list/import/{token}"' in page and "К проверке файла" in page
    assert _count(app, agency_id) == 0, "nothing of a failed import stays"
    # The preview is open again; confirmed once more, it goes in (a new job).
    assert client.get(f"/list/import/{token}").status_code == 200
    monkeypatch.setattr(apply._Writer, "add", real)
    again = _job_url(client.post(f"/list/import/{token}/confirm"))
    assert again != page_url
    app.extensions["inprocess_jobs"].wait()
    state, _ = _wait_json(client, again)
    assert state["status"] == "ready" and state["summary"]["added"] == 30
    # «Попробовать ещё раз» on the old job now finds the upload applied: nothing twice.
    assert client.post(f"{page_url}/retry").headers["Location"] == page_url
    app.extensions["inprocess_jobs"].wait()
    state, _ = _wait_json(client, page_url)
    assert state["status"] == "ready" and state["summary"]["added"] == 30
    assert _count(app, agency_id) == 30


def test_a_refused_import_shows_why(seeded, make_agency, make_user, login_as, client):
    app = seeded
    app.config["IMPORT_BACKGROUND_ROWS"] = 3
    agency_id = make_agency(template="kuzbass-3")
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
    _with_an_open_exclusion(app, agency_id, registrar)
    before = _count(app, agency_id)
    login_as(registrar)
    token = token_of(upload(client, kuzbass_file(4, start=2), "list.xlsx"))
    client.post(
        f"/list/import/{token}/options", data={"apply_changes": "1", "exclude_missing": "1"}
    )
    page_url = _job_url(client.post(f"/list/import/{token}/confirm"))
    app.extensions["inprocess_jobs"].wait()
    state, _ = _wait_json(client, page_url)
    assert state["status"] == "failed" and "неподтверждённое предложение" in state["error"]
    page = client.get(page_url).get_data(as_text=True)
    assert "неподтверждённое предложение" in page and "К проверке файла" in page
    assert _count(app, agency_id) == before


def _queued_import(app, agency_id, user_id, rows) -> tuple[int, int]:
    """An upload with its import job queued as the confirm button queues it, without sending the
    task (the test runs it)."""
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        session = imports.start_import(agency, kuzbass_file(rows), "big.xlsx", user_id)
        job = BackgroundJob(kind=import_jobs.KIND, agency_id=agency_id, user_id=user_id,
                            params={"upload": session.id})  # fmt: skip
        db.session.add(job)
        db.session.flush()
        session.state = {**session.state, "job_id": job.id}
        db.session.commit()
        return session.id, job.id


def test_progress_is_visible_while_the_import_transaction_is_open(
    seeded, make_agency, make_user, monkeypatch
):
    app = seeded
    agency_id = make_agency(template="kuzbass-3")
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
    session_id, job_id = _queued_import(app, agency_id, registrar, 1200)
    seen = []
    real = service.Heartbeat.progress

    def watch(self, done, total):
        real(self, done, total)
        time.sleep(0.3)  # a few beats
        # What the job's page reads, from another connection, while the import is open.
        with db.engine.connect() as conn, conn.begin():
            push_scope(conn, agency_scope(agency_id))
            row = conn.execute(
                sa.text("SELECT status, done, total FROM background_job WHERE id = :id"),
                {"id": job_id},
            ).one()
            seen.append(tuple(row))
            count = conn.execute(sa.text("SELECT count(*) FROM entry")).scalar()
            assert count == 0, "nothing of the import is visible before its commit"

    monkeypatch.setattr(service.Heartbeat, "progress", watch)
    monkeypatch.setattr(service, "HEARTBEAT_SECONDS", 0.05)
    with app.app_context():
        assert service.run(agency_id, job_id) == "ready"
        assert service.run(agency_id, job_id) == "ready", "a redelivered task does nothing"
    assert seen == [("running", done, 1200) for done in (0, 500, 1000, 1200)]
    assert _count(app, agency_id) == 1200
    # A second job of the same upload (one retried by hand, a worker taking over from one that
    # was only slow) waits for the first one's lock and finds the upload applied.
    with app.app_context(), scoped(agency_scope(agency_id)):
        job = BackgroundJob(kind=import_jobs.KIND, agency_id=agency_id, user_id=registrar,
                            params={"upload": session_id})  # fmt: skip
        db.session.add(job)
        db.session.commit()
        second = job.id
    with app.app_context():
        assert service.run(agency_id, second) == "ready"
    with app.app_context(), scoped(agency_scope(agency_id)):
        summaries = db.session.scalars(sa.select(BackgroundJob.summary)).all()
    assert [s["added"] for s in summaries] == [1200, 1200]
    assert _count(app, agency_id) == 1200


def test_real_celery_worker_applies_a_large_import(seeded, make_agency, make_user, real_workers):
    """The web app enqueues on Redis; a worker process claims, applies and reports."""
    web = real_workers.broker_app(IMPORT_BACKGROUND_ROWS=50)
    agency_id = make_agency(template="kuzbass-3")
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
    worker = real_workers.start()
    client = web.test_client()
    login(client, web, registrar)
    token = token_of(upload(client, kuzbass_file(800), "big.xlsx"))
    page_url = _job_url(client.post(f"/list/import/{token}/confirm"))
    real_workers.assert_alive(worker)
    state, seen = _wait_json(client, page_url, timeout=90)
    real_workers.assert_alive(worker)
    assert state["status"] == "ready", state
    assert state["summary"]["added"] == 800
    assert {s["status"] for s in seen} <= {"queued", "running", "ready"}
    with seeded.app_context(), scoped(SYSTEM_SCOPE):
        count = db.session.scalar(
            sa.select(sa.func.count()).where(
                Entry.agency_id == agency_id, Entry.status == "included"
            )
        )
    assert count == 800
