from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.tenants.export import ExportError, export
from touchpoints.tenants.loader import DefinitionError
from touchpoints.tenants.sync import sync

tenants_cli = AppGroup("tenants", help="Определения органов власти и форм (папка tenants/).")


@tenants_cli.command("sync")
@click.option(
    "--dry-run", is_flag=True, help="Проверить и показать изменения, ничего не записывая."
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Папка определений (по умолчанию — tenants/ приложения).",
)
def sync_command(dry_run: bool, directory: Path | None) -> None:
    """Загрузить или обновить все определения из tenants/ (повторный запуск ничего не меняет)."""
    try:
        report = sync(directory or current_app.config["TENANTS_DIR"])
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


@tenants_cli.command("export")
@click.argument("slug")
@click.option(
    "--to",
    type=click.Path(file_okay=False, path_type=Path),
    help="Записать в папку определений (SLUG/agency.yaml и, если шаблон изменён, "
    "forms/ШАБЛОН.yaml); без этого — вывести YAML.",
)
def export_command(slug: str, to: Path | None) -> None:
    """Выгрузить организацию (или общую форму) SLUG в YAML, как её читает `tenants sync`."""
    with scoped(SYSTEM_SCOPE):
        try:
            text, written = export(slug, to)
        except ExportError as exc:
            click.echo(str(exc), err=True)
            raise SystemExit(1) from None
    if to is None:
        click.echo(text, nl=False)
    for path in written:
        click.echo(f"записано: {path}")
