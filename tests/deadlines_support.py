"""Helpers of tests/test_deadlines*.py and tests/test_reminders*.py: list states at set moments."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency, Subdivision
from touchpoints.lists.models import Entry, EntryStatus, ListVersion

MSK = ZoneInfo("Europe/Moscow")
NOVOKUZNETSK = ZoneInfo("Asia/Novokuznetsk")


def at(y, m, d, h=12, minute=0, tz=MSK) -> datetime:
    return datetime(y, m, d, h, minute, tzinfo=tz)


def set_created(app, agency_id: int, moment: datetime) -> None:
    """Agencies are created "now"; tests place them in the past so cycles are predictable."""
    with app.app_context(), scoped(SYSTEM_SCOPE):
        db.session.get(Agency, agency_id).created_at = moment
        db.session.commit()


def include_entry(app, agency_id: int, moment: datetime, process="Приём обращений") -> int:
    """An entry the registrar included into the working list at ``moment``."""
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, agency_id)
        entry = Entry(
            agency_id=agency_id,
            activity_area=agency.form["activity_areas"][0]["code"],
            process_name=process,
            touchpoint="Официальный сайт",
            status=EntryStatus.INCLUDED.value,
            reviewed_at=moment,
            created_at=moment,
            updated_at=moment,
        )
        db.session.add(entry)
        db.session.commit()
        return entry.id


def submit_entry(app, agency_id: int, moment: datetime, process="Новая строка", sub_code=None):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, agency_id)
        q = sa.select(Subdivision.id).where(Subdivision.agency_id == agency_id)
        if sub_code:
            q = q.where(Subdivision.code == sub_code)
        entry = Entry(
            agency_id=agency_id,
            activity_area=agency.form["activity_areas"][0]["code"],
            process_name=process,
            touchpoint="Телефон",
            subdivision_id=db.session.scalars(q.order_by(Subdivision.id)).first(),
            status=EntryStatus.SUBMITTED.value,
            submitted_at=moment,
            created_at=moment,
            updated_at=moment,
        )
        db.session.add(entry)
        db.session.commit()
        return entry.id


def approve(app, agency_id: int, moment: datetime) -> int:
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, agency_id)
        number = (
            db.session.scalar(
                sa.select(sa.func.max(ListVersion.number)).where(ListVersion.agency_id == agency_id)
            )
            or 0
        ) + 1
        v = ListVersion(
            agency_id=agency_id,
            number=number,
            order_number=f"{number}-п",
            order_date=moment.date(),
            approved_at=moment,
            form=agency.form,
            entry_count=1,
        )
        db.session.add(v)
        db.session.commit()
        return v.id


def day(s: str) -> date:
    return date.fromisoformat(s)
