"""The region's shared touchpoints, kept by its project office (docs/registry.md). Services
flush; the view commits."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from touchpoints.audit import service as audit
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped, utcnow
from touchpoints.core.tenancy import Agency, Region
from touchpoints.lists.models import WORKING, Entry, EntryKind
from touchpoints.lists.passports import SharedTouchpoint, shared_usage
from touchpoints.lists.processes import normalized
from touchpoints.registry.services import RegistryError


def can_manage(user, region_id: int) -> bool:
    """The region's project office and the operator keep its shared touchpoints."""
    role = user.role_enum
    return role is Role.ADMIN or (role is Role.OFFICE and user.region_id == region_id)


def _clean(region_id: int, data: dict, own_id: int | None = None) -> dict:
    name = " ".join(str(data.get("name") or "").split())
    if not name:
        raise RegistryError("Укажите наименование общей точки")
    kind = data.get("channel_kind")
    if kind not in ("digital", "offline"):
        raise RegistryError("Укажите, цифровая это точка или офлайн-точка")
    for other in SharedTouchpoint.of_region(region_id):
        if other.id != own_id and normalized(other.name) == normalized(name):
            raise RegistryError(f"«{other.name}» уже есть среди общих точек региона")
    return {
        "name": name,
        "channel_kind": kind,
        "description": (data.get("description") or "").strip(),
    }


def create(region: Region, user, data: dict) -> SharedTouchpoint:
    if not can_manage(user, region.id):
        raise RegistryError("Общие точки региона ведёт его проектный офис")
    item = SharedTouchpoint(region_id=region.id, **_clean(region.id, data))
    db.session.add(item)
    db.session.flush()
    _audit("shared.create", item, user, after=_clean(region.id, data, item.id))
    return item


def update(item: SharedTouchpoint, user, data: dict, *, archived: bool | None = None) -> None:
    if not can_manage(user, item.region_id):
        raise RegistryError("Общие точки региона ведёт его проектный офис")
    values = _clean(item.region_id, data, item.id)
    before = {"name": item.name, "channel_kind": item.channel_kind, "description": item.description}
    for key, value in values.items():
        setattr(item, key, value)
    if archived is not None:
        before["archived"] = item.archived_at is not None
        values["archived"] = archived
        item.archived_at = (item.archived_at or utcnow()) if archived else None
    item.updated_at = utcnow()
    db.session.flush()
    b, a = audit.changes(before, values)
    if b:
        _audit("shared.update", item, user, before=b, after=a)


def _audit(action: str, item: SharedTouchpoint, user, **values) -> None:
    """The trail of a region-level row has no agency: only the system scope writes such events
    (as the quarterly assessments do), after the caller's own right was checked."""
    with scoped(SYSTEM_SCOPE):
        audit.record(action, item, actor=user, **values)
        db.session.flush()


@dataclasses.dataclass
class Use:
    agency: Agency
    rows: int


def usage(item: SharedTouchpoint) -> list[Use]:
    """The agencies whose working lists use the shared touchpoint, with how many rows."""
    counts = shared_usage(item.id)
    if not counts:
        return []
    agencies = db.session.scalars(
        sa.select(Agency).where(Agency.id.in_(counts), Agency.region_id == item.region_id)
    )
    return sorted(
        (Use(a, counts[a.id]) for a in agencies), key=lambda u: u.agency.short_name.casefold()
    )


def usage_counts(region_id: int) -> dict[int, int]:
    """Shared touchpoint id -> how many agencies' working lists use it, in one query."""
    q = (
        sa.select(Entry.shared_touchpoint_id, sa.func.count(sa.distinct(Entry.agency_id)))
        .join(SharedTouchpoint, SharedTouchpoint.id == Entry.shared_touchpoint_id)
        .where(SharedTouchpoint.region_id == region_id, Entry.status.in_(WORKING))
        .where(Entry.kind == EntryKind.NEW.value)
        .group_by(Entry.shared_touchpoint_id)
    )
    return dict(db.session.execute(q).all())
