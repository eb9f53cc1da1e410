"""Annulling a mistaken approval from the version's page (the registrar)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from touchpoints.auth.access import current_agency, permission_required
from touchpoints.auth.roles import Permission
from touchpoints.core.web import committed
from touchpoints.lists import annulments
from touchpoints.lists.errors import ReviewError

bp = Blueprint("annulments", __name__)


@bp.app_template_global("version_annulment")
def version_annulment(version):
    return annulments.annulment_of(version)


@bp.app_template_global("version_is_current")
def version_is_current(version) -> bool:
    current = annulments.current_in_force(version.agency_id)
    return current is not None and current.id == version.id


@bp.route("/list/versions/<int:number>/annul", methods=["POST"])
@permission_required(Permission.APPROVE_VERSIONS)
def annul(number):
    agency = current_agency()
    version = annulments.version_by_number(agency.id, number)
    if version is None:
        abort(404)
    with committed(ReviewError) as done:
        annulments.annul(agency, version, current_user, request.form.get("reason", ""))
    if done:
        flash(
            f"Утверждение редакции № {number} аннулировано. Теперь перечень можно утвердить заново.",
            "success",
        )
    return redirect(url_for("lists.version", number=number))
