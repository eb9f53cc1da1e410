"""Touchpoint passports (Murmansk 2.4-2.5, 2.10.3-2.10.4; Kuzbass 3.6, 3.8 подп. 3-4): which
touchpoints an agency has, and saving what is known of each. Services flush; the view commits."""

from __future__ import annotations

import dataclasses
from datetime import date

import sqlalchemy as sa

from touchpoints.audit import service as audit
from touchpoints.core.db import db, utcnow
from touchpoints.core.tenancy import Agency
from touchpoints.lists.models import Entry
from touchpoints.lists.passports import (
    BASIS_KINDS,
    CLIENT_GROUPS,
    FEEDBACK_KINDS,
    MEASURED_NORMS,
    TouchpointPassport,
    touchpoint_key,
)
from touchpoints.registry.services import RegistryError, require_keeper


@dataclasses.dataclass
class Touchpoint:
    """A touchpoint of the agency: as its working list uses it, and its passport if any."""

    key: str
    name: str
    channel_kind: str
    rows: int = 0
    passport: TouchpointPassport | None = None


def touchpoints_of(agency: Agency) -> list[Touchpoint]:
    """Every touchpoint the working list uses, and every one with a passport, by name."""
    rows = db.session.execute(
        sa.select(
            Entry.touchpoint_code,
            Entry.shared_touchpoint_id,
            Entry.touchpoint,
            Entry.channel_kind,
        ).where(*Entry.in_working_list(agency.id))
    ).all()
    out: dict[str, Touchpoint] = {}
    for code, shared_id, name, kind in rows:
        key = touchpoint_key(code, shared_id, name)
        item = out.setdefault(key, Touchpoint(key, (name or "").strip() or "—", kind))
        item.rows += 1
    for passport in TouchpointPassport.of_agency(agency.id):
        item = out.setdefault(
            passport.touchpoint_key,
            Touchpoint(passport.touchpoint_key, passport.touchpoint_name, ""),
        )
        item.passport = passport
    return sorted(out.values(), key=lambda t: (t.name.casefold(), t.key))


def open_passport(agency: Agency, user, key: str) -> TouchpointPassport:
    """The passport of one of the agency's touchpoints, made empty the first time."""
    require_keeper(agency, user)
    found = TouchpointPassport.by_key(agency.id, key)
    if found is not None:
        return found
    known = {t.key: t for t in touchpoints_of(agency)}
    if key not in known:
        raise RegistryError("Такой точки взаимодействия нет в перечне организации")
    passport = TouchpointPassport(
        agency_id=agency.id, touchpoint_key=key, touchpoint_name=known[key].name
    )
    db.session.add(passport)
    db.session.flush()
    return passport


def _values(p: TouchpointPassport) -> dict:
    return {
        "basis_kind": p.basis_kind,
        "basis_title": p.basis_title,
        "basis_url": p.basis_url,
        "accessibility": dict(p.accessibility or {}),
        "feedback": list(p.feedback or []),
        "feedback_note": p.feedback_note,
        **{field: getattr(p, field) for field in MEASURED_NORMS},
        "measured_on": p.measured_on.isoformat() if p.measured_on else None,
    }


def save_passport(passport: TouchpointPassport, user, data: dict, today: date) -> None:
    """Store a passport's details after checking them; the message says what is wrong."""
    agency = db.session.get(Agency, passport.agency_id)
    require_keeper(agency, user)
    kind = data.get("basis_kind") or ""
    if kind and kind not in BASIS_KINDS:
        raise RegistryError("Выберите вид правового основания")
    url = (data.get("basis_url") or "").strip()
    if url and not url.startswith(("https://", "http://")):
        raise RegistryError("Ссылка на документ начинается с https:// или http://")
    feedback = [k for k in data.get("feedback") or [] if k in FEEDBACK_KINDS]
    measured = {field: data.get(field) for field in MEASURED_NORMS}
    measured_on = data.get("measured_on")
    if any(v is not None for v in measured.values()) and measured_on is None:
        raise RegistryError("Укажите дату замера: без неё показатели нельзя сравнить")
    if measured_on is not None and measured_on > today:
        raise RegistryError("Дата замера не может быть в будущем")
    before = _values(passport)
    passport.basis_kind = kind
    passport.basis_title = (data.get("basis_title") or "").strip()
    passport.basis_url = url
    passport.accessibility = {
        k: (data.get("accessibility") or {}).get(k, "").strip()
        for k in CLIENT_GROUPS
        if (data.get("accessibility") or {}).get(k, "").strip()
    }
    passport.feedback = feedback
    passport.feedback_note = (data.get("feedback_note") or "").strip()
    for field, value in measured.items():
        setattr(passport, field, value)
    passport.measured_on = measured_on
    passport.updated_at = utcnow()
    passport.updated_by_id = getattr(user, "id", None)
    db.session.flush()
    b, a = audit.changes(before, _values(passport))
    if b:
        audit.record("passport.update", passport, before=b, after=a, actor=user)
