"""Touchpoint passports: the agency's touchpoints and the passport of each."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from touchpoints.auth.access import current_agency, get_tenant_object_or_404, permission_required
from touchpoints.auth.roles import Permission
from touchpoints.core.db import utcnow
from touchpoints.core.web import Page, committed, form_status
from touchpoints.deadlines.compute import local_date
from touchpoints.lists.passports import (
    BASIS_KINDS,
    CLIENT_GROUPS,
    FEEDBACK_KINDS,
    MEASURED_NORMS,
    TouchpointPassport,
)
from touchpoints.registry import passports
from touchpoints.registry.forms import PassportForm
from touchpoints.registry.services import RegistryError

bp = Blueprint("passports", __name__, url_prefix="/registry/passports")


@bp.route("/")
@permission_required(Permission.READ_AGENCY)
def index():
    agency = current_agency()
    return render_template(
        "registry/passports.html",
        agency=agency,
        page=Page.of_list(passports.touchpoints_of(agency)),
        basis_kinds=BASIS_KINDS,
        can_edit=current_user.can(Permission.REVIEW_ENTRIES),
    )


@bp.route("/open", methods=["POST"])
@permission_required(Permission.REVIEW_ENTRIES)
def open_passport():
    agency = current_agency()
    with committed(RegistryError) as done:
        passport = passports.open_passport(agency, current_user, request.form.get("key", ""))
    if not done:
        return redirect(url_for("passports.index"))
    return redirect(url_for("passports.passport", touchpoint_passport_id=passport.id))


@bp.route("/<int:touchpoint_passport_id>", methods=["GET", "POST"])
@permission_required(Permission.READ_AGENCY)
def passport(touchpoint_passport_id):
    agency = current_agency()
    item = get_tenant_object_or_404(TouchpointPassport, touchpoint_passport_id, agency.id)
    if request.method == "POST":
        if not current_user.can(Permission.REVIEW_ENTRIES):
            abort(403)
        form = PassportForm()
    else:
        form = PassportForm(data=_initial(item))
    if request.method == "POST" and form.validate_on_submit():
        data = {name: field.data for name, field in form._fields.items()}
        data["accessibility"] = {k: data.pop(f"offer__{k}") or "" for k in CLIENT_GROUPS}
        with committed(RegistryError, form.basis_kind) as done:
            passports.save_passport(
                item, current_user, data, local_date(utcnow(), agency.region.tz)
            )
        if done:
            flash("Паспорт точки взаимодействия сохранён.", "success")
            return redirect(url_for("passports.index"))
    return render_template(
        "registry/passport_form.html",
        agency=agency,
        passport=item,
        form=form,
        groups=CLIENT_GROUPS,
        feedback_kinds=FEEDBACK_KINDS,
        can_edit=current_user.can(Permission.REVIEW_ENTRIES),
    ), form_status(form)


def _initial(item: TouchpointPassport) -> dict:
    data = {
        "basis_kind": item.basis_kind,
        "basis_title": item.basis_title,
        "basis_url": item.basis_url,
        "feedback": list(item.feedback or []),
        "feedback_note": item.feedback_note,
        "measured_on": item.measured_on,
        **{field: getattr(item, field) for field in MEASURED_NORMS},
    }
    for key in CLIENT_GROUPS:
        data[f"offer__{key}"] = (item.accessibility or {}).get(key, "")
    return data
