"""Loading tenant definitions into the database, idempotently, all or nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import sqlalchemy as sa

from touchpoints.audit import service as audit
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency, FormTemplate, Region, Subdivision
from touchpoints.tenants.loader import Definitions, load
from touchpoints.tenants.schema import jsonable


@dataclasses.dataclass
class SyncReport:
    created: list[str] = dataclasses.field(default_factory=list)
    updated: list[str] = dataclasses.field(default_factory=list)
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _apply(obj, values: dict) -> dict[str, tuple]:
    """Set only what differs; return {field: (before, after)}."""
    diff = {}
    for key, value in values.items():
        if getattr(obj, key) != value:
            diff[key] = (getattr(obj, key), value)
            setattr(obj, key, value)
    return diff


def sync(tenants_dir: Path) -> SyncReport:
    """Validate every definition first (DefinitionError: nothing written), then upsert.

    Flushes; the caller commits, or rolls back for a dry run."""
    definitions = load(tenants_dir)
    with scoped(SYSTEM_SCOPE):
        return _sync(definitions)


def _track(report: SyncReport, label: str, obj, created: bool, diff: dict, agency_id=None):
    if created:
        report.created.append(label)
        audit.record(
            "tenant.create", obj, agency_id=agency_id, after=_plain(obj, diff), actor_label="sync"
        )
    elif diff:
        report.updated.append(f"{label} ({', '.join(sorted(diff))})")
        audit.record(
            "tenant.update",
            obj,
            agency_id=agency_id,
            before={k: v[0] for k, v in diff.items()},
            after={k: v[1] for k, v in diff.items()},
            actor_label="sync",
        )
    else:
        report.unchanged += 1


def _plain(obj, diff: dict) -> dict:
    return {k: v[1] for k, v in diff.items()}


def _sync(defs: Definitions) -> SyncReport:
    report = SyncReport()
    regions = {r.slug: r for r in db.session.scalars(sa.select(Region))}
    for rdef in defs.regions:
        region = regions.get(rdef.slug)
        created = region is None
        if created:
            region = regions[rdef.slug] = Region(slug=rdef.slug)
            db.session.add(region)
        diff = _apply(
            region,
            {"name": rdef.name, "timezone": rdef.timezone, "office_email": rdef.office_email},
        )
        db.session.flush()
        _track(report, f"регион {rdef.slug}", region, created, diff)

    templates = {t.slug: t for t in db.session.scalars(sa.select(FormTemplate))}
    for slug, fdef in defs.forms.items():
        tpl = templates.get(slug)
        created = tpl is None
        if created:
            tpl = FormTemplate(slug=slug)
            db.session.add(tpl)
        diff = _apply(tpl, {"name": fdef.name, "definition": jsonable(fdef)})
        if "definition" in diff and not created:
            tpl.revision += 1  # an editor open on the old definition must not save over it
        db.session.flush()
        _track(report, f"форма {slug}", tpl, created, diff)

    agencies = {a.slug: a for a in db.session.scalars(sa.select(Agency))}
    for adef, form in defs.agencies:
        agency = agencies.get(adef.slug)
        created = agency is None
        if created:
            agency = Agency(slug=adef.slug)
            db.session.add(agency)
        settings = {
            "order": adef.order.model_dump(mode="json"),
            "policies": adef.policies.model_dump(mode="json"),
            "notes": adef.notes,
        }
        diff = _apply(
            agency,
            {
                "region_id": regions[adef.region].id,
                "full_name": adef.full_name,
                "name_genitive": adef.name_genitive or "",
                "name_dative": adef.name_dative or "",
                "name_prepositional": adef.name_prepositional or "",
                "short_name": adef.short_name,
                "form_template": adef.form.template,
                "form": form,
                "head_name": adef.head_name,
                "head_title": adef.head_title,
                "city": adef.city,
                "legal_basis": adef.legal_basis,
                "settings": settings,
                "website": adef.website,
                "source": "tenants",
            },
        )
        if "form" in diff and not created:
            agency.form_revision += 1  # an editor open on the old form must not save over it
        db.session.flush()
        _track(report, f"организация {adef.slug}", agency, created, diff, agency_id=agency.id)

        existing = {
            s.code: s
            for s in db.session.scalars(
                sa.select(Subdivision).where(Subdivision.agency_id == agency.id)
            )
        }
        for sdef in adef.subdivisions:
            sub = existing.get(sdef.code)
            sub_created = sub is None
            if sub_created:
                sub = Subdivision(agency_id=agency.id, code=sdef.code)
                db.session.add(sub)
            sdiff = _apply(sub, {"name": sdef.name, "active": True})
            db.session.flush()
            _track(
                report, f"подразделение {adef.slug}/{sdef.code}", sub, sub_created, sdiff, agency.id
            )
        # A subdivision dropped from the definition is deactivated, not deleted: entries refer to it.
        defined = {s.code for s in adef.subdivisions}
        for code, sub in existing.items():
            if code not in defined and sub.active:
                sub.active = False
                _track(
                    report,
                    f"подразделение {adef.slug}/{code}",
                    sub,
                    False,
                    {"active": (True, False)},
                    agency.id,
                )
    db.session.flush()
    return report
