"""Working days: the federal production calendar from ``holidays`` plus regional overrides.

``holidays.country_holidays("RU")`` knows the Labour Code holidays (art. 112), the weekend
holidays moved to weekdays and the Government's yearly transfer decrees, including working
Saturdays (docs/working-days.md). For a year whose decree is not in the library
yet it silently applies the Labour Code alone; :func:`is_decreed` tells the operator so.

Deadlines count "from the day after" (seeds 5.4 / 5.5: «в течение 10 рабочих дней со дня
внесения изменений»): :meth:`WorkCalendar.add_working_days` of 2025-04-25 and 10 is 2025-05-15.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import threading
from collections.abc import Iterable
from datetime import date, timedelta

import holidays
import sqlalchemy as sa
from flask import current_app, has_app_context

from touchpoints.calendar.models import CalendarOverride
from touchpoints.core.db import db

_lock = threading.Lock()


class CalendarError(ValueError):
    """A calendar request that cannot be answered; the message is shown to the user."""


@functools.lru_cache(maxsize=64)
def _federal_year(year: int) -> tuple[frozenset[date], frozenset[date], dict[date, str]]:
    """Days off on weekdays, working weekend days and the names of the year's days off."""
    with _lock:  # the library fills its dict lazily; keep threads from filling it together
        cal = holidays.country_holidays("RU", years=year, language="ru")
        names = {d: str(n) for d, n in cal.items() if d.year == year}
        workdays = frozenset(d for d in cal.weekend_workdays if d.year == year)
    return frozenset(names), workdays, names


def decreed_years() -> frozenset[int]:
    """Years whose transfer decree the installed ``holidays`` release carries.

    The library keeps each decree as ``special_public_holidays[year]``; a year missing there is
    computed from the Labour Code alone. ``CALENDAR_DECREED_YEARS`` in the configuration adds
    years an operator has checked by hand (a decree that moves no day).
    """
    cal = holidays.country_holidays("RU")
    years = set(getattr(cal, "special_public_holidays", {}) or {})
    if has_app_context():
        years |= set(current_app.config.get("CALENDAR_DECREED_YEARS") or ())
    return frozenset(years)


def is_decreed(year: int) -> bool:
    return year in decreed_years()


@functools.lru_cache(maxsize=512)
def _days_off(year: int, overrides: tuple[tuple[date, bool], ...]) -> tuple[list[int], frozenset]:
    """Ordinals of the year's non-working days, sorted (for bisect) and as a set (for lookups).

    Keyed by the region's overrides of that year, so every calendar with the same exceptions
    shares one answer per process and a changed override can never be served stale."""
    days_off, workdays, _ = _federal_year(year)
    own = dict(overrides)
    first = date(year, 1, 1).toordinal()
    off = []
    for ordinal in range(first, date(year, 12, 31).toordinal() + 1):
        day = date.fromordinal(ordinal)
        if day in own:
            working = own[day]
        else:
            working = day in workdays or (day.weekday() < 5 and day not in days_off)
        if not working:
            off.append(ordinal)
    return off, frozenset(off)


@dataclasses.dataclass(frozen=True)
class WorkCalendar:
    """Working days of one region: federal calendar with the region's overrides on top.

    Counting is arithmetic on sorted lists of days off per year (bisect), not a walk over the
    days: deadline summaries ask for thousands of distances per dashboard."""

    #: day → True (worked) / False (day off), the region's overrides.
    overrides: dict[date, bool] = dataclasses.field(default_factory=dict)
    _years: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)
    #: (start, n) → add_working_days: deadlines computed in bulk share their days (the reminder
    #: scan asks for 40,000 of a few hundred).
    _added: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

    def _off(self, year: int) -> tuple[list[int], frozenset]:
        found = self._years.get(year)
        if found is None:
            own = tuple(sorted((d, w) for d, w in self.overrides.items() if d.year == year))
            found = self._years[year] = _days_off(year, own)
        return found

    def _off_between(self, first: int, last: int) -> int:
        """Days off among the ordinals first..last, both included."""
        if last < first:
            return 0
        count = 0
        for year in range(date.fromordinal(first).year, date.fromordinal(last).year + 1):
            off, _ = self._off(year)
            count += bisect.bisect_right(off, last) - bisect.bisect_left(off, first)
        return count

    def is_working_day(self, day: date) -> bool:
        return day.toordinal() not in self._off(day.year)[1]

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself is not counted); n may be
        negative (the n-th working day before). n = 0 gives ``start`` moved to a working day."""
        found = self._added.get((start, n))
        if found is None:
            found = self._added[start, n] = self._add_working_days(start, n)
        return found

    def _add_working_days(self, start: date, n: int) -> date:
        if n == 0:
            day = start
            while not self.is_working_day(day):
                day += timedelta(days=1)
            return day
        # Jump by the days still missing; each window's days off are what is left to cover, and
        # a window without days off ends on a working day: the answer.
        step = 1 if n > 0 else -1
        ordinal, left = start.toordinal(), abs(n)
        while left:
            end = ordinal + step * left
            lo, hi = (ordinal + 1, end) if step > 0 else (end, ordinal - 1)
            ordinal, left = end, self._off_between(lo, hi)
        return date.fromordinal(ordinal)

    # The library's own names, for those who know them.
    get_nth_working_day = add_working_days

    def working_days_count(self, start: date, end: date) -> int:
        """Working days from ``start`` to ``end``, both included (as ``holidays`` counts)."""
        if end < start:
            return 0
        first, last = start.toordinal(), end.toordinal()
        return last - first + 1 - self._off_between(first, last)

    get_working_days_count = working_days_count

    def working_days_between(self, after: date, until: date) -> int:
        """Signed number of working days from ``after`` to ``until``: positive when ``until`` is
        later (days left), negative when earlier (days overdue). Neither end counted twice."""
        if until >= after:
            return self.working_days_count(after + timedelta(days=1), until)
        return -self.working_days_count(until + timedelta(days=1), after)

    def next_working_day(self, day: date) -> date:
        return self.add_working_days(day, 1)


FEDERAL = WorkCalendar()


def calendars_for_regions(region_ids: Iterable[int]) -> dict[int, WorkCalendar]:
    """One calendar per region, loaded with a single query whatever the number of regions."""
    ids = sorted({r for r in region_ids if r is not None})
    by_region: dict[int, dict[date, bool]] = {r: {} for r in ids}
    if ids:
        rows = db.session.execute(
            sa.select(
                CalendarOverride.region_id, CalendarOverride.day, CalendarOverride.is_working
            ).where(CalendarOverride.region_id.in_(ids))
        )
        for region_id, day, working in rows:
            by_region[region_id][day] = working
    return {r: WorkCalendar(overrides) for r, overrides in by_region.items()}


def calendar_for_region(region_id: int | None) -> WorkCalendar:
    if region_id is None:
        return FEDERAL
    return calendars_for_regions([region_id])[region_id]


@dataclasses.dataclass
class YearReport:
    year: int
    working_days: int
    decreed: bool
    #: (day, name) of days off falling on weekdays (holidays and transfers).
    weekday_days_off: list[tuple[date, str]]
    #: Saturdays and Sundays made working by the decree.
    working_weekends: list[date]
    #: The region's own overrides in the year: (day, worked, note).
    overrides: list[tuple[date, bool, str]]


def year_report(year: int, region_id: int | None = None) -> YearReport:
    if not 1991 <= year <= 2200:
        raise CalendarError("Год должен быть между 1991 и 2200")
    cal = calendar_for_region(region_id)
    _, workdays, names = _federal_year(year)
    overrides = []
    if region_id is not None:
        overrides = [
            (o.day, o.is_working, o.note)
            for o in db.session.scalars(
                sa.select(CalendarOverride)
                .where(
                    CalendarOverride.region_id == region_id,
                    CalendarOverride.day.between(date(year, 1, 1), date(year, 12, 31)),
                )
                .order_by(CalendarOverride.day)
            )
        ]
    return YearReport(
        year=year,
        working_days=cal.working_days_count(date(year, 1, 1), date(year, 12, 31)),
        decreed=is_decreed(year),
        weekday_days_off=sorted((d, n) for d, n in names.items() if d.weekday() < 5),
        working_weekends=sorted(workdays),
        overrides=overrides,
    )


def add_override(region_id: int, day: date, is_working: bool, note: str, user_id=None):
    """Add or replace the region's exception for ``day``; audited."""
    from touchpoints.audit import service as audit

    row = db.session.scalar(
        sa.select(CalendarOverride).where(
            CalendarOverride.region_id == region_id, CalendarOverride.day == day
        )
    )
    before = None
    if row is None:
        row = CalendarOverride(region_id=region_id, day=day)
        db.session.add(row)
    else:
        before = {"day": day.isoformat(), "is_working": row.is_working, "note": row.note}
    if FEDERAL.is_working_day(day) == is_working:
        raise CalendarError(
            "По федеральному календарю этот день уже "
            + ("рабочий" if is_working else "выходной")
            + ": исключение ничего не изменит"
        )
    row.is_working = is_working
    row.note = (note or "").strip()
    row.created_by_id = user_id
    db.session.flush()
    audit.record(
        "calendar.override",
        row,
        before=before,
        after={"day": day.isoformat(), "is_working": is_working, "note": row.note},
    )
    return row


def delete_override(row: CalendarOverride) -> None:
    from touchpoints.audit import service as audit

    audit.record(
        "calendar.override.delete",
        row,
        before={"day": row.day.isoformat(), "is_working": row.is_working, "note": row.note},
    )
    db.session.delete(row)
