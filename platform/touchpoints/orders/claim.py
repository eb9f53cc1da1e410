"""The rendering task's body: claim a stored document, render it, keep the PDF (issue 4).

Idempotent and safe with a killed worker: a document is claimed by one conditional UPDATE with a
lease the rendering worker renews (orders/lease.py), an expired claim is taken over, a ready
document is left alone.
"""

from __future__ import annotations

import hashlib
import logging

import sqlalchemy as sa

from touchpoints.core.db import agency_scope, db, scoped, utcnow
from touchpoints.core.tenancy import Agency
from touchpoints.lists.models import ListVersion
from touchpoints.orders.document import OrderError, default_with_changes
from touchpoints.orders.lease import LeaseKeeper, render_lease
from touchpoints.orders.models import DocumentStatus, OrderDocument
from touchpoints.orders.rendering import render_order
from touchpoints.orders.storage import find_document, version_key

log = logging.getLogger(__name__)


def render_document(agency_id: int, document_id: int) -> str:
    """The task's body: claim the document, render it, store it. Idempotent: a document that is
    ready (or claimed by a live worker) is left alone."""
    with scoped(agency_scope(agency_id)):
        doc = db.session.get(OrderDocument, document_id)
        if doc is None or doc.agency_id != agency_id:
            return "missing"
        if doc.ready:
            return "ready"
        now = utcnow()
        limit = render_lease()
        claimed = db.session.execute(
            sa.update(OrderDocument)
            .where(
                OrderDocument.id == document_id,
                OrderDocument.agency_id == agency_id,
                sa.or_(
                    OrderDocument.status.in_(
                        [DocumentStatus.PENDING.value, DocumentStatus.FAILED.value]
                    ),
                    sa.and_(
                        OrderDocument.status == DocumentStatus.RENDERING.value,
                        OrderDocument.started_at < now - limit,
                    ),
                ),
            )
            .values(status=DocumentStatus.RENDERING.value, started_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        db.session.commit()
        if not claimed:
            return "busy"
        doc = db.session.get(OrderDocument, document_id)
        db.session.refresh(doc)
        agency = db.session.get(Agency, agency_id)
        try:
            with LeaseKeeper(agency_id, document_id):
                if doc.draft:
                    rendered = render_order(agency, None)
                    # The list may have changed since the request: the key says what was asked
                    # for, so a draft that no longer matches is simply not found next time.
                else:
                    version = db.session.get(ListVersion, doc.version_id)
                    rendered = render_order(agency, version, doc.with_changes)
        except OrderError as exc:
            return _fail(doc, str(exc))
        except Exception:
            log.exception("order PDF %s of agency %s failed", document_id, agency_id)
            return _fail(doc, "Не удалось сформировать PDF. Попробуйте ещё раз позже.")
        doc.pdf = rendered.pdf
        doc.sha256 = hashlib.sha256(rendered.pdf).hexdigest()
        doc.size = len(rendered.pdf)
        doc.pages = rendered.pages
        doc.render_seconds = round(rendered.seconds, 3)
        doc.rendered_at = utcnow()
        doc.status = DocumentStatus.READY.value
        doc.error = None
        db.session.commit()
        log.info(
            "order PDF %s of agency %s: %s pages in %.1f s",
            document_id,
            agency_id,
            rendered.pages,
            rendered.seconds,
        )
        return "rendered"


def _fail(doc: OrderDocument, message: str) -> str:
    db.session.rollback()
    doc = db.session.get(OrderDocument, doc.id)
    doc.status = DocumentStatus.FAILED.value
    doc.error = message
    db.session.commit()
    return "failed"


def store_version_pdf(version: ListVersion, with_changes: bool | None = None) -> OrderDocument:
    """Render the version's PDF here and now unless it is stored (the CLI); commits."""
    doc = _version_document(version, with_changes)
    if not doc.ready:
        render_document(version.agency_id, doc.id)
        with scoped(agency_scope(version.agency_id)):
            db.session.refresh(doc)
    return doc


def _version_document(version: ListVersion, with_changes: bool | None) -> OrderDocument:
    with scoped(agency_scope(version.agency_id)):
        if with_changes is None:
            with_changes = default_with_changes(version)
        key = version_key(version, with_changes)
        doc = find_document(version.agency_id, key)
        if doc is None:
            doc = OrderDocument(
                agency_id=version.agency_id,
                key=key,
                version_id=version.id,
                draft=False,
                with_changes=with_changes,
            )
            db.session.add(doc)
        db.session.commit()
    return doc
