"""``flask agencies invite``: the operator's way to bring a person on board by mail."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency, Subdivision
from touchpoints.invitations import services

agencies_cli = AppGroup("agencies", help="Организации: приглашения людей.")


@agencies_cli.command("invite")
@click.argument("slug")
@click.argument("email")
@click.option(
    "--role", type=click.Choice(["registrar", "editor", "viewer"]), required=True, help="Роль"
)
@click.option("--subdivision", "subdivision_name", help="Подразделение (для сотрудника)")
@click.option("--name", default="", help="Фамилия, имя, отчество")
def invite_command(slug, email, role, subdivision_name, name):
    """Send EMAIL an invitation into the agency SLUG with a one-time link (7 days)."""
    with scoped(SYSTEM_SCOPE):
        agency = Agency.by_slug(slug)
        if agency is None:
            raise click.ClickException(f"Нет организации с кодом «{slug}»")
        subdivision_id = None
        if subdivision_name:
            unit = db.session.scalar(
                sa.select(Subdivision).where(
                    Subdivision.agency_id == agency.id,
                    sa.func.lower(Subdivision.name) == subdivision_name.strip().lower(),
                )
            )
            if unit is None:
                names = ", ".join(f"«{s.name}»" for s in Subdivision.of_agency(agency.id))
                raise click.ClickException(
                    f"Нет подразделения «{subdivision_name}». Есть: {names or 'никаких'}"
                )
            subdivision_id = unit.id
        try:
            inv = services.invite(
                agency, email, role, actor=None, name=name, subdivision_id=subdivision_id
            )
        except services.InvitationError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        message = (
            f"Приглашение отправлено на {inv.email} ({agency.short_name}); ссылка действует 7 дней."
        )
        db.session.commit()
    click.echo(message)
