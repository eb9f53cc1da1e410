"""Recording audit events in the caller's transaction, so a change and its record commit together."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from flask_login import current_user

from touchpoints.audit.models import AuditEvent
from touchpoints.core.db import db


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def record(
    action: str,
    obj: Any = None,
    *,
    object_type: str | None = None,
    object_id: Any = None,
    agency_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    comment: str | None = None,
    actor_label: str | None = None,
    actor=None,
) -> AuditEvent:
    """Record a change. ``actor`` defaults to the signed-in user; services that know who acts
    (also outside a request: CLI, tasks, tests) pass it."""
    if obj is not None:
        object_type = object_type or obj.__tablename__
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
        if agency_id is None:
            agency_id = getattr(obj, "agency_id", None)
    actor_id = getattr(actor, "id", None)
    if (
        actor_id is None
        and has_request_context()
        and current_user
        and current_user.is_authenticated
    ):
        actor_id = current_user.id
    event = AuditEvent(
        agency_id=agency_id,
        actor_id=actor_id,
        actor_label=actor_label or ("" if actor_id else "system"),
        action=action,
        object_type=object_type or "",
        object_id=None if object_id is None else str(object_id),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        comment=comment,
    )
    db.session.add(event)
    return event


def values_of(obj: Any, *names: str) -> dict:
    """The named attributes of ``obj``: the before/after picture an audit record compares."""
    return {name: getattr(obj, name) for name in names}


def changes(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the keys that differ, for compact before/after records."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}
