from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from touchpoints.core.db import db, utcnow


class CalendarOverride(db.Model):
    """A region's own exception to the federal calendar: an extra day off (a regional holiday)
    or an extra working day. Edited by the operator; applies to every agency of the region."""

    __tablename__ = "calendar_override"
    __table_args__ = (sa.UniqueConstraint("region_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id"), index=True)
    day: Mapped[date]
    #: True: the day is worked although the federal calendar rests; False: an extra day off.
    is_working: Mapped[bool]
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    region = relationship("Region")

    @classmethod
    def of_region(cls, region_id: int) -> sa.Select:
        return sa.select(cls).where(cls.region_id == region_id).order_by(cls.day.desc())
