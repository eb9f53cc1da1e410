"""Proof of publication in the interface: the registrar's «Проверить сейчас» button, and the
latest check (with its evidence) shown on the deadlines page and on the agency's page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user

from touchpoints.auth.access import current_agency, permission_required
from touchpoints.auth.roles import Permission
from touchpoints.core.db import db
from touchpoints.publication import services
from touchpoints.publication.models import Outcome

bp = Blueprint("publication", __name__, url_prefix="/publication")


@bp.app_template_global()
def publication_check_for(agency, history: int = 0):
    """For deadlines/index.html and agencies/overview.html: the latest check, the page being
    checked, whether its failure re-opened the deadline, and (optionally) the recent history."""
    pub = services.latest_publication(agency.id)
    return {
        "publication": pub,
        "check": services.latest_checks([agency.id]).get(agency.id),
        "history": services.recent_checks(agency.id, history) if history else [],
    }


@bp.route("/verify", methods=["POST"])
@permission_required(Permission.APPROVE_VERSIONS)
def verify():
    """Fetch the page now. Synchronous: the fetch is bounded (PUBLICATION_TOTAL_TIMEOUT), and
    the registrar waits for the answer they asked for."""
    agency = current_agency()
    check = services.verify(agency.id, trigger="manual", user_id=current_user.id)
    if check is None:
        db.session.rollback()
        flash("Проверять нечего: сначала утвердите перечень и отметьте, где он размещён.", "error")
        return redirect(url_for("deadlines.index") + "#publication-check")
    db.session.commit()
    if check.outcome == Outcome.SHOWN.value:
        flash(f"Проверено: {check.outcome_enum.label} ({check.matched_label}).", "success")
    elif check.outcome == Outcome.NOT_SHOWN.value:
        flash(
            f"Проверено: {check.outcome_enum.label}. Срок размещения снова идёт — разместите "
            "актуальную редакцию на странице или отметьте размещение на другой странице.",
            "warning",
        )
    else:
        flash(f"Страницу не удалось проверить: {check.error}.", "error")
    return redirect(url_for("deadlines.index") + "#publication-check")
