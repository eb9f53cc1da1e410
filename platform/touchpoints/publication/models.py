from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.core.db import TenantMixin, db, utcnow
from touchpoints.core.enums import LabelledEnum


class Outcome(LabelledEnum):
    # the page shows the current version
    SHOWN = "shown", "страница показывает актуальную редакцию"
    # the page answered and shows something else (or 404)
    NOT_SHOWN = "not_shown", "страница не показывает актуальную редакцию"
    # the page could not be read: refused address, timeout, server error
    ERROR = "error", "страницу не удалось проверить"


MATCH_LABELS = {
    "embed": "встроена карточка перечня с платформы",
    "link": "есть ссылка на актуальный перечень на платформе",
    "order": "в тексте названы номер и дата приказа об утверждении",
}


class PublicationCheck(TenantMixin, db.Model):
    """One fetch of the page where the registrar says the list is published, and what it showed.

    Kept as history: the latest row per agency is the current answer."""

    __tablename__ = "publication_check"
    __table_args__ = (sa.Index("ix_publication_check_agency_checked", "agency_id", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The publication record whose page was fetched.
    publication_id: Mapped[int] = mapped_column(sa.ForeignKey("publication.id"), index=True)
    #: The version that was current when checked: what the page had to show.
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("list_version.id"))
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    url: Mapped[str] = mapped_column(sa.String(1000))
    #: Where the redirects ended (None when nothing was fetched).
    final_url: Mapped[str | None] = mapped_column(sa.String(1000))
    http_status: Mapped[int | None]
    #: shown / not_shown / error (see Outcome).
    outcome: Mapped[str] = mapped_column(sa.String(16))
    #: embed / link / order: which proof was found (None when none).
    matched: Mapped[str | None] = mapped_column(sa.String(16))
    #: What matched: the platform address found on the page, or the order's number and date.
    evidence: Mapped[str] = mapped_column(sa.String(1000), default="")
    #: The page's text around what matched (or its beginning when nothing did).
    excerpt: Mapped[str] = mapped_column(sa.Text, default="")
    #: Why the page could not be read, in Russian, for people.
    error: Mapped[str] = mapped_column(sa.String(500), default="")
    #: The page was longer than the size limit and only its beginning was read.
    truncated: Mapped[bool] = mapped_column(default=False)
    #: schedule / manual / cli.
    trigger: Mapped[str] = mapped_column(sa.String(16), default="schedule")
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    publication = relationship("Publication")
    version = relationship("ListVersion")
    requested_by = relationship("User")

    @property
    def outcome_enum(self) -> Outcome:
        return Outcome(self.outcome)

    @property
    def matched_label(self) -> str:
        return MATCH_LABELS.get(self.matched or "", "")
