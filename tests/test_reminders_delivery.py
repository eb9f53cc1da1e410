"""Reminder mail over real SMTP on loopback (aiosmtpd), and through a real Celery worker."""

import email
import email.policy
import socket
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from conftest import make_app
from deadlines_support import at, include_entry

from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped, utcnow
from touchpoints.mail.models import MailMessage
from touchpoints.reminders import scan as scanner

BASE = "https://reestr.example.gov.ru"


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), msg))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_smtp(port: int) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


@pytest.fixture
def smtp_port():
    return free_port()


@pytest.fixture
def smtp_app(app, migrated, smtp_port):
    """A second app on the same database that sends mail over SMTP to ``smtp_port``."""
    other = make_app(
        migrated, MAIL_BACKEND="smtp", MAIL_PORT=smtp_port, MAIL_TIMEOUT=3, BASE_URL=BASE
    )
    yield other
    with other.app_context():
        other.extensions["inprocess_jobs"].wait(timeout=60)
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def agency_with_people(app, make_agency, make_user):
    agency = make_agency(subdivisions=())
    make_user(Role.REGISTRAR, agency_id=agency, email="reg1@example.org")
    make_user(Role.REGISTRAR, agency_id=agency, email="reg2@example.org")
    include_entry(app, agency, at(2025, 4, 25, 10))
    return agency


def _scan(app, now):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        scanner.scan(now)
    app.extensions["inprocess_jobs"].wait()


def test_digest_arrives_over_smtp_in_russian_with_links(smtp_app, smtp_port, agency_with_people):
    controller, inbox = start_smtp(smtp_port)
    try:
        _scan(smtp_app, at(2025, 5, 15, 9, 5))
    finally:
        controller.stop()
    assert sorted(r for rcpts, _ in inbox.messages for r in rcpts) == [
        "reg1@example.org",
        "reg2@example.org",
    ]
    _, msg = inbox.messages[0]
    # What and where: the agency, then what is due (issue 13).
    assert ": сроков — 1" in msg["Subject"]
    assert msg["Auto-Submitted"] == "auto-generated"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Размещение перечня на сайте" in text and "срок сегодня" in text
    assert f"{BASE}/deadlines/publication" in text
    assert f'href="{BASE}/deadlines/publication"' in html
    assert f"{BASE}/reminders/" in text


def test_mail_server_down_then_up_everything_arrives_once(smtp_app, smtp_port, agency_with_people):
    _scan(smtp_app, at(2025, 5, 15, 9, 5))  # nobody listens on the port yet
    with smtp_app.app_context(), scoped(SYSTEM_SCOPE):
        queued = db.session.scalars(sa.select(MailMessage)).all()
        assert len(queued) == 2
        assert all(m.status == "queued" and m.last_error for m in queued)
        # The backoff's time passes.
        db.session.execute(
            sa.update(MailMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()
    controller, inbox = start_smtp(smtp_port)
    try:
        sweep = smtp_app.extensions["celery"].tasks["workers.tasks.mail.sweep"]
        with smtp_app.app_context():
            sweep.apply()
        smtp_app.extensions["inprocess_jobs"].wait()
        # A rerun of the scanner and of the sweep change nothing.
        _scan(smtp_app, at(2025, 5, 15, 9, 30))
        with smtp_app.app_context():
            sweep.apply()
        smtp_app.extensions["inprocess_jobs"].wait()
    finally:
        controller.stop()
    recipients = sorted(r for rcpts, _ in inbox.messages for r in rcpts)
    assert recipients == ["reg1@example.org", "reg2@example.org"]
    with smtp_app.app_context(), scoped(SYSTEM_SCOPE):
        assert {m.status for m in db.session.scalars(sa.select(MailMessage))} == {"sent"}


def test_real_celery_worker_delivers_the_digest(app, smtp_port, agency_with_people, real_workers):
    """A worker process against the local Redis: scanner here, digest and SMTP there."""
    broker_app = real_workers.broker_app(BASE_URL=BASE)
    controller, inbox = start_smtp(smtp_port)
    worker = real_workers.start(
        TOUCHPOINTS_MAIL_BACKEND="smtp",
        TOUCHPOINTS_MAIL_SERVER="127.0.0.1",
        TOUCHPOINTS_MAIL_PORT=str(smtp_port),
        TOUCHPOINTS_BASE_URL=BASE,
    )
    try:
        with broker_app.app_context(), scoped(SYSTEM_SCOPE):
            scanner.scan(at(2025, 5, 15, 9, 5))
        deadline = time.monotonic() + 60
        while len(inbox.messages) < 2 and time.monotonic() < deadline:
            real_workers.assert_alive(worker)
            time.sleep(0.3)
        assert sorted(r for rcpts, _ in inbox.messages for r in rcpts) == [
            "reg1@example.org",
            "reg2@example.org",
        ]
        assert (
            "Размещение перечня на сайте" in inbox.messages[0][1].get_body(("plain",)).get_content()
        )
    finally:
        controller.stop()
