"""The agency's deadlines: publication record, pending reviews, subdivisions' re-confirmation."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from touchpoints.auth.access import current_agency, permission_required
from touchpoints.auth.roles import Permission, Role
from touchpoints.core.db import SYSTEM_SCOPE, current_scope, scoped
from touchpoints.core.web import Page, as_int, committed, form_status
from touchpoints.deadlines import services
from touchpoints.deadlines.forms import PublicationForm, ReconfirmForm
from touchpoints.deadlines.models import Publication, Reconfirmation
from touchpoints.deadlines.summary import deadline_summaries

bp = Blueprint("deadlines", __name__, url_prefix="/deadlines")


@bp.app_template_global()
def deadline_summary_for(agency):
    """For the agency's home page (agencies/overview.html): where its deadlines stand.

    The project office's own scope hides submissions waiting for review, so this page said «0»
    where its dashboard counted them (issue 13, item 3). For the office the summary is computed
    through the same narrow path as the dashboard (the system scope, this one agency) and only
    its numbers and dates leave it: the open items, which name rows, are dropped."""
    if current_scope().kind != "region":
        return deadline_summaries([agency.id]).get(agency.id)
    with scoped(SYSTEM_SCOPE):
        summary = deadline_summaries([agency.id]).get(agency.id)
    return dataclasses.replace(summary, items=[]) if summary else None


def _can_confirm(sub_id: int) -> bool:
    if current_user.role_enum is Role.EDITOR:
        return current_user.subdivision_id == sub_id
    return current_user.can(Permission.REVIEW_ENTRIES)


@bp.route("/")
@permission_required(Permission.READ_AGENCY)
def index():
    agency = current_agency()
    return render_template(
        "deadlines/index.html",
        agency=agency,
        summary=deadline_summaries([agency.id])[agency.id],
        publications=Page(Publication.of_agency(agency.id)),
        confirmations=Reconfirmation.latest_by_subdivision(agency.id),
        can_confirm=_can_confirm,
        reconfirm_form=ReconfirmForm(),
    )


@bp.route("/publication", methods=["GET", "POST"])
@permission_required(Permission.APPROVE_VERSIONS)
def publication():
    agency = current_agency()
    form = PublicationForm()
    if not form.is_submitted():
        form.url.data = form.url.data or agency.website
    if form.validate_on_submit():
        with committed(services.DeadlineError, form.published_on) as done:
            pub = services.record_publication(
                agency, current_user, form.published_on.data, form.url.data
            )
        if done:
            if pub.on_time is False:
                flash("Размещение отмечено. Срок размещения был нарушен.", "warning")
            else:
                flash("Размещение отмечено.", "success")
            return redirect(url_for("deadlines.index"))
    summary = deadline_summaries([agency.id])[agency.id]
    return render_template(
        "deadlines/publication.html", agency=agency, form=form, summary=summary
    ), form_status(form)


@bp.route("/reconfirm", methods=["POST"])
@permission_required(Permission.EDIT_ENTRIES)
def reconfirm():
    agency = current_agency()
    form = ReconfirmForm()
    if form.validate_on_submit():
        # A tampered id reads as -1: no such unit, which the service refuses in its own words.
        subdivision_id = as_int(form.subdivision_id.data)
        with committed(services.DeadlineError) as done:
            services.confirm_subdivision(
                agency, current_user, subdivision_id, form.comment.data or ""
            )
        if done:
            flash("Актуальность сведений подразделения подтверждена.", "success")
    else:
        flash("Не удалось подтвердить: обновите страницу и попробуйте ещё раз.", "error")
    return redirect(url_for("deadlines.index") + "#reconfirm")
