"""Generated downloads of approved versions, kept so that a version is never rendered twice."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from touchpoints.core.db import PublicReadMixin, TenantMixin, TenantScoped, db, utcnow


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


class PublicFingerprint(PublicReadMixin, TenantScoped, db.Model):
    """What an agency's public pages show, as one random stamp that changes with them
    (docs/public-cache.md): the validator of the pages and the key of their cached bodies.

    Kept by the triggers of the migration public15fingerprint (PostgreSQL, and SQLite for the
    demo), on every change of the agency, its region, its approved versions, their annulments and
    their orders' PDFs, in the same transaction as the change: no service can forget it, and the
    application never writes it. Public: a slug, a random number and when the pages changed."""

    __tablename__ = "public_fingerprint"

    agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True
    )
    #: Copied from the agency, so that a request's validator is one index lookup of one table.
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: Random, drawn anew at each change: never reused, not even after a restore from a backup.
    stamp: Mapped[int] = mapped_column(sa.BigInteger)
    #: When the stamp was last drawn: the pages' Last-Modified.
    changed_at: Mapped[datetime]
