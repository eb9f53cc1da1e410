"""`flask reports quarterly REGION --quarter YYYY-Q -o FILE`: the quarterly report as XLSX or DOCX
(by the file's extension), taking the quarter's snapshot first when it has none."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Region
from touchpoints.reports import exports, services

reports_cli = AppGroup("reports", help="Квартальные отчёты проектного офиса.")


@reports_cli.command("quarterly")
@click.argument("region_slug", metavar="REGION")
@click.option("--quarter", "quarter", required=True, help="Квартал: ГГГГ-К, например 2026-4.")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Файл отчёта: .xlsx или .docx.",
)
def quarterly_command(region_slug: str, quarter: str, output: Path) -> None:
    """Отчёт о ведении перечней за квартал (XLSX или DOCX по расширению файла)."""
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "docx"):
        raise click.BadParameter("файл должен оканчиваться на .xlsx или .docx", param_hint="-o")
    try:
        q = services.Quarter.parse(quarter)
    except services.ReportError as exc:
        raise click.BadParameter(str(exc), param_hint="--quarter") from None
    with scoped(SYSTEM_SCOPE):
        region = Region.by_slug(region_slug)
        if region is None:
            raise click.ClickException(f"Нет региона «{region_slug}»")
        had = bool(services.snapshots(region, q))
        try:
            snaps = services.ensure_snapshot(region, q)
        except services.ReportError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        db.session.commit()
        made = services.today_in(region)
        t = services.totals(snaps)
        render = exports.xlsx if fmt == "xlsx" else exports.docx
        output.write_bytes(render(region, q, snaps, t, made))
    taken = "" if had else " (показатели зафиксированы сейчас)"
    click.echo(f"{region.name}, {q.label}: органов власти {t.agencies}{taken} → {output}")
