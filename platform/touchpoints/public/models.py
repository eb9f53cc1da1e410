"""Generated downloads of approved versions, kept so that a version is never rendered twice."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from touchpoints.core.db import PublicReadMixin, TenantMixin, db, utcnow


class PublishedFile(PublicReadMixin, TenantMixin, db.Model):
    """The bytes of one download (CSV, JSON, XLSX) of one approved version.

    Approved versions are immutable, so the first request renders the file and every later one
    is served from here, by any web process. Public because it holds only the version's data."""

    __tablename__ = "published_file"
    __table_args__ = (sa.UniqueConstraint("version_id", "fmt"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("list_version.id", ondelete="CASCADE"), index=True
    )
    #: "csv", "json" or "xlsx".
    fmt: Mapped[str] = mapped_column(sa.String(8))
    #: Bumped when the renderer of a format changes, so an outdated file is rendered anew.
    renderer: Mapped[str] = mapped_column(sa.String(32))
    filename: Mapped[str] = mapped_column(sa.String(255))
    mimetype: Mapped[str] = mapped_column(sa.String(128))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    #: SHA-256 of the content, hex; the strong ETag of the download.
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
