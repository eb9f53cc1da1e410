"""The application's request plumbing: the signed-in user, the tenant scope per request,
refusal of control characters, security headers, error pages, the navigation and the template
filters.

Above the features (it knows auth, audit and the endpoints of the menu), so core does not
depend on them; create_app calls :func:`init_app`.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask, abort, g, jsonify, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from touchpoints.auth.access import apply_user_scope
from touchpoints.auth.roles import Permission, Role
from touchpoints.core.db import NO_SCOPE, db, set_scope
from touchpoints.core.safety import has_forbidden_controls, neutralise_bidi
from touchpoints.core.web import (
    ERROR_TEXTS,
    ERROR_TITLES,
    page_url,
    ru_datetime,
    ru_datetime_zone,
    wants_json,
)
from touchpoints.extensions import login_manager

#: Where pages are anonymous: the public registry (public/routes.py, url_prefix "/p").
ANONYMOUS_PREFIX = "/p/"


def anonymous(req) -> bool:
    """Whether the request is for a page that is the same for everybody (docs/public-cache.md)."""
    return req.path.startswith(ANONYMOUS_PREFIX)


class SessionInterface(SecureCookieSessionInterface):
    """No session for anonymous pages: the cookie is neither read nor written, so no Set-Cookie
    and no "Vary: Cookie" reach shared caches. Elsewhere Flask's signed cookie, unchanged."""

    def open_session(self, app, request):
        if anonymous(request):
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()

    @login_manager.user_loader
    def load_user(token: str):
        from touchpoints.auth import sessions
        from touchpoints.auth.models import User

        identity = sessions.find_for_session(token)
        if identity is None:
            return None
        # The person's own scope first: under row-level security their row is visible in it.
        set_scope(identity.scope)
        # Agency and region come along: every page's header shows them.
        user = db.session.scalar(
            sa.select(User)
            .where(User.id == identity.id)
            .options(sa.orm.joinedload(User.agency), sa.orm.joinedload(User.region))
        )
        if user is not None:
            user.session_token = token
        return user

    @app.before_request
    def _refuse_control_characters():
        # One check for every route: a NUL or another control character in the path, the
        # query string, a form field or an upload's name is a 400 here, never a database error
        # later. Form text that gets through is also cleaned by core.forms.BaseForm.
        if has_forbidden_controls(request.path) or any(
            has_forbidden_controls(k) or has_forbidden_controls(v)
            for k, v in request.args.items(multi=True)
        ):
            abort(400)
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            for key, value in request.form.items(multi=True):
                if has_forbidden_controls(key) or has_forbidden_controls(value, url=False):
                    abort(400)
            for key, upload in request.files.items(multi=True):
                if has_forbidden_controls(key) or has_forbidden_controls(upload.filename or ""):
                    abort(400)

    @app.before_request
    def _scope():
        # Every request starts with no scope; the signed-in user's scope is applied here, and
        # public blueprints pick "public" themselves.
        set_scope(NO_SCOPE)
        if anonymous(request):
            # Nobody is signed in here (there is no session, see SessionInterface): no user's
            # scope can be loaded in the middle of rendering a page that is cached for all.
            # Flask-Login's current_user is this request's g._login_user.
            g._login_user = login_manager.anonymous_user()
            return
        apply_user_scope()

    @app.teardown_request
    def _unscope(exc=None):
        # The session's transaction is rolled back when the app context ends, and the scope
        # settings end with it: only the context variable needs resetting.
        set_scope(NO_SCOPE, push=False)

    @app.after_request
    def _headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if app.config["SESSION_COOKIE_SECURE"]:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        )
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = exc.code or 500
        if wants_json():
            return jsonify(
                error=ERROR_TITLES.get(code, exc.name), code=code, detail=exc.description
            ), code
        return (
            render_template(
                "error.html",
                code=code,
                title=ERROR_TITLES.get(code, exc.name),
                text=ERROR_TEXTS.get(code, exc.description),
            ),
            code,
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if wants_json():
            return jsonify(error=ERROR_TITLES[500], code=500), 500
        return render_template(
            "error.html", code=500, title=ERROR_TITLES[500], text=ERROR_TEXTS[500]
        ), 500

    @app.context_processor
    def _globals():
        return {"nav": navigation(), "Permission": Permission, "Role": Role}

    from touchpoints.audit import labels as audit_labels

    app.jinja_env.filters["audit_action"] = audit_labels.action_label
    app.jinja_env.filters["audit_object"] = audit_labels.object_label
    app.jinja_env.filters["audit_actor"] = audit_labels.actor_label
    # Every value a template prints (pages, the order PDF, the dashboard PDF) loses bidi
    # controls: U+202E would print stored text reversed.
    app.jinja_env.finalize = neutralise_bidi
    app.jinja_env.filters["ru_datetime"] = ru_datetime
    app.jinja_env.filters["ru_datetime_zone"] = ru_datetime_zone
    app.jinja_env.globals["page_url"] = page_url


#: The menu in its order: (endpoint, label, who sees it: a permission, or a role).
NAVIGATION = (
    ("home.index", "Главная", None),
    ("lists.working_list", "Перечень", Permission.READ_AGENCY),
    ("lists.review", "Черновики и проверка", Permission.EDIT_ENTRIES),
    ("registry.index", "Реестр процессов", Permission.READ_AGENCY),
    ("deadlines.index", "Сроки", Permission.READ_AGENCY),
    ("agencies.audit_log", "Журнал изменений", Permission.READ_AGENCY),
    ("agencies.index", "Органы власти", Permission.READ_REGION),
    ("reports.index", "Квартальный отчёт", Role.OFFICE),
    ("shared.index", "Общие точки", Role.OFFICE),
    ("dashboard.regions", "Сравнение регионов", Permission.MANAGE_ALL),
    ("dashboard.peers", "Каналы коллег", Permission.READ_AGENCY),
    ("formeditor.index", "Форма перечня", Permission.EDIT_FORM),
    ("users.index", "Пользователи", Permission.MANAGE_AGENCY_USERS),
    ("api_tokens.token_list", "Токены API", Permission.READ_REGION),
    ("mail.outbox", "Почта", Permission.VIEW_OUTBOX),
)


def navigation() -> list[tuple[str, str]]:
    """Menu items for the signed-in user's role: (endpoint, label)."""
    if not current_user.is_authenticated:
        return []
    role = current_user.role_enum
    return [
        (endpoint, label)
        for endpoint, label, who in NAVIGATION
        if who is None or (who is role if isinstance(who, Role) else current_user.can(who))
    ]
