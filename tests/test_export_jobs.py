"""Long exports as background jobs (issue 13 item 7, issue 15 item 7): a real Celery worker makes
the file while the person watches its progress page; only they may see or download it; a
failure is shown with a retry; files expire; a lost job is queued again."""

from __future__ import annotations

import io
import re
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from conftest import login
from lists_support import add_included, data

from touchpoints.auth.roles import Role
from touchpoints.background import registry, service
from touchpoints.background.models import BackgroundJob
from touchpoints.background.registry import Kind, Outcome
from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, scoped, utcnow
from touchpoints.core.tenancy import Agency

ROWS = 30


@pytest.fixture
def office_list(app, make_agency, make_user):
    """An agency in the Kuzbass form with ROWS included entries, its people and an outsider."""
    agency_id = make_agency(template="kuzbass-3")
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        form = db.session.get(Agency, agency_id).form
    add_included(
        app,
        agency_id,
        registrar,
        [
            data(form, process=f"Процесс {i}", interaction=f"Взаимодействие № {i}")
            for i in range(ROWS)
        ],
    )
    return {
        "agency_id": agency_id,
        "form": form,
        "registrar": registrar,
        "viewer": make_user(Role.VIEWER, agency_id=agency_id),
        "outsider": make_user(Role.REGISTRAR, agency_id=make_agency()),
    }


def poll(client, url: str, seconds: float = 90) -> tuple[dict, list[dict]]:
    """The job's JSON until it has finished, and every answer seen on the way."""
    seen = []
    deadline = time.monotonic() + seconds
    while True:
        response = client.get(url)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        seen.append(response.get_json())
        if seen[-1]["finished"]:
            return seen[-1], seen
        assert time.monotonic() < deadline, f"the job did not finish: {seen[-1]}"
        time.sleep(0.3)


def test_big_export_is_made_by_a_worker_for_its_owner_only(app, office_list, real_workers):
    import docx

    broker = real_workers.broker_app(EXPORT_BACKGROUND_ROWS=10)
    worker = real_workers.start()
    client = broker.test_client()
    login(client, broker, office_list["registrar"])

    response = client.get("/list/export.docx")
    assert response.status_code == 302, "a list over the threshold is not made in the request"
    page_url = response.headers["Location"]
    assert page_url.startswith("/jobs/")
    page = client.get(page_url).get_data(as_text=True)
    assert "Выгрузка перечня" in page and "Рабочий перечень, Word (DOCX), 30 строк" in page
    assert "← К перечню" in page, "a way back to where the person came from"

    final, seen = poll(client, page_url + ".json")
    real_workers.assert_alive(worker)
    assert final["status"] == "ready", final
    assert (final["done"], final["total"], final["percent"]) == (ROWS, ROWS, 100)
    assert all(s["total"] == ROWS for s in seen), "the page knows the size from the start"

    ready = client.get(page_url).get_data(as_text=True)
    assert "Файл готов." in ready and "Скачать файл" in ready
    file = client.get(final["download_url"])
    assert file.status_code == 200
    assert "attachment" in file.headers["Content-Disposition"]
    document = docx.Document(io.BytesIO(file.get_data()))
    table = document.tables[0]
    labels = [c["label"] for c in office_list["form"]["columns"]]
    assert [c.text for c in table.rows[0].cells] == ["№", *labels]
    numbers = [r.cells[0].text for r in table.rows[2:] if r.cells[0].text.isdigit()]
    assert numbers == [str(i) for i in range(1, ROWS + 1)]
    assert len(document.tables[1].rows) == ROWS + 1, "the «Все сведения» table is there too"

    # Nobody else gets the job: not a colleague of the same agency, not another agency.
    job_id = int(page_url.rsplit("/", 1)[-1])
    for other in (office_list["viewer"], office_list["outsider"]):
        stranger = broker.test_client()
        login(stranger, broker, other)
        for url in (page_url, page_url + ".json", f"{page_url}/file"):
            assert stranger.get(url).status_code == 404, url
        assert stranger.post(f"{page_url}/retry").status_code == 404

    # A job that cannot be done says why, and is retried on request.
    with broker.app_context(), scoped(agency_scope(office_list["agency_id"])):
        failing = service.start(
            "export",
            office_list["agency_id"],
            office_list["registrar"],
            {"fmt": "xlsx", "version": 7},
        ).id
        db.session.commit()
    final, _ = poll(client, f"/jobs/{failing}.json")
    assert final["status"] == "failed" and final["error"] == "Редакции № 7 больше нет."
    page = client.get(f"/jobs/{failing}").get_data(as_text=True)
    assert "Файл подготовить не удалось." in page and "Редакции № 7 больше нет." in page
    assert "Попробовать ещё раз" in page
    assert client.post(f"/jobs/{failing}/retry").status_code == 302
    final, _ = poll(client, f"/jobs/{failing}.json")
    assert final["status"] == "failed"
    with app.app_context(), scoped(agency_scope(office_list["agency_id"])):
        assert db.session.get(BackgroundJob, failing).attempts == 2
        assert db.session.get(BackgroundJob, job_id).attempts == 1


def test_small_export_stays_a_direct_download(app, office_list, client):
    login(client, app, office_list["registrar"])
    response = client.get("/list/export.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(BackgroundJob)) == 0


@pytest.fixture
def slow_kind():
    """A kind that stops half-way until the test lets it go (registered in this process only)."""
    gate = threading.Event()

    def run(job, progress):
        for i in range(1, 11):
            progress(i, 10)
            if i == 6:
                assert gate.wait(30)
        return Outcome(summary={"rows": 10})

    registry.register(
        Kind(name="test-slow", title="Проверка хода", run=run, back=lambda job: ("/", "На главную"))
    )
    yield gate
    gate.set()


def test_progress_is_seen_while_the_job_runs(app, office_list, client, slow_kind, monkeypatch):
    monkeypatch.setattr(service, "HEARTBEAT_SECONDS", 0.1)
    login(client, app, office_list["registrar"])
    with app.app_context(), scoped(agency_scope(office_list["agency_id"])):
        job_id = service.start(
            "test-slow", office_list["agency_id"], office_list["registrar"], {}, total=10
        ).id
        db.session.commit()  # runs on the in-process pool once committed
    deadline = time.monotonic() + 20
    while True:
        state = client.get(f"/jobs/{job_id}.json").get_json()
        if state["done"] == 6:
            break
        assert time.monotonic() < deadline, state
        time.sleep(0.05)
    # Written by the heartbeat while the job's own transaction is still open.
    assert state["status"] == "running" and state["percent"] == 60 and not state["finished"]
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Готовим файл…" in page and 'value="60"' in page and "data-job-poll" in page
    slow_kind.set()
    app.extensions["inprocess_jobs"].wait(timeout=30)
    state = client.get(f"/jobs/{job_id}.json").get_json()
    assert state["status"] == "ready" and state["percent"] == 100
    with app.app_context(), scoped(agency_scope(office_list["agency_id"])):
        assert db.session.get(BackgroundJob, job_id).summary == {"rows": 10}


def _job(app, agency_id, user_id, **values) -> int:
    with app.app_context(), scoped(agency_scope(agency_id)):
        job = BackgroundJob(kind="export", agency_id=agency_id, user_id=user_id, **values)
        db.session.add(job)
        db.session.commit()
        return job.id


def test_files_expire_and_old_jobs_go(app, office_list, client):
    agency_id, user = office_list["agency_id"], office_list["registrar"]
    now = utcnow()
    ready = dict(status="ready", result=b"PK", result_size=2, result_name="x.xlsx")
    kept = _job(app, agency_id, user, **ready, expires_at=now + timedelta(hours=1))
    expired = _job(app, agency_id, user, **ready, expires_at=now - timedelta(minutes=1))
    old = _job(app, agency_id, user, status="failed", created_at=now - timedelta(days=8))
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert service.cleanup() == (1, 1)
        db.session.commit()
    login(client, app, user)
    assert client.get(f"/jobs/{kept}/file").status_code == 200
    assert client.get(f"/jobs/{expired}/file").status_code == 302
    assert "Срок хранения файла истёк." in client.get(f"/jobs/{expired}").get_data(as_text=True)
    assert client.get(f"/jobs/{old}").status_code == 404
    with app.app_context(), scoped(agency_scope(agency_id)):
        assert db.session.get(BackgroundJob, expired).result is None


def test_a_lost_job_is_queued_again_when_its_page_asks(app, office_list, client):
    # Queued long ago, never taken: the broker lost the message (it was down at commit).
    agency_id, user = office_list["agency_id"], office_list["registrar"]
    job_id = _job(
        app,
        agency_id,
        user,
        params={"fmt": "csv", "version": None},
        queued_at=utcnow() - timedelta(minutes=10),
    )
    login(client, app, user)
    assert client.get(f"/jobs/{job_id}.json").get_json()["finished"] is False
    app.extensions["inprocess_jobs"].wait(timeout=30)
    state = client.get(f"/jobs/{job_id}.json").get_json()
    assert state["status"] == "ready", state
    body = client.get(state["download_url"]).get_data()
    assert body.startswith("\ufeff№;".encode()), "the people's CSV"


def test_browser_waits_on_the_progress_page_then_downloads(app, office_list, live_server, page):
    """In a real browser, at a phone's width: the click lands on «Готовим файл…», the page
    follows the job by itself and offers the file; the file is the list."""
    from pathlib import Path

    from conftest import PASSWORD
    from openpyxl import load_workbook

    from touchpoints.auth.models import User

    app.config["EXPORT_BACKGROUND_ROWS"] = 10
    with app.app_context(), scoped(SYSTEM_SCOPE):
        email = db.session.get(User, office_list["registrar"]).email
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{live_server}/login")
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))
    page.goto(f"{live_server}/list/")
    with page.expect_navigation():
        page.get_by_role("link", name="Excel (XLSX)").first.click()
    assert re.search(r"/jobs/\d+$", page.url), page.url
    assert page.get_by_role("heading", level=1).inner_text() == "Выгрузка перечня"
    link = page.get_by_role("link", name="Скачать файл")
    link.wait_for(timeout=30_000)  # the page polls and reloads itself when the job is done
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with page.expect_download() as download:
        link.click()
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert workbook.sheetnames == ["Перечень", "Все сведения"]
    assert workbook["Все сведения"].max_row == ROWS + 2
    page.get_by_role("link", name="← К перечню").click()
    page.wait_for_url(re.compile(r"/list/$"))
