from __future__ import annotations

import contextlib
import functools
import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from touchpoints.auth.roles import GRANTS, Permission, Role
from touchpoints.core.db import db, utcnow
from touchpoints.core.tenancy import Agency, Region, Subdivision

DEMO_PASSWORD = "demo"
#: The one answer to an address that cannot be used, whoever (if anyone) has it: the user
#: pages and the invitations say the same (docs/security.md, "Account enumeration").
EMAIL_REFUSED = (
    "Эту почту нельзя использовать для учётной записи. Укажите другую "
    "или обратитесь к администратору платформы."
)


def _passwords() -> tuple[PasswordHasher, str]:
    """argon2id at the application's PASSWORD_HASH cost (config.py, docs/security.md), and a hash
    of that cost to spend the same work on a login that finds no account."""
    return _hasher(**current_app.config["PASSWORD_HASH"])


@functools.cache
def _hasher(**cost) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(**cost)
    return hasher, hasher.hash("not a real password")


def burn_password_check(password: str) -> None:
    hasher, dummy = _passwords()
    with contextlib.suppress(VerificationError, InvalidHashError):
        hasher.verify(dummy, password)


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def hash_session_token(raw: str) -> str:
    # 256 random bits: a fast hash suffices; only the hash is stored (a database read or a
    # backup does not yield a usable cookie).
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class PersonalChoice:
    """A person's own setting about one kind of message (a reminder, a notice): at most one row
    per person and kind; no row means the kind's default. Each table declares its ``kind``."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple:
        # A constraint per table (a shared one would belong to the first table only).
        return (sa.UniqueConstraint("user_id", "kind"),)

    # First in the table, as the migrations created them.
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), sort_order=-1)


class User(UserMixin, db.Model):
    """A person. Under row-level security like everything else: login finds a person through
    ``auth_login_lookup()``, a session through ``auth_session_lookup()`` (auth/sessions.py);
    other reads see their agency's or region's people only."""

    __tablename__ = "user_account"
    __table_args__ = (
        sa.CheckConstraint(
            "(role IN ('registrar', 'editor', 'viewer') AND agency_id IS NOT NULL)"
            " OR (role = 'office' AND region_id IS NOT NULL AND agency_id IS NULL)"
            " OR (role = 'admin' AND agency_id IS NULL)",
            name="role_scope",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    role: Mapped[str] = mapped_column(sa.String(16))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"), index=True)
    #: Editors prepare entries of this subdivision only.
    subdivision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("subdivision.id"))
    #: Demo accounts may log in with the demo password in the demo configuration only.
    is_demo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    agency: Mapped[Agency | None] = relationship()
    region: Mapped[Region | None] = relationship()
    subdivision: Mapped[Subdivision | None] = relationship()

    #: The raw token of the session this object was loaded for (never stored; see LoginSession).
    session_token = None

    # Flask-Login: the session cookie carries the session's token, not the user's id.
    def get_id(self) -> str | None:
        return self.session_token

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def role_label(self) -> str:
        return self.role_enum.label

    def can(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role_enum]

    def set_password(self, password: str) -> None:
        self.password_hash = _passwords()[0].hash(password)

    def check_password(self, password: str) -> bool:
        if self.is_demo and password == DEMO_PASSWORD:
            return bool(current_app.config.get("ALLOW_DEMO_PASSWORDS"))
        if not self.password_hash:
            return False
        hasher = _passwords()[0]
        try:
            ok = hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if ok and hasher.check_needs_rehash(self.password_hash):
            self.password_hash = hasher.hash(password)
        return ok

    @classmethod
    def of_agency(cls, agency_id: int, role: Role | None = None, *, active_only: bool = False):
        """A query of the agency's people (of one role), by role and name."""
        q = sa.select(cls).where(cls.agency_id == agency_id)
        if role is not None:
            q = q.where(cls.role == role.value)
        if active_only:
            q = q.where(cls.active)
        return q.order_by(cls.role, cls.name)

    @classmethod
    def search(cls, text: str = "", *, agency_id: int | None = None) -> sa.Select:
        """People by name whose name or e-mail contains the text (of one agency when given)."""
        q = (
            sa.select(cls)
            .order_by(cls.name)
            .options(
                sa.orm.selectinload(cls.agency),
                sa.orm.selectinload(cls.region),
                sa.orm.selectinload(cls.subdivision),
            )
        )
        if agency_id is not None:
            q = q.where(cls.agency_id == agency_id)
        if text:
            like = f"%{text.lower()}%"
            q = q.where(
                sa.or_(sa.func.lower(cls.name).like(like), sa.func.lower(cls.email).like(like))
            )
        return q

    @classmethod
    def counts_by_region(cls) -> dict[int, int]:
        """People of agencies per region id (the operator's home)."""
        q = (
            sa.select(Agency.region_id, sa.func.count(cls.id))
            .join(cls, cls.agency_id == Agency.id)
            .group_by(Agency.region_id)
        )
        return dict(db.session.execute(q).all())

    @classmethod
    def count_in_agency(cls, agency_id: int, role: Role) -> int:
        """How many active people of the agency have the role."""
        q = sa.select(sa.func.count()).where(
            cls.agency_id == agency_id, cls.role == role.value, cls.active
        )
        return db.session.scalar(q) or 0

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class LoginSession(db.Model):
    """One signed-in browser. Logging out deletes it, so a saved cookie stops working; a new
    password or a disabled account deletes them all."""

    __tablename__ = "login_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 (hex) of the token in the cookie.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
