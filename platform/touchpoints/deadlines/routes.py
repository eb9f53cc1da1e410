"""The agency's deadlines: publication record, pending reviews, subdivisions' re-confirmation."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from touchpoints.auth.roles import Permission, Role
from touchpoints.core.access import current_agency, permission_required
from touchpoints.core.db import SYSTEM_SCOPE, current_scope, db, scoped
from touchpoints.core.web import Page
from touchpoints.deadlines import services
from touchpoints.deadlines.forms import PublicationForm, ReconfirmForm
from touchpoints.deadlines.models import Publication, Reconfirmation

bp = Blueprint("deadlines", __name__, url_prefix="/deadlines")


@bp.app_template_global()
def deadline_summary_for(agency):
    """For the agency's home page (agencies/overview.html): where its deadlines stand.

    The project office's own scope hides submissions waiting for review, so this page said «0»
    where its dashboard counted them (issue 13, item 3). For the office the summary is computed
    through the same narrow path as the dashboard (the system scope, this one agency) and only
    its numbers and dates leave it: the open items, which name rows, are dropped."""
    if current_scope().kind != "region":
        return services.deadline_summaries([agency.id]).get(agency.id)
    with scoped(SYSTEM_SCOPE):
        summary = services.deadline_summaries([agency.id]).get(agency.id)
    return dataclasses.replace(summary, items=[]) if summary else None


def _can_confirm(sub_id: int) -> bool:
    if current_user.role_enum is Role.EDITOR:
        return current_user.subdivision_id == sub_id
    return current_user.can(Permission.REVIEW_ENTRIES)


@bp.route("/")
@permission_required(Permission.READ_AGENCY)
def index():
    agency = current_agency()
    summary = services.deadline_summaries([agency.id])[agency.id]
    publications = Page(
        sa.select(Publication)
        .where(Publication.agency_id == agency.id)
        .order_by(Publication.published_on.desc(), Publication.id.desc())
        .options(sa.orm.selectinload(Publication.version))
    )
    confirmations = {
        r.subdivision_id: r
        for r in db.session.scalars(
            sa.select(Reconfirmation)
            .where(Reconfirmation.agency_id == agency.id)
            .order_by(Reconfirmation.confirmed_at)
        )
    }
    return render_template(
        "deadlines/index.html",
        agency=agency,
        summary=summary,
        publications=publications,
        confirmations=confirmations,
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
        try:
            pub = services.record_publication(
                agency, current_user, form.published_on.data, form.url.data
            )
        except services.DeadlineError as exc:
            db.session.rollback()
            form.published_on.errors.append(str(exc))
        else:
            db.session.commit()
            if pub.on_time is False:
                flash("Размещение отмечено. Срок размещения был нарушен.", "warning")
            else:
                flash("Размещение отмечено.", "success")
            return redirect(url_for("deadlines.index"))
    summary = services.deadline_summaries([agency.id])[agency.id]
    status = 400 if form.is_submitted() else 200
    return render_template(
        "deadlines/publication.html", agency=agency, form=form, summary=summary
    ), status


@bp.route("/reconfirm", methods=["POST"])
@permission_required(Permission.EDIT_ENTRIES)
def reconfirm():
    agency = current_agency()
    form = ReconfirmForm()
    if form.validate_on_submit():
        try:
            services.confirm_subdivision(
                agency, current_user, int(form.subdivision_id.data), form.comment.data or ""
            )
        except (services.DeadlineError, ValueError) as exc:
            db.session.rollback()
            flash(
                str(exc) if isinstance(exc, services.DeadlineError) else "Нет такого подразделения",
                "error",
            )
        else:
            db.session.commit()
            flash("Актуальность сведений подразделения подтверждена.", "success")
    else:
        flash("Не удалось подтвердить: обновите страницу и попробуйте ещё раз.", "error")
    return redirect(url_for("deadlines.index") + "#reconfirm")
