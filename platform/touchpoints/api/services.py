"""API tokens (issue, revoke, authenticate) and the monitoring data read through them."""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from touchpoints.api.models import ApiToken, hash_token, new_raw_token
from touchpoints.audit import service as audit
from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, Scope, db, scoped, set_scope, utcnow
from touchpoints.core.queries import greatest_per
from touchpoints.core.tenancy import Agency, Region
from touchpoints.deadlines.summary import deadline_summaries as summaries_of
from touchpoints.lists.models import Entry, EntryKind, EntryStatus, ListVersion

log = logging.getLogger(__name__)
#: last_used_at is refreshed at most this often, so that reads do not write on every call.
TOUCH_EVERY = timedelta(minutes=5)


class TokenError(ValueError):
    """A token request the rules do not allow; the message is shown to the user."""


def can_manage_tokens(user) -> bool:
    return user.is_authenticated and user.role_enum in (Role.ADMIN, Role.OFFICE)


def tokens_query(user):
    """Tokens a user sees: their own (office) or all of them (administrator)."""
    q = (
        sa.select(ApiToken)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
        .options(sa.orm.selectinload(ApiToken.owner), sa.orm.selectinload(ApiToken.region))
    )
    if user.role_enum is not Role.ADMIN:
        q = q.where(ApiToken.owner_id == user.id)
    return q


def issue(user: User, name: str, region_id: int | None) -> tuple[ApiToken, str]:
    """A new token; returns it with the raw value, which is shown once and never stored."""
    if not can_manage_tokens(user):
        raise TokenError("Токены API выдаются проектному офису и администратору")
    name = (name or "").strip()
    if not name:
        raise TokenError("Укажите, для чего нужен токен")
    if user.role_enum is Role.OFFICE:
        # A project office reads its own region only, whatever the form said.
        if region_id not in (None, user.region_id):
            raise TokenError("Проектный офис может выдать токен только для своего региона")
        region_id = user.region_id
    elif region_id is not None and db.session.get(Region, region_id) is None:
        raise TokenError("Нет такого региона")
    raw = new_raw_token()
    token = ApiToken(
        name=name[:255],
        token_hash=hash_token(raw),
        token_hint=raw[:10],
        owner_id=user.id,
        scope="region" if region_id is not None else "all",
        region_id=region_id,
    )
    db.session.add(token)
    db.session.flush()
    _audit(
        "api_token.issue",
        token,
        after={"name": token.name, "scope": token.scope, "region_id": region_id},
    )
    return token, raw


def _audit(action: str, token: ApiToken, **kwargs) -> None:
    # A token belongs to no agency: its events are operator-level rows (agency_id NULL), which
    # RLS lets only the "all" scope write; the office's own scope reads its region only.
    with scoped(SYSTEM_SCOPE):
        audit.record(action, token, **kwargs)
        db.session.flush()


def revoke(token: ApiToken, user: User) -> None:
    if user.role_enum is not Role.ADMIN and token.owner_id != user.id:
        raise TokenError("Отозвать можно только свой токен")
    if token.revoked_at is not None:
        raise TokenError("Токен уже отозван")
    token.revoked_at = utcnow()
    token.revoked_by_id = user.id
    _audit("api_token.revoke", token, before={"active": True}, after={"active": False})


def authenticate(raw: str) -> ApiToken | None:
    """The active token with this value whose owner may still use it; None otherwise.

    Found through ``api_token_lookup()`` on PostgreSQL (tokens are under row-level security and
    no scope is known yet), then loaded in the token's own scope."""
    if not raw or len(raw) > 200:
        return None
    found = _lookup(hash_token(raw))
    if found is None:
        return None
    token_id, scope, region_id, revoked, owner_active, owner_role, owner_region = found
    if revoked or not owner_active:
        return None
    if owner_role == Role.OFFICE:
        # An office moved to another region loses its old region's tokens.
        if scope != "region" or region_id != owner_region:
            return None
    elif owner_role != Role.ADMIN:
        return None
    set_scope(Scope("region", region_id=region_id) if scope == "region" else SYSTEM_SCOPE)
    token = db.session.get(ApiToken, token_id)
    if token is None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        token.last_used_at = now
        db.session.commit()
    return token


def _lookup(token_hash: str):
    if db.session.get_bind().dialect.name == "postgresql":
        return db.session.execute(
            sa.text(
                "SELECT id, scope, region_id, revoked, owner_active, owner_role, owner_region_id "
                "FROM api_token_lookup(:h)"
            ),
            {"h": token_hash},
        ).first()
    return db.session.execute(
        sa.select(
            ApiToken.id,
            ApiToken.scope,
            ApiToken.region_id,
            ApiToken.revoked_at.is_not(None),
            User.active,
            User.role,
            User.region_id,
        )
        .join(User, User.id == ApiToken.owner_id)
        .where(ApiToken.token_hash == token_hash)
    ).first()


def scope_of(token: ApiToken) -> Scope:
    if token.scope == "region":
        return Scope("region", region_id=token.region_id)
    return SYSTEM_SCOPE


def token_agencies_query(token: ApiToken):
    q = sa.select(Agency).join(Region).order_by(Region.name, Agency.short_name, Agency.id)
    if token.scope == "region":
        q = q.where(Agency.region_id == token.region_id)
    return q


def token_agency(token: ApiToken, slug: str) -> Agency | None:
    agency = Agency.by_slug(slug)
    if agency is None or (token.scope == "region" and agency.region_id != token.region_id):
        return None
    return agency


# --------------------------------------------------------------------------- monitoring


def working_counts(agency_ids: list[int]) -> dict[int, dict[str, int]]:
    """Entries of each agency's working list by state (the scope must allow reading them)."""
    out = {
        a: {"included": 0, "submitted": 0, "returned": 0, "draft": 0, "excluded": 0}
        for a in agency_ids
    }
    if not agency_ids:
        return out
    rows = db.session.execute(
        sa.select(Entry.agency_id, Entry.status, sa.func.count())
        .where(
            Entry.agency_id.in_(agency_ids),
            sa.or_(
                Entry.kind == EntryKind.NEW.value,
                Entry.status.in_([EntryStatus.SUBMITTED.value, EntryStatus.RETURNED.value]),
            ),
        )
        .group_by(Entry.agency_id, Entry.status)
    )
    for agency_id, status, n in rows:
        if status in out[agency_id]:
            out[agency_id][status] += n
    return out


def last_change(agency_ids: list[int]) -> dict[int, object]:
    if not agency_ids:
        return {}
    return greatest_per(Entry.agency_id, Entry.updated_at, Entry.agency_id.in_(agency_ids))


def deadline_summaries(agencies: list[Agency]) -> dict[int, dict]:
    """Deadlines of each agency from the deadlines feature (in the caller's scope)."""
    summaries = summaries_of([a.id for a in agencies])
    return {agency_id: deadline_record(s) for agency_id, s in summaries.items()}


#: Fields of the deadlines feature's Summary published by the API (see openapi.py).
DEADLINE_FIELDS = (
    "publication_status",
    "publication_label",
    "publication_due_on",
    "publication_days",
    "publication_started_on",
    "last_publication_on",
    "last_publication_url",
    "last_publication_on_time",
    "pending_reviews",
    "overdue_reviews",
    "oldest_review_submitted_on",
    "oldest_review_due_on",
    "reconfirm_overdue",
    "reconfirm_next_due_on",
)


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def deadline_record(summary) -> dict:
    out = {f: _plain(getattr(summary, f, None)) for f in DEADLINE_FIELDS}
    items = []
    for item in getattr(summary, "items", None) or []:
        due, status = item if isinstance(item, tuple) else (item, None)
        kind = getattr(due, "kind", None)
        items.append(
            {
                "kind": kind,
                # A review item's title is a submitted entry's text: an agency's draft.
                "title": REVIEW_TITLE if kind == "review" else (getattr(due, "title", "") or ""),
                "started_on": _plain(getattr(due, "started_on", None)),
                "due_on": _plain(getattr(due, "due_on", None)),
                "days": getattr(status, "days", None),
                "state": getattr(status, "state", None),
                "label": getattr(status, "label", None),
            }
        )
    out["items"] = items
    return out


REVIEW_TITLE = "Строка перечня на проверке"


def statuses(agencies: list[Agency]) -> list[dict]:
    from touchpoints.api import serializers

    ids = [a.id for a in agencies]
    # The same narrow path as the office's dashboard: a region token's scope reads no drafts,
    # yet its statuses count them. Computed for exactly the token's agencies, and only counts,
    # dates and labels come out.
    with scoped(SYSTEM_SCOPE):
        latest = ListVersion.latest_of(ids)
        counts = working_counts(ids)
        changed = last_change(ids)
        due = deadline_summaries(agencies)
    return [
        serializers.status(
            a,
            latest.get(a.id),
            counts[a.id],
            changed.get(a.id),
            due.get(a.id),
        )
        for a in agencies
    ]
