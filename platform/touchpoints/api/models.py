"""API tokens: issued by a project office or the administrator to read statuses and deadlines."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.core.db import db, utcnow

TOKEN_PREFIX = "tpk_"


def hash_token(raw: str) -> str:
    # Tokens are 256 random bits: a fast hash is enough, a slow one would only cost every call.
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def new_raw_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


class ApiToken(db.Model):
    """A bearer token of the monitoring API. Only its hash is stored; the token is shown once.

    Not a tenant table (like ``user_account``): a request must find its token before any scope
    is known. Reads through a token are scoped to its region (or everything for ``all``)."""

    __tablename__ = "api_token"
    __table_args__ = (
        sa.CheckConstraint(
            "(scope = 'region' AND region_id IS NOT NULL) OR (scope = 'all' AND region_id IS NULL)",
            name="scope_region",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    #: SHA-256 of the token, hex.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: The first characters of the token, so that people can tell their tokens apart.
    token_hint: Mapped[str] = mapped_column(sa.String(16))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    #: "region" (one region's agencies) or "all" (every agency; administrators only).
    scope: Mapped[str] = mapped_column(sa.String(16))
    region_id: Mapped[int | None] = mapped_column(sa.ForeignKey("region.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    owner = relationship("User", foreign_keys=[owner_id])
    revoked_by = relationship("User", foreign_keys=[revoked_by_id])
    region = relationship("Region")

    @property
    def active(self) -> bool:
        return self.revoked_at is None
