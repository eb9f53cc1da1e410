"""Background jobs people wait for (touchpoints.background): one task runs every kind.

Takes ids, is idempotent (a finished job is left alone; a job another worker runs is retried
later, so a claim left by a killed worker is taken over when its heartbeat is old)."""

import logging

from celery import shared_task

from touchpoints.background import service
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped

log = logging.getLogger(__name__)


@shared_task(name=service.TASK, bind=True, max_retries=60)
def run(self, agency_id: int, job_id: int) -> str:
    result = service.run(agency_id, job_id)
    if result == "busy":
        raise self.retry(countdown=service.LEASE.total_seconds() / 2)
    return result


@shared_task(name="workers.tasks.background.cleanup")
def cleanup() -> int:
    # Every agency's jobs: the system scope, for this cleanup only.
    with scoped(SYSTEM_SCOPE):
        dropped, deleted = service.cleanup()
        db.session.commit()
    log.info("background jobs: %s files dropped, %s rows deleted", dropped, deleted)
    return dropped + deleted
