"""An invitation: a one-time link by mail with which a person sets their own password.

Only the SHA-256 of the link's token is stored, so neither a database read nor a backup yields a
usable link. The page the link opens is anonymous: it finds the invitation through
``invitation_lookup()`` (SECURITY DEFINER, migration onb_0001) and then reads it in its agency's
scope, as logging in does (docs/security.md, docs/onboarding.md).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, TenantMixin, db, scoped, utcnow
from touchpoints.core.enums import LabelledEnum
from touchpoints.core.queries import newest_first
from touchpoints.core.tenancy import Agency, Subdivision

#: How long a link works after it was (re)sent.
VALID_FOR = timedelta(days=7)


class InvitationStatus(LabelledEnum):
    PENDING = "pending", "ждёт ответа"
    ACCEPTED = "accepted", "принято"
    REVOKED = "revoked", "отозвано"
    EXPIRED = "expired", "срок истёк"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(raw: str) -> str:
    # 256 random bits: a fast hash suffices, as for session and API tokens.
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_link(valid_for: timedelta) -> tuple[str, dict]:
    """A fresh token for a mailed link, and what its row stores: the token's hash and when the
    link stops working."""
    raw = new_token()
    return raw, {"token_hash": hash_token(raw), "expires_at": utcnow() + valid_for}


def lookup_link(function: str, raw_token: str, fallback: Callable[[str], sa.Select]):
    """The (id, agency_id) row a mailed link's token leads to, before any scope exists, or
    None: through the SECURITY DEFINER ``function`` on PostgreSQL, given the token's hash; on
    SQLite (the demo, no row-level security) ``fallback(hash)`` in the system scope, as the
    ORM's scope filter still applies."""
    if not raw_token or len(raw_token) > 100:
        return None
    token_hash = hash_token(raw_token)
    if db.session.get_bind().dialect.name == "postgresql":
        statement = sa.text(f"SELECT id, agency_id FROM {function}(:h)")
        return db.session.execute(statement, {"h": token_hash}).first()
    with scoped(SYSTEM_SCOPE):
        return db.session.execute(fallback(token_hash)).first()


class Invitation(TenantMixin, db.Model):
    __tablename__ = "invitation"
    __table_args__ = (
        sa.CheckConstraint("role IN ('registrar', 'editor', 'viewer')", name="agency_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255))
    #: The name the inviter gave; the person may correct it when accepting.
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    role: Mapped[str] = mapped_column(sa.String(16))
    #: Editors prepare entries of this unit only.
    subdivision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subdivision.id"))
    #: SHA-256 (hex) of the token in the link; a resend replaces it, so the old link is dead.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime]
    #: How many mails carried a link (1 + resends).
    sent_count: Mapped[int] = mapped_column(default=1)
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    accepted_at: Mapped[datetime | None]
    #: The account the invitation became.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None]

    agency: Mapped[Agency] = relationship()
    subdivision: Mapped[Subdivision | None] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    def status_at(self, now: datetime | None = None) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if (now or utcnow()) >= self.expires_at:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def status(self) -> InvitationStatus:
        return self.status_at()

    @property
    def status_label(self) -> str:
        return self.status.label

    @property
    def role_label(self) -> str:
        return Role(self.role).label

    @classmethod
    def of_agency(cls, agency_id: int) -> sa.Select:
        """The agency's invitations, newest first."""
        return newest_first(cls, cls.created_at, cls.agency_id == agency_id, load=[cls.subdivision])

    @classmethod
    def open_for(cls, agency_id: int, email: str) -> Invitation | None:
        """A pending (neither used nor revoked) invitation of this address to the agency."""
        return db.session.scalar(
            sa.select(cls).where(
                cls.agency_id == agency_id,
                sa.func.lower(cls.email) == email.lower(),
                cls.accepted_at.is_(None),
                cls.revoked_at.is_(None),
                cls.expires_at > utcnow(),
            )
        )

    @classmethod
    def registrar_invited(cls, agency_id: int) -> bool:
        """A registrar has been invited and the link is still good or was used."""
        return bool(
            db.session.scalar(
                sa.select(sa.func.count()).where(
                    cls.agency_id == agency_id,
                    cls.role == Role.REGISTRAR.value,
                    cls.revoked_at.is_(None),
                    sa.or_(cls.accepted_at.is_not(None), cls.expires_at > utcnow()),
                )
            )
        )
