"""Shared helpers of the tests of the list (tests/test_lists_*.py)."""

from __future__ import annotations

import contextlib

import sqlalchemy as sa

from touchpoints.auth.models import User
from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, scoped
from touchpoints.core.tenancy import Agency, Subdivision
from touchpoints.lists import approval, services
from touchpoints.lists.models import AreaStatus, Entry


def agency_id_of(app, slug: str) -> int:
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return db.session.scalar(sa.select(Agency.id).where(Agency.slug == slug))


def subdivision_ids(app, agency_id: int) -> list[int]:
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return list(
            db.session.scalars(
                sa.select(Subdivision.id)
                .where(Subdivision.agency_id == agency_id)
                .order_by(Subdivision.id)
            )
        )


@contextlib.contextmanager
def in_agency(app, agency_id: int):
    with app.app_context(), scoped(agency_scope(agency_id)):
        yield db.session.get(Agency, agency_id)


def data(form: dict, area=None, process="Процесс", code=None, needs=("info",), **extra) -> dict:
    """Entry data for the services, from the first catalogue items of the agency's form."""
    area = area or form["activity_areas"][0]["code"]
    item = next(t for t in form["touchpoints"] if t["code"] == code) if code else None
    out = {
        "activity_area": area,
        "process_name": process,
        "touchpoint_code": code,
        "touchpoint": item["name"] if item else extra.pop("touchpoint", "Своя точка"),
        "channel_kind": item["channel_kind"] if item else extra.pop("channel_kind", "digital"),
        "client_kind": "external",
        "client_needs": list(needs),
        "interaction": "Взаимодействие",
        "specifics": "",
    }
    out.update(extra)
    return out


def add_included(app, agency_id: int, user_id: int, rows: list[dict]) -> list[int]:
    """Entries straight into the working list (the demo loader's way), ids back."""
    ids = []
    with in_agency(app, agency_id) as agency:
        user = db.session.get(User, user_id)
        for row in rows:
            entry = services.create_entry(agency, user, row)
            entry.status = "included"
            entry.submitted_by_id = user.id
            ids.append(entry)
        db.session.commit()
        return [e.id for e in ids]


def entry_state(app, agency_id: int, entry_id: int) -> dict:
    with in_agency(app, agency_id):
        e = db.session.get(Entry, entry_id)
        return {**services.values_of(e), "status": e.status, "revision": e.revision}


def form_post(form_def: dict, **values) -> dict:
    """What the entry form posts, from service-style values."""
    post = {
        "activity_area": values.get("activity_area", form_def["activity_areas"][0]["code"]),
        "process_name": values.get("process_name", ""),
        "touchpoint_code": values.get("touchpoint_code") or "",
        "touchpoint": values.get("touchpoint", ""),
        "channel_kind": values.get("channel_kind", "digital"),
        "client_kind": values.get("client_kind", "external"),
        "client_needs": list(values.get("client_needs", ["info"])),
        "interaction": values.get("interaction", ""),
        "specifics": values.get("specifics", ""),
        "organisation": values.get("organisation", ""),
        "action": values.get("action", "draft"),
    }
    for key in ("revision", "subdivision_id", "max_transfers", "waiting_minutes"):
        if values.get(key) is not None:
            post[key] = str(values[key])
    return post


def mark_empty_areas(agency) -> list[str]:
    """Mark the activity areas without entries as not performed (Kuzbass 3.5, Murmansk 2.3), as
    a registrar does before approval: fixtures' lists cover one or two areas. Flushes."""
    covered = {e.activity_area for e in Entry.working(agency.id)}
    marked = set(AreaStatus.codes_not_performed(agency.id))
    codes = [
        a["code"]
        for a in agency.form["activity_areas"]
        if a["code"] not in covered and a["code"] not in marked
    ]
    for code in codes:
        services.set_area_not_performed(agency, code, True, "Не осуществляется (тест)")
    return codes


def approve_list(agency, user, **order):
    """A fixture's approval: through the one service call, after marking the empty areas."""
    mark_empty_areas(agency)
    return approval.approve_version(agency, user, **order)
