"""The dashboard's only door to figures computed by other features.

Compliance (``touchpoints.lists.compliance.check_many``) and deadlines
(``touchpoints.deadlines.summary.deadline_summaries``) are read here and nowhere else in the
dashboard, and their answers are normalised into the small dataclasses below. Should one of them
fail, its columns read «нет данных» instead of failing the page (:func:`_guarded`).
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, datetime

from touchpoints.core.db import db
from touchpoints.deadlines.summary import deadline_summaries
from touchpoints.lists.compliance import check_many

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Compliance:
    errors: int
    warnings: int


@dataclasses.dataclass(frozen=True)
class Publication:
    """Where an agency stands against the publication deadline (seeds 5.4 / 5.5)."""

    #: "on_time", "due", "overdue" or "none" (nothing to publish).
    status: str
    #: Working days left (due) or past (overdue).
    days: int | None = None
    due: date | None = None
    #: The deadlines feature's own wording, when it gives one.
    text: str | None = None

    @property
    def label(self) -> str:
        if self.text:
            return self.text
        if self.status == "overdue":
            return f"просрочено на {self.days} раб. дн." if self.days else "просрочено"
        if self.status == "due":
            return f"срок через {self.days} раб. дн." if self.days is not None else "срок идёт"
        if self.status == "on_time":
            return "размещено в срок"
        return "нет изменений к размещению"


@dataclasses.dataclass(frozen=True)
class Deadline:
    publication: Publication | None
    pending_reviews: int | None = None
    last_reminder_at: datetime | None = None


def compliance(agency_ids: list[int]) -> dict[int, Compliance]:
    """Counts of errors and warnings of each working list; {} when the check failed."""
    if not agency_ids:
        return {}
    reports = _guarded("compliance", check_many, list(agency_ids))
    return {
        agency_id: Compliance(errors=len(report.errors), warnings=len(report.warnings))
        for agency_id, report in reports.items()
    }


def deadlines(agency_ids: list[int], today: date) -> dict[int, Deadline]:
    """Publication status, pending reviews and last reminder; {} when they failed."""
    if not agency_ids:
        return {}
    summaries = _guarded("deadlines", deadline_summaries, list(agency_ids), today)
    return {agency_id: _deadline(s) for agency_id, s in summaries.items()}


def _guarded(feature: str, fn, *args) -> dict:
    """Another feature failing must not take the project office's home page down with it: its
    columns read «нет данных» and the failure is logged with its traceback. A savepoint keeps
    the request's transaction usable after a failed query."""
    try:
        if db.session.get_bind().dialect.name != "postgresql":
            # pysqlite's SAVEPOINT handling is unreliable, and nothing there aborts the transaction.
            return fn(*args) or {}
        with db.session.begin_nested():
            return fn(*args) or {}
    except Exception:
        log.exception("dashboard: %s figures failed; shown as «нет данных»", feature)
        return {}


def _first(obj, *names, default=None):
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return default


def _deadline(summary) -> Deadline:
    """touchpoints.deadlines.summary.Summary: publication_status on_time / due / overdue,
    publication_days (negative when overdue), publication_label, publication_due_on,
    pending_reviews, last_reminder_at."""
    status = _first(summary, "publication_status")
    publication = None
    if status is not None:
        days = _first(summary, "publication_days")
        publication = Publication(
            status=str(getattr(status, "value", status)),
            days=abs(days) if days is not None else None,
            due=_first(summary, "publication_due_on"),
            text=_first(summary, "publication_label"),
        )
    return Deadline(
        publication=publication,
        pending_reviews=_first(summary, "pending_reviews"),
        last_reminder_at=_first(summary, "last_reminder_at"),
    )
