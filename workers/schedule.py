"""The one beat schedule (after Superset's): periodic tasks take no objects, only what they scan."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Mail whose delivery failed or whose task was lost (broker down at commit) is retried.
    "mail-sweep": {"task": "workers.tasks.mail.sweep", "schedule": 60.0},
    # Deadlines and reminders: claims what is due now (exactly once) and sends the digests.
    "reminders-scan": {"task": "workers.tasks.reminders.scan", "schedule": 120.0},
}

__all__ = ["BEAT_SCHEDULE", "crontab"]
