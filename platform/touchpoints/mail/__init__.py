"""Outgoing mail: stored first, delivered after commit by a task, retried until it goes out."""
