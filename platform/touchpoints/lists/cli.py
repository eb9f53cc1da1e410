"""`flask lists …`: operators' commands for onboarding and checking many agencies.

Feature modules add their commands to this group (import, export, check)."""

import click
from flask.cli import AppGroup

lists_cli = AppGroup("lists", help="Перечни: импорт, выгрузка, проверка.")

# Commands of other feature modules register themselves on the group when imported.
from touchpoints.transfer import cli as _transfer_cli  # noqa: E402, F401


@lists_cli.command("check")
@click.argument("slug")
def check_command(slug: str) -> None:
    """Проверить рабочий перечень организации SLUG на соответствие порядку (код 1 при ошибках)."""
    import sqlalchemy as sa

    from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, scoped
    from touchpoints.lists.compliance import check
    from touchpoints.regions.models import Agency

    # The operator names any agency: found in the system scope, then worked on in its own.
    with scoped(SYSTEM_SCOPE):
        agency = db.session.scalar(sa.select(Agency).where(Agency.slug == slug))
    if agency is None:
        raise click.ClickException(f"Организация {slug!r} не найдена.")
    with scoped(agency_scope(agency.id)):
        report = check(agency)
    click.echo(f"{agency.full_name}: строк в перечне — {report.entry_count}.")
    for title, items in (("Ошибки", report.errors), ("Предупреждения", report.warnings)):
        click.echo(f"{title}: {len(items)}")
        for f in items:
            where = f" [строка {f.entry_id}]" if f.entry_id else (f" [{f.area}]" if f.area else "")
            click.echo(f"  - {f.rule} ({f.clause}){where}: {f.message}")
    if report.errors:
        raise SystemExit(1)
    click.echo("Ошибок нет: перечень можно утверждать.")
