"""Rendered order PDFs: an approved version's PDF is made once and served unchanged afterwards."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from touchpoints.core import work
from touchpoints.core.db import TenantMixin, db, utcnow
from touchpoints.core.work import WorkState


class DocumentStatus(enum.StrEnum):
    PENDING = "pending"  # queued for a worker
    RENDERING = "rendering"  # claimed by a worker
    READY = work.READY
    FAILED = work.FAILED


class OrderDocument(WorkState, TenantMixin, db.Model):
    """One rendered order PDF: of an approved version (kept for good) or of the working list as a
    draft (kept while its content hash matches the list, a few per agency)."""

    __tablename__ = "order_document"
    __table_args__ = (
        sa.UniqueConstraint("agency_id", "key"),
        sa.CheckConstraint("status IN ('pending', 'rendering', 'ready', 'failed')", name="status"),
    )

    #: The office may read approved versions' orders, not draft orders of the working list.
    __region_read__ = "NOT draft"
    UNFINISHED = (DocumentStatus.PENDING.value, DocumentStatus.RENDERING.value)

    @classmethod
    def region_criteria(cls):
        return cls.draft.is_(False)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What was rendered: "version:<id>:plain|changes" or "draft:<sha256 of the render input>".
    key: Mapped[str] = mapped_column(sa.String(128))
    version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("list_version.id"), index=True)
    draft: Mapped[bool] = mapped_column(default=False)
    #: Has the second appendix listing changes against the previous version.
    with_changes: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(16), default=DocumentStatus.PENDING.value)
    #: The PDF itself; deferred so that status pages never load it.
    pdf: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    #: Hex SHA-256 of ``pdf``: the HTTP ETag.
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    size: Mapped[int | None]
    pages: Mapped[int | None]
    #: Why the last rendering failed, in words for the user (details are in the worker log).
    error: Mapped[str | None] = mapped_column(sa.Text)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    rendered_at: Mapped[datetime | None]
    #: Seconds the rendering took (for sizing workers).
    render_seconds: Mapped[float | None]
