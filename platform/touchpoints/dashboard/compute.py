"""Each agency's own figures, computed with a fixed number of grouped queries whatever the number
of agencies: the dashboard of a region of a hundred agencies costs the same round trips as one of
three. Figures come from the working list (included new entries: what the agency maintains now),
its latest approved version, area statuses and the audit trail; compliance and deadlines come
through :mod:`touchpoints.dashboard.sources`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date

import sqlalchemy as sa

from touchpoints.audit.models import AuditEvent
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency
from touchpoints.dashboard import sources
from touchpoints.dashboard.board import AgencyRow, Dashboard, assemble
from touchpoints.lists.models import (
    AreaStatus,
    ChannelKind,
    ClientKind,
    Entry,
    EntryKind,
    EntryStatus,
    ListVersion,
    version_in_force,
)

#: Audit actions that change an agency's working list (lists/services.py): an inclusion of a new
#: entry, a change or an exclusion, and an activity area marked (not) performed.
CHANGE_ACTIONS = ("entry.review.include", "area.status")
APPROVE_ACTION = "version.approve"
#: Touchpoints of a form that map to no item of the common taxonomy.
UNMAPPED = "other"


def _month(column):
    if db.engine.dialect.name == "postgresql":
        return sa.func.to_char(column, "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def latest_versions(agency_ids: list[int]):
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
    rows = {a.id: blank_row(a) for a in agencies}
    forms = {a.id: a.form or {} for a in agencies}
    if ids:
        fill_working_list(rows, forms, ids)
        _fill_statuses(rows, ids)
        _fill_versions(rows, ids)
        _fill_area_status(rows, forms, ids)
        _fill_changes(rows, ids)
        _fill_sources(rows, ids, today)
    return rows


def blank_row(agency: Agency) -> AgencyRow:
    form = agency.form or {}
    return AgencyRow.of(
        agency,
        form_name=form.get("name", agency.form_template),
        areas_total=len(form.get("activity_areas", [])),
        needs_total=len(form.get("client_needs", [])),
    )


def _working():
    return (Entry.status == EntryStatus.INCLUDED.value, Entry.kind == EntryKind.NEW.value)


def fill_working_list(rows: dict[int, AgencyRow], forms: dict, ids: list[int]) -> None:
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
        latest_versions(ids)
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


def _fill_sources(rows: dict[int, AgencyRow], ids: list[int], today: date | None) -> None:
    for agency_id, c in sources.compliance(ids).items():
        if agency_id in rows:
            rows[agency_id].errors = c.errors
            rows[agency_id].warnings = c.warnings
    for agency_id, d in sources.deadlines(ids, today).items():
        if agency_id in rows:
            rows[agency_id].publication = d.publication
            rows[agency_id].last_reminder_at = d.last_reminder_at
