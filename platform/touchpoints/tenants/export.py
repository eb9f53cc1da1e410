"""``flask tenants export``: an agency (or a shared form) as the YAML ``flask tenants sync`` reads.

What the form editor edits is written back as definitions: the agency's form as its template
plus the overrides that turn the template into it, key by key (tenants/merge.py), so an export
followed by a sync changes nothing (docs/forms.md).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
import yaml

from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency, FormTemplate, Subdivision
from touchpoints.lists.procedures import PROCEDURES
from touchpoints.tenants.merge import overrides
from touchpoints.tenants.schema import FormDefinition, jsonable


class ExportError(ValueError):
    pass


def _dump(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def _procedure_as_written(procedure):
    """A procedure equal to a known one is written as its code, as the seed forms name it."""
    for code, known in PROCEDURES.items():
        if procedure == known:
            return code
    return procedure


def template_definition(template: FormTemplate) -> dict:
    out = dict(template.definition)
    if "procedure" in out:
        out["procedure"] = _procedure_as_written(out["procedure"])
    return out


def agency_definition(agency: Agency, template: FormTemplate) -> dict:
    """agency.yaml of the agency, as tenants/sync.py would store it again."""
    settings = agency.settings or {}
    changes = overrides(template.definition, agency.form)
    if "procedure" in changes and isinstance(agency.form.get("procedure"), dict):
        written = _procedure_as_written(agency.form["procedure"])
        if isinstance(written, str):
            changes["procedure"] = written
    out: dict = {
        "slug": agency.slug,
        "region": agency.region.slug,
        "full_name": agency.full_name,
        "short_name": agency.short_name,
    }
    # The name's cases are columns of the agency card (onboarding), not settings.
    for key in ("name_genitive", "name_dative", "name_prepositional"):
        if getattr(agency, key, None):
            out[key] = getattr(agency, key)
    out["form"] = {"template": template.slug}
    if changes:
        out["form"]["overrides"] = changes
    out.update(
        {
            "head_title": agency.head_title or "",
            "head_name": agency.head_name or "",
            "city": agency.city or "",
            "legal_basis": agency.legal_basis or "",
        }
    )
    if settings.get("order"):
        out["order"] = _dates_as_text(settings["order"])
    if settings.get("policies"):
        out["policies"] = settings["policies"]
    if agency.website:
        out["website"] = agency.website
    subdivisions = db.session.scalars(
        sa.select(Subdivision)
        .where(Subdivision.agency_id == agency.id, Subdivision.active)
        .order_by(Subdivision.id)
    )
    out["subdivisions"] = [{"code": s.code, "name": s.name} for s in subdivisions]
    if settings.get("notes"):
        out["notes"] = settings["notes"]
    return out


def _dates_as_text(value):
    if isinstance(value, dict):
        return {k: _dates_as_text(v) for k, v in value.items()}
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def export(slug: str, to: Path | None) -> tuple[str, list[Path]]:
    """YAML of the agency (or shared form) ``slug``; with ``to``, also written into that tenants
    folder: ``<slug>/agency.yaml``, and ``forms/<template>.yaml`` when the template there differs
    from the one in the database (the administrator edited it). Returns (text, files written)."""
    agency = Agency.by_slug(slug)
    template_slug = agency.form_template if agency else slug
    template = db.session.scalar(sa.select(FormTemplate).where(FormTemplate.slug == template_slug))
    if template is None:
        raise ExportError(f"Нет ни организации, ни формы с кодом {slug!r}")
    written: list[Path] = []
    template_text = _dump(template_definition(template))
    text = template_text if agency is None else _dump(agency_definition(agency, template))
    if to is None:
        return text, written
    to = Path(to)
    if agency is not None:
        path = to / agency.slug / "agency.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    form_path = to / "forms" / f"{template.slug}.yaml"
    if agency is None or _differs(form_path, template.definition):
        form_path.parent.mkdir(parents=True, exist_ok=True)
        form_path.write_text(template_text, encoding="utf-8")
        written.append(form_path)
    return text, written


def _differs(path: Path, definition: dict) -> bool:
    """Whether the form file at ``path`` resolves to something else than ``definition``."""
    if not path.exists():
        return True
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return jsonable(FormDefinition.model_validate(raw)) != definition
    except (yaml.YAMLError, ValueError):
        return True
