"""Task modules. Importing this package registers every task with the current Celery app."""

from workers.tasks import (
    background,  # noqa: F401
    dashboard,  # noqa: F401
    mail,  # noqa: F401
    orders,  # noqa: F401
    publication,  # noqa: F401
    reminders,  # noqa: F401
    reports,  # noqa: F401
)
