"""Quarterly report: the current quarter's figures refreshed daily, so that each quarter's
snapshot holds its last day's figures even when nobody pressed the button (reports.services)."""

from celery import shared_task

from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.reports import services


@shared_task(name="workers.tasks.reports.snapshot_regions")
def snapshot_regions() -> int:
    """Idempotent: taking the current quarter again only refreshes its rows."""
    with scoped(SYSTEM_SCOPE):
        regions = services.all_regions()
        for region in regions:
            services.take_snapshot(region, services.Quarter.of(services.today_in(region)))
            db.session.commit()
    return len(regions)
