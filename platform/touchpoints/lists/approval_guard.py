"""Checks on the order that approves a version, against typos that would otherwise be forever.

An order date later than today (beyond a small configurable allowance,
TOUCHPOINTS_ORDER_DATE_ALLOWANCE_DAYS) or earlier than the order of the previous version in force,
and an order number the agency already used for a version in force, are refused with a message
that names the conflicting version. Annulled versions free their number and date.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from touchpoints.core.db import db, utcnow
from touchpoints.core.tenancy import Agency
from touchpoints.core.text import ru_date
from touchpoints.lists.errors import ReviewError
from touchpoints.lists.models import ListVersion, version_in_force

#: The longest order number we accept (the column is 64 characters).
MAX_NUMBER = 64


def normalise_number(number: str) -> str:
    """«№ 21-п», «21-П» and « 21 - п » are one order number."""
    text = (number or "").strip().casefold()
    text = re.sub(r"^(№|n|no\.?)\s*", "", text)
    return re.sub(r"\s+", "", text)


def agency_today(agency: Agency) -> date:
    return utcnow().astimezone(agency.region.tz).date()


def check_order(agency: Agency, order_number: str, order_date: date | None) -> None:
    number = (order_number or "").strip()
    if not number:
        raise ReviewError("Укажите номер приказа")
    if len(number) > MAX_NUMBER:
        raise ReviewError(f"Номер приказа длиннее {MAX_NUMBER} знаков — проверьте, что введено")
    if order_date is None:
        raise ReviewError("Укажите дату приказа")
    allowance = current_app.config.get("ORDER_DATE_ALLOWANCE_DAYS", 0)
    latest_allowed = agency_today(agency) + timedelta(days=allowance)
    if order_date > latest_allowed:
        raise ReviewError(
            f"Дата приказа {ru_date(order_date)} позже сегодняшней"
            + (f" более чем на {allowance} дн." if allowance else "")
            + ": проверьте год и месяц"
        )
    in_force = db.session.scalars(
        sa.select(ListVersion)
        .where(ListVersion.agency_id == agency.id, version_in_force())
        .order_by(ListVersion.number.desc())
    ).all()
    if in_force and order_date < in_force[0].order_date:
        prev = in_force[0]
        raise ReviewError(
            f"Дата приказа {ru_date(order_date)} раньше приказа предыдущей редакции "
            f"№ {prev.number} ({ru_date(prev.order_date)} № {prev.order_number})"
        )
    wanted = normalise_number(number)
    for v in in_force:
        if normalise_number(v.order_number) == wanted:
            raise ReviewError(
                f"Приказ № {v.order_number} уже утвердил редакцию № {v.number} "
                f"от {ru_date(v.order_date)}: номер приказа в организации не повторяется"
            )
