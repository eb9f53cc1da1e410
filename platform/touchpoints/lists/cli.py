"""`flask lists …`: operators' commands for onboarding and checking many agencies.

Feature modules add their commands to this group (import and export: touchpoints.transfer.cli,
imported by create_app so that they register)."""

import click
from flask.cli import AppGroup

lists_cli = AppGroup("lists", help="Перечни: импорт, выгрузка, проверка.")


@lists_cli.command("check")
@click.argument("slug")
def check_command(slug: str) -> None:
    """Проверить рабочий перечень организации SLUG на соответствие порядку (код 1 при ошибках)."""
    from touchpoints.core.cli import agency_named
    from touchpoints.core.db import agency_scope, scoped
    from touchpoints.lists.compliance import check

    agency = agency_named(slug, f"Организация {slug!r} не найдена.")
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
