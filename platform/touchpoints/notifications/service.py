"""Recording notices in the deciding transaction; mail at once or through the daily digest.

``notify`` is called by a service in the same transaction as the decision it reports. For a
person who wants it at once, the e-mail row is queued right there (``mail.service.queue_mail``
delivers it only after commit); for the digest the notice waits as ``pending`` until
``reminders.services.send_digest`` takes it. A decision that rolls back takes its notices and
mail with it, so nothing is ever sent about something that did not happen.
"""

from __future__ import annotations

import dataclasses
import logging
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency, Region
from touchpoints.mail.service import queue_mail
from touchpoints.notifications.kinds import DIGEST, KINDS, NOW, OFF, allowed_modes
from touchpoints.notifications.models import Notification, NotificationPreference

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Recipient:
    email: str
    user_id: int | None = None


def absolute_url(endpoint: str, **values) -> str:
    """A link for mail, from BASE_URL (mail is also written outside any request)."""
    parts = urlsplit(current_app.config["BASE_URL"].rstrip("/") + "/")
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme
    )
    return adapter.build(endpoint, values, force_external=True)


# --------------------------------------------------------------------------- who


def _users(*criteria) -> list[Recipient]:
    rows = db.session.execute(
        sa.select(User.id, User.email).where(User.active, *criteria).order_by(User.id)
    ).all()
    return [Recipient(email.lower(), uid) for uid, email in rows]


def registrars(agency_id: int) -> list[Recipient]:
    return _users(User.agency_id == agency_id, User.role == Role.REGISTRAR.value)


def editors(agency_id: int) -> list[Recipient]:
    return _users(User.agency_id == agency_id, User.role == Role.EDITOR.value)


def user(user_id: int | None) -> list[Recipient]:
    return _users(User.id == user_id) if user_id else []


def office(agency: Agency) -> list[Recipient]:
    """The region's project office staff, and its shared address when it has one. Read in the
    system scope: an agency's own scope does not see the office's accounts (row-level security),
    yet its decisions are addressed to them."""
    with scoped(SYSTEM_SCOPE):
        out = _users(User.role == Role.OFFICE.value, User.region_id == agency.region_id)
    shared = db.session.scalar(sa.select(Region.office_email).where(Region.id == agency.region_id))
    if shared and all(r.email != shared.lower() for r in out):
        out.append(Recipient(shared.lower()))
    return out


# --------------------------------------------------------------------------- preferences


def modes_for(user_id: int) -> dict[str, str]:
    """The person's mode for every kind (their choice, else the kind's default)."""
    chosen = dict(
        db.session.execute(
            sa.select(NotificationPreference.kind, NotificationPreference.mode).where(
                NotificationPreference.user_id == user_id
            )
        ).all()
    )
    out = {}
    for code, kind in KINDS.items():
        mode = chosen.get(code, kind.default)
        out[code] = mode if mode in allowed_modes(kind) else kind.default
    return out


def set_modes(user: User, modes: dict[str, str]) -> None:
    """Store the person's choices; a mandatory kind cannot be turned off (see kinds.py)."""
    rows = {
        p.kind: p
        for p in db.session.scalars(
            sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id)
        )
    }
    for code, mode in modes.items():
        kind = KINDS.get(code)
        if kind is None or mode not in allowed_modes(kind):
            continue
        row = rows.get(code)
        if mode == kind.default:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(NotificationPreference(user_id=user.id, kind=code, mode=mode))
        else:
            row.mode = mode
    db.session.flush()


# --------------------------------------------------------------------------- the event


def notify(
    kind: str,
    *,
    agency_id: int,
    event_key: str,
    recipients: list[Recipient],
    subject: str,
    lines: list[str],
    link: str = "",
    skip_user_id: int | None = None,
) -> list[Notification]:
    """Record the notice for each recipient (once per event) and queue the at-once e-mails.

    ``skip_user_id`` is whoever caused the event: nobody is told about their own action."""
    spec = KINDS[kind]
    seen: set[str] = set()
    existing = set(
        db.session.scalars(
            sa.select(Notification.recipient).where(Notification.event_key == event_key)
        )
    )
    prefs = _modes_by_user([r.user_id for r in recipients if r.user_id])
    body = _body(lines, link)
    out = []
    for r in recipients:
        if r.email in seen or r.email in existing or (skip_user_id and r.user_id == skip_user_id):
            continue
        seen.add(r.email)
        mode = prefs.get(r.user_id, {}).get(kind, spec.default)
        note = Notification(
            agency_id=agency_id,
            kind=kind,
            event_key=event_key[:128],
            recipient=r.email,
            user_id=r.user_id,
            subject=subject[:500],
            body_text=body,
            link=link[:500],
            delivery=mode,
            status={NOW: "mailed", DIGEST: "pending", OFF: "off"}[mode],
        )
        if mode == NOW:
            note.mail_message_id = queue_mail(
                r.email, note.subject, _letter(body), agency_id=agency_id
            ).id
        db.session.add(note)
        out.append(note)
    db.session.flush()
    log.info("notice %s (%s): %s recipients", kind, event_key, len(out))
    return out


def _modes_by_user(user_ids: list[int]) -> dict[int, dict[str, str]]:
    if not user_ids:
        return {}
    out: dict[int, dict[str, str]] = {}
    # The recipients' own choices, the office's included (see office()): the system scope.
    with scoped(SYSTEM_SCOPE):
        rows = db.session.execute(
            sa.select(
                NotificationPreference.user_id,
                NotificationPreference.kind,
                NotificationPreference.mode,
            ).where(NotificationPreference.user_id.in_(user_ids))
        ).all()
    for uid, code, mode in rows:
        kind = KINDS.get(code)
        if kind is not None and mode in allowed_modes(kind):
            out.setdefault(uid, {})[code] = mode
    return out


def _body(lines: list[str], link: str) -> str:
    text = "\n".join(line for line in lines if line)
    return f"{text}\n\nОткрыть: {link}" if link else text


def _letter(body: str) -> str:
    settings = absolute_url("notifications.settings")
    return (
        f"Здравствуйте!\n\n{body}\n\n"
        f"Как и когда присылать такие письма, можно выбрать здесь: {settings}\n\n"
        "Это письмо отправлено автоматически, отвечать на него не нужно.\n"
    )


# --------------------------------------------------------------------------- the digest's part


def pending_recipients() -> list[tuple[str, int]]:
    """(recipient, an agency of theirs) for everyone with notices waiting for the digest."""
    return list(
        db.session.execute(
            sa.select(Notification.recipient, sa.func.min(Notification.agency_id))
            .where(Notification.status == "pending")
            .group_by(Notification.recipient)
        ).all()
    )


def carry(model, recipient: str, digest_id: int, *, status: str, becomes: str) -> list[int]:
    """Ids of the person's ``model`` rows in ``status``, now ``becomes`` and carried by the
    digest: one UPDATE, so two runs never put the same row into two letters."""
    return [
        row_id
        for (row_id,) in db.session.execute(
            sa.update(model)
            .where(model.recipient == recipient, model.status == status)
            .values(status=becomes, digest_id=digest_id)
            .returning(model.id)
            .execution_options(synchronize_session=False)
        )
    ]


def take_for_digest(recipient: str, digest_id: int) -> list[Notification]:
    """Mark the person's waiting notices as carried by this digest (in the digest's transaction)."""
    ids = carry(Notification, recipient, digest_id, status="pending", becomes="digested")
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Notification)
            .where(Notification.id.in_(ids))
            .order_by(Notification.created_at, Notification.id)
        )
    )
