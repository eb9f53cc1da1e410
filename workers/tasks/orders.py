"""Order PDFs (issue 4). Rendering is memory-hungry and WeasyPrint frees memory only when the
process exits: run it on workers with worker_max_memory_per_child and a task_time_limit."""

from celery import shared_task

from touchpoints.orders import claim


@shared_task(name="workers.tasks.orders.render")
def render(agency_id: int, document_id: int) -> str:
    # Idempotent: a stored PDF is not rendered again, a claimed one is left to its worker.
    return claim.render_document(agency_id, document_id)
