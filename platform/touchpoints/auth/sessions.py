"""Sessions on the server and the narrow paths to a person before any scope is known.

The session cookie carries a random token; ``login_session`` keeps only its SHA-256, one row per
signed-in browser. Logging out deletes the row, so a cookie saved before stops working.

On PostgreSQL the people table is under row-level security: nothing reads it without a verified
scope. Logging in and resuming a session need a person before the scope exists, so they go
through ``auth_login_lookup()`` and ``auth_session_lookup()`` (SECURITY DEFINER, migration
a0000000003), which return only what these two steps need. On SQLite (the demo) the same
questions are plain queries.
"""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from touchpoints.auth.models import LoginSession, User, hash_session_token, new_session_token
from touchpoints.core.access import scope_of_role
from touchpoints.core.db import Scope, db


@dataclasses.dataclass(frozen=True)
class Identity:
    """Who a login or a session belongs to: enough to choose the scope, nothing more."""

    id: int
    role: str
    agency_id: int | None
    region_id: int | None
    password_hash: str | None = None
    active: bool = True
    is_demo: bool = False

    @property
    def scope(self) -> Scope:
        return scope_of_role(self.role, self.agency_id, self.region_id)


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def find_for_login(email: str) -> Identity | None:
    email = email.strip().lower()
    if _postgres():
        row = db.session.execute(
            sa.text(
                "SELECT id, role, agency_id, region_id, password_hash, active, is_demo "
                "FROM auth_login_lookup(:email)"
            ),
            {"email": email},
        ).first()
    else:
        row = db.session.execute(
            sa.select(
                User.id,
                User.role,
                User.agency_id,
                User.region_id,
                User.password_hash,
                User.active,
                User.is_demo,
            ).where(sa.func.lower(User.email) == email)
        ).first()
    return Identity(*row) if row else None


def find_for_session(raw_token: str) -> Identity | None:
    if not raw_token or len(raw_token) > 100:
        return None
    token_hash = hash_session_token(raw_token)
    if _postgres():
        row = db.session.execute(
            sa.text("SELECT id, role, agency_id, region_id FROM auth_session_lookup(:h)"),
            {"h": token_hash},
        ).first()
    else:
        row = db.session.execute(
            sa.select(User.id, User.role, User.agency_id, User.region_id)
            .join(LoginSession, LoginSession.user_id == User.id)
            .where(LoginSession.token_hash == token_hash, User.active)
        ).first()
    return Identity(*row) if row else None


def start(user: User) -> str:
    """A new session for ``user`` (in the user's scope); returns the token for the cookie."""
    raw = new_session_token()
    db.session.add(LoginSession(user_id=user.id, token_hash=hash_session_token(raw)))
    user.session_token = raw
    return raw


def end(raw_token: str | None) -> None:
    if raw_token:
        db.session.execute(
            sa.delete(LoginSession).where(LoginSession.token_hash == hash_session_token(raw_token))
        )


def end_all(user: User, *, keep: str | None = None) -> None:
    """Every session of ``user`` ends (a new password, a disabled account), but ``keep``."""
    q = sa.delete(LoginSession).where(LoginSession.user_id == user.id)
    if keep:
        q = q.where(LoginSession.token_hash != hash_session_token(keep))
    db.session.execute(q)
