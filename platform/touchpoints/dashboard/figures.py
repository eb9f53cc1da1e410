"""Per-agency dashboard figures, stored and kept up to date incrementally (issue 15, item 2).

* A change to an agency's data (entries, versions, area marks, deadlines, publications,
  reminders, the agency's form) bumps its row's ``generation`` in the same transaction
  (:func:`_track`, a flush listener, so no service can forget it) and enqueues
  ``workers.tasks.dashboard.refresh_agency`` for that agency once the transaction commits.
* The task recomputes that one agency (:func:`refresh`) and stores the figures with the
  generation it started from, so a change that lands while it runs leaves the row stale.
* The dashboard reads its region's rows (:func:`region_rows`, in the office's own scope; RLS
  lets it read its region's figures). Rows still stale are recomputed on the spot for that
  page, without being stored; rows computed on an earlier day get today's deadline figures.

Nothing of another region is ever touched by a change: the task takes one agency id.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from datetime import date, datetime
from itertools import chain

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from touchpoints.audit.models import AuditEvent
from touchpoints.core.bulk import among, insert_for
from touchpoints.core.db import SYSTEM_SCOPE, current_scope, db, scoped, utcnow
from touchpoints.core.tenancy import Agency, Region
from touchpoints.dashboard import compute, sources
from touchpoints.dashboard.board import AgencyRow
from touchpoints.dashboard.models import AgencyFigures
from touchpoints.deadlines.models import Deadline, Publication, Reconfirmation, Reminder
from touchpoints.jobs import enqueue
from touchpoints.lists.models import AreaStatus, Entry, ListVersion
from touchpoints.lists.passports import TouchpointPassport
from touchpoints.lists.processes import RegistryChange, RegistryProcess

log = logging.getLogger(__name__)

TASK = "workers.tasks.dashboard.refresh_agency"
#: The same for several agencies of one region (at most BATCH).
BATCH_TASK = "workers.tasks.dashboard.refresh_agencies"
#: Rows of these classes carry the agency whose figures they change.
TRACKED = (
    Entry,
    ListVersion,
    AreaStatus,
    Deadline,
    Publication,
    Reconfirmation,
    Reminder,
    # The registry and the passports feed the compliance check (lists.coverage).
    RegistryProcess,
    RegistryChange,
    TouchpointPassport,
)
_MARKED = "touchpoints_dashboard_marked"
#: Agencies recomputed per batch by the refresh command.
BATCH = 100


# --------------------------------------------------------------------------- (de)serialising

_DATES = ("version_date",)
_DATETIMES = ("approved_at", "last_change", "last_reminder_at")
_SETS = ("common_areas_not_performed", "common_needs")
#: Read from the agency at every view, so a renamed agency needs no recomputation.
_LIVE = ("slug", "name", "full_name", "region_id", "form_template")


def to_json(row: AgencyRow) -> dict:
    out = dataclasses.asdict(row)
    for key in (*_LIVE, "days_since_change"):
        out.pop(key, None)
    for key in _DATES + _DATETIMES:
        out[key] = out[key].isoformat() if out[key] is not None else None
    for key in _SETS:
        out[key] = sorted(out[key])
    p = row.publication
    out["publication"] = (
        None
        if p is None
        else {
            "status": p.status,
            "days": p.days,
            "due": p.due.isoformat() if p.due else None,
            "text": p.text,
        }
    )
    return out


def from_json(data: dict, agency) -> AgencyRow:
    known = {f.name for f in dataclasses.fields(AgencyRow)}
    values = {k: v for k, v in data.items() if k in known}
    for key in _DATES:
        values[key] = date.fromisoformat(values[key]) if values.get(key) else None
    for key in _DATETIMES:
        values[key] = datetime.fromisoformat(values[key]) if values.get(key) else None
    for key in _SETS:
        values[key] = set(values.get(key) or ())
    p = values.get("publication")
    values["publication"] = (
        None
        if p is None
        else sources.Publication(
            status=p["status"],
            days=p["days"],
            due=date.fromisoformat(p["due"]) if p["due"] else None,
            text=p["text"],
        )
    )
    return AgencyRow.of(
        agency,
        **{k: v for k, v in values.items() if k not in ("agency_id", *_LIVE)},
    )


# --------------------------------------------------------------------------- writing


def refresh(agency_ids: Iterable[int]) -> int:
    """Recompute and store the figures of these agencies (system scope; the caller commits).
    Idempotent; safe to run concurrently with changes and with itself."""
    ids = sorted(set(agency_ids))
    if not ids:
        return 0
    t = AgencyFigures.__table__
    # The generation each row is at before reading anything: figures computed from what we are
    # about to read include at least that change.
    started = dict(
        db.session.execute(
            sa.select(t.c.agency_id, t.c.generation).where(t.c.agency_id.in_(ids))
        ).all()
    )
    agencies = list(db.session.scalars(sa.select(Agency).where(Agency.id.in_(ids))))
    rows = compute.compute_rows(agencies, None)
    now = utcnow()
    values = [
        {
            "agency_id": a.id,
            "region_id": a.region_id,
            "generation": started.get(a.id, 0),
            "computed_generation": started.get(a.id, 0),
            "computed_at": now,
            "computed_on": now.astimezone(a.region.tz).date(),
            "data": to_json(rows[a.id]),
            "updated_at": now,
        }
        for a in agencies
    ]
    if not values:
        return 0
    stmt = insert_for(t).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.agency_id],
        set_={
            "data": stmt.excluded.data,
            "computed_generation": stmt.excluded.computed_generation,
            "computed_at": stmt.excluded.computed_at,
            "computed_on": stmt.excluded.computed_on,
            "region_id": stmt.excluded.region_id,
        },
        # An older computation finishing last must not overwrite a newer one.
        where=t.c.computed_generation <= stmt.excluded.computed_generation,
    )
    db.session.execute(stmt)
    return len(values)


def refresh_all(region_id: int | None = None, progress=None) -> int:
    """Every agency (of one region), in batches committed one by one (the CLI)."""
    query = sa.select(Agency.id).order_by(Agency.id)
    if region_id is not None:
        query = query.where(Agency.region_id == region_id)
    with scoped(SYSTEM_SCOPE):
        ids = list(db.session.scalars(query))
    done = 0
    for start in range(0, len(ids), BATCH):
        with scoped(SYSTEM_SCOPE):
            done += refresh(ids[start : start + BATCH])
            db.session.commit()
        if progress:
            progress(done, len(ids))
    return done


def mark_stale(connection: sa.Connection, agency_ids: set[int]) -> dict[int, list[int]]:
    """Bump the generation of these agencies' rows (creating them if needed), in one statement
    whatever their number; returns the agencies marked, by region."""
    if not agency_ids:
        return {}
    a, t = Agency.__table__, AgencyFigures.__table__
    now = utcnow()
    rows = sa.select(
        a.c.id, a.c.region_id, sa.literal(1), sa.literal(0), sa.literal(now, t.c.updated_at.type)
    ).where(among(a.c.id, sorted(agency_ids)))
    stmt = (
        insert_for(t)
        .from_select(
            ["agency_id", "region_id", "generation", "computed_generation", "updated_at"], rows
        )
        .on_conflict_do_update(
            index_elements=[t.c.agency_id],
            set_={"generation": t.c.generation + 1, "updated_at": now},
        )
        .returning(t.c.agency_id, t.c.region_id)
    )
    by_region: dict[int, list[int]] = {}
    for agency_id, region_id in connection.execute(stmt):
        by_region.setdefault(region_id, []).append(agency_id)
    return by_region


def _changed_agencies(session: Session) -> set[int]:
    ids: set[int] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, TRACKED):
            ids.add(obj.agency_id)
        elif isinstance(obj, AuditEvent):
            if obj.agency_id and obj.action in (*compute.CHANGE_ACTIONS, compute.APPROVE_ACTION):
                ids.add(obj.agency_id)
        elif isinstance(obj, Agency) and obj.id is not None and session.is_modified(obj):
            ids.add(obj.id)
    ids.discard(None)
    return ids


@event.listens_for(Session, "after_flush")
def _track(session: Session, flush_context) -> None:
    ids = _changed_agencies(session)
    if not ids:
        return
    scope = current_scope()
    if scope.kind == "agency":
        # RLS lets an agency write its own row only; it changes no other agency's data.
        ids &= {scope.agency_id}
    elif scope.kind != "all":
        return
    marked = session.info.setdefault(_MARKED, set())
    new = ids - marked
    if not new:
        return
    marked |= new
    changed(new, session)


def changed(agency_ids: set[int], session: Session | None = None) -> None:
    """These agencies' figures are out of date: mark them in the current transaction and
    recompute each after it commits. For writers that bypass the ORM (bulk Core statements)."""
    if not agency_ids:
        return
    session = session or db.session()
    by_region = mark_stale(session.connection(), set(agency_ids))
    if len(agency_ids) == 1:
        for ids in by_region.values():
            enqueue(TASK, ids[0])
        return
    # Many at once (the reminder scan, a restore): a task per batch of one region's agencies,
    # not 10,000 messages to the broker (5–13 s of the scan, measured).
    for region_id in sorted(by_region):
        ids = sorted(by_region[region_id])
        for start in range(0, len(ids), BATCH):
            enqueue(BATCH_TASK, ids[start : start + BATCH])


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_MARKED, None)


# --------------------------------------------------------------------------- reading


def region_rows(region: Region, today: date) -> list[AgencyRow]:
    """Every agency of the region with its figures: stored ones where current, the others
    computed now (the narrow system-scope path of the dashboard, only for those agencies)."""
    a = Agency.__table__.c
    agencies = db.session.execute(
        sa.select(a.id, a.slug, a.short_name, a.full_name, a.region_id, a.form_template).where(
            a.region_id == region.id
        )
    ).all()
    stored = {
        f.agency_id: f
        for f in db.session.scalars(
            sa.select(AgencyFigures).where(AgencyFigures.region_id == region.id)
        )
    }
    rows, stale, old_day = [], [], []
    for agency in agencies:
        f = stored.get(agency.id)
        if f is None or f.data is None or f.computed_generation < f.generation:
            stale.append(agency.id)
            continue
        row = from_json(f.data, agency)
        rows.append(row)
        if f.computed_on != today:
            old_day.append(row)
    if stale:
        log.info("dashboard: %s agencies of region %s computed on the spot", len(stale), region.id)
        with scoped(SYSTEM_SCOPE):
            fresh = list(db.session.scalars(sa.select(Agency).where(Agency.id.in_(stale))))
            rows.extend(compute.compute_rows(fresh, today).values())
    if old_day:
        # Deadlines count working days from today: only they are recomputed, for all at once.
        with scoped(SYSTEM_SCOPE):
            summaries = sources.deadlines([r.agency_id for r in old_day], today)
        for row in old_day:
            d = summaries.get(row.agency_id)
            if d is not None:
                row.publication = d.publication
                row.last_reminder_at = d.last_reminder_at
    return rows
