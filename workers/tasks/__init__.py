"""Task modules. Importing this package registers every task with the current Celery app."""

from workers.tasks import mail  # noqa: F401
