"""Who may see what: permission checks and agency-scoped getters (after Redash's org-scoped ones).

Every route that takes an id or slug loads its object through these helpers, so an object of
another agency is a 404, the same answer as an object that does not exist.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import abort, g, redirect, request
from flask_login import current_user, login_required

from touchpoints.auth.roles import Permission, Role
from touchpoints.core.db import NO_SCOPE, SYSTEM_SCOPE, Scope, agency_scope, db, set_scope
from touchpoints.core.tenancy import Agency, Region


def scope_for(user) -> Scope:
    if user is None or not user.is_authenticated:
        return NO_SCOPE
    return scope_of_role(user.role, user.agency_id, user.region_id)


def scope_of_role(role: str, agency_id: int | None, region_id: int | None) -> Scope:
    if role == Role.ADMIN:
        return SYSTEM_SCOPE
    if role == Role.OFFICE:
        return Scope("region", region_id=region_id)
    if agency_id is None:
        return NO_SCOPE
    return agency_scope(agency_id)


def apply_user_scope() -> None:
    set_scope(scope_for(current_user))


def permission_required(*permissions: Permission):
    """Any one of the permissions lets the user in; otherwise 403."""

    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not any(current_user.can(p) for p in permissions):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def get_agency_or_404(slug: str):
    """An agency the current user may read: their own, their region's (office), any (admin)."""
    agency = Agency.by_slug(slug)
    if agency is None or not can_read_agency(agency):
        abort(404)
    return agency


def can_read_agency(agency) -> bool:
    if not current_user.is_authenticated:
        return False
    role = current_user.role_enum
    if role is Role.ADMIN:
        return True
    if role is Role.OFFICE:
        return agency.region_id == current_user.region_id
    return agency.id == current_user.agency_id


def region_of(user, slug: str | None) -> Region | None:
    """The region a region-level page is about: the project office's own; the operator names
    one (``?region=``); nobody else has one."""
    if user.role_enum is Role.OFFICE:
        return db.session.get(Region, user.region_id)
    if user.role_enum is Role.ADMIN:
        return Region.by_slug(slug)
    return None


def current_region(choose_url: str | None = None) -> Region:
    """``region_of`` the signed-in person and the request's ``region``; 404 when there is none.
    A page given ``choose_url`` (the list of regions) sends the operator there to pick one
    when they have named none yet."""
    slug = request.values.get("region")
    if choose_url and not slug and current_user.role_enum is Role.ADMIN:
        abort(redirect(choose_url))
    region = region_of(current_user, slug)
    if region is None:
        abort(404)
    return region


def region_arg(region: Region) -> str | None:
    """The ``?region=`` that links of a region-level page carry: the operator's choice; the
    office's own region goes without saying."""
    return region.slug if current_user.role_enum is Role.ADMIN else None


def current_agency():
    """The agency of an agency user (registrar, editor, viewer); 404 for the others."""
    agency = getattr(g, "_current_agency", None)
    if agency is None:
        if not current_user.is_authenticated or current_user.agency_id is None:
            abort(404)
        agency = g._current_agency = current_user.agency
    return agency


def get_tenant_object_or_404(model, object_id, agency_id: int | None = None):
    """An object of a tenant table, in the given (or current) agency; 404 otherwise."""
    if agency_id is None:
        agency_id = current_agency().id
    obj = db.session.scalar(
        sa.select(model).where(model.id == object_id, model.agency_id == agency_id)
    )
    if obj is None:
        abort(404)
    return obj
