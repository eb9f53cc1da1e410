"""Stored order PDFs (issue 4): an approved version's PDF is rendered once and kept in
:class:`~touchpoints.orders.models.OrderDocument`; every later download gets the same bytes and
ETag. Drafts are stored under the hash of everything that goes into them, so an unchanged working
list is not rendered twice either.

For other features (public pages):

* :func:`version_pdf` — the stored, ready PDF of an approved version, or None;
* :func:`request_version_pdf` — the same, queued for rendering when absent (commits);
* :func:`document_bytes` — the stored bytes (the view sends them with their ETag).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from touchpoints.core.db import agency_scope, db, scoped, utcnow
from touchpoints.core.tenancy import Agency
from touchpoints.core.text import date_short
from touchpoints.lists.models import Entry, ListVersion
from touchpoints.orders.document import OrderError, default_with_changes, order_context
from touchpoints.orders.lease import render_lease
from touchpoints.orders.models import DocumentStatus, OrderDocument
from touchpoints.orders.rendering import template_sources_digest

#: Draft PDFs kept per agency (older ones are deleted when a new one is requested).
DRAFTS_KEPT = 3


def version_key(version: ListVersion, with_changes: bool) -> str:
    return f"version:{version.id}:{'changes' if with_changes else 'plain'}"


def draft_key(agency: Agency) -> str:
    """A hash of everything the draft shows: same list, same templates — same PDF."""
    data = order_context(agency, None)
    payload = json.dumps(
        {
            "data": _jsonable(data),
            "templates": template_sources_digest(agency.slug),
        },
        ensure_ascii=False,
        sort_keys=True,
        default=str,
    )
    return "draft:" + hashlib.sha256(payload.encode()).hexdigest()


def _jsonable(obj):
    return dataclasses.asdict(obj) if dataclasses.is_dataclass(obj) else obj


def find_document(agency_id: int, key: str) -> OrderDocument | None:
    return db.session.scalar(
        sa.select(OrderDocument).where(
            OrderDocument.agency_id == agency_id, OrderDocument.key == key
        )
    )


def _stale(doc: OrderDocument) -> bool:
    """A queued or claimed rendering that no worker can still be doing (it died or was lost)."""
    if doc.status == DocumentStatus.RENDERING.value:
        since, limit = doc.started_at, render_lease()
    else:
        # A message the broker lost: Redis gives unacknowledged ones back after this time.
        visibility = current_app.config["CELERY"]["broker_transport_options"]["visibility_timeout"]
        since, limit = doc.requested_at, timedelta(seconds=2 * visibility + 10)
    return since is not None and utcnow() - since > limit


def _request(
    agency_id: int,
    key: str,
    *,
    version: ListVersion | None = None,
    with_changes: bool = True,
    user_id: int | None,
    retry: bool = False,
) -> OrderDocument:
    """The document of ``key``, created and queued when missing; without a version it is a draft
    of the working list (with its changes, like the order that will approve it)."""
    draft = version is None
    doc = find_document(agency_id, key)
    if doc is None:
        try:
            with db.session.begin_nested():
                doc = OrderDocument(
                    agency_id=agency_id,
                    key=key,
                    version_id=None if draft else version.id,
                    draft=draft,
                    with_changes=with_changes,
                    requested_by_id=user_id,
                )
                db.session.add(doc)
        except IntegrityError:
            # Someone asked for the same document a moment ago: theirs will do.
            doc = find_document(agency_id, key)
            return doc
        if draft:
            _drop_old_drafts(agency_id, keep=doc.id)
        db.session.flush()
        _enqueue(agency_id, doc.id)
    elif (retry and doc.failed) or (doc.in_progress and _stale(doc)):
        doc.status = DocumentStatus.PENDING.value
        doc.error = None
        doc.requested_at = utcnow()
        doc.requested_by_id = user_id or doc.requested_by_id
        _enqueue(agency_id, doc.id)
    return doc


def _enqueue(agency_id: int, document_id: int) -> None:
    from touchpoints.jobs import enqueue

    enqueue("workers.tasks.orders.render", agency_id, document_id)


def _drop_old_drafts(agency_id: int, keep: int) -> None:
    ids = db.session.scalars(
        sa.select(OrderDocument.id)
        .where(OrderDocument.agency_id == agency_id, OrderDocument.draft)
        .order_by(OrderDocument.id.desc())
    ).all()
    old = [i for i in ids if i != keep][DRAFTS_KEPT - 1 :]
    if old:
        db.session.execute(
            sa.delete(OrderDocument).where(
                OrderDocument.agency_id == agency_id, OrderDocument.id.in_(old)
            )
        )


def version_pdf(version: ListVersion, with_changes: bool | None = None) -> OrderDocument | None:
    """The ready, stored PDF of an approved version (the default variant), or None.

    Works in any scope, also the public one: an approved version's order is public, so the lookup
    runs in the version's own agency scope (drafts of the same table stay invisible to others)."""
    with scoped(agency_scope(version.agency_id)):
        if with_changes is None:
            with_changes = default_with_changes(version)
        doc = find_document(version.agency_id, version_key(version, with_changes))
    return doc if doc is not None and doc.ready else None


def request_version_pdf(
    version: ListVersion,
    with_changes: bool | None = None,
    user_id: int | None = None,
    retry: bool = False,
) -> OrderDocument:
    """The version's PDF document, queued for rendering if it is not there yet or was lost (and,
    with ``retry``, if it failed). Commits, so that the task is sent; returns the row (see
    ``.ready`` / ``.in_progress`` / ``.failed``)."""
    with scoped(agency_scope(version.agency_id)):
        if with_changes is None:
            with_changes = default_with_changes(version)
        doc = _request(
            version.agency_id,
            version_key(version, with_changes),
            version=version,
            with_changes=with_changes,
            user_id=user_id,
            retry=retry,
        )
        db.session.commit()
    return doc


def request_draft_pdf(
    agency: Agency, user_id: int | None = None, retry: bool = False
) -> OrderDocument:
    """The working list as a draft order, rendered unless an identical one is stored. Commits."""
    with scoped(agency_scope(agency.id)):
        if not Entry.working_count(agency.id):
            raise OrderError("В перечне нет ни одной включённой строки: проект приказа пуст.")
        doc = _request(agency.id, draft_key(agency), user_id=user_id, retry=retry)
        db.session.commit()
    return doc


def document_bytes(doc: OrderDocument) -> bytes:
    with scoped(agency_scope(doc.agency_id)):
        return db.session.scalar(
            sa.select(OrderDocument.pdf).where(
                OrderDocument.id == doc.id, OrderDocument.agency_id == doc.agency_id
            )
        )


def pdf_filename(agency: Agency, version: ListVersion | None) -> str:
    if version is None:
        return f"Проект приказа — {agency.short_name}.pdf"
    return (
        f"Приказ от {date_short(version.order_date)} № {version.order_number} — "
        f"{agency.short_name}.pdf"
    )
