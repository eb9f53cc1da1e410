"""Saving what the form editor sends: checked, compared with the revision it was opened at,
written with its audit event; flushes, the view commits (docs/forms.md).

A form change touches only the agency's form (and the template's definition for the
administrator's shared forms): approved versions keep the form they were approved in
(``ListVersion.form``), so nothing approved changes.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
import yaml
from flask import current_app
from pydantic import ValidationError

from touchpoints.audit import service as audit
from touchpoints.core.db import agency_scope, db, scoped
from touchpoints.core.tenancy import Agency, FormTemplate
from touchpoints.formeditor.parsing import SECTIONS, Parsed
from touchpoints.lists import services as list_services
from touchpoints.lists.models import AreaStatus
from touchpoints.tenants import checks
from touchpoints.tenants.merge import overrides
from touchpoints.tenants.schema import FormDefinition, jsonable

CONFLICT = (
    "Форму уже изменил другой пользователь, пока вы её редактировали. Ваши изменения не "
    "сохранены и показаны ниже: откройте форму заново в соседней вкладке, сравните и внесите "
    "их ещё раз."
)


class FormEditError(ValueError):
    """The form was not saved; ``errors`` maps input names to messages."""

    def __init__(self, errors: dict[str, str], message: str = ""):
        self.errors = errors
        super().__init__(message or "Форма не сохранена: исправьте отмеченные поля.")


def catalogue() -> dict:
    """The common catalogues (tenants/forms/_catalogue.yaml) every form maps to."""
    path = Path(current_app.config["TENANTS_DIR"]) / "forms" / "_catalogue.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def input_name(where: checks.Where) -> str:
    """The page's input a problem is about (see formeditor.parsing)."""
    section, index, field = where
    if section in SECTIONS:
        if index is None:
            return section
        return f"{section}-{index}-{field or 'code'}"
    if section == "procedure":
        if field and "." in field:
            rule, part = field.split(".", 1)
            return f"rule-{rule}-{part}"
        return f"procedure-{field}"
    return field or section


def checked(parsed: Parsed, base: dict | None, limited: bool) -> dict:
    """The definition, validated and normalised as the loader stores it; FormEditError else."""
    errors = dict(parsed.errors)
    for where, message in checks.problems(parsed.definition, catalogue(), base, limited):
        errors.setdefault(input_name(where), message)
    if errors:
        raise FormEditError(errors)
    try:
        return jsonable(FormDefinition.model_validate(parsed.definition))
    except ValidationError as exc:  # what the checks above do not word themselves
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            errors[loc.split(".")[0]] = f"{loc}: {err['msg']}"
        raise FormEditError(errors) from None


def template_of(agency: Agency) -> FormTemplate | None:
    return db.session.scalar(
        sa.select(FormTemplate).where(FormTemplate.slug == agency.form_template)
    )


def not_performed_of(agency_id: int) -> dict[str, str]:
    return {s.area_code: s.reason or "" for s in AreaStatus.of_agency(agency_id) if s.not_performed}


def save_agency_form(agency: Agency, parsed: Parsed, limited: bool) -> bool:
    """Write the agency's form; False when nothing changed. ``limited``: within the region's
    template (the registrar). Written in the agency's own scope, as the office may write
    nothing else of an agency's."""
    template = template_of(agency)
    form = checked(parsed, template.definition if template else None, limited)
    old = agency.form
    with scoped(agency_scope(agency.id)):
        changed = form != old
        if changed:
            _bump(Agency, agency.id, parsed.revision, form=form, column="form_revision")
            audit.record(
                "form.update",
                agency,
                agency_id=agency.id,
                before=overrides(form, old),
                after=overrides(old, form),
            )
        current = not_performed_of(agency.id)
        for area in form["activity_areas"]:
            code = area["code"]
            wanted = parsed.not_performed.get(code)
            if (wanted is not None) != (code in current) or (
                wanted is not None and wanted != current.get(code)
            ):
                list_services.set_area_not_performed(agency, code, wanted is not None, wanted or "")
                changed = True
        db.session.flush()
    return changed


def save_template(template: FormTemplate, parsed: Parsed) -> bool:
    """Write a shared template (the administrator's). Agencies made from it keep their forms:
    a template is where new agencies start."""
    form = checked(parsed, None, False)
    old = template.definition
    if form == old:
        return False
    _bump(FormTemplate, template.id, parsed.revision, definition=form, name=form["name"])
    audit.record(
        "form_template.update",
        template,
        before=overrides(form, old),
        after=overrides(old, form),
    )
    db.session.flush()
    return True


def _bump(model, object_id: int, revision: str, column: str = "revision", **values) -> None:
    """One conditional UPDATE: the row changes only if nobody saved since the page was opened."""
    try:
        seen = int(revision)
    except (TypeError, ValueError):
        seen = -1
    col = getattr(model, column)
    result = db.session.execute(
        sa.update(model)
        .where(model.id == object_id, col == seen)
        .values(**values, **{column: col + 1})
        .execution_options(synchronize_session="fetch")
    )
    if result.rowcount != 1:
        raise FormEditError({}, CONFLICT)
