"""The Russian production calendar (docs/working-days.md; Murmansk 5.4 / Kuzbass 5.5)."""

from datetime import date

import pytest
import sqlalchemy as sa

from touchpoints.auth.roles import Role
from touchpoints.calendar import services
from touchpoints.calendar.models import CalendarOverride
from touchpoints.calendar.services import FEDERAL, WorkCalendar
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped


@pytest.mark.parametrize(("year", "count"), [(2024, 248), (2025, 247), (2026, 247), (2027, 247)])
def test_working_days_per_year(year, count):
    assert FEDERAL.working_days_count(date(year, 1, 1), date(year, 12, 31)) == count


def test_ten_working_days_after_a_change_seed_5_4():
    # «в течение 10 рабочих дней со дня внесения изменений»: counted from the day after.
    assert FEDERAL.add_working_days(date(2025, 4, 25), 10) == date(2025, 5, 15)


def test_deadline_crosses_may_holidays():
    # 1-4 and 8-11 May 2025 are days off (transfers from 4 January and 23 February).
    assert FEDERAL.add_working_days(date(2025, 4, 30), 1) == date(2025, 5, 5)
    assert FEDERAL.add_working_days(date(2025, 4, 30), 3) == date(2025, 5, 7)
    assert FEDERAL.add_working_days(date(2025, 4, 30), 4) == date(2025, 5, 12)


def test_deadline_crosses_new_year():
    # 31.12.2025 is a day off (transfer from 5 January), 1-11 January 2026 too (9 January moved).
    assert not FEDERAL.is_working_day(date(2025, 12, 31))
    assert not FEDERAL.is_working_day(date(2026, 1, 9))
    assert FEDERAL.add_working_days(date(2025, 12, 26), 3) == date(2026, 1, 12)
    assert FEDERAL.add_working_days(date(2025, 12, 26), 10) == date(2026, 1, 21)


@pytest.mark.parametrize("saturday", ["2024-04-27", "2024-11-02", "2024-12-28", "2025-11-01"])
def test_working_saturday_counts(saturday):
    day = date.fromisoformat(saturday)
    assert day.weekday() == 5
    assert FEDERAL.is_working_day(day)
    friday = date.fromordinal(day.toordinal() - 1)
    assert FEDERAL.add_working_days(friday, 1) == day


def test_weekday_days_off_2026():
    for d in ("2026-01-09", "2026-12-31", "2026-03-09", "2026-05-11"):
        assert not FEDERAL.is_working_day(date.fromisoformat(d))


def test_override_changes_the_answer():
    extra_day_off = WorkCalendar({date(2025, 5, 5): False})
    assert extra_day_off.add_working_days(date(2025, 4, 30), 1) == date(2025, 5, 6)
    worked_saturday = WorkCalendar({date(2025, 5, 3): True})
    assert worked_saturday.add_working_days(date(2025, 4, 30), 1) == date(2025, 5, 3)
    assert worked_saturday.working_days_count(date(2025, 1, 1), date(2025, 12, 31)) == 248


def test_negative_offsets_and_signed_distance():
    assert FEDERAL.add_working_days(date(2025, 5, 15), -10) == date(2025, 4, 25)
    assert FEDERAL.working_days_between(date(2025, 5, 14), date(2025, 5, 15)) == 1
    assert FEDERAL.working_days_between(date(2025, 5, 16), date(2025, 5, 15)) == -1


def test_decree_detection():
    assert services.is_decreed(2025)
    assert not services.is_decreed(2031)


def test_region_override_from_database(app_ctx, make_region):
    region_id = make_region(slug="murmansk-x")
    with scoped(SYSTEM_SCOPE):
        services.add_override(region_id, date(2025, 5, 6), False, "Региональный праздник")
        db.session.commit()
        cal = services.calendar_for_region(region_id)
        other = services.calendar_for_region(make_region())
    assert cal.add_working_days(date(2025, 4, 30), 3) == date(2025, 5, 12)
    assert other.add_working_days(date(2025, 4, 30), 3) == date(2025, 5, 7)


def test_override_that_changes_nothing_is_refused(app_ctx, make_region):
    region_id = make_region()
    with scoped(SYSTEM_SCOPE), pytest.raises(services.CalendarError):
        services.add_override(region_id, date(2025, 5, 1), False, "")


def test_cli_check_and_add_workdays(app, make_region):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["calendar", "check", "2025"])
    assert out.exit_code == 0, out.output
    assert "рабочих дней — 247" in out.output
    assert "01.11.2025 сб" in out.output
    assert "Внимание" not in out.output
    future = runner.invoke(args=["calendar", "check", "2031"])
    assert future.exit_code == 0
    assert "постановления Правительства о переносе выходных на 2031 год нет" in future.output
    res = runner.invoke(args=["calendar", "add-workdays", "2025-04-25", "10"])
    assert res.output.strip().splitlines()[0] == "2025-05-15"
    region_id = make_region(slug="kuzbass-x")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        services.add_override(region_id, date(2025, 5, 6), False, "")
        db.session.commit()
    res = runner.invoke(
        args=["calendar", "add-workdays", "2025-04-25", "10", "--region", "kuzbass-x"]
    )
    assert res.output.strip().splitlines()[0] == "2025-05-16"
    bad = runner.invoke(args=["calendar", "add-workdays", "2025-04-25", "1", "--region", "nope"])
    assert bad.exit_code != 0 and "Нет региона" in bad.output


def test_admin_edits_overrides_in_the_interface(app, client, login_as, make_user, make_region):
    region_id = make_region(slug="reg-ui")
    admin = make_user(Role.ADMIN)
    login_as(admin)
    page = client.get("/calendar/?region=reg-ui&year=2025")
    assert page.status_code == 200
    assert "247" in page.get_data(as_text=True)
    bad = client.post(
        "/calendar/overrides",
        data={"region": "reg-ui", "day": "2025-05-01", "is_working": "0", "note": "x"},
    )
    assert bad.status_code == 400
    assert "уже выходной" in bad.get_data(as_text=True)
    r = client.post(
        "/calendar/overrides",
        data={"region": "reg-ui", "day": "2025-05-06", "is_working": "0", "note": "День области"},
    )
    assert r.status_code == 302
    body = client.get("/calendar/?region=reg-ui&year=2025").get_data(as_text=True)
    assert "День области" in body and "246" in body
    with app.app_context(), scoped(SYSTEM_SCOPE):
        row_id = db.session.scalar(
            sa.select(CalendarOverride.id).where(CalendarOverride.region_id == region_id)
        )
    assert client.post(f"/calendar/overrides/{row_id}/delete").status_code == 302
    assert "День области" not in client.get("/calendar/?region=reg-ui&year=2025").get_data(
        as_text=True
    )


def test_agency_staff_cannot_edit_calendar(client, login_as, make_user, make_agency):
    agency = make_agency()
    login_as(make_user(Role.REGISTRAR, agency_id=agency))
    assert client.get("/calendar/").status_code == 403
    assert client.post("/calendar/overrides", data={"region": "x"}).status_code == 403


def test_counting_agrees_with_walking_day_by_day():
    """Counting works on sorted days off (bisect); walking the days one by one is the reference."""
    import random
    from datetime import timedelta

    cals = [FEDERAL, WorkCalendar({date(2025, 5, 5): False, date(2025, 5, 3): True})]

    def walk_add(cal, start, n):
        step, day, left = (1 if n >= 0 else -1), start, abs(n)
        while not left and not cal.is_working_day(day):
            day += timedelta(days=1)
        while left:
            day += timedelta(days=step)
            left -= cal.is_working_day(day)
        return day

    def walk_count(cal, start, end):
        days = (end - start).days + 1
        return sum(cal.is_working_day(start + timedelta(i)) for i in range(max(days, 0)))

    rnd = random.Random(7)
    for _ in range(2000):
        cal = rnd.choice(cals)
        a = date(2024, 1, 1) + timedelta(rnd.randrange(1100))
        b = date(2024, 1, 1) + timedelta(rnd.randrange(1100))
        n = rnd.randrange(-40, 40)
        assert cal.add_working_days(a, n) == walk_add(cal, a, n), (a, n)
        assert cal.working_days_count(a, b) == walk_count(cal, a, b), (a, b)
