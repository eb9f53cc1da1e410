"""`flask lists import` and `flask lists export`: onboarding many agencies from the command line."""

from __future__ import annotations

from pathlib import Path

import click

from touchpoints.core.cli import agency_named
from touchpoints.core.db import agency_scope, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.lists.cli import lists_cli
from touchpoints.lists.models import ListVersion
from touchpoints.transfer import imports
from touchpoints.transfer.export import FORMATS, export_list
from touchpoints.transfer.reader import ImportFileError


def _agency(slug: str) -> Agency:
    return agency_named(slug, f"Организация «{slug}» не найдена.")


@lists_cli.command("import")
@click.argument("slug")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Только проверить файл, ничего не записывать.")
@click.option("--update", is_flag=True, help="Внести и изменения строк, уже бывших в перечне.")
@click.option("--exclude-missing", is_flag=True, help="Исключить строки, которых нет в файле.")
@click.option("--sheet", default=None, help="Читать только этот лист книги.")
def import_command(
    slug: str, file: Path, dry_run: bool, update: bool, exclude_missing: bool, sheet: str | None
) -> None:
    """Загрузить перечень организации SLUG из файла FILE (.docx, .xlsx, .odt, .ods, .csv).

    Новые строки включаются в рабочий перечень; с --update вносятся и изменения строк,
    которые уже есть в перечне, с --exclude-missing исключаются строки, которых в файле нет.
    Всё записывается в журнал изменений. При любой ошибке (и с --dry-run) ничего не записывается."""
    agency = _agency(slug)
    with scoped(agency_scope(agency.id)):
        try:
            session = imports.start_import(agency, file.read_bytes(), file.name, None, sheet)
        except ImportFileError as exc:
            raise click.ClickException(str(exc)) from None
        imports.set_options(session, apply_changes=update, exclude_missing=exclude_missing)
        analysis = imports.analyse_session(agency, session)
        click.echo(f"{file.name}: {session.source}, строка заголовка {session.header_row + 1}.")
        header = session.cells[session.header_row]
        labels = {t.key: t.label for t in analysis.targets}
        for col, key in enumerate(session.mapping):
            if key and key != imports.NUMBER:
                click.echo(f"  столбец {col + 1} «{header[col]}» → {labels[key]}")
        for note in analysis.notes:
            click.echo(f"  {note}")
        for line in analysis.messages():
            click.echo(f"ОШИБКА: {line}", err=True)
        for r in analysis.rows:
            for w in r.warnings:
                click.echo(f"предупреждение: строка {r.line}: {w}")
        n = len(analysis.data_rows)
        if not analysis.ok:
            db.session.rollback()
            raise click.ClickException(
                f"Строк с ошибками: {analysis.error_rows} из {n}, неуточнённых сопоставлений: "
                f"{len(analysis.questions)}. Ничего не записано."
            )
        plan = analysis.plan
        click.echo(
            f"Новых строк: {len(plan.added)}, изменённых: {len(plan.changed)}"
            f"{'' if update or not plan.changed else ' (не вносятся без --update)'}, "
            f"без изменений: {len(plan.unchanged)}, нет в файле: {len(plan.missing)}"
            f"{' (будут исключены)' if exclude_missing and plan.missing else ''}."
        )
        if dry_run:
            db.session.rollback()
            click.echo(f"Проверка пройдена: {n} строк. Ничего не записано (--dry-run).")
            return
        try:
            result = imports.confirm(agency, session.token, None, actor_label="cli")
            db.session.commit()
        except imports.ImportRefused as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        except Exception as exc:
            db.session.rollback()
            raise click.ClickException(f"Загрузка не выполнена, ничего не записано: {exc}") from exc
        # Still in the agency's scope: after the commit the agency is read again, and RLS
        # shows it to its own scope only.
        click.echo(
            f"Загружено в рабочий перечень «{agency.short_name}»: новых строк {result.added}, "
            f"изменено {result.changed}, исключено {result.excluded}."
        )


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
            version = ListVersion.by_number(agency.id, number)
            if version is None:
                raise click.ClickException(f"У «{agency.short_name}» нет редакции № {number}.")
        # A CSV here is for scripts: every field under stable column names (MACHINE_COLUMNS).
        data, _name, _mime = export_list(agency, version, fmt, for_scripts=True)
        db.session.rollback()
    output.write_bytes(data)
    click.echo(f"Записано: {output} ({len(data)} байт).")
