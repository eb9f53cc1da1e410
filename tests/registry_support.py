"""Shared helpers of the registry, passport and shared-touchpoint tests."""

from __future__ import annotations

import io

from openpyxl import Workbook

from touchpoints.auth.models import User
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency, Region
from touchpoints.registry import services, shared


def add_process(app, agency_id, user_id, name, kind="service", **more):
    from lists_support import in_agency

    with in_agency(app, agency_id) as agency:
        user = db.session.get(User, user_id)
        process = services.add_process(agency, user, {"name": name, "kind": kind, **more})
        db.session.commit()
        return process.id


def add_shared(app, region_id, office_id, name, kind="offline") -> int:
    """A shared touchpoint of the region, added by its office; returns its id."""
    with app.app_context(), scoped(SYSTEM_SCOPE):
        item = shared.create(
            db.session.get(Region, region_id),
            db.session.get(User, office_id),
            {"name": name, "channel_kind": kind},
        )
        db.session.commit()
        return item.id


def xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def agency(agency_id) -> Agency:
    return db.session.get(Agency, agency_id)
