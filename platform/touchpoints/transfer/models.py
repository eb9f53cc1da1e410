from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from touchpoints.core.db import TenantMixin, db, utcnow


class ImportSession(TenantMixin, db.Model):
    """An uploaded file waiting for the registrar's confirmation: nothing is in the list yet.

    The file itself is not kept, only its cells as text, so the mapping can be changed and the
    preview recomputed without uploading again. Expires after ``IMPORT_TTL_HOURS``."""

    __tablename__ = "import_session"
    #: Unconfirmed uploads are the agency's own business.
    __region_read__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random, unguessable; the only handle the URL carries.
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    #: Where in the file the table was found: «лист «Перечень»», «таблица 2».
    source: Mapped[str] = mapped_column(sa.String(255), default="")
    #: The table's cells as text, row by row.
    cells: Mapped[list] = mapped_column(sa.JSON)
    #: Indexes of rows that are one cell merged across the table (activity area headings).
    merged_rows: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Index of the header row within ``cells``.
    header_row: Mapped[int] = mapped_column(default=0)
    #: For each column of the file: the field it fills ("" = not imported, "#" = row number).
    mapping: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: Everything else of the upload: where each row came from (``origins``: table, line, flag),
    #: the person's fixes (``edits``, ``skipped``, ``settled``) and choices for applying; once
    #: confirmed in the background, its job (``job_id``) and, when applied, the counts
    #: (``applied``; transfer/import_jobs.py).
    state: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class ImportChoice(TenantMixin, db.Model):
    """A match the agency's people settled in an import preview, remembered for the next file.

    ``kind`` is area, touchpoint, need, subdivision or header; ``text`` the normalised wording
    in the file; ``code`` what it means (a catalogue code, a subdivision id, a field key; "" for
    «not loaded» / «keep as typed»)."""

    __tablename__ = "import_choice"
    __table_args__ = (sa.UniqueConstraint("agency_id", "kind", "text"),)
    __region_read__ = None

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    text: Mapped[str] = mapped_column(sa.String(500))
    code: Mapped[str] = mapped_column(sa.String(64), default="")
    chosen_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    chosen_at: Mapped[datetime] = mapped_column(default=utcnow)
