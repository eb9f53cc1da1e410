"""A changed e-mail waits for its new mailbox: a link goes to the new address, and the change
applies only when the link is followed (docs/security.md, "Account enumeration").

Applying an address at once would tell the editor whether it belongs to someone in another
agency (the unique login refuses it, a free one passes). So the editor always hears the same
words; only the owner of the new mailbox learns, on following the link, that the address
cannot be used. Until then the person keeps the old address. As for invitations, only the
SHA-256 of the link's token is stored, and the anonymous page finds the request through
``email_change_lookup()`` (SECURITY DEFINER, migration security14_0002).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.audit import service as audit
from touchpoints.auth.models import User
from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, set_scope, utcnow
from touchpoints.invitations.models import lookup_link, new_link
from touchpoints.mail.service import queue_mail
from touchpoints.notifications.service import absolute_url

#: How long the link works.
VALID_FOR = timedelta(days=3)

#: What a dead link says.
USED_LINK = "По этой ссылке адрес уже подтверждён. Входите в реестр с этим адресом."
EXPIRED_LINK = (
    "Срок действия ссылки истёк. Попросите того, кто менял ваши данные, "
    "указать адрес ещё раз — придёт новое письмо."
)
#: What the owner of the new mailbox reads when the address is someone's login already.
REFUSED = (
    "Этот адрес нельзя использовать для входа в реестр, поэтому он не изменён. Сообщите тому, "
    "кто менял ваши данные, другой адрес или обратитесь к администратору платформы."
)
FORGED_LINK = (
    "Ссылка недействительна. Возможно, она скопирована не целиком или адрес указали ещё раз — "
    "тогда действует только ссылка из последнего письма."
)


class EmailChange(db.Model):
    """A new address for a person, waiting for its mailbox. Under row-level security as the
    person's own settings are: visible when the person is, written when the person may be."""

    __tablename__ = "email_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    new_email: Mapped[str] = mapped_column(sa.String(255))
    #: SHA-256 (hex) of the token in the link.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime]
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    @classmethod
    def pending_for(cls, user_id: int) -> EmailChange | None:
        return db.session.scalar(
            sa.select(cls).where(
                cls.user_id == user_id, cls.confirmed_at.is_(None), cls.expires_at > utcnow()
            )
        )


def request_change(user: User, email: str, *, actor: User | None) -> EmailChange:
    """Ask the new mailbox to confirm ``email`` for ``user``; an earlier link stops working.
    The mail goes after the edge commits (``queue_mail``)."""
    db.session.execute(
        sa.delete(EmailChange).where(
            EmailChange.user_id == user.id, EmailChange.confirmed_at.is_(None)
        )
    )
    raw, link = new_link(VALID_FOR)
    change = EmailChange(
        user_id=user.id, new_email=email, requested_by_id=getattr(actor, "id", None), **link
    )
    db.session.add(change)
    db.session.flush()
    audit.record(
        "user.email_requested", user, agency_id=user.agency_id, after={"email": email}, actor=actor
    )
    context = {
        "user": user,
        "email": email,
        "link": absolute_url("users.confirm_email", token=raw),
        "editor": actor.name if actor is not None and actor.id != user.id else "",
        "valid_days": VALID_FOR.days,
        "expires_at": change.expires_at,
    }
    queue_mail(
        email,
        "Подтвердите адрес для входа в реестр перечней",
        current_app.jinja_env.get_template("email/email_change.txt").render(**context),
        agency_id=user.agency_id,
    )
    return change


# --------------------------------------------------------------------------- the link


@dataclasses.dataclass(frozen=True)
class Found:
    change: EmailChange | None
    problem: str = ""


def find(raw_token: str) -> Found:
    """The request behind a link, read in the scope of the person it changes (which the
    caller keeps): an agency's people in their agency's scope; people without an agency (the
    office, the operator) are changed only by the operator, in the system scope."""
    found = lookup_link("email_change_lookup", raw_token, _by_hash)
    change = None
    if found is not None:
        set_scope(agency_scope(found.agency_id) if found.agency_id else SYSTEM_SCOPE)
        change = db.session.get(EmailChange, found.id)
    if change is None:
        return Found(None, FORGED_LINK)
    if change.confirmed_at is not None:
        return Found(change, USED_LINK)
    if utcnow() >= change.expires_at:
        return Found(change, EXPIRED_LINK)
    return Found(change)


def _by_hash(token_hash: str) -> sa.Select:
    """The request's id and the person's agency (SQLite, the demo: no lookup function)."""
    return (
        sa.select(EmailChange.id, User.agency_id)
        .join(User, User.id == EmailChange.user_id)
        .where(EmailChange.token_hash == token_hash)
    )


def confirm(change: EmailChange) -> bool:
    """Apply the new address if it is still free. False: it is someone's login (anywhere; the
    unique key says so, no read across agencies needed)."""
    user = change.user
    before = user.email
    try:
        # The savepoint first: begin_nested() flushes what is pending before it starts.
        with db.session.begin_nested():
            user.email = change.new_email
            db.session.flush()
    except sa.exc.IntegrityError:
        # Nothing is written, not even the refusal: the request stays as if unanswered until
        # it expires, so neither the editor's page nor the audit tells the editor anything.
        db.session.expire(user)
        return False
    change.confirmed_at = utcnow()
    audit.record(
        "user.update",
        user,
        agency_id=user.agency_id,
        before={"email": before},
        after={"email": user.email},
        actor=user,
    )
    db.session.flush()
    return True
