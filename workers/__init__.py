"""Celery entry point: ``celery -A workers.celery_app worker`` and ``... beat``."""
