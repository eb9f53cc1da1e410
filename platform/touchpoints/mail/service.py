"""Queueing and delivering mail.

``queue_mail`` writes the message in the caller's transaction and enqueues its delivery after
commit. ``deliver`` claims a message atomically, so two workers never send the same one, sends it,
and on failure schedules a retry with backoff: an unreachable server delays mail, it loses none.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate

import sqlalchemy as sa
from flask import current_app

from touchpoints.core.db import db, utcnow
from touchpoints.jobs import enqueue
from touchpoints.mail.models import MailMessage

log = logging.getLogger(__name__)
DELIVER_TASK = "workers.tasks.mail.deliver"
#: Backoff between attempts, minutes; the last value repeats. Capped low: besides, the sweep
#: asks the server every minute and brings waiting mail forward as soon as it answers
#: (``wake_if_server_answers``), so an outage delays mail by about a minute past its end.
BACKOFF_MINUTES = (1, 2, 3, 5)
#: A claim older than this is considered abandoned by a dead worker: longer than one send
#: can take (connect and send, each within MAIL_TIMEOUT), short enough to resend soon.
STALE_CLAIM = timedelta(seconds=45)


def queue_mail(
    recipient: str, subject: str, text: str, html: str | None = None, *, agency_id=None
) -> MailMessage:
    msg = MailMessage(
        recipient=recipient, subject=subject, body_text=text, body_html=html, agency_id=agency_id
    )
    db.session.add(msg)
    db.session.flush()
    enqueue(DELIVER_TASK, msg.id)
    return msg


def claim(message_id: int) -> MailMessage | None:
    """Take the message for sending, unless sent, not yet due, or claimed by a live worker."""
    now = utcnow()
    claimed = db.session.execute(
        sa.update(MailMessage)
        .where(
            MailMessage.id == message_id,
            sa.or_(
                sa.and_(MailMessage.status == "queued", MailMessage.next_attempt_at <= now),
                sa.and_(
                    MailMessage.status == "sending", MailMessage.claimed_at < now - STALE_CLAIM
                ),
            ),
        )
        .values(status="sending", claimed_at=now, attempts=MailMessage.attempts + 1)
        .returning(MailMessage.id)
    ).scalar()
    db.session.commit()
    return db.session.get(MailMessage, claimed) if claimed else None


def deliver(message_id: int) -> str:
    """Deliver one message. Returns 'sent', 'skipped' or raises after recording the failure."""
    msg = claim(message_id)
    if msg is None:
        return "skipped"
    try:
        transport = _send(msg)
    except Exception as exc:
        delay = BACKOFF_MINUTES[min(msg.attempts, len(BACKOFF_MINUTES)) - 1]
        msg.status = "queued"
        msg.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        msg.next_attempt_at = utcnow() + timedelta(minutes=delay)
        msg.claimed_at = None
        db.session.commit()
        log.warning(
            "mail %s to %s failed (attempt %s): %s", msg.id, msg.recipient, msg.attempts, exc
        )
        raise
    msg.status = "sent"
    msg.sent_at = utcnow()
    msg.transport = transport
    msg.last_error = None
    db.session.commit()
    return "sent"


def wake_if_server_answers() -> int:
    """If mail is waiting for a later attempt and the SMTP server answers now, make it due now.
    Returns how many messages were brought forward."""
    now = utcnow()
    waiting = db.session.scalar(
        sa.select(sa.func.count(MailMessage.id)).where(
            MailMessage.status == "queued", MailMessage.next_attempt_at > now
        )
    )
    if not waiting or current_app.config["MAIL_BACKEND"] != "smtp":
        return 0
    cfg = current_app.config
    try:
        with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=5) as smtp:
            smtp.noop()
    except (OSError, smtplib.SMTPException):
        return 0
    woken = db.session.execute(
        sa.update(MailMessage)
        .where(MailMessage.status == "queued", MailMessage.next_attempt_at > now)
        .values(next_attempt_at=now)
    ).rowcount
    log.info("mail server answers again: %s waiting messages are due now", woken)
    return woken


def due_message_ids(limit: int = 500) -> list[int]:
    """Messages waiting for (another) attempt: the sweeper re-enqueues these."""
    now = utcnow()
    return list(
        db.session.scalars(
            sa.select(MailMessage.id)
            .where(
                sa.or_(
                    sa.and_(MailMessage.status == "queued", MailMessage.next_attempt_at <= now),
                    sa.and_(
                        MailMessage.status == "sending", MailMessage.claimed_at < now - STALE_CLAIM
                    ),
                )
            )
            .order_by(MailMessage.id)
            .limit(limit)
        )
    )


def _send(msg: MailMessage) -> str:
    cfg = current_app.config
    if cfg["MAIL_BACKEND"] == "outbox":
        return "outbox"
    email = EmailMessage()
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = msg.recipient
    email["Subject"] = msg.subject
    # A stable Message-ID lets a receiving server drop a duplicate after a crash mid-send.
    email["Message-ID"] = f"<mail-{msg.id}@touchpoints.local>"
    email["Date"] = formatdate(msg.created_at.timestamp(), localtime=False)
    # Reminders and notices are machine mail: no out-of-office replies back to us (RFC 3834).
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(msg.body_text)
    if msg.body_html:
        email.add_alternative(msg.body_html, subtype="html")
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"]) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(email)
    return "smtp"
