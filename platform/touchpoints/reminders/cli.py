"""`flask reminders dispatch [--at DATETIME]`: one scanner run, as if at that moment."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from touchpoints.core.db import SYSTEM_SCOPE, scoped
from touchpoints.jobs import wait_for_inprocess_jobs
from touchpoints.reminders import scan, services

reminders_cli = AppGroup("reminders", help="Напоминания о сроках.")


def parse_moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            "ожидается дата и время ISO 8601, например 2025-05-15T09:00+03:00"
        ) from None
    # A moment without a zone is read as UTC, the zone every stored time is in.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@reminders_cli.command("dispatch")
@click.option("--at", "at", default=None, help="Момент запуска (ISO 8601); по умолчанию — сейчас.")
def dispatch_command(at: str | None) -> None:
    """Один проход: найти наступившие напоминания и отправить дайджесты."""
    now = parse_moment(at) if at else None
    with scoped(SYSTEM_SCOPE):
        result = scan.scan(now)
        # A digest is sent "as if at" the same moment, so --at in the future works end to end.
        if now is not None:
            for digest_id in scan.due_digest_ids(now):
                services.send_digest(digest_id, now=now)
    wait_for_inprocess_jobs()
    click.echo(
        f"Заявлено напоминаний: {result['claimed']}, дайджестов создано: {result['digests']}, "
        f"поставлено в отправку: {result['enqueued']}."
    )
