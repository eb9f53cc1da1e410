"""A worker's claim on an order rendering, kept alive while it renders.

The claim (``order_document.started_at`` of a ``rendering`` row) lasts :func:`render_lease` unless
renewed; the rendering worker renews it every third of that from a thread. A worker killed
mid-render (``kill -9``, out of memory) stops renewing, so another worker may take the document
over within the lease instead of waiting out the task time limit.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from touchpoints.core.db import agency_scope, db, push_scope, utcnow
from touchpoints.orders.models import DocumentStatus, OrderDocument

log = logging.getLogger(__name__)


def render_lease() -> timedelta:
    """How long a worker's claim on a rendering lasts unless renewed: the worker renews it every
    third of it while rendering, so a killed worker's claim expires within this time. 20 s
    (``TOUCHPOINTS_ORDER_RENDER_LEASE_SECONDS``); the fault tests shorten it (docs/testing.md)."""
    return timedelta(seconds=current_app.config["ORDER_RENDER_LEASE_SECONDS"])


class LeaseKeeper:
    """Renews a rendering's claim from a thread with its own connection while WeasyPrint runs
    (Python switches threads every few milliseconds, so a long render does not starve it)."""

    def __init__(self, agency_id: int, document_id: int):
        self.agency_id, self.document_id = agency_id, document_id
        self.engine, self.key = db.engine, current_app.config["SCOPE_KEY"]
        self.period = render_lease().total_seconds() / 3
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="render-lease")

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=5)

    def _run(self) -> None:
        while not self.stop.wait(self.period):
            try:
                with self.engine.begin() as conn:
                    push_scope(conn, agency_scope(self.agency_id), key=self.key)
                    conn.execute(
                        sa.update(OrderDocument.__table__)
                        .where(
                            OrderDocument.id == self.document_id,
                            OrderDocument.agency_id == self.agency_id,
                            OrderDocument.status == DocumentStatus.RENDERING.value,
                        )
                        .values(started_at=utcnow())
                    )
            except Exception:
                log.warning("order PDF %s: lease not renewed", self.document_id, exc_info=True)
