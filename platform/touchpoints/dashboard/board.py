"""The region's board: each agency's figures as one row, the headline and the timeline over them.

Rows are computed by :mod:`touchpoints.dashboard.compute` and kept by
:mod:`touchpoints.dashboard.figures`; this module only assembles a board from them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import yaml
from flask import current_app

from touchpoints.dashboard import sources
from touchpoints.lists.models import DigitalShare

#: Views derived from one board kept at once (see Dashboard.memo).
MEMO_SIZE = 24


# --------------------------------------------------------------------------- catalogue


@functools.lru_cache(maxsize=4)
def _read_catalogue(path: str, mtime: float) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def catalogue() -> dict:
    """The common catalogue every form maps to (tenants/forms/_catalogue.yaml)."""
    path = Path(current_app.config["TENANTS_DIR"]) / "forms" / "_catalogue.yaml"
    try:
        data = _read_catalogue(str(path), path.stat().st_mtime)
    except OSError:
        current_app.logger.warning("common catalogue %s is missing", path)
        data = {}
    return {
        "activity_areas": data.get("activity_areas", []),
        "client_needs": data.get("client_needs", []),
        "taxonomy": data.get("taxonomy", []),
    }


# --------------------------------------------------------------------------- rows


@dataclasses.dataclass
class AgencyRow(DigitalShare):
    agency_id: int
    slug: str
    name: str
    full_name: str
    region_id: int
    form_template: str
    form_name: str
    version_number: int | None = None
    version_date: date | None = None
    approved_at: datetime | None = None
    version_entries: int | None = None
    publication: sources.Publication | None = None
    touchpoints: int = 0
    external: int = 0
    internal: int = 0
    digital: int = 0
    areas_total: int = 0
    areas_covered: int = 0
    areas_not_performed: int = 0
    needs_total: int = 0
    needs_covered: int = 0
    errors: int | None = None
    warnings: int | None = None
    pending: int = 0
    returned: int = 0
    drafts: int = 0
    last_change: datetime | None = None
    days_since_change: int | None = None
    last_reminder_at: datetime | None = None
    #: Working entries per common activity area code.
    common_areas: dict = dataclasses.field(default_factory=dict)
    #: Common activity areas all of whose form areas are marked as not performed.
    common_areas_not_performed: set = dataclasses.field(default_factory=set)
    #: Working entries per common taxonomy code.
    taxonomy: dict = dataclasses.field(default_factory=dict)
    #: Common client need codes named in the working list.
    common_needs: set = dataclasses.field(default_factory=set)
    #: {"YYYY-MM": [changes, approvals]} of this agency; the region's timeline sums them.
    months: dict = dataclasses.field(default_factory=dict)

    @classmethod
    def of(cls, agency, **figures) -> AgencyRow:
        """The row of ``agency``: its names and form as they are now, with ``figures``."""
        return cls(
            agency_id=agency.id,
            slug=agency.slug,
            name=agency.short_name,
            full_name=agency.full_name,
            region_id=agency.region_id,
            form_template=agency.form_template,
            **figures,
        )

    @property
    def offline(self) -> int:
        return self.touchpoints - self.digital

    @property
    def has_version(self) -> bool:
        return self.version_number is not None

    @property
    def publication_status(self) -> str:
        return self.publication.status if self.publication else "unknown"


@dataclasses.dataclass
class Headline:
    agencies: int
    approved: int
    on_time: int | None
    overdue: int | None
    due: int | None
    touchpoints: int
    digital: int
    average_digital_share: float | None


@dataclasses.dataclass
class Dashboard:
    rows: list[AgencyRow]
    headline: Headline
    #: [(month "YYYY-MM", changes, approvals)], oldest first.
    timeline: list[tuple[str, int, int]]
    catalogue: dict
    today: date
    #: What is derived from these figures alone (filtered rows, rendered views), see memo().
    _memo: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def memo(self, key, compute):
        """``compute()`` once per board and key. Safe because a board never changes: when the
        data does, region_dashboard() builds a new board and everything derived goes with the
        old one. Bounded, oldest first out, since every filter and sort makes its own key."""
        found = self._memo.get(key)
        if found is None:
            found = compute()
            while len(self._memo) >= MEMO_SIZE:
                try:
                    del self._memo[next(iter(self._memo))]
                except (KeyError, RuntimeError, StopIteration):  # another thread got there
                    break
            self._memo[key] = found
        return found

    def used_taxonomy(self) -> list[dict]:
        """Taxonomy items used by at least one agency, in catalogue order."""
        used = {code for r in self.rows for code in r.taxonomy}
        return [t for t in self.catalogue["taxonomy"] if t["code"] in used]


def assemble(rows: list[AgencyRow], today: date) -> Dashboard:
    """A board from agencies' figures, computed now or read from storage."""
    for row in rows:
        if row.last_change is not None:
            row.days_since_change = max(0, (today - row.last_change.date()).days)
    ordered = sorted(rows, key=lambda r: (r.name.lower(), r.agency_id))
    return Dashboard(
        rows=ordered,
        headline=_headline(ordered),
        timeline=_timeline(ordered),
        catalogue=catalogue(),
        today=today,
    )


def _timeline(rows: list[AgencyRow]) -> list[tuple[str, int, int]]:
    changes: Counter = Counter()
    approvals: Counter = Counter()
    for row in rows:
        for m, (c, a) in row.months.items():
            changes[m] += c
            approvals[m] += a
    months = sorted(m for m in set(changes) | set(approvals) if changes[m] or approvals[m])
    return [(m, changes.get(m, 0), approvals.get(m, 0)) for m in _continuous(months)]


def _continuous(months: list[str]) -> list[str]:
    """Fill the gaps between the first and the last month, so that quiet months show as zero."""
    if not months:
        return []
    y, m = map(int, months[0].split("-"))
    end = tuple(map(int, months[-1].split("-")))
    out = []
    while (y, m) <= end and len(out) < 240:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _headline(rows: list[AgencyRow]) -> Headline:
    known = [r for r in rows if r.publication is not None]
    shares = [r.digital_share for r in rows if r.digital_share is not None]
    return Headline(
        agencies=len(rows),
        approved=sum(1 for r in rows if r.has_version),
        on_time=sum(1 for r in known if r.publication.status == "on_time") if known else None,
        overdue=sum(1 for r in known if r.publication.status == "overdue") if known else None,
        due=sum(1 for r in known if r.publication.status == "due") if known else None,
        touchpoints=sum(r.touchpoints for r in rows),
        digital=sum(r.digital for r in rows),
        average_digital_share=sum(shares) / len(shares) if shares else None,
    )
