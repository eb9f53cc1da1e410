"""`flask dashboard refresh [--region SLUG]`: recompute every agency's stored figures."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.dashboard import figures
from touchpoints.regions.models import Region

dashboard_cli = AppGroup("dashboard", help="Сводные показатели проектного офиса.")


@dashboard_cli.command("refresh")
@click.option("--region", "region_slug", default=None, help="Только органы власти этого региона.")
def refresh_command(region_slug: str | None) -> None:
    """Пересчитать сохранённые показатели органов власти (после миграции или восстановления)."""
    region_id = None
    if region_slug:
        with scoped(SYSTEM_SCOPE):
            region_id = db.session.scalar(sa.select(Region.id).where(Region.slug == region_slug))
        if region_id is None:
            raise click.ClickException(f"Регион «{region_slug}» не найден.")

    def progress(done: int, total: int) -> None:
        click.echo(f"Пересчитано: {done} из {total}")

    done = figures.refresh_all(region_id, progress)
    click.echo(f"Готово. Органов власти с пересчитанными показателями: {done}.")
