"""`flask orders pdf SLUG [--version N] -o FILE`: an order PDF from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from touchpoints.core.cli import agency_named
from touchpoints.core.db import agency_scope, scoped
from touchpoints.core.text import date_short
from touchpoints.lists.models import ListVersion
from touchpoints.orders.claim import store_version_pdf
from touchpoints.orders.document import OrderError
from touchpoints.orders.rendering import render_order
from touchpoints.orders.storage import document_bytes

orders_cli = AppGroup("orders", help="Приказы об утверждении перечней (PDF).")


@orders_cli.command("pdf")
@click.argument("slug")
@click.option("--version", "number", type=int, default=None, help="Номер редакции перечня.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Куда записать PDF.",
)
@click.option(
    "--changes/--no-changes",
    default=None,
    help="Приложение с изменениями по сравнению с предыдущей редакцией (по умолчанию — если она есть).",
)
def pdf_command(slug: str, number: int | None, output: Path, changes: bool | None) -> None:
    """Сформировать PDF приказа организации SLUG: утверждённой редакции N или, без --version,
    рабочего перечня как проекта приказа (с отметкой «ПРОЕКТ»)."""
    agency = agency_named(slug, f"Организации с кодом {slug!r} нет.")
    with scoped(agency_scope(agency.id)):
        if number is None:
            try:
                rendered = render_order(agency, None, changes)
            except OrderError as exc:
                raise click.ClickException(str(exc)) from None
            data, pages, note = rendered.pdf, rendered.pages, "проект приказа"
        else:
            version = ListVersion.by_number(agency.id, number)
            if version is None:
                raise click.ClickException(f"У организации {slug} нет редакции № {number}.")
            # An approved version's PDF is the stored one (rendered now if it is not there yet).
            doc = store_version_pdf(version, changes)
            if not doc.ready:
                raise click.ClickException(doc.error or "Не удалось сформировать PDF.")
            data, pages = document_bytes(doc), doc.pages
            note = f"редакция № {number}, приказ от {date_short(version.order_date)} № {version.order_number}"
    output.write_bytes(data)
    click.echo(f"{output}: {note}, страниц {pages}, {len(data) // 1024} КБ.")
