"""Request plumbing seen by people: times in their own zone, errors in Russian."""

from datetime import UTC, datetime

from touchpoints.audit.models import AuditEvent
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped


def test_times_are_shown_in_the_viewers_region(app, make_region, make_agency, make_user, login_as):
    region = make_region(timezone="Asia/Novokuznetsk")
    agency = make_agency(region_id=region)
    user = make_user(Role.REGISTRAR, agency_id=agency)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        db.session.add(
            AuditEvent(
                agency_id=agency,
                at=datetime(2025, 12, 31, 20, 30, tzinfo=UTC),
                action="entry.include",
                object_type="entry",
                actor_label="system",
            )
        )
        db.session.commit()
    body = login_as(user).get("/audit/").get_data(as_text=True)
    # 20:30 UTC on New Year's Eve is 03:30 on 1 January in Kemerovo (UTC+7).
    assert "01.01.2026 03:30" in body
    assert "31.12.2025 20:30" not in body
