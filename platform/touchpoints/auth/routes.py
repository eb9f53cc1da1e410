from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from touchpoints.audit import service as audit
from touchpoints.auth.access import apply_user_scope, scope_for
from touchpoints.auth.forms import ChangePasswordForm, LoginForm
from touchpoints.auth.models import User, burn_password_check
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped, utcnow
from touchpoints.extensions import limiter

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site: no scheme, no host, no protocol-relative '//' (open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def _login_limit() -> str:
    from flask import current_app

    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], error_message="Слишком много попыток входа")
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email))
        if user is None:
            # Spend the same argon2 time for unknown e-mails: timing must not reveal accounts.
            burn_password_check(form.password.data)
        if user is not None and user.active and user.check_password(form.password.data):
            next_url = safe_next(form.next.data)
            # A fresh session at login: nothing an attacker planted before survives it.
            session.clear()
            login_user(user, remember=form.remember.data)
            user.last_login_at = utcnow()
            db.session.commit()
            apply_user_scope()
            return redirect(next_url or url_for("home.index"))
        flash("Неверная электронная почта или пароль, или учётная запись отключена.", "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("Вы вышли из системы.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.current.errors.append("Текущий пароль указан неверно")
        else:
            current_user.set_password(form.new.data)
            current_user.is_demo = False
            # Office and operator events belong to no agency: only the system scope may write
            # such audit rows, and only this one row is written under it.
            with scoped(
                SYSTEM_SCOPE if current_user.agency_id is None else scope_for(current_user)
            ):
                audit.record("user.password", current_user, agency_id=current_user.agency_id)
                db.session.flush()
            db.session.commit()
            # The new session token ends every other session; keep this one going.
            login_user(current_user)
            flash("Пароль изменён. Другие сеансы завершены.", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)
