"""Proof of publication: thin tasks, ids only, idempotent (touchpoints.publication.services)."""

from celery import shared_task

from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, scoped
from touchpoints.jobs import enqueue
from touchpoints.publication import services


@shared_task(name="workers.tasks.publication.scan")
def scan() -> int:
    """Queue a check for every agency whose page was not checked in the last day."""
    # Which agencies are due is a cross-agency question: the system scope, for reading only.
    with scoped(SYSTEM_SCOPE):
        ids = services.due_agency_ids()
        for agency_id in ids:
            enqueue("workers.tasks.publication.verify", agency_id)
        db.session.commit()  # dispatches the queued tasks (touchpoints.jobs)
    return len(ids)


@shared_task(
    name="workers.tasks.publication.verify",
    autoretry_for=(ConnectionError,),
    retry_backoff=True,
    max_retries=3,
)
def verify(agency_id: int) -> str:
    # Idempotent: a page checked within services.RECENT is not fetched again (a retry or a
    # second scan), and a check writes only its own row and the deadline's state.
    with scoped(agency_scope(agency_id)):
        check = services.verify(agency_id, trigger="schedule", force=False)
        db.session.commit()
        return check.outcome if check is not None else "skipped"
