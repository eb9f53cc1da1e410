"""Agencies: creating one, its card, its subdivisions and subordinate organisations.

Every write to the agency's own rows (audit events, units) happens in the agency's scope: the
project office reads its region but may write only there (docs/onboarding.md)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from touchpoints.agencies.forms import CARD_FIELDS
from touchpoints.audit import service as audit
from touchpoints.auth.models import User
from touchpoints.core.db import agency_scope, db, scoped, utcnow
from touchpoints.core.tenancy import Agency, FormTemplate, Subdivision, UnitKind
from touchpoints.lists.policy import can_edit_agency


class AgencyError(ValueError):
    pass


#: Slugs that name pages of the public site (/p/opendata/) rather than agencies.
RESERVED_SLUGS = frozenset({"opendata", "api", "static", "embed", "current"})


def create_agency(data: dict) -> Agency:
    """A new agency from a form template (issue 2: from the interface, by admin or office)."""
    if data["slug"] in RESERVED_SLUGS:
        raise AgencyError("Этот код зарезервирован, выберите другой")
    if db.session.scalar(sa.select(Agency.id).where(Agency.slug == data["slug"])):
        raise AgencyError("Организация с таким кодом уже есть")
    template = db.session.scalar(
        sa.select(FormTemplate).where(FormTemplate.slug == data["form_template"])
    )
    if template is None:
        raise AgencyError("Нет такой формы перечня")
    agency = Agency(
        slug=data["slug"],
        region_id=data["region_id"],
        full_name=data["full_name"],
        name_genitive=data.get("name_genitive") or "",
        name_dative=data.get("name_dative") or "",
        name_prepositional=data.get("name_prepositional") or "",
        short_name=data["short_name"],
        form_template=template.slug,
        form=template.definition,
        head_title=data.get("head_title") or "",
        head_name=data.get("head_name") or "",
        city=data.get("city") or "",
        legal_basis=data.get("legal_basis") or "",
        website=data.get("website") or None,
        settings={
            "policies": {
                "publication_working_days": 10,
                "review_working_days": 5,
                "reconfirm_months": 3,
            }
        },
        source="ui",
    )
    db.session.add(agency)
    db.session.flush()
    # The project office reads its region but writes nowhere; creating an agency is the one
    # write it may do, so the new agency's own rows are written in that agency's scope only.
    with scoped(agency_scope(agency.id)):
        audit.record(
            "agency.create",
            agency,
            agency_id=agency.id,
            after={k: v for k, v in data.items() if k != "csrf_token"},
        )
        db.session.flush()
    return agency


def _card(agency: Agency) -> dict:
    return {field: getattr(agency, field) or "" for field in CARD_FIELDS}


def update_card(agency: Agency, data: dict, *, actor: User) -> bool:
    """Change the card; returns whether anything changed (recorded in the audit trail)."""
    _require(actor, agency)
    before = _card(agency)
    for field in CARD_FIELDS:
        value = (data.get(field) or "").strip()
        setattr(agency, field, value or (None if field == "website" else ""))
    b, a = audit.changes(before, _card(agency))
    if not b and not a:
        return False
    with scoped(agency_scope(agency.id)):
        db.session.flush()
        audit.record("agency.update", agency, agency_id=agency.id, before=b, after=a, actor=actor)
        db.session.flush()
    return True


def mark_form_checked(agency: Agency, *, actor: User) -> None:
    """The first step of a new agency: someone responsible looked at the form and found it
    right (the checklist on the agency's home)."""
    _require(actor, agency)
    settings = dict(agency.settings or {})
    settings["form_checked"] = {"at": utcnow().isoformat(), "by": actor.id}
    agency.settings = settings
    with scoped(agency_scope(agency.id)):
        db.session.flush()
        audit.record("agency.form_checked", agency, agency_id=agency.id, actor=actor)
        db.session.flush()


def _require(actor: User, agency: Agency) -> None:
    verdict = can_edit_agency(actor, agency)
    if not verdict:
        raise AgencyError(verdict.reason)


def _code_for(agency_id: int, name: str) -> str:
    """A stable key for a unit made in the interface (tenant definitions give their own)."""
    existing = set(
        db.session.scalars(sa.select(Subdivision.code).where(Subdivision.agency_id == agency_id))
    )
    base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "unit"
    n = len(existing) + 1
    code = f"{base}-{n}" if base == "unit" else base
    while code in existing:
        n += 1
        code = f"{base}-{n}"
    return code


def _same_name(agency_id: int, name: str, except_id: int | None = None) -> bool:
    q = sa.select(Subdivision.id).where(
        Subdivision.agency_id == agency_id, sa.func.lower(Subdivision.name) == name.lower()
    )
    if except_id is not None:
        q = q.where(Subdivision.id != except_id)
    return db.session.scalar(q) is not None


def add_unit(agency: Agency, name: str, kind: str, *, actor: User) -> Subdivision:
    _require(actor, agency)
    name = (name or "").strip()
    if kind not in (UnitKind.SUBDIVISION, UnitKind.SUBORDINATE):
        raise AgencyError("Выберите, подразделение это или подведомственная организация")
    with scoped(agency_scope(agency.id)):
        if _same_name(agency.id, name):
            raise AgencyError(f"«{name}» уже есть в списке")
        unit = Subdivision(
            agency_id=agency.id, code=_code_for(agency.id, name), name=name, kind=kind
        )
        db.session.add(unit)
        db.session.flush()
        audit.record(
            "subdivision.create", unit, after={"name": name, "unit_kind": kind}, actor=actor
        )
        db.session.flush()
    return unit


def rename_unit(unit: Subdivision, name: str, *, actor: User) -> None:
    agency = db.session.get(Agency, unit.agency_id)
    _require(actor, agency)
    name = (name or "").strip()
    if name == unit.name:
        return
    with scoped(agency_scope(agency.id)):
        if _same_name(agency.id, name, except_id=unit.id):
            raise AgencyError(f"«{name}» уже есть в списке")
        before = unit.name
        unit.name = name
        db.session.flush()
        audit.record(
            "subdivision.rename", unit, before={"name": before}, after={"name": name}, actor=actor
        )
        db.session.flush()


def set_unit_active(unit: Subdivision, active: bool, *, actor: User) -> None:
    """Archive or restore a unit. Never deleted: entries, versions and people refer to it."""
    agency = db.session.get(Agency, unit.agency_id)
    _require(actor, agency)
    if unit.active == active:
        return
    with scoped(agency_scope(agency.id)):
        unit.active = active
        db.session.flush()
        audit.record(
            "subdivision.restore" if active else "subdivision.archive",
            unit,
            before={"active": not active},
            after={"active": active},
            actor=actor,
        )
        db.session.flush()
