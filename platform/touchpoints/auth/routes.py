from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from touchpoints.audit import service as audit
from touchpoints.auth import lockout, sessions
from touchpoints.auth.forms import ChangePasswordForm, LoginForm
from touchpoints.auth.models import User, burn_password_check
from touchpoints.core.access import apply_user_scope, scope_for
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped, set_scope, utcnow
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
        wait = lockout.seconds_left(email)
        if wait:
            form.email.errors.append(_locked_message(wait))
            return render_template("auth/login.html", form=form), 429
        user = _check_credentials(email, form.password.data)
        if user is not None:
            lockout.clear(email)
            next_url = safe_next(form.next.data)
            # A fresh session at login: nothing an attacker planted before survives it.
            session.clear()
            sessions.start(user)
            login_user(user, remember=form.remember.data)
            user.last_login_at = utcnow()
            db.session.commit()
            apply_user_scope()
            return redirect(next_url or url_for("home.index"))
        wait = lockout.record_failure(email)
        if wait:
            form.email.errors.append(_locked_message(wait))
            return render_template("auth/login.html", form=form), 429
        flash("Неверная электронная почта или пароль, или учётная запись отключена.", "error")
    return render_template("auth/login.html", form=form)


def _check_credentials(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, loaded in the user's own scope; None
    otherwise, after the same argon2 work (timing must not reveal accounts)."""
    identity = sessions.find_for_login(email)
    if identity is None or not identity.active:
        burn_password_check(password)
        return None
    # Under row-level security the person's row is readable in their own scope only.
    set_scope(identity.scope)
    user = db.session.get(User, identity.id)
    if user is None or not user.check_password(password):
        return None
    return user


def _locked_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return (
        "Слишком много неудачных попыток входа с этой почтой. "
        f"Повторите попытку через {minutes} мин."
    )


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        # The session ends on the server too: a cookie saved before stops working.
        sessions.end(current_user.session_token)
        db.session.commit()
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
            # A new password ends every other session; this one goes on.
            sessions.end_all(current_user, keep=current_user.session_token)
            db.session.commit()
            flash("Пароль изменён. Другие сеансы завершены.", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/password.html", form=form)
