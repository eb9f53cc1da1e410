"""The one beat schedule (after Superset's): periodic tasks take no objects, only what they scan."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Mail whose delivery failed or whose task was lost (broker down at commit) is retried.
    "mail-sweep": {"task": "workers.tasks.mail.sweep", "schedule": 60.0},
    # Deadlines and reminders: claims what is due now (exactly once) and sends the digests.
    "reminders-scan": {"task": "workers.tasks.reminders.scan", "schedule": 120.0},
    # Proof of publication: each agency's page is fetched once a day; the hourly scan picks the
    # agencies last checked more than 23 hours ago, so a missed hour only delays, never skips.
    "publication-scan": {"task": "workers.tasks.publication.scan", "schedule": 3600.0},
    # Quarterly report: the current quarter's figures, refreshed each night (21:30 UTC, after
    # midnight in every Russian region east of Moscow), so a quarter ends with its last figures.
    # Background jobs' files past their keeping time (TOUCHPOINTS_JOB_RESULT_HOURS) and old rows.
    "background-cleanup": {"task": "workers.tasks.background.cleanup", "schedule": 3600.0},
    "reports-snapshot": {
        "task": "workers.tasks.reports.snapshot_regions",
        "schedule": crontab(hour=21, minute=30),
    },
}

__all__ = ["BEAT_SCHEDULE", "crontab"]
