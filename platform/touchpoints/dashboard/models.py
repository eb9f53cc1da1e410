"""The region dashboard's figures, one ready row per agency (issue 15, item 2).

Computing every agency's figures on each visit of the project office's home page cost seconds at
a thousand agencies (the compliance check alone runs over every row). So the figures of one agency
are recomputed by a task when that agency's data changes (dashboard/figures.py) and the dashboard
reads N stored rows. A row is kept even while it is being recomputed: ``generation`` counts the
changes, ``computed_generation`` the change the stored figures include, and a row whose figures are
behind is recomputed on the spot for the page that needs it (dashboard/compute.py).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from touchpoints.core.db import TenantScoped, db, utcnow


class AgencyFigures(TenantScoped, db.Model):
    """Only numbers, dates and labels: the project office reads them for its region (RLS "true"),
    although some count rows it may not read itself (submissions waiting for review)."""

    __tablename__ = "agency_figures"
    __table_args__ = (sa.Index("ix_agency_figures_region_id", "region_id"),)

    agency_id: Mapped[int] = mapped_column(
        sa.ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True
    )
    #: Copied from the agency, so that a region's rows are one index range.
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("region.id", ondelete="CASCADE"))
    #: Bumped in the same transaction as every change to the agency's data.
    generation: Mapped[int] = mapped_column(default=1, server_default="1")
    #: The generation the stored figures were computed from; behind ``generation``: stale.
    computed_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    computed_at: Mapped[datetime | None]
    #: The agency's local day the date-dependent figures (publication deadline) are for.
    computed_on: Mapped[date | None]
    #: The figures (dashboard.board.AgencyRow as JSON), None until first computed.
    data: Mapped[dict | None] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
