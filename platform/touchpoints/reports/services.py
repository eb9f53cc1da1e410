"""The project office's quarterly report: per agency and for the region, kept per quarter.

The figures are the dashboard's (touchpoints.dashboard.services.region_dashboard: working list,
latest version, compliance, publication deadline, pending reviews) plus three grouped queries for
what the dashboard does not carry: when the current version was published, the latest
re-confirmation and the latest proof-of-publication check. A snapshot stores them per agency and
quarter (QuarterSnapshot) so that quarters compare; a past quarter's snapshot is frozen, the
current quarter's may be taken again until it ends.

The project office reads its region (row-level security, ``__region_read__``) but writes no
tenant rows; snapshots and assessments are written here in the system scope, only for agencies
of the region the caller was allowed into (the route checks it with :func:`can_assess`).
Registry processes without touchpoints (Kuzbass 3.5) come from the kernel's registry rule
(lists.coverage.uncovered_counts); an agency without a registry has none to report.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime

import sqlalchemy as sa

from touchpoints.audit import service as audit
from touchpoints.auth.roles import Role
from touchpoints.calendar.services import calendars_for_regions
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped, utcnow
from touchpoints.core.queries import greatest_per
from touchpoints.core.tenancy import Agency, Region
from touchpoints.core.text import share
from touchpoints.dashboard import services as dashboard
from touchpoints.deadlines.models import Publication, Reconfirmation
from touchpoints.lists.coverage import uncovered_counts
from touchpoints.lists.models import DigitalShare, ListVersion
from touchpoints.publication.services import latest_checks
from touchpoints.reports.models import ASSESSMENTS, QuarterSnapshot

#: Quarters shown in the trend.
TREND_QUARTERS = 8


class ReportError(ValueError):
    """A refused action; the message is shown to the user."""


@dataclasses.dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        m = re.fullmatch(r"\s*(\d{4})\s*-?\s*[QqКк]?\s*([1-4])\s*", text or "")
        if not m:
            raise ReportError("Квартал указывается так: 2026-4 (год и номер квартала от 1 до 4)")
        return cls(int(m.group(1)), int(m.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        nxt = self.next()
        return date.fromordinal(nxt.start.toordinal() - 1)

    def next(self) -> Quarter:
        return Quarter(self.year + self.q // 4, self.q % 4 + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - (self.q == 1), (self.q - 2) % 4 + 1)

    @property
    def key(self) -> str:
        return f"{self.year}-{self.q}"

    @property
    def label(self) -> str:
        return f"{self.q} квартал {self.year} г."


def can_assess(user, region: Region) -> bool:
    """The project office of the region (and the operator) assesses the region's agencies."""
    role = user.role_enum
    return role is Role.ADMIN or (role is Role.OFFICE and user.region_id == region.id)


def all_regions() -> list[Region]:
    return list(db.session.scalars(sa.select(Region).order_by(Region.id)))


# --------------------------------------------------------------------------- indicators


def indicators(region: Region) -> list[dict]:
    """Today's indicators of every agency of the region, as QuarterSnapshot column values."""
    board = dashboard.region_dashboard(region)
    ids = [r.agency_id for r in board.rows]
    if not ids:
        return []
    latest = (
        sa.select(ListVersion.agency_id, sa.func.max(ListVersion.number).label("number"))
        .where(ListVersion.agency_id.in_(ids))
        .group_by(ListVersion.agency_id)
        .subquery()
    )
    published = dict(
        db.session.execute(
            sa.select(Publication.agency_id, sa.func.min(Publication.published_on))
            .join(ListVersion, ListVersion.id == Publication.version_id)
            .join(
                latest,
                sa.and_(
                    latest.c.agency_id == ListVersion.agency_id,
                    latest.c.number == ListVersion.number,
                ),
            )
            .group_by(Publication.agency_id)
        ).all()
    )
    reconfirmed = greatest_per(
        Reconfirmation.agency_id, Reconfirmation.confirmed_on, Reconfirmation.agency_id.in_(ids)
    )
    checks = latest_checks(ids)
    uncovered = uncovered_counts(ids)
    order_numbers = _order_numbers(board)
    cal = calendars_for_regions([region.id])[region.id]
    out = []
    for r in board.rows:
        approved_on = r.approved_at.astimezone(region.tz).date() if r.approved_at else None
        pub_on = published.get(r.agency_id) if r.has_version else None
        check = checks.get(r.agency_id)
        out.append(
            {
                "agency_id": r.agency_id,
                "version_number": r.version_number,
                "order_number": order_numbers.get(r.agency_id),
                "order_date": r.version_date,
                "approved_on": approved_on,
                "published_on": pub_on,
                "days_to_publish": max(0, cal.working_days_between(approved_on, pub_on))
                if approved_on and pub_on
                else None,
                "publication_status": r.publication_status,
                # A check of an older version says nothing about the current one.
                "page_check": check.outcome
                if check is not None and check.version.number == r.version_number
                else None,
                "touchpoints": r.touchpoints,
                "digital": r.digital,
                "areas_covered": r.areas_covered,
                "areas_total": r.areas_total,
                "errors": r.errors,
                "warnings": r.warnings,
                "pending": r.pending,
                "last_reconfirmed_on": reconfirmed.get(r.agency_id),
                "uncovered_processes": uncovered.get(r.agency_id, 0),
            }
        )
    return out


def _order_numbers(board) -> dict[int, str]:
    wanted = [(r.agency_id, r.version_number) for r in board.rows if r.has_version]
    if not wanted:
        return {}
    return dict(
        db.session.execute(
            sa.select(ListVersion.agency_id, ListVersion.order_number).where(
                sa.tuple_(ListVersion.agency_id, ListVersion.number).in_(wanted)
            )
        ).all()
    )


# --------------------------------------------------------------------------- snapshots


def snapshots(region: Region, quarter: Quarter) -> list[QuarterSnapshot]:
    return list(
        db.session.scalars(
            sa.select(QuarterSnapshot)
            .join(Agency, Agency.id == QuarterSnapshot.agency_id)
            .where(
                Agency.region_id == region.id,
                QuarterSnapshot.year == quarter.year,
                QuarterSnapshot.quarter == quarter.q,
            )
            .order_by(Agency.short_name, Agency.id)
            .options(sa.orm.contains_eager(QuarterSnapshot.agency))
        )
    )


def take_snapshot(region: Region, quarter: Quarter, now: datetime | None = None) -> dict:
    """Store the region's indicators for ``quarter``: rows for agencies that have none; during
    the quarter itself, fresh figures for the others too (their assessment is kept). A quarter
    that has ended keeps the figures it was closed with. Flushes; the caller commits."""
    now = now or utcnow()
    today = now.astimezone(region.tz).date()
    if quarter.start > today:
        raise ReportError(f"{quarter.label} ещё не начался: показатели снимать рано")
    current = Quarter.of(today) == quarter
    figures = indicators(region)
    with scoped(SYSTEM_SCOPE):
        existing = {s.agency_id: s for s in snapshots(region, quarter)}
        created = updated = 0
        for values in figures:
            snap = existing.get(values["agency_id"])
            if snap is None:
                snap = QuarterSnapshot(year=quarter.year, quarter=quarter.q, **values)
                db.session.add(snap)
                created += 1
            elif current:
                for key, value in values.items():
                    setattr(snap, key, value)
                updated += 1
            else:
                continue
            snap.taken_at = now
        db.session.flush()
    return {"created": created, "updated": updated}


def ensure_snapshot(region: Region, quarter: Quarter) -> list[QuarterSnapshot]:
    """The quarter's snapshots, taking them first when the quarter has none."""
    snaps = snapshots(region, quarter)
    if not snaps:
        take_snapshot(region, quarter)
        snaps = snapshots(region, quarter)
    return snaps


def set_assessment(
    region: Region, quarter: Quarter, agency: Agency, user, level: str, comment: str, seen: str
) -> QuarterSnapshot:
    """The office's assessment of one agency for the quarter. ``seen``: the assessment time the
    form was shown with; a different one means someone else changed it meanwhile."""
    if not can_assess(user, region) or agency.region_id != region.id:
        raise ReportError("Оценивать может только проектный офис региона")
    level = (level or "").strip()
    if level and level not in ASSESSMENTS:
        raise ReportError("Выберите оценку: зелёный, жёлтый или красный")
    comment = (comment or "").strip()
    if len(comment) > 2000:
        raise ReportError("Комментарий длиннее 2000 знаков")
    with scoped(SYSTEM_SCOPE):
        snap = db.session.scalar(
            sa.select(QuarterSnapshot)
            .where(
                QuarterSnapshot.agency_id == agency.id,
                QuarterSnapshot.year == quarter.year,
                QuarterSnapshot.quarter == quarter.q,
            )
            .with_for_update()
        )
        if snap is None:
            raise ReportError("Сначала зафиксируйте показатели квартала")
        if (snap.assessed_at.isoformat() if snap.assessed_at else "") != (seen or ""):
            who = snap.assessed_by.name if snap.assessed_by else "другой пользователь"
            raise ReportError(
                f"Оценку уже изменил(а) {who}, пока открыта страница. "
                "Проверьте её и сохраните снова."
            )
        before = {"assessment": snap.assessment, "comment": snap.assessment_comment}
        snap.assessment = level or None
        snap.assessment_comment = comment
        snap.assessed_by_id = user.id
        snap.assessed_at = utcnow()
        db.session.flush()
        audit.record(
            "report.assessment",
            snap,
            before=before,
            after={"quarter": quarter.key, "assessment": snap.assessment, "comment": comment},
            actor=user,
        )
        # Written while the system scope holds: row-level security checks at the INSERT.
        db.session.flush()
    return snap


# --------------------------------------------------------------------------- region figures


@dataclasses.dataclass
class Totals(DigitalShare):
    """The region's indicators over the agencies' snapshots of one quarter."""

    agencies: int = 0
    approved: int = 0
    published: int = 0
    days_to_publish: list = dataclasses.field(default_factory=list)
    touchpoints: int = 0
    digital: int = 0
    areas_covered: int = 0
    areas_total: int = 0
    errors: int = 0
    errors_known: int = 0
    pending: int = 0
    #: Registry processes without touchpoints, summed over the agencies (Kuzbass 3.5).
    uncovered_processes: int = 0
    page_shown: int = 0
    page_checked: int = 0
    never_reconfirmed: int = 0
    last_reconfirmed_on: date | None = None
    assessments: dict = dataclasses.field(default_factory=lambda: dict.fromkeys(ASSESSMENTS, 0))

    @property
    def published_share(self) -> float | None:
        return share(self.published, self.agencies)

    @property
    def coverage(self) -> float | None:
        return share(self.areas_covered, self.areas_total)

    @property
    def average_days(self) -> float | None:
        d = self.days_to_publish
        return sum(d) / len(d) if d else None


def totals(snaps: list[QuarterSnapshot]) -> Totals:
    t = Totals()
    for s in snaps:
        t.agencies += 1
        t.approved += s.version_number is not None
        t.published += s.published_on is not None
        if s.days_to_publish is not None:
            t.days_to_publish.append(s.days_to_publish)
        t.touchpoints += s.touchpoints
        t.digital += s.digital
        t.areas_covered += s.areas_covered
        t.areas_total += s.areas_total
        if s.errors is not None:
            t.errors += s.errors
            t.errors_known += 1
        t.pending += s.pending
        t.uncovered_processes += s.uncovered_processes or 0
        if s.page_check is not None:
            t.page_checked += 1
            t.page_shown += s.page_check == "shown"
        if s.last_reconfirmed_on is None:
            t.never_reconfirmed += 1
        elif t.last_reconfirmed_on is None or s.last_reconfirmed_on > t.last_reconfirmed_on:
            t.last_reconfirmed_on = s.last_reconfirmed_on
        if s.assessment in t.assessments:
            t.assessments[s.assessment] += 1
    return t


def trend(region: Region, limit: int = TREND_QUARTERS) -> list[tuple[Quarter, Totals]]:
    """The region's totals for the latest quarters that have a snapshot, oldest first: one query."""
    since = today_in(region).year - limit // 4 - 1
    rows = db.session.scalars(
        sa.select(QuarterSnapshot)
        .join(Agency, Agency.id == QuarterSnapshot.agency_id)
        .where(Agency.region_id == region.id, QuarterSnapshot.year >= since)
        .order_by(QuarterSnapshot.year, QuarterSnapshot.quarter)
    ).all()
    by_quarter: dict[Quarter, list] = {}
    for s in rows:
        by_quarter.setdefault(Quarter(s.year, s.quarter), []).append(s)
    quarters = sorted(by_quarter)[-limit:]
    return [(q, totals(by_quarter[q])) for q in quarters]


def today_in(region: Region) -> date:
    return dashboard.region_today(region)
