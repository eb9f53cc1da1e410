"""Cross-agency figures for the project office (README, what people do with it; issue 6).

Everything is computed with a fixed number of grouped queries, whatever the number of agencies:
the dashboard of a region of a hundred agencies costs the same round trips as one of three.
Figures come from the working list (included new entries: what the agency maintains now), its
latest approved version, area statuses and the audit trail; compliance and deadlines come
through :mod:`touchpoints.dashboard.sources`.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections import Counter, defaultdict
from datetime import date, datetime
from pathlib import Path

import sqlalchemy as sa
import yaml
from flask import current_app

from touchpoints.audit.models import AuditEvent
from touchpoints.core.db import Scope, db, scoped
from touchpoints.core.tenancy import Agency, Region
from touchpoints.dashboard import sources
from touchpoints.lists.models import (
    AreaStatus,
    ChannelKind,
    ClientKind,
    Entry,
    EntryKind,
    EntryStatus,
    ListVersion,
    VersionEntry,
    version_in_force,
)

#: Audit actions that change an agency's working list (lists/services.py): an inclusion of a new
#: entry, a change or an exclusion, and an activity area marked (not) performed.
CHANGE_ACTIONS = ("entry.review.include", "area.status")
APPROVE_ACTION = "version.approve"
#: A channel counts as "most peers have it" from this share of peer agencies up.
PEER_MAJORITY = 0.5
UNMAPPED = "other"
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
class AgencyRow:
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

    @property
    def offline(self) -> int:
        return self.touchpoints - self.digital

    @property
    def digital_share(self) -> float | None:
        return self.digital / self.touchpoints if self.touchpoints else None

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


def _month(column):
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def _latest_versions(agency_ids: list[int]):
    latest = (
        sa.select(ListVersion.agency_id, sa.func.max(ListVersion.number).label("number"))
        .where(ListVersion.agency_id.in_(agency_ids), version_in_force())
        .group_by(ListVersion.agency_id)
        .subquery()
    )
    return sa.select(
        ListVersion.id,
        ListVersion.agency_id,
        ListVersion.number,
        ListVersion.order_date,
        ListVersion.approved_at,
        ListVersion.entry_count,
    ).join(
        latest,
        sa.and_(ListVersion.agency_id == latest.c.agency_id, ListVersion.number == latest.c.number),
    )


def build(agencies: list[Agency], today: date) -> Dashboard:
    """The figures of the given agencies (all of one region, or any set for the operator)."""
    return assemble(list(compute_rows(agencies, today).values()), today)


def compute_rows(agencies: list[Agency], today: date | None) -> dict[int, AgencyRow]:
    """Each agency's own figures, with a fixed number of grouped queries for any number of
    agencies. ``today`` None: each agency's local day (deadlines); what depends on the day
    the board is shown (days since the last change) is left to :func:`assemble`."""
    ids = [a.id for a in agencies]
    rows = {a.id: _blank_row(a) for a in agencies}
    forms = {a.id: a.form or {} for a in agencies}
    if ids:
        _fill_working_list(rows, forms, ids)
        _fill_statuses(rows, ids)
        _fill_versions(rows, ids)
        _fill_area_status(rows, forms, ids)
        _fill_changes(rows, ids)
        _fill_sources(rows, ids, today)
    return rows


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


def _blank_row(agency: Agency) -> AgencyRow:
    form = agency.form or {}
    return AgencyRow(
        agency_id=agency.id,
        slug=agency.slug,
        name=agency.short_name,
        full_name=agency.full_name,
        region_id=agency.region_id,
        form_template=agency.form_template,
        form_name=form.get("name", agency.form_template),
        areas_total=len(form.get("activity_areas", [])),
        needs_total=len(form.get("client_needs", [])),
    )


def _working():
    return (Entry.status == EntryStatus.INCLUDED.value, Entry.kind == EntryKind.NEW.value)


def _fill_working_list(rows: dict[int, AgencyRow], forms: dict, ids: list[int]) -> None:
    area_common = {
        aid: {a["code"]: a.get("common", a["code"]) for a in f.get("activity_areas", [])}
        for aid, f in forms.items()
    }
    by_area = db.session.execute(
        sa.select(
            Entry.agency_id,
            Entry.activity_area,
            Entry.channel_kind,
            Entry.client_kind,
            sa.func.count(),
        )
        .where(Entry.agency_id.in_(ids), *_working())
        .group_by(Entry.agency_id, Entry.activity_area, Entry.channel_kind, Entry.client_kind)
    ).all()
    covered: dict[int, set] = defaultdict(set)
    for agency_id, area, channel, client, n in by_area:
        row = rows[agency_id]
        row.touchpoints += n
        if channel == ChannelKind.DIGITAL.value:
            row.digital += n
        if client == ClientKind.INTERNAL.value:
            row.internal += n
        else:
            row.external += n
        if area in area_common[agency_id]:
            covered[agency_id].add(area)
            common = area_common[agency_id][area]
            row.common_areas[common] = row.common_areas.get(common, 0) + n
    for agency_id, areas in covered.items():
        rows[agency_id].areas_covered = len(areas)

    taxonomy = {
        aid: {t["code"]: t.get("taxonomy", UNMAPPED) for t in f.get("touchpoints", [])}
        for aid, f in forms.items()
    }
    by_touchpoint = db.session.execute(
        sa.select(Entry.agency_id, Entry.touchpoint_code, sa.func.count())
        .where(Entry.agency_id.in_(ids), *_working())
        .group_by(Entry.agency_id, Entry.touchpoint_code)
    ).all()
    for agency_id, code, n in by_touchpoint:
        tax = taxonomy[agency_id].get(code or "", UNMAPPED)
        row = rows[agency_id]
        row.taxonomy[tax] = row.taxonomy.get(tax, 0) + n

    need_common = {
        aid: {n["code"]: n.get("common", n["code"]) for n in f.get("client_needs", [])}
        for aid, f in forms.items()
    }
    # JSON has no equality in PostgreSQL: group by its text, there are few distinct sets.
    needs_text = sa.cast(Entry.client_needs, sa.Text)
    by_needs = db.session.execute(
        sa.select(Entry.agency_id, needs_text)
        .where(Entry.agency_id.in_(ids), *_working())
        .group_by(Entry.agency_id, needs_text)
    ).all()
    own_needs: dict[int, set] = defaultdict(set)
    for agency_id, text in by_needs:
        try:
            codes = json.loads(text) if text else []
        except ValueError:
            continue
        for code in codes if isinstance(codes, list) else []:
            if code in need_common[agency_id]:
                own_needs[agency_id].add(code)
                rows[agency_id].common_needs.add(need_common[agency_id][code])
    for agency_id, codes in own_needs.items():
        rows[agency_id].needs_covered = len(codes)


def _fill_statuses(rows: dict[int, AgencyRow], ids: list[int]) -> None:
    counts = db.session.execute(
        sa.select(Entry.agency_id, Entry.status, sa.func.count())
        .where(
            Entry.agency_id.in_(ids),
            Entry.status.in_(
                (EntryStatus.SUBMITTED.value, EntryStatus.RETURNED.value, EntryStatus.DRAFT.value)
            ),
        )
        .group_by(Entry.agency_id, Entry.status)
    ).all()
    for agency_id, status, n in counts:
        row = rows[agency_id]
        if status == EntryStatus.SUBMITTED.value:
            row.pending = n
        elif status == EntryStatus.RETURNED.value:
            row.returned = n
        else:
            row.drafts = n


def _fill_versions(rows: dict[int, AgencyRow], ids: list[int]) -> None:
    for _id, agency_id, number, order_date, approved_at, count in db.session.execute(
        _latest_versions(ids)
    ):
        row = rows[agency_id]
        row.version_number = number
        row.version_date = order_date
        row.approved_at = approved_at
        row.version_entries = count


def _fill_area_status(rows: dict[int, AgencyRow], forms: dict, ids: list[int]) -> None:
    not_performed: dict[int, set] = defaultdict(set)
    for agency_id, code in db.session.execute(
        sa.select(AreaStatus.agency_id, AreaStatus.area_code).where(
            AreaStatus.agency_id.in_(ids), AreaStatus.not_performed
        )
    ):
        not_performed[agency_id].add(code)
    for agency_id, codes in not_performed.items():
        areas = forms[agency_id].get("activity_areas", [])
        known = {a["code"] for a in areas}
        row = rows[agency_id]
        row.areas_not_performed = len(codes & known)
        by_common: dict[str, list] = defaultdict(list)
        for a in areas:
            by_common[a.get("common", a["code"])].append(a["code"])
        row.common_areas_not_performed = {
            common for common, codes_ in by_common.items() if set(codes_) <= codes
        }


def _fill_changes(rows: dict[int, AgencyRow], ids: list[int]) -> None:
    """Last change and monthly changes and approvals of each agency."""
    month = _month(AuditEvent.at)
    changes = db.session.execute(
        sa.select(AuditEvent.agency_id, month, sa.func.count(), sa.func.max(AuditEvent.at))
        .where(AuditEvent.agency_id.in_(ids), AuditEvent.action.in_(CHANGE_ACTIONS))
        .group_by(AuditEvent.agency_id, month)
    ).all()
    for agency_id, m, n, last in changes:
        row = rows[agency_id]
        row.months.setdefault(m, [0, 0])[0] += n
        if last is not None and (row.last_change is None or last > row.last_change):
            row.last_change = last
    vmonth = _month(ListVersion.approved_at)
    for agency_id, m, n in db.session.execute(
        sa.select(ListVersion.agency_id, vmonth, sa.func.count())
        .where(ListVersion.agency_id.in_(ids))
        .group_by(ListVersion.agency_id, vmonth)
    ):
        rows[agency_id].months.setdefault(m, [0, 0])[1] += n
    for row in rows.values():
        if row.approved_at and (row.last_change is None or row.approved_at > row.last_change):
            row.last_change = row.approved_at


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


def _fill_sources(rows: dict[int, AgencyRow], ids: list[int], today: date | None) -> None:
    for agency_id, c in sources.compliance(ids).items():
        if agency_id in rows:
            rows[agency_id].errors = c.errors
            rows[agency_id].warnings = c.warnings
    for agency_id, d in sources.deadlines(ids, today).items():
        if agency_id in rows:
            rows[agency_id].publication = d.publication
            rows[agency_id].last_reminder_at = d.last_reminder_at


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


def region_agencies(region_id: int) -> list[Agency]:
    return list(
        db.session.scalars(
            sa.select(Agency).where(Agency.region_id == region_id).order_by(Agency.short_name)
        )
    )


def region_today(region: Region) -> date:
    from touchpoints.core.db import utcnow

    return utcnow().astimezone(region.tz).date()


def region_dashboard(region: Region) -> Dashboard:
    """The region's board from its agencies' stored figures (dashboard/figures.py)."""
    from touchpoints.dashboard import figures

    today = region_today(region)
    return assemble(figures.region_rows(region, today), today)


# --------------------------------------------------------------------------- filter and sort

SORT_KEYS = {
    "name": lambda r: r.name.lower(),
    "version": lambda r: r.version_number,
    "version_date": lambda r: r.version_date,
    "publication": lambda r: _publication_rank(r),
    "touchpoints": lambda r: r.touchpoints,
    "digital": lambda r: r.digital_share,
    "areas": lambda r: (r.areas_covered / r.areas_total) if r.areas_total else None,
    "needs": lambda r: (r.needs_covered / r.needs_total) if r.needs_total else None,
    "errors": lambda r: r.errors,
    "warnings": lambda r: r.warnings,
    "pending": lambda r: r.pending,
    "days": lambda r: r.days_since_change,
    "reminder": lambda r: r.last_reminder_at,
}
PUBLICATION_FILTERS = {
    "on_time": "размещено в срок",
    "due": "срок идёт",
    "overdue": "просрочено",
    "none": "нечего размещать",
    "unknown": "нет данных",
}


def _publication_rank(row: AgencyRow):
    """Overdue first when sorted descending: the larger, the worse."""
    p = row.publication
    if p is None:
        return None
    if p.status == "overdue":
        return 1000 + (p.days or 0)
    if p.status == "due":
        return 500 - (p.days or 0)
    return 0 if p.status == "on_time" else -1


@dataclasses.dataclass
class Filters:
    q: str = ""
    publication: str = ""
    approved: str = ""
    form: str = ""
    problems: str = ""
    sort: str = "name"
    desc: bool = False

    @classmethod
    def from_args(cls, args) -> Filters:
        sort = args.get("sort", "name")
        return cls(
            q=(args.get("q") or "").strip()[:100],
            publication=args.get("publication", "")
            if args.get("publication") in PUBLICATION_FILTERS
            else "",
            approved=args.get("approved", "") if args.get("approved") in ("yes", "no") else "",
            form=(args.get("form") or "").strip()[:64],
            problems=args.get("problems", "")
            if args.get("problems") in ("errors", "pending", "stale")
            else "",
            sort=sort if sort in SORT_KEYS else "name",
            desc=args.get("dir") == "desc",
        )

    def as_args(self, **changes) -> dict:
        out = {
            "q": self.q,
            "publication": self.publication,
            "approved": self.approved,
            "form": self.form,
            "problems": self.problems,
            "sort": self.sort,
            "dir": "desc" if self.desc else "",
        }
        out.update(changes)
        return {k: v for k, v in out.items() if v}

    @property
    def active(self) -> bool:
        return bool(self.q or self.publication or self.approved or self.form or self.problems)

    @property
    def key(self) -> tuple:
        return dataclasses.astuple(self)


#: Days without a change after which an agency counts as stale in the filter.
STALE_DAYS = 90


def apply(rows: list[AgencyRow], f: Filters) -> list[AgencyRow]:
    out = rows
    if f.q:
        needle = f.q.lower()
        out = [r for r in out if needle in r.name.lower() or needle in r.full_name.lower()]
    if f.publication:
        out = [r for r in out if r.publication_status == f.publication]
    if f.approved == "yes":
        out = [r for r in out if r.has_version]
    elif f.approved == "no":
        out = [r for r in out if not r.has_version]
    if f.form:
        out = [r for r in out if r.form_template == f.form]
    if f.problems == "errors":
        out = [r for r in out if (r.errors or 0) > 0]
    elif f.problems == "pending":
        out = [r for r in out if r.pending > 0]
    elif f.problems == "stale":
        out = [r for r in out if r.days_since_change is None or r.days_since_change >= STALE_DAYS]
    key = SORT_KEYS[f.sort]
    present = [r for r in out if key(r) is not None]
    missing = [r for r in out if key(r) is None]
    present.sort(key=lambda r: (key(r), r.name.lower()), reverse=f.desc)
    # Rows without the figure go last either way: "no data" is not the smallest value.
    return present + missing


# --------------------------------------------------------------------------- peers


@dataclasses.dataclass
class PeerChannel:
    code: str
    name: str
    channel_kind: str
    peers_using: int
    peers_total: int
    own_entries: int

    @property
    def share(self) -> float:
        return self.peers_using / self.peers_total if self.peers_total else 0.0

    @property
    def missing(self) -> bool:
        return self.own_entries == 0 and self.share >= PEER_MAJORITY and self.peers_using > 0


def peer_channels(agency: Agency) -> tuple[list[PeerChannel], int]:
    """Channels of the common taxonomy: how many peer agencies of the region list each, and
    whether this agency does. Peers are read from their latest approved versions only, which
    are public (the "public" scope), so no draft of another agency is ever read."""
    row = _blank_row(agency)
    _fill_working_list({agency.id: row}, {agency.id: agency.form or {}}, [agency.id])
    own = row.taxonomy
    # Other agencies' rows are outside an agency's own scope; their names and forms are public.
    with scoped(Scope("public")):
        peers = list(
            db.session.scalars(
                sa.select(Agency).where(
                    Agency.region_id == agency.region_id, Agency.id != agency.id
                )
            )
        )
    peer_ids = [a.id for a in peers]
    used: dict[int, set] = defaultdict(set)
    with_version: set[int] = set()
    if peer_ids:
        forms = {
            a.id: {t["code"]: t.get("taxonomy", UNMAPPED) for t in a.form.get("touchpoints", [])}
            for a in peers
        }
        with scoped(Scope("public")):
            latest = _latest_versions(peer_ids).subquery()
            for agency_id, code in db.session.execute(
                sa.select(VersionEntry.agency_id, VersionEntry.touchpoint_code)
                .join(latest, VersionEntry.version_id == latest.c.id)
                .group_by(VersionEntry.agency_id, VersionEntry.touchpoint_code)
            ):
                with_version.add(agency_id)
                used[agency_id].add(forms[agency_id].get(code or "", UNMAPPED))
    total = len(with_version)
    counts = Counter(code for codes in used.values() for code in codes)
    out = [
        PeerChannel(
            code=t["code"],
            name=t["name"],
            channel_kind=t.get("channel_kind", ""),
            peers_using=counts.get(t["code"], 0),
            peers_total=total,
            own_entries=own.get(t["code"], 0),
        )
        for t in catalogue()["taxonomy"]
    ]
    out.sort(key=lambda c: (-c.peers_using, c.name))
    return out, total


# --------------------------------------------------------------------------- regions


@dataclasses.dataclass
class RegionSummary:
    region: Region
    headline: Headline
    errors: int | None
    pending: int
    stale: int


def region_summaries() -> list[RegionSummary]:
    """One line per region for the operator; a fixed number of queries per region."""
    out = []
    for region in db.session.scalars(sa.select(Region).order_by(Region.name)):
        board = region_dashboard(region)
        errors = [r.errors for r in board.rows if r.errors is not None]
        out.append(
            RegionSummary(
                region=region,
                headline=board.headline,
                errors=sum(errors) if errors else None,
                pending=sum(r.pending for r in board.rows),
                stale=sum(
                    1
                    for r in board.rows
                    if r.days_since_change is None or r.days_since_change >= STALE_DAYS
                ),
            )
        )
    return out
