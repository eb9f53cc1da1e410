"""Rows a worker finishes for a person, such as an order's PDF (docs/jobs.md): whatever their own
words for the steps in between, they end ``ready`` or ``failed``, and pages ask the same three
questions of them."""

from __future__ import annotations

from typing import ClassVar

READY = "ready"
FAILED = "failed"


class WorkState:
    """``ready``, ``failed`` and ``in_progress`` of a row with a ``status`` column.

    ``UNFINISHED`` names the row's statuses of work still to do: queued for a worker, or claimed
    by one (a dead worker's claim is still one: the callers find it stale by its time)."""

    UNFINISHED: ClassVar[tuple[str, ...]]

    @property
    def ready(self) -> bool:
        return self.status == READY

    @property
    def failed(self) -> bool:
        return self.status == FAILED

    @property
    def in_progress(self) -> bool:
        return self.status in self.UNFINISHED
