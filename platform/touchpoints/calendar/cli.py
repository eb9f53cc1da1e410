"""`flask calendar …`: operators check a year when the Government's decree comes out."""

from __future__ import annotations

from datetime import date

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from touchpoints.calendar import services
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.text import ru_date
from touchpoints.regions.models import Region

calendar_cli = AppGroup("calendar", help="Производственный календарь: рабочие дни и переносы.")

WEEKDAYS = ["пн", "вт", "ср", "чт", "пт", "сб", "вс"]


def _region_id(slug: str | None) -> int | None:
    if not slug:
        return None
    region_id = db.session.scalar(sa.select(Region.id).where(Region.slug == slug))
    if region_id is None:
        slugs = ", ".join(db.session.scalars(sa.select(Region.slug).order_by(Region.slug)))
        raise click.ClickException(f"Нет региона «{slug}». Есть: {slugs or 'ни одного'}.")
    return region_id


def _warn_undecreed(year: int) -> None:
    if not services.is_decreed(year):
        click.secho(
            f"Внимание: постановления Правительства о переносе выходных на {year} год нет в "
            "установленной версии библиотеки holidays. Дни посчитаны только по Трудовому кодексу "
            "(ст. 112) и могут измениться: обновите holidays (pip install -U holidays) "
            "или внесите переносы исключениями региона.",
            fg="yellow",
            err=True,
        )


@calendar_cli.command("check")
@click.argument("year", type=int)
@click.option("--region", "region_slug", default=None, help="Учесть исключения региона.")
def check_command(year: int, region_slug: str | None) -> None:
    """Число рабочих дней в году YEAR, праздники и переносы."""
    with scoped(SYSTEM_SCOPE):
        try:
            report = services.year_report(year, _region_id(region_slug))
        except services.CalendarError as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"{year} год: рабочих дней — {report.working_days} (пятидневная неделя)")
    click.echo("Выходные и праздничные дни в будни:")
    for day, name in report.weekday_days_off:
        click.echo(f"  {ru_date(day)} {WEEKDAYS[day.weekday()]}  {name}")
    click.echo("Рабочие выходные дни:")
    for day in report.working_weekends or []:
        click.echo(f"  {ru_date(day)} {WEEKDAYS[day.weekday()]}")
    if not report.working_weekends:
        click.echo("  нет")
    if report.overrides:
        click.echo("Исключения региона:")
        for day, working, note in report.overrides:
            kind = "рабочий" if working else "выходной"
            click.echo(f"  {ru_date(day)} {kind}  {note}")
    _warn_undecreed(year)


@calendar_cli.command("add-workdays")
@click.argument("start", type=click.DateTime(formats=["%Y-%m-%d", "%d.%m.%Y"]))
@click.argument("n", type=int)
@click.option("--region", "region_slug", default=None, help="Учесть исключения региона.")
def add_workdays_command(start, n: int, region_slug: str | None) -> None:
    """Дата через N рабочих дней после START (сам START не считается)."""
    day: date = start.date()
    with scoped(SYSTEM_SCOPE):
        cal = services.calendar_for_region(_region_id(region_slug))
    result = cal.add_working_days(day, n)
    click.echo(result.isoformat())
    for year in sorted({day.year, result.year}):
        _warn_undecreed(year)
