"""A large import confirmed in the background (touchpoints.transfer.job).

Takes ids and is idempotent: the upload is claimed by a conditional UPDATE and marked done in
the transaction that applies it, so a redelivered message finds it done. While another worker
holds a fresh claim the task comes back later (that worker may have been killed: its claim is
taken over after the time limit). An unexpected failure is retried with backoff; after the
last attempt the upload is marked failed and the person reads why on the progress page."""

from celery import shared_task

from touchpoints.transfer import job

RETRYING = "Попытка не удалась; загрузка будет повторена автоматически через несколько секунд."


@shared_task(name=job.TASK, bind=True, max_retries=3)
def confirm(self, agency_id: int, session_id: int) -> str:
    try:
        return job.run(agency_id, session_id)
    except job.Busy:
        raise self.retry(countdown=20, max_retries=None) from None
    except Exception as exc:
        if self.request.retries < self.max_retries:
            job.fail(agency_id, session_id, RETRYING, final=False)
            raise self.retry(exc=exc, countdown=2 * 2**self.request.retries) from None
        job.fail(agency_id, session_id, job.INTERNAL_ERROR)
        raise
