"""The touchpoint registry: a Flask application factory."""

from __future__ import annotations

import logging

from flask import Flask
from werkzeug.routing import IntegerConverter

from touchpoints.config import ROOT_DIR, build_config


def create_app(profile: str | None = None, **overrides) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT_DIR / "templates"),
        static_folder=str(ROOT_DIR / "static"),
        instance_path=str(overrides.get("INSTANCE_DIR") or (ROOT_DIR / "instance")),
    )
    app.config.update(build_config(profile, **overrides))
    app.config["CELERY"].setdefault("beat_schedule", _beat_schedule())
    logging.getLogger("touchpoints").setLevel(logging.INFO)

    if app.config["PROXY_FIX"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)

    _init_extensions(app)
    # Every <int:…> in a URL fits the database's integer: a larger number is a 404, not an
    # overflow error from the driver.
    app.url_map.converters["int"] = BoundedIntegerConverter
    _register_blueprints(app)
    from touchpoints.lists.policy import TEMPLATE_GLOBALS

    # Templates ask the same predicates the services enforce (can_include(current_user, e)…).
    app.jinja_env.globals.update(TEMPLATE_GLOBALS)
    from touchpoints.lists.procedures import cited

    # Pages cite the agency's own procedure (docs/forms.md), never both orders at once.
    app.jinja_env.globals["cited"] = cited
    _register_cli(app)
    from touchpoints import webapp
    from touchpoints.core import text

    webapp.init_app(app)
    text.register_filters(app.jinja_env)
    if app.config["INPROCESS_BEAT"]:
        # The demo's scheduler: a thread of the web process (make demo: no Redis, no beat).
        from touchpoints.reminders.beat import start

        start(app)
    return app


class BoundedIntegerConverter(IntegerConverter):
    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def _beat_schedule() -> dict:
    from workers.schedule import BEAT_SCHEDULE

    return dict(BEAT_SCHEDULE)


def _init_extensions(app: Flask) -> None:
    from touchpoints import models  # noqa: F401 - every model registered before use
    from touchpoints.extensions import csrf, db, limiter, login_manager, migrate
    from touchpoints.jobs import celery_init_app

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        app.config["INSTANCE_DIR"].mkdir(parents=True, exist_ok=True)
    db.init_app(app)
    from touchpoints.core import postgres, sqlite

    with app.app_context():
        sqlite.install(db.engine)
        postgres.install(db.engine)
    migrate.init_app(app, db, directory=str(ROOT_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Войдите, чтобы открыть эту страницу."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    celery_init_app(app)
    import workers.tasks  # noqa: F401 - registers the tasks with this Celery app


def _register_blueprints(app: Flask) -> None:
    from touchpoints.agencies.routes import bp as agencies_bp
    from touchpoints.api.routes import bp as api_bp
    from touchpoints.api.routes import tokens_bp as api_tokens_bp
    from touchpoints.auth.routes import bp as auth_bp
    from touchpoints.background.routes import bp as background_bp
    from touchpoints.dashboard.routes import bp as dashboard_bp
    from touchpoints.health.routes import bp as health_bp
    from touchpoints.home.routes import bp as home_bp
    from touchpoints.mail.routes import bp as mail_bp
    from touchpoints.orders.routes import bp as orders_bp
    from touchpoints.public.routes import bp as public_bp
    from touchpoints.users.routes import bp as users_bp

    for bp in (auth_bp, home_bp, agencies_bp, users_bp, health_bp, mail_bp, background_bp):
        app.register_blueprint(bp)
    from touchpoints.lists.routes import bp as lists_bp

    app.register_blueprint(lists_bp)
    from touchpoints.lists.annulment_routes import bp as annulments_bp

    app.register_blueprint(annulments_bp)
    for bp in (public_bp, api_bp, api_tokens_bp):
        app.register_blueprint(bp)
    app.register_blueprint(orders_bp)
    app.register_blueprint(dashboard_bp)
    from touchpoints.calendar.routes import bp as calendar_bp
    from touchpoints.deadlines.routes import bp as deadlines_bp
    from touchpoints.notifications.routes import bp as notifications_bp
    from touchpoints.reminders.routes import bp as reminders_bp

    for bp in (calendar_bp, deadlines_bp, reminders_bp, notifications_bp):
        app.register_blueprint(bp)
    from touchpoints.transfer.routes import bp as transfer_bp

    app.register_blueprint(transfer_bp)
    from touchpoints.formeditor.routes import bp as formeditor_bp

    app.register_blueprint(formeditor_bp)
    from touchpoints.publication.routes import bp as publication_bp
    from touchpoints.reports.routes import bp as reports_bp

    for bp in (publication_bp, reports_bp):
        app.register_blueprint(bp)
    from touchpoints.agencies.card_routes import bp as agency_card_bp
    from touchpoints.invitations.routes import bp as invitations_bp
    from touchpoints.registry.passport_routes import bp as passports_bp
    from touchpoints.registry.routes import bp as registry_bp
    from touchpoints.registry.shared_routes import bp as shared_bp

    for bp in (agency_card_bp, invitations_bp, registry_bp, passports_bp, shared_bp):
        app.register_blueprint(bp)


def _register_cli(app: Flask) -> None:
    from touchpoints.core.cli import database_cli
    from touchpoints.dashboard.cli import dashboard_cli
    from touchpoints.demo.cli import demo_cli
    from touchpoints.lists.cli import lists_cli
    from touchpoints.orders.cli import orders_cli
    from touchpoints.tenants.cli import tenants_cli
    from touchpoints.transfer import cli as transfer_cli  # noqa: F401 - adds `flask lists import|export`

    for group in (tenants_cli, demo_cli, database_cli, lists_cli, dashboard_cli):
        app.cli.add_command(group)
    app.cli.add_command(orders_cli)
    from touchpoints.calendar.cli import calendar_cli
    from touchpoints.reminders.cli import reminders_cli

    for group in (calendar_cli, reminders_cli):
        app.cli.add_command(group)
    from touchpoints.publication.cli import publication_cli
    from touchpoints.reports.cli import reports_cli

    for group in (publication_cli, reports_cli):
        app.cli.add_command(group)
    from touchpoints.agencies.cli import agencies_cli

    app.cli.add_command(agencies_cli)
