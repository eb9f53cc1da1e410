from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from touchpoints.auth.access import permission_required
from touchpoints.auth.models import User
from touchpoints.auth.roles import ROLE_LABELS, Permission, Role
from touchpoints.core import csvfile
from touchpoints.core.db import db
from touchpoints.core.forms import BaseForm
from touchpoints.core.tenancy import Agency, Region, Subdivision
from touchpoints.core.text import counted
from touchpoints.core.web import Page, committed, dead_link, ru_datetime
from touchpoints.extensions import limiter
from touchpoints.users import email_change, services
from touchpoints.users.forms import UserForm

bp = Blueprint("users", __name__, url_prefix="/users")


def _is_admin() -> bool:
    return current_user.role_enum is Role.ADMIN


def _users_query():
    agency_id = None if _is_admin() else current_user.agency_id
    return User.search(request.args.get("q", "").strip(), agency_id=agency_id)


def _get_user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or (not _is_admin() and user.agency_id != current_user.agency_id):
        abort(404)
    return user


def _prepare(form: UserForm) -> None:
    roles = list(Role) if _is_admin() else sorted(services.REGISTRAR_MANAGED, key=list(Role).index)
    form.role.choices = [(r.value, ROLE_LABELS[r]) for r in roles]
    if _is_admin():
        agencies = Agency.by_short_name()
        subs = Subdivision.of_agency()
        form.region_id.choices = [(0, "—")] + [(r.id, r.name) for r in Region.by_name()]
    else:
        agencies = [current_user.agency]
        subs = Subdivision.of_agency(current_user.agency_id)
        form.region_id.choices = [(0, "—")]
    form.agency_id.choices = [(0, "—")] + [(a.id, a.short_name) for a in agencies]
    names = {a.id: a.short_name for a in agencies}
    form.subdivision_id.choices = [(0, "—")] + [
        (s.id, f"{s.name} ({names.get(s.agency_id, '')})" if _is_admin() else s.name) for s in subs
    ]


@bp.route("/")
@permission_required(Permission.MANAGE_AGENCY_USERS)
def index():
    page = Page(_users_query())
    return render_template("users/index.html", page=page)


@bp.route("/export.csv")
@permission_required(Permission.MANAGE_AGENCY_USERS)
def export_csv():
    """The people the page lists (same search), all of them, as a CSV for Excel."""
    users = db.session.scalars(_users_query())
    data = services.people_csv(users, ru_datetime)
    if _is_admin():
        name, ascii_name = "Пользователи.csv", "users.csv"
    else:
        agency = current_user.agency
        name, ascii_name = f"Пользователи — {agency.short_name}.csv", f"users-{agency.slug}.csv"
    return csvfile.attachment(data, name, ascii_name)


@bp.route("/new")
@permission_required(Permission.MANAGE_AGENCY_USERS)
def create():
    """New people come by invitation: a registrar invites into their agency; the operator
    picks the agency first (its page has «Пригласить»)."""
    if current_user.agency_id is not None:
        return redirect(url_for("invitations.index", slug=current_user.agency.slug))
    flash("Выберите организацию и пригласите человека на её странице.", "info")
    return redirect(url_for("agencies.index"))


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@permission_required(Permission.MANAGE_AGENCY_USERS)
def edit(user_id):
    user = _get_user_or_404(user_id)
    form = UserForm(obj=user) if request.method == "GET" else UserForm()
    _prepare(form)
    if request.method == "GET":
        form.agency_id.data = user.agency_id or 0
        form.region_id.data = user.region_id or 0
        form.subdivision_id.data = user.subdivision_id or 0
    return _save(form, user)


def _save(form: UserForm, user: User):
    if form.validate_on_submit():
        if user.id == current_user.id and form.role.data != user.role:
            form.role.errors.append("Свою роль изменить нельзя")
        else:
            with committed(services.UserError, form=form) as done:
                saved, pending = services.save_user(user, dict(form.data), actor=current_user)
            if done:
                flash(f"Пользователь {saved.name} сохранён.", "success")
                if pending:
                    # The same words whatever the address (docs/security.md, "Account
                    # enumeration").
                    days = counted(email_change.VALID_FOR.days, "день", "дня", "дней")
                    flash(PENDING_SAID.format(email=pending, days=days), "info")
                return redirect(url_for("users.index"))
    pending = email_change.EmailChange.pending_for(user.id)
    return render_template("users/edit.html", form=form, user=user, pending=pending)


PENDING_SAID = (
    "На адрес {email} отправлено письмо со ссылкой. Почта сменится, когда по ней перейдут "
    "(ссылка действует {days}); до тех пор вход — по прежнему адресу."
)


@bp.route("/email/<token>", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"], error_message="Слишком много попыток")
def confirm_email(token):
    """The link from the mail to a new address: anonymous, as whoever owns the mailbox may
    not be signed in. A GET only shows the question (mail scanners open links)."""
    found = email_change.find(token)
    if found.problem:
        return dead_link(found.problem, known=found.change is not None)
    change = found.change
    form = BaseForm()
    if form.validate_on_submit():
        applied = email_change.confirm(change)
        db.session.commit()
        return render_template(
            "users/email_confirmed.html",
            change=change,
            applied=applied,
            refused=email_change.REFUSED,
        )
    return render_template("users/confirm_email.html", form=form, change=change)


@bp.route("/<int:user_id>/active", methods=["POST"])
@permission_required(Permission.MANAGE_AGENCY_USERS)
def toggle_active(user_id):
    user = _get_user_or_404(user_id)
    if user.id == current_user.id:
        flash("Нельзя отключить собственную учётную запись.", "error")
        return redirect(url_for("users.index"))
    activate = request.form.get("active") == "1"
    with committed(services.UserError) as done:
        services.set_active(user, activate, actor=current_user)
    if done:
        flash(f"{user.name}: учётная запись {'включена' if activate else 'отключена'}.", "success")
    return redirect(url_for("users.index"))
