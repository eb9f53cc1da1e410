"""`flask lists import` and `flask lists export`: onboarding many agencies from the command line."""

from __future__ import annotations

from pathlib import Path

import click
import sqlalchemy as sa

from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, scoped
from touchpoints.lists.cli import lists_cli
from touchpoints.lists.models import ListVersion
from touchpoints.regions.models import Agency
from touchpoints.transfer import imports
from touchpoints.transfer.export import FORMATS, export_list
from touchpoints.transfer.reader import ImportFileError


def _agency(slug: str) -> Agency:
    # The operator names any agency: found in the system scope, then worked on in its own.
    with scoped(SYSTEM_SCOPE):
        agency = db.session.scalar(sa.select(Agency).where(Agency.slug == slug))
    if agency is None:
        raise click.ClickException(f"Организация «{slug}» не найдена.")
    return agency


@lists_cli.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Только проверить файл, ничего не записывать.")
def import_command(slug: str, file: Path, dry_run: bool) -> None:
    """Загрузить перечень организации SLUG из таблицы FILE (.docx или .xlsx).

    Строки сразу включаются в рабочий перечень и записываются в журнал изменений. При любой
    ошибке в файле (и с --dry-run) ничего не записывается."""
    agency = _agency(slug)
    with scoped(agency_scope(agency.id)):
        try:
            table, header_row, mapping = imports.read_upload(agency, file.read_bytes(), file.name)
        except ImportFileError as exc:
            raise click.ClickException(str(exc)) from None
        analysis = imports.analyse_table(agency, table.rows, header_row, mapping, table.merged_rows)
        click.echo(f"{file.name}: {table.source}, строка заголовка {header_row + 1}.")
        for col, key in enumerate(mapping):
            if key and key != imports.NUMBER:
                label = next(t.label for t in analysis.targets if t.key == key)
                header = table.rows[header_row][col]
                click.echo(f"  столбец {col + 1} «{header}» → {label}")
        for line in analysis.messages():
            click.echo(f"ОШИБКА: {line}", err=True)
        for r in analysis.rows:
            for w in r.warnings:
                click.echo(f"предупреждение: строка {r.line}: {w}")
        n = len(analysis.data_rows)
        if not analysis.ok:
            db.session.rollback()
            raise click.ClickException(
                f"Строк с ошибками: {analysis.error_rows} из {n}. Ничего не записано."
            )
        if dry_run:
            db.session.rollback()
            click.echo(
                f"Проверка пройдена: {n} строк можно загрузить. Ничего не записано (--dry-run)."
            )
            return
        try:
            imports.write_rows(
                agency, analysis, user_id=None, filename=file.name, actor_label="cli"
            )
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            raise click.ClickException(f"Загрузка не выполнена, ничего не записано: {exc}") from exc
        # Still in the agency's scope: after the commit the agency is read again, and RLS
        # shows it to its own scope only.
        click.echo(f"Загружено строк: {n}; они включены в рабочий перечень «{agency.short_name}».")


@lists_cli.command("export")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="xlsx", show_default=True)
@click.option("--version", "number", type=int, default=None, help="Номер утверждённой редакции.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    required=True,
    help="Куда записать файл.",
)
def export_command(slug: str, fmt: str, number: int | None, output: Path) -> None:
    """Выгрузить рабочий перечень (или редакцию --version) организации SLUG в файл."""
    agency = _agency(slug)
    with scoped(agency_scope(agency.id)):
        version = None
        if number is not None:
            version = db.session.scalar(
                sa.select(ListVersion).where(
                    ListVersion.agency_id == agency.id, ListVersion.number == number
                )
            )
            if version is None:
                raise click.ClickException(f"У «{agency.short_name}» нет редакции № {number}.")
        data, _name, _mime = export_list(agency, version, fmt)
        db.session.rollback()
    output.write_bytes(data)
    click.echo(f"Записано: {output} ({len(data)} байт).")
