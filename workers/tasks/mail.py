import logging

from celery import shared_task

from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.mail import service

log = logging.getLogger(__name__)


@shared_task(name="workers.tasks.mail.deliver")
def deliver(message_id: int) -> str:
    with scoped(SYSTEM_SCOPE):
        try:
            return service.deliver(message_id)
        except Exception:
            # The failure and the next attempt's time are on the message row; the sweep below
            # brings it back then, so a retry survives a worker restart too.
            log.warning("mail %s: delivery deferred", message_id)
            return "deferred"


@shared_task(name="workers.tasks.mail.sweep")
def sweep() -> int:
    with scoped(SYSTEM_SCOPE):
        if service.wake_if_server_answers():
            db.session.commit()
        ids = service.due_message_ids()
    for message_id in ids:
        deliver.delay(message_id)
    return len(ids)
