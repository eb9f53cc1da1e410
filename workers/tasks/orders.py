"""Order PDFs (issue 4). Rendering is memory-hungry and WeasyPrint frees memory only when the
process exits: run it on workers with worker_max_memory_per_child and a task_time_limit."""

from celery import shared_task

from touchpoints.orders import claim
from touchpoints.orders.lease import render_lease


@shared_task(name="workers.tasks.orders.render", bind=True, max_retries=90)
def render(self, agency_id: int, document_id: int) -> str:
    # Idempotent: a stored PDF is not rendered again, a claimed one is left to its worker. A
    # claim may belong to a worker that was killed: come back when its lease has run out
    # (orders/lease.py) rather than give up, so the document never stays "rendering".
    result = claim.render_document(agency_id, document_id)
    if result == "busy":
        raise self.retry(countdown=render_lease().total_seconds() / 2)
    return result
