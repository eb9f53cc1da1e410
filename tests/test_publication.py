"""Proof of publication (issue 16, item 3; Murmansk 5.1 / 5.4, Kuzbass 5.2 / 5.5).

Pages are served by a real HTTP server on loopback. The platform may fetch loopback only
because the tests set PUBLICATION_FETCH_PRIVATE; the refusals of private, link-local and
metadata addresses are checked before any connection, so no test connects outside loopback.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from tests.conftest import login
from touchpoints.auth.models import User
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.deadlines import services as deadlines
from touchpoints.deadlines.summary import deadline_summaries
from touchpoints.lists.models import ListVersion
from touchpoints.publication import fetch
from touchpoints.publication import services as publication
from touchpoints.publication.models import PublicationCheck

SLUG = "tourism-proof"
PLATFORM = "http://127.0.0.1:5000"  # BASE_URL of the test configuration


class _Handler(BaseHTTPRequestHandler):
    #: path -> (status, headers, body bytes, delay seconds)
    pages: dict = {}

    def do_GET(self):
        status, headers, body, delay = self.pages.get(
            self.path, (404, {}, b"<h1>Not found</h1>", 0)
        )
        if delay:
            time.sleep(delay)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    """A small agency website on a free loopback port: ``site.put(path, html, ...)``."""
    _Handler.pages = {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    # Shutdown is noticed every poll_interval (0.5 s by default, paid by every test here).
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()

    class Site:
        base = f"http://127.0.0.1:{server.server_port}"

        def put(self, path, html="", status=200, headers=None, charset="utf-8", delay=0):
            body = html.encode(charset) if isinstance(html, str) else html
            h = {"Content-Type": f"text/html; charset={charset}", **(headers or {})}
            _Handler.pages[path] = (status, h, body, delay)
            return self.base + path

    yield Site()
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def proof(app, make_agency, make_user, site):
    """An agency whose version 1 was approved by order No. 21 of 28.02.2024 and whose
    publication was recorded at the page /perechen of the site."""
    app.config["PUBLICATION_FETCH_PRIVATE"] = "1"
    agency_id = make_agency(slug=SLUG)
    registrar_id = make_user("registrar", agency_id=agency_id)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        region_id = db.session.get(Agency, agency_id).region_id
    office_id = make_user("office", region_id=region_id)
    url = site.put("/perechen", "<p>Страница в разработке</p>")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, agency_id)
        db.session.add(
            ListVersion(
                agency_id=agency_id,
                number=1,
                order_number="21",
                order_date=date(2024, 2, 28),
                approved_at=datetime.now(UTC) - timedelta(days=2),
                form=agency.form,
                entry_count=0,
            )
        )
        db.session.flush()
        user = db.session.get(User, registrar_id)
        deadlines.record_publication(agency, user, date.today(), url)
        db.session.commit()
    return {"agency_id": agency_id, "registrar": registrar_id, "office": office_id, "url": url}


def _verify(app, agency_id, **kwargs) -> dict:
    with app.app_context(), scoped(SYSTEM_SCOPE):
        check = publication.verify(agency_id, **kwargs)
        db.session.commit()
        if check is None:
            return {}
        return {
            c: getattr(check, c)
            for c in ("outcome", "matched", "evidence", "excerpt", "http_status", "final_url")
        } | {"error": check.error, "truncated": check.truncated}


def _publication_state(app, agency_id):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return deadline_summaries([agency_id])[agency_id]


EMBED = f'<h1>Перечень</h1><iframe src="{PLATFORM}/p/{SLUG}/embed" title="Перечень"></iframe>'
LINK = f'<p>Актуальный перечень: <a href="{PLATFORM}/p/{SLUG}/">открыть</a></p>'
ORDER = (
    "<html><body><h2>Перечень точек взаимодействия</h2><p>Утверждён приказом Комитета\n"
    "от\u00a0«28»\u00a0февраля 2024\u00a0г.  №\u00a021 (в редакции).</p></body></html>"
)


@pytest.mark.parametrize(
    ("html", "charset", "matched", "evidence"),
    [
        (EMBED, "utf-8", "embed", f"{PLATFORM}/p/{SLUG}/embed"),
        (LINK, "utf-8", "link", f"{PLATFORM}/p/{SLUG}/"),
        # A Russian site in windows-1251, the date in words, no-break spaces around «№».
        (ORDER, "cp1251", "order", "«28» февраля 2024 г. № 21"),
        ("<p>Приказ № 21 от 28.02.2024 об утверждении перечня</p>", "utf-8", "order", None),
    ],
    ids=["embed", "link", "order-words-1251", "order-digits"],
)
def test_page_showing_the_current_version(app, proof, site, html, charset, matched, evidence):
    site.put("/perechen", html, charset=charset)
    result = _verify(app, proof["agency_id"], trigger="manual")
    assert result["outcome"] == "shown", result
    assert result["matched"] == matched
    if evidence:
        assert result["evidence"] == evidence
    assert result["http_status"] == 200 and result["final_url"] == proof["url"]


def test_page_showing_nothing_reopens_the_deadline_until_shown_again(app, proof, site):
    assert _publication_state(app, proof["agency_id"]).publication_status == "on_time"
    # Another order's number with the right date, an older version's link: neither counts.
    site.put(
        "/perechen",
        f'<p>Приказ № 211 от 28.02.2024</p><a href="{PLATFORM}/p/{SLUG}/v/0/">старая</a>'
        f'<a href="https://elsewhere.example/p/{SLUG}/">чужой сайт</a>',
    )
    result = _verify(app, proof["agency_id"])
    assert result["outcome"] == "not_shown" and result["matched"] is None
    assert "Приказ № 211" in result["excerpt"]
    state = _publication_state(app, proof["agency_id"])
    assert state.publication_status == "due"
    assert state.publication_started_on == date.today()
    # The page shows the version again: the re-opened deadline closes.
    site.put("/perechen", LINK)
    assert _verify(app, proof["agency_id"])["outcome"] == "shown"
    assert _publication_state(app, proof["agency_id"]).publication_status == "on_time"
    with app.app_context(), scoped(SYSTEM_SCOPE):
        closed = db.session.scalars(
            sa.select(deadlines.Deadline).where(
                deadlines.Deadline.agency_id == proof["agency_id"],
                deadlines.Deadline.kind == "publication",
            )
        ).all()
        # The clock from the approval (closed by the record) and the one the failed check
        # started (closed when the page showed the version again).
        assert [d.status for d in closed] == ["closed", "closed"]


def test_missing_page_is_not_shown_and_server_error_is_no_verdict(app, proof, site):
    site.put("/perechen", "<p>нет</p>", status=404)
    result = _verify(app, proof["agency_id"])
    assert result["outcome"] == "not_shown" and result["http_status"] == 404
    site.put("/perechen", "<p>ошибка</p>", status=503)
    result = _verify(app, proof["agency_id"])
    assert result["outcome"] == "error" and "503" in result["error"]


def test_redirect_to_a_private_address_is_refused(app, proof, site):
    # Allowed private networks still never reach a link-local (cloud metadata) address …
    site.put("/perechen", "", status=302, headers={"Location": "http://169.254.169.254/latest/"})
    result = _verify(app, proof["agency_id"])
    assert result["outcome"] == "error"
    assert "169.254.169.254" in result["error"] and result["http_status"] is None
    # … and with only loopback allowed, a redirect into the internal network is refused too.
    app.config["PUBLICATION_FETCH_PRIVATE"] = "loopback"
    site.put("/perechen", "", status=301, headers={"Location": "http://10.0.0.1/perechen"})
    result = _verify(app, proof["agency_id"])
    assert result["outcome"] == "error" and "10.0.0.1" in result["error"]
    # A redirect to another loopback page is followed (and checked) as usual.
    site.put("/perechen", "", status=302, headers={"Location": "/new-page"})
    site.put("/new-page", LINK)
    result = _verify(app, proof["agency_id"])
    assert result["outcome"] == "shown" and result["final_url"] == site.base + "/new-page"
    # Without the setting, loopback itself is refused before connecting.
    app.config["PUBLICATION_FETCH_PRIVATE"] = ""
    result = _verify(app, proof["agency_id"])
    assert result["outcome"] == "error" and "127.0.0.1" in result["error"]


def test_redirect_loop_time_and_size_limits(app, proof, site):
    site.put("/perechen", "", status=302, headers={"Location": "/perechen"})
    assert "перенаправлений" in _verify(app, proof["agency_id"])["error"]
    app.config["PUBLICATION_READ_TIMEOUT"] = 0.5
    site.put("/perechen", LINK, delay=2)
    assert "вовремя" in _verify(app, proof["agency_id"])["error"]
    app.config["PUBLICATION_MAX_BYTES"] = 4096
    filler = "<p>" + "текст " * 2000 + "</p>"
    site.put("/perechen", LINK + filler)
    result = _verify(app, proof["agency_id"])
    assert result["outcome"] == "shown" and result["truncated"] is True
    site.put("/perechen", filler + LINK)  # the link comes after the limit: not read
    result = _verify(app, proof["agency_id"])
    assert result["outcome"] == "not_shown" and result["truncated"] is True


@pytest.mark.parametrize(
    ("address", "allow", "refused"),
    [
        ("127.0.0.1", "", True),
        ("127.0.0.1", "loopback", False),
        ("10.1.2.3", "loopback", True),
        ("10.1.2.3", "1", False),
        ("192.168.0.10", "", True),
        ("169.254.169.254", "1", True),
        ("::1", "", True),
        ("::ffff:127.0.0.1", "", True),
        ("fe80::1", "1", True),
        ("0.0.0.0", "1", True),
        ("240.0.0.1", "1", True),
        ("93.184.216.34", "", False),
    ],
)
def test_address_rules(address, allow, refused):
    assert (fetch.address_refusal(ipaddress.ip_address(address), allow) is not None) is refused


def test_only_http_and_https(app):
    for url in ("file:///etc/passwd", "ftp://example.org/", "gopher://x/", "http://user:pw@h/"):
        with pytest.raises(fetch.FetchError):
            fetch.fetch(url, allow="1")


def test_registrar_checks_on_demand_and_office_sees_the_evidence(app, proof, site, client):
    site.put("/perechen", LINK)
    login(client, app, proof["registrar"])
    response = client.post("/publication/verify")
    assert response.status_code == 302
    page = client.get("/deadlines/").get_data(as_text=True)
    assert "страница показывает актуальную редакцию" in page
    assert f"{PLATFORM}/p/{SLUG}/" in page and "код 200" in page
    assert "Проверить сейчас" in page
    client.post("/logout")
    login(client, app, proof["office"])
    page = client.get(f"/agencies/{SLUG}/").get_data(as_text=True)
    assert "Проверка страницы на сайте" in page
    assert "есть ссылка на актуальный перечень на платформе" in page
    assert "Проверить сейчас" not in page


def test_daily_task_is_idempotent(app, proof, site):
    from workers.tasks import publication as tasks

    site.put("/perechen", EMBED)
    with app.app_context():
        assert tasks.verify.apply(args=(proof["agency_id"],)).get() == "shown"
        assert tasks.verify.apply(args=(proof["agency_id"],)).get() == "skipped"
        assert tasks.scan.apply().get() == 0  # checked within the day: nothing due
        with scoped(SYSTEM_SCOPE):
            n = db.session.scalar(sa.select(sa.func.count(PublicationCheck.id)))
        assert n == 1
    from workers.schedule import BEAT_SCHEDULE

    assert BEAT_SCHEDULE["publication-scan"]["task"] == "workers.tasks.publication.scan"


def test_cli_record_and_verify(app, proof, site):
    runner = app.test_cli_runner()
    site.put("/other", ORDER, charset="cp1251")
    result = runner.invoke(
        args=[
            "publication",
            "record",
            SLUG,
            "--url",
            site.base + "/other",
            "--date",
            str(date.today()),
        ]
    )
    assert result.exit_code == 0, result.output
    assert "размещение редакции № 1 отмечено" in result.output
    result = runner.invoke(args=["publication", "verify", SLUG])
    assert result.exit_code == 0, result.output
    assert "показывает актуальную редакцию" in result.output
    site.put("/other", "<p>пусто</p>")
    result = runner.invoke(args=["publication", "verify"])
    assert result.exit_code == 1
    assert "не показывает актуальную редакцию" in result.output
    result = runner.invoke(args=["publication", "record", SLUG, "--url", "ftp://x/"])
    assert result.exit_code != 0 and "https://" in result.output


def test_real_celery_worker_checks_the_page(app, proof, site, real_workers):
    """The daily scan through Redis to a worker process, configured by the environment variable
    TOUCHPOINTS_PUBLICATION_FETCH_PRIVATE=1 (loopback pages), as tests are told to use it."""
    site.put("/perechen", EMBED)
    broker_app = real_workers.broker_app()
    worker = real_workers.start(TOUCHPOINTS_PUBLICATION_FETCH_PRIVATE="1")
    broker_app.extensions["celery"].send_task("workers.tasks.publication.scan")
    deadline = time.monotonic() + 60
    found = None
    while found is None and time.monotonic() < deadline:
        real_workers.assert_alive(worker)
        time.sleep(0.5)
        with app.app_context(), scoped(SYSTEM_SCOPE):
            found = db.session.scalar(sa.select(PublicationCheck.outcome))
            db.session.rollback()
    assert found == "shown"


def test_recording_the_publication_again_closes_the_reopened_deadline(app, proof, site):
    site.put("/perechen", "<p>Страница переехала</p>")
    assert _verify(app, proof["agency_id"])["outcome"] == "not_shown"
    assert _publication_state(app, proof["agency_id"]).publication_status == "due"
    new_url = site.put("/novaya", EMBED)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, proof["agency_id"])
        user = db.session.get(User, proof["registrar"])
        pub = deadlines.record_publication(agency, user, date.today(), new_url)
        db.session.commit()
        assert pub.on_time is True and pub.deadline_id is not None
        assert pub.deadline.started_at > pub.version.approved_at  # the re-opened clock
    assert _publication_state(app, proof["agency_id"]).publication_status == "on_time"
    assert _verify(app, proof["agency_id"])["final_url"] == new_url


def test_cli_exit_codes(app, proof, site, make_agency):
    # 0: recorded / every page shows the current version; 1: a page does not, or there is
    # nothing to check, or the agency is unknown; 2: a malformed argument (click's usage error).
    runner = app.test_cli_runner()
    site.put("/perechen", EMBED)
    ok = runner.invoke(args=["publication", "record", SLUG, "--url", proof["url"]])
    assert ok.exit_code == 0 and date.today().strftime("%d.%m.%Y") in ok.output  # default: today
    assert runner.invoke(args=["publication", "verify", SLUG]).exit_code == 0
    assert runner.invoke(args=["publication", "verify"]).exit_code == 0
    bad_date = runner.invoke(
        args=["publication", "record", SLUG, "--url", proof["url"], "--date", "31.12.2025"]
    )
    assert bad_date.exit_code == 2 and "ГГГГ-ММ-ДД" in bad_date.output
    unknown = runner.invoke(args=["publication", "verify", "no-such-agency"])
    assert unknown.exit_code == 1 and "Нет органа власти «no-such-agency»" in unknown.output
    make_agency(slug="never-approved")
    nothing = runner.invoke(args=["publication", "verify", "never-approved"])
    assert nothing.exit_code == 1 and "нечего проверять" in nothing.output
    no_version = runner.invoke(
        args=["publication", "record", "never-approved", "--url", "https://x.example/p"]
    )
    assert no_version.exit_code == 1
    site.put("/perechen", "<p>Перечень скоро появится</p>")
    shown_nothing = runner.invoke(args=["publication", "verify", SLUG])
    assert (
        shown_nothing.exit_code == 1 and "не показывает актуальную редакцию" in shown_nothing.output
    )
