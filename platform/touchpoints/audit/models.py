from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.core.db import TenantScoped, db, utcnow
from touchpoints.core.queries import newest_first


class AuditEvent(TenantScoped, db.Model):
    """One recorded change. Tenant rows carry their agency; global ones (regions, templates)
    have none and are visible to the operator only."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_object", "object_type", "object_id"),)

    # Before/after values include drafts: the office reads figures derived from them through
    # the dashboard's aggregate path, never the events themselves.
    __region_read__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Nullable unlike TenantMixin: operator-level events belong to no agency.
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    #: Who acted when no person did: "cli", "sync", "system".
    actor_label: Mapped[str] = mapped_column(sa.String(255), default="")
    #: Dotted verb, e.g. "entry.include", "user.create", "tenant.sync".
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(64))
    object_id: Mapped[str | None] = mapped_column(sa.String(64))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    comment: Mapped[str | None] = mapped_column(sa.Text)

    actor = relationship("User")

    @classmethod
    def of_agency(cls, agency_id: int, action_prefix: str = "") -> sa.Select:
        """The agency's trail, newest first (of the actions starting with the prefix)."""
        where = [cls.agency_id == agency_id]
        if action_prefix:
            where.append(cls.action.startswith(action_prefix))
        return newest_first(cls, cls.at, *where)
