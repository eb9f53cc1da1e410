"""People by invitation: the agency's invitations page and the anonymous page of the link."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from touchpoints.auth import sessions
from touchpoints.auth.access import apply_user_scope, get_agency_or_404, get_tenant_object_or_404
from touchpoints.auth.models import User
from touchpoints.core.db import db, utcnow
from touchpoints.core.tenancy import Subdivision
from touchpoints.core.web import Page, committed, dead_link
from touchpoints.extensions import limiter
from touchpoints.invitations import services
from touchpoints.invitations.forms import AcceptForm, InviteForm
from touchpoints.invitations.models import Invitation
from touchpoints.lists.policy import invitable_roles

bp = Blueprint("invitations", __name__)


def _agency_for_inviting(slug: str):
    agency = get_agency_or_404(slug)
    roles = invitable_roles(current_user, agency)
    if not roles:
        abort(403)
    return agency, roles


@bp.route("/agencies/<slug>/people/", methods=["GET", "POST"])
@login_required
def index(slug):
    agency, roles = _agency_for_inviting(slug)
    form = InviteForm()
    form.role.choices = [(r.value, r.label) for r in roles]
    units = [s for s in Subdivision.of_agency(agency.id) if s.active]
    form.subdivision_id.choices = [(0, "—")] + [(s.id, s.name) for s in units]
    if form.validate_on_submit():
        with committed(services.InvitationError, form.email, form=form) as done:
            inv = services.invite(
                agency,
                form.email.data,
                form.role.data,
                actor=current_user,
                name=form.name.data,
                subdivision_id=form.subdivision_id.data or None,
            )
        if done:
            flash(f"Приглашение отправлено на {inv.email}. Ссылка действует 7 дней.", "success")
            return redirect(url_for("invitations.index", slug=agency.slug))
    return render_template(
        "invitations/index.html",
        agency=agency,
        form=form,
        page=Page(Invitation.of_agency(agency.id)),
        people=db.session.scalars(User.of_agency(agency.id)).all(),
    )


def _invitation(slug: str, invitation_id: int) -> Invitation:
    agency, _ = _agency_for_inviting(slug)
    return get_tenant_object_or_404(Invitation, invitation_id, agency.id)


#: The buttons of an invitation's row: the service each one calls and what the page says after.
_ACTIONS = {
    "resend": (
        services.resend,
        "Приглашение отправлено повторно на {email}; прежняя ссылка больше не действует.",
    ),
    "revoke": (
        services.revoke,
        "Приглашение для {email} отозвано: ссылка из письма больше не действует.",
    ),
}


def _act(slug: str, invitation_id: int, action: str):
    """Run one action on an invitation: commit and say so, or roll back and say why not."""
    inv = _invitation(slug, invitation_id)
    service, said = _ACTIONS[action]
    message = said.format(email=inv.email)
    with committed(services.InvitationError) as done:
        service(inv, actor=current_user)
    if done:
        flash(message, "success")
    return redirect(url_for("invitations.index", slug=slug))


@bp.route("/agencies/<slug>/people/invitations/<int:invitation_id>/resend", methods=["POST"])
@login_required
def resend(slug, invitation_id):
    return _act(slug, invitation_id, "resend")


@bp.route("/agencies/<slug>/people/invitations/<int:invitation_id>/revoke", methods=["POST"])
@login_required
def revoke(slug, invitation_id):
    return _act(slug, invitation_id, "revoke")


@bp.route("/invite/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"], error_message="Слишком много попыток")
def accept(token):
    found = services.find(token)
    if found.problem:
        return dead_link(found.problem, known=found.invitation is not None)
    inv = found.invitation
    form = AcceptForm(name=inv.name)
    form.new.label.text = "Придумайте пароль"
    form.confirm.label.text = "Повторите пароль"
    if form.validate_on_submit():
        try:
            user = services.accept(inv, form.name.data, form.new.data)
        except services.InvitationError as exc:
            db.session.rollback()
            form.new.errors.append(str(exc))
        else:
            if current_user.is_authenticated:
                # Someone else was signed in on this browser: their session ends here.
                sessions.end(current_user.session_token)
                logout_user()
            session.clear()
            sessions.start(user)
            login_user(user)
            user.last_login_at = utcnow()
            db.session.commit()
            apply_user_scope()
            flash("Пароль задан, вы вошли в реестр. Логин — ваша почта.", "success")
            return redirect(url_for("home.index"))
    return render_template("invitations/accept.html", form=form, invitation=inv)
