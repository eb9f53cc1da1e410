"""Dashboard figures: one agency recomputed after its data changed (touchpoints.dashboard.figures).

Takes an id, is idempotent (the figures are a function of the data), and a killed worker loses
nothing: the row stays stale, the dashboard computes it on the spot, and acks_late redelivers."""

from celery import shared_task

from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.dashboard import figures


@shared_task(name=figures.TASK)
def refresh_agency(agency_id: int) -> int:
    # Figures count rows the agency's own scope hides from no one but the office's does (drafts
    # waiting for review): computed in the system scope, for this one agency only.
    with scoped(SYSTEM_SCOPE):
        done = figures.refresh([agency_id])
        db.session.commit()
    return done
