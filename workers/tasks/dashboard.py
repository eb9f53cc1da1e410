"""Dashboard figures: agencies recomputed after their data changed (touchpoints.dashboard.figures).

Take ids, are idempotent (the figures are a function of the data), and a killed worker loses
nothing: the rows stay stale, the dashboard computes them on the spot, and acks_late redelivers."""

from celery import shared_task

from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.dashboard import figures


def _refresh(agency_ids: list[int]) -> int:
    # Figures count rows the agency's own scope hides from no one but the office's does (drafts
    # waiting for review): computed in the system scope, for these agencies only.
    with scoped(SYSTEM_SCOPE):
        done = figures.refresh(agency_ids)
        db.session.commit()
    return done


@shared_task(name=figures.TASK)
def refresh_agency(agency_id: int) -> int:
    return _refresh([agency_id])


@shared_task(name=figures.BATCH_TASK)
def refresh_agencies(agency_ids: list[int]) -> int:
    """A batch of one region's agencies, when a bulk writer (the reminder scan) changed many."""
    return _refresh(agency_ids)
