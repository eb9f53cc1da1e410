"""`flask publication record SLUG --url URL [--date YYYY-MM-DD]` and `flask publication verify [SLUG]`.

``verify`` exits with code 1 when a page does not show the current version or could not be read,
so that a cron job or a monitoring check notices."""

from __future__ import annotations

from datetime import date

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from touchpoints.core.cli import agency_named
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped, utcnow
from touchpoints.core.tenancy import Agency
from touchpoints.deadlines.models import Publication
from touchpoints.publication import services
from touchpoints.publication.models import Outcome

publication_cli = AppGroup("publication", help="Размещение перечня на сайте: отметка и проверка.")


def _agency(slug: str) -> Agency:
    return agency_named(slug, f"Нет органа власти «{slug}»")


@publication_cli.command("record")
@click.argument("slug")
@click.option("--url", required=True, help="Адрес страницы сайта, где размещён перечень.")
@click.option(
    "--date", "day", default=None, help="Дата размещения ГГГГ-ММ-ДД; по умолчанию — сегодня."
)
def record_command(slug: str, url: str, day: str | None) -> None:
    """Отметить, что актуальная редакция перечня размещена на сайте."""
    with scoped(SYSTEM_SCOPE):
        agency = _agency(slug)
        try:
            published_on = (
                date.fromisoformat(day) if day else utcnow().astimezone(agency.region.tz).date()
            )
        except ValueError:
            raise click.BadParameter("ожидается дата ГГГГ-ММ-ДД", param_hint="--date") from None
        try:
            pub = services.record(agency, None, published_on, url)
        except services.PublicationError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from None
        db.session.commit()
        late = " (срок размещения нарушен)" if pub.on_time is False else ""
        click.echo(
            f"{slug}: размещение редакции № {pub.version.number} отмечено "
            f"{published_on:%d.%m.%Y}{late}: {pub.url}"
        )


@publication_cli.command("verify")
@click.argument("slug", required=False)
def verify_command(slug: str | None) -> None:
    """Проверить, показывает ли страница сайта актуальную редакцию (все органы власти или один)."""
    failed = 0
    with scoped(SYSTEM_SCOPE):
        if slug:
            ids = [_agency(slug).id]
        else:
            ids = list(
                db.session.scalars(
                    sa.select(Agency.id)
                    .where(Agency.id.in_(sa.select(Publication.agency_id)))
                    .order_by(Agency.slug)
                )
            )
        names = dict(
            db.session.execute(sa.select(Agency.id, Agency.slug).where(Agency.id.in_(ids))).all()
        )
        if not ids:
            click.echo("Размещения ещё не отмечены: проверять нечего.")
        for agency_id in ids:
            check = services.verify(agency_id, trigger="cli")
            db.session.commit()
            if check is None:
                failed += 1
                click.echo(
                    f"{names[agency_id]}: нечего проверять — нет утверждённой редакции или отметки о размещении"
                )
                continue
            detail = (
                check.evidence
                or check.error
                or "ни встроенного перечня, ни ссылки, ни номера и даты приказа"
            )
            click.echo(f"{names[agency_id]}: {check.outcome_enum.label} — {detail} ({check.url})")
            if check.outcome != Outcome.SHOWN.value:
                failed += 1
    if failed:
        raise SystemExit(1)
