import click
from flask import current_app
from flask.cli import AppGroup

from touchpoints.core.db import db
from touchpoints.tenants.loader import DefinitionError
from touchpoints.tenants.sync import sync

tenants_cli = AppGroup("tenants", help="Определения органов власти и форм (папка tenants/).")


@tenants_cli.command("sync")
@click.option(
    "--dry-run", is_flag=True, help="Проверить и показать изменения, ничего не записывая."
)
def sync_command(dry_run: bool) -> None:
    """Загрузить или обновить все определения из tenants/ (повторный запуск ничего не меняет)."""
    try:
        report = sync(current_app.config["TENANTS_DIR"])
    except DefinitionError as exc:
        click.echo("Определения содержат ошибки, ничего не записано:", err=True)
        for path, field, msg in exc.problems:
            click.echo(f"  {path}: {field}: {msg}", err=True)
        raise SystemExit(1) from None
    if dry_run:
        db.session.rollback()
    else:
        db.session.commit()
    for line in report.created:
        click.echo(f"создано: {line}")
    for line in report.updated:
        click.echo(f"обновлено: {line}")
    click.echo(
        f"{'Проверка' if dry_run else 'Готово'}: создано {len(report.created)}, "
        f"обновлено {len(report.updated)}, без изменений {report.unchanged}."
    )
