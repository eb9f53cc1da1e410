"""Reminder tasks: thin wrappers, ids only, idempotent (touchpoints.reminders.services)."""

from celery import shared_task

from touchpoints.core.db import SYSTEM_SCOPE, scoped
from touchpoints.reminders import scan as scanner
from touchpoints.reminders import services


@shared_task(name="workers.tasks.reminders.scan")
def scan() -> dict:
    # The scanner reads every agency's deadlines: the system scope, and nothing else, allows it.
    with scoped(SYSTEM_SCOPE):
        return scanner.scan()


@shared_task(name="workers.tasks.reminders.send_digest")
def send_digest(digest_id: int) -> str:
    with scoped(SYSTEM_SCOPE):
        return services.send_digest(digest_id)
