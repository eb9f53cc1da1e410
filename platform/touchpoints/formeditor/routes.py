"""The form editor (issue 12, docs/forms.md): shared templates for the administrator, the agency's
own form and procedure for its registrar, its region's project office and the administrator."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from touchpoints.auth.access import get_agency_or_404, permission_required
from touchpoints.auth.roles import Permission, Role
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency, FormTemplate
from touchpoints.formeditor import parsing, preview, services
from touchpoints.lists import policy, procedures
from touchpoints.lists.form import Form
from touchpoints.lists.labels import (
    CHANNEL_CHOICES,
    CLIENT_CHOICES,
    FIELD_LABELS,
    HINT_LABELS,
    NORM_SHORT_LABELS,
    REASON_LABELS,
    RULE_LABELS,
)
from touchpoints.lists.models import COMMON_FIELDS, Entry

bp = Blueprint("formeditor", __name__, url_prefix="/forms")


def _any_agency() -> Agency:
    """A stand-in agency (never saved) for the title of a shared template's preview."""
    return Agency(
        full_name="Наименование органа власти",
        name_genitive="Наименования органа власти",
        name_dative="Наименованию органа власти",
        name_prepositional="Наименовании органа власти",
        settings={},
    )


@bp.route("/")
@permission_required(Permission.EDIT_FORM)
def index():
    """Where each role edits forms: the registrar goes straight to its agency's."""
    role = current_user.role_enum
    if role is Role.REGISTRAR:
        return redirect(url_for(".agency_form", slug=current_user.agency.slug))
    region_id = current_user.region_id if role is Role.OFFICE else None
    return render_template(
        "formeditor/index.html",
        templates=FormTemplate.by_name() if role is Role.ADMIN else [],
        agencies=db.session.scalars(Agency.listed(region_id)).all(),
    )


def _agency_or_abort(slug: str) -> Agency:
    agency = get_agency_or_404(slug)
    if not policy.can_edit_form(current_user, agency):
        abort(403)
    return agency


def _template_or_abort(slug: str) -> FormTemplate:
    if not policy.can_edit_templates(current_user):
        abort(403)
    template = next((t for t in FormTemplate.by_name() if t.slug == slug), None)
    if template is None:
        abort(404)
    return template


@bp.route("/agencies/<slug>", methods=["GET", "POST"])
@login_required
def agency_form(slug):
    agency = _agency_or_abort(slug)
    marks_areas = bool(policy.can_mark_areas(current_user, agency.id))
    limited = policy.edits_within_region(current_user)
    current = services.not_performed_of(agency.id)
    parsed = None
    if request.method == "POST":
        parsed = parsing.parse(request.form, agency.form, with_areas_status=marks_areas)
        if not marks_areas:
            parsed.not_performed = current
    return _editor(
        parsed,
        save=lambda: services.save_agency_form(agency, parsed, limited=limited),
        saved="Форма сохранена.",
        done_url=url_for(".agency_form", slug=agency.slug),
        stored=lambda: (parsing.raw_of(agency.form, current), agency.form_revision),
        preview=lambda: _agency_preview(agency, agency.form),
        agency=agency,
        marks_areas=marks_areas,
        limited=limited,
        preview_url=url_for(".agency_preview", slug=agency.slug),
    )


@bp.route("/agencies/<slug>/preview", methods=["POST"])
@login_required
def agency_preview(slug):
    agency = _agency_or_abort(slug)
    parsed = parsing.parse(request.form, agency.form, with_areas_status=True)
    return _preview_fragment(parsed, lambda d: _agency_preview(agency, d, parsed.not_performed))


@bp.route("/templates/<slug>", methods=["GET", "POST"])
@login_required
def template_form(slug):
    template = _template_or_abort(slug)
    parsed = None
    if request.method == "POST":
        parsed = parsing.parse(request.form, template.definition)
    return _editor(
        parsed,
        save=lambda: services.save_template(template, parsed),
        saved="Шаблон сохранён.",
        done_url=url_for(".template_form", slug=template.slug),
        stored=lambda: (parsing.raw_of(template.definition), template.revision),
        preview=lambda: _template_preview(template.definition),
        template=template,
        marks_areas=False,
        limited=False,
        preview_url=url_for(".template_preview", slug=template.slug),
    )


def _editor(parsed, *, save, saved: str, done_url: str, stored, preview, **context):
    """The editor page of a form or a template. A POST (``parsed``) is saved, committed and
    answered with ``done_url``; a refused one shows the typed text again with what to fix.
    A GET shows the ``stored`` (text, revision) with its ``preview``."""
    errors, message = {}, ""
    if parsed is None:
        raw, revision = stored()
    else:
        try:
            changed = save()
        except services.FormEditError as exc:
            db.session.rollback()
            errors, message, raw, revision = exc.errors, str(exc), parsed.raw, parsed.revision
        else:
            db.session.commit()
            flash(saved if changed else "Изменений нет.", "success")
            return redirect(done_url)
    return render_template(
        "formeditor/edit.html",
        raw=raw,
        errors=errors,
        message=message,
        revision=revision,
        preview=preview() if not errors else None,
        **context,
        **_choices(),
    )


@bp.route("/templates/<slug>/preview", methods=["POST"])
@login_required
def template_preview(slug):
    template = _template_or_abort(slug)
    parsed = parsing.parse(request.form, template.definition)
    return _preview_fragment(parsed, _template_preview)


def _preview_fragment(parsed: parsing.Parsed, build):
    """The preview of what is typed, even before it is saved; a form that cannot be shown yet
    says what to fix first."""
    try:
        definition = services.checked(parsed, None, False)
    except services.FormEditError as exc:
        return render_template("formeditor/_preview.html", preview=None, errors=exc.errors)
    return render_template("formeditor/_preview.html", preview=build(definition), errors={})


def _agency_preview(agency: Agency, definition: dict, not_performed: dict | None = None):
    if not_performed is None:
        not_performed = services.not_performed_of(agency.id)
    title = Form(definition).title(agency)
    return preview.build(definition, title, Entry.working(agency.id), list(not_performed))


def _template_preview(definition: dict):
    return preview.build(definition, Form(definition).title(_any_agency()), [], [])


def _choices() -> dict:
    catalogue = services.catalogue()
    return {
        "field_choices": [(f, FIELD_LABELS[f]) for f in COMMON_FIELDS]
        + [("extra", "Своя графа формы")],
        "common_areas": [(a["code"], a["name"]) for a in catalogue.get("activity_areas", [])],
        "common_needs": [(n["code"], n["name"]) for n in catalogue.get("client_needs", [])],
        "taxonomy": [
            (t["code"], t["name"], t.get("channel_kind")) for t in catalogue.get("taxonomy", [])
        ],
        "channel_choices": list(CHANNEL_CHOICES.items()),
        "client_choices": list(CLIENT_CHOICES.items()),
        "norm_fields": list(NORM_SHORT_LABELS.items()),
        "rule_titles": RULE_LABELS,
        "norm_rules": procedures.NORM_RULES,
        "hint_labels": HINT_LABELS,
        "reason_labels": REASON_LABELS,
    }
