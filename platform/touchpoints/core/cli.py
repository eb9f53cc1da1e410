"""Database administration that Alembic does not do: the application's non-owner role."""

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from touchpoints.core.db import SYSTEM_SCOPE, scoped
from touchpoints.core.tenancy import Agency

database_cli = AppGroup("database", help="Роли и права PostgreSQL для приложения.")


def agency_named(slug: str, missing: str) -> Agency:
    """The agency an operator names on the command line. They may name any, so it is found in
    the system scope (and worked on in its own afterwards); ``missing`` says there is none."""
    with scoped(SYSTEM_SCOPE):
        agency = Agency.by_slug(slug)
    if agency is None:
        raise click.ClickException(missing)
    return agency


def grant_app_role(
    engine: sa.Engine, role: str, password: str | None = None, *, scope_key: str
) -> None:
    """Create (if needed) the role the application connects as: no ownership, no BYPASSRLS, so
    forced row-level security applies to it; store the key that signs its scopes where it
    cannot read it (``app_private``). Run as the owner, after migrations."""
    quoted = engine.dialect.identifier_preparer.quote(role)
    with engine.begin() as conn:
        owner = conn.scalar(sa.text("SELECT current_user"))
        if owner == role:
            raise click.ClickException("Роль приложения не может быть владельцем базы.")
        exists = conn.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role})
        if not exists:
            conn.execute(sa.text(f"CREATE ROLE {quoted} LOGIN NOSUPERUSER NOBYPASSRLS"))
        if password:
            conn.execute(sa.text(f"ALTER ROLE {quoted} PASSWORD :p"), {"p": password})
        conn.execute(sa.text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
        conn.execute(
            sa.text(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}"
            )
        )
        conn.execute(sa.text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))
        # Alembic's own table is the owner's business, and so is the scope key.
        conn.execute(sa.text(f"REVOKE ALL ON alembic_version FROM {quoted}"))
        conn.execute(sa.text(f"REVOKE ALL ON SCHEMA app_private FROM {quoted}"))
        # No temporary tables: one would shadow a real table for the later requests served on
        # the same pooled connection (docs/security.md). PUBLIC has TEMPORARY by default.
        database = engine.dialect.identifier_preparer.quote(
            conn.scalar(sa.text("SELECT current_database()"))
        )
        conn.execute(sa.text(f"REVOKE TEMPORARY ON DATABASE {database} FROM PUBLIC, {quoted}"))
        conn.execute(
            sa.text(
                "INSERT INTO app_private.scope_key (id, key) VALUES (1, convert_to(:k, 'UTF8')) "
                "ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key"
            ),
            {"k": scope_key},
        )


@database_cli.command("grant-app-role")
@click.argument("role")
@click.option("--password", envvar="TOUCHPOINTS_APP_DB_PASSWORD", default=None)
def grant_app_role_command(role: str, password: str | None) -> None:
    """Создать роль приложения ROLE и выдать ей права на таблицы (запускать от владельца)."""
    url = (
        current_app.config["MIGRATION_DATABASE_URL"]
        or current_app.config["SQLALCHEMY_DATABASE_URI"]
    )
    engine = sa.create_engine(url)
    if engine.dialect.name != "postgresql":
        raise click.ClickException("Роли нужны только для PostgreSQL.")
    grant_app_role(engine, role, password, scope_key=current_app.config["SCOPE_KEY"])
    click.echo(f"Роль {role}: права выданы.")
