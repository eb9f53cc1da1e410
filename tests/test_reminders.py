"""Reminders: local hours, exactly once (re-runs, skipped days, parallel scanners), opt-outs."""

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from deadlines_support import MSK, NOVOKUZNETSK, at, include_entry

from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.mail.models import MailMessage
from touchpoints.reminders import scan as scanner
from touchpoints.reminders.models import Reminder, ReminderDigest


def scan(app, now):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        result = scanner.scan(now)
    app.extensions["inprocess_jobs"].wait()
    return result


def mails(app, recipient=None):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        q = sa.select(MailMessage).order_by(MailMessage.id)
        if recipient:
            q = q.where(MailMessage.recipient == recipient)
        out = db.session.scalars(q).all()
        db.session.expunge_all()
        return out


def reminders(app, recipient=None):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        q = sa.select(Reminder.recipient, Reminder.step, Reminder.status).order_by(Reminder.id)
        if recipient:
            q = q.where(Reminder.recipient == recipient)
        return [tuple(r) for r in db.session.execute(q)]


@pytest.fixture
def two_regions(app, make_region, make_agency, make_user):
    """A Murmansk and a Kuzbass agency, each with a registrar, both changed on 25 April 2025."""
    murmansk = make_region(slug="murmansk-r", timezone="Europe/Moscow")
    kuzbass = make_region(slug="kuzbass-r", timezone="Asia/Novokuznetsk")
    out = {}
    for key, region, tz in (("m", murmansk, MSK), ("k", kuzbass, NOVOKUZNETSK)):
        agency = make_agency(region_id=region, subdivisions=())
        email = f"registrar-{key}@example.org"
        make_user(Role.REGISTRAR, agency_id=agency, email=email)
        include_entry(app, agency, at(2025, 4, 25, 10, tz=tz))
        out[key] = {"agency": agency, "email": email, "region": region}
    return out


def test_same_deadline_sends_at_nine_local_time_in_each_region(app, two_regions):
    # Bring both up to date on the eve of the deadline (15 May 2025), then watch the day itself.
    scan(app, at(2025, 5, 14, 23, tz=UTC))
    kem, mur = two_regions["k"]["email"], two_regions["m"]["email"]
    assert "due" not in {s for _, s, _ in reminders(app, kem)}
    # 02:05 UTC is 09:05 in Kemerovo and 05:05 in Murmansk.
    scan(app, datetime(2025, 5, 15, 2, 5, tzinfo=UTC))
    assert (kem, "due", "sent") in reminders(app, kem)
    assert all(step != "due" for _, step, _ in reminders(app, mur))
    scan(app, datetime(2025, 5, 15, 6, 5, tzinfo=UTC))
    assert (mur, "due", "sent") in reminders(app, mur)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        sends = dict(
            db.session.execute(
                sa.select(ReminderDigest.recipient, ReminderDigest.send_after).where(
                    ReminderDigest.local_date == datetime(2025, 5, 15).date()
                )
            ).all()
        )
    assert sends[kem] == datetime(2025, 5, 15, 2, 0, tzinfo=UTC)
    assert sends[mur] == datetime(2025, 5, 15, 6, 0, tzinfo=UTC)
    assert sends[kem] != sends[mur]


def test_rerun_and_skipped_day_send_each_reminder_once(app, two_regions):
    mur = two_regions["m"]["email"]
    first = scan(app, at(2025, 5, 12, 9, 5))  # three working days before 15 May
    assert first["claimed"] >= 1
    assert [s for _, s, _ in reminders(app, mur)] == ["before:3"]
    assert len(mails(app, mur)) == 1
    again = scan(app, at(2025, 5, 12, 9, 30))
    assert again["claimed"] == 0
    assert len(mails(app, mur)) == 1
    # No scanner ran on 14 May (one day before): the next run catches it up with the day's own.
    scan(app, at(2025, 5, 15, 9, 1))
    assert sorted(s for _, s, _ in reminders(app, mur)) == ["before:1", "before:3", "due"]
    assert all(status == "sent" for _, _, status in reminders(app, mur))
    sent = mails(app, mur)
    assert len(sent) == 2
    assert sent[1].body_text.count("Размещение перечня на сайте") == 1
    assert "срок сегодня" in sent[1].body_text
    scan(app, at(2025, 5, 15, 15))
    assert len(mails(app, mur)) == 2


def test_before_nine_nothing_goes_out(app, two_regions):
    scan(app, at(2025, 5, 12, 8, 59))  # 12:59 in Kemerovo, where it is due already
    assert reminders(app, two_regions["m"]["email"]) == []
    assert mails(app, two_regions["m"]["email"]) == []
    assert len(mails(app, two_regions["k"]["email"])) == 1


def test_after_deadline_escalates_to_head_and_project_office(app, two_regions, make_user):
    m = two_regions["m"]
    viewer = "head@example.org"
    office = "office-m@example.org"
    make_user(Role.VIEWER, agency_id=m["agency"], email=viewer)
    make_user(Role.OFFICE, region_id=m["region"], email=office)
    scan(app, at(2025, 5, 15, 9, 5))
    assert mails(app, office) == []
    scan(app, at(2025, 5, 16, 9, 5))  # one working day after
    office_mail = mails(app, office)
    assert len(office_mail) == 1
    assert "просрочено на 1 рабочий день" in office_mail[0].body_text
    assert "/agencies/" in office_mail[0].body_text
    assert len(mails(app, viewer)) == 1
    assert ("office-m@example.org", "after:1", "sent") in reminders(app, office)


def test_person_turns_off_early_reminders_but_not_deadline_ones(
    app, client, login_as, make_agency, make_user
):
    agency = make_agency(subdivisions=())
    user = make_user(Role.REGISTRAR, agency_id=agency, email="quiet@example.org")
    include_entry(app, agency, at(2025, 4, 25, 10))
    login_as(user)
    r = client.post("/reminders/", data={"muted": ["publication"]})
    assert r.status_code == 302
    scan(app, at(2025, 5, 12, 9, 5))
    assert reminders(app, "quiet@example.org") == [("quiet@example.org", "before:3", "muted")]
    assert mails(app, "quiet@example.org") == []
    scan(app, at(2025, 5, 15, 9, 5))
    statuses = {s: st for _, s, st in reminders(app, "quiet@example.org")}
    assert statuses["due"] == "sent"
    assert len(mails(app, "quiet@example.org")) == 1
    page = client.get("/reminders/").get_data(as_text=True)
    assert "отключено вами" in page and "в день срока" in page


def test_two_scanners_in_parallel_send_nothing_twice(app, make_region, make_agency, make_user):
    region = make_region()
    emails = []
    for i in range(6):
        agency = make_agency(region_id=region, subdivisions=())
        email = f"par-{i}@example.org"
        make_user(Role.REGISTRAR, agency_id=agency, email=email)
        include_entry(app, agency, at(2025, 4, 25, 10))
        emails.append(email)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            with app.app_context(), scoped(SYSTEM_SCOPE):
                barrier.wait()
                scanner.scan(at(2025, 5, 15, 9, 5))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    app.extensions["inprocess_jobs"].wait()
    assert errors == []
    # A second, sequential run finds nothing new either.
    assert scan(app, at(2025, 5, 15, 9, 6))["claimed"] == 0
    for email in emails:
        assert len(mails(app, email)) == 1, email
        steps = [s for _, s, _ in reminders(app, email)]
        assert sorted(steps) == ["before:1", "before:3", "due"]


def test_dispatch_command(app, two_regions):
    runner = app.test_cli_runner()
    out = runner.invoke(args=["reminders", "dispatch", "--at", "2025-05-15T09:05+03:00"])
    assert out.exit_code == 0, out.output
    assert "Заявлено напоминаний" in out.output
    assert len(mails(app, two_regions["m"]["email"])) == 1
    # Both registrars' digests went out from the one command, each with its deadline in it.
    for key in ("m", "k"):
        (msg,) = mails(app, two_regions[key]["email"])
        assert "Размещение перечня на сайте" in msg.body_text, key
    bad = runner.invoke(args=["reminders", "dispatch", "--at", "вчера"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.output


def test_registrar_edits_agency_policy(app, client, login_as, make_agency, make_user):
    agency = make_agency(subdivisions=())
    login_as(make_user(Role.REGISTRAR, agency_id=agency, email="pol@example.org"))
    assert client.get("/reminders/policy").status_code == 200
    bad = client.post(
        "/reminders/policy",
        data={"before_days": "три", "on_day": "y", "after_days": "1", "send_hour": "9"},
    )
    assert bad.status_code == 400 and "три" in bad.get_data(as_text=True)
    ok = client.post(
        "/reminders/policy",
        data={"before_days": "2", "on_day": "y", "after_days": "", "send_hour": "11"},
    )
    assert ok.status_code == 302
    include_entry(app, agency, at(2025, 4, 25, 10))
    assert scan(app, at(2025, 5, 13, 10, 59))["claimed"] == 0  # 11:00 now, and 2 days before
    scan(app, at(2025, 5, 13, 11, 1))
    assert reminders(app, "pol@example.org") == [("pol@example.org", "before:2", "sent")]


def test_office_escalation_of_a_late_review_does_not_quote_the_draft(
    app, make_region, make_agency, make_user
):
    """The office learns that a review is late, not what the submitted (draft) entry says."""
    from deadlines_support import submit_entry

    region = make_region(timezone="Europe/Moscow")
    agency = make_agency(region_id=region)
    make_user(Role.REGISTRAR, agency_id=agency, email="reg-esc@example.org")
    make_user(Role.OFFICE, region_id=region, email="office-esc@example.org")
    submit_entry(app, agency, at(2025, 4, 25, 10), process="Секретный черновик процесса")
    for day in range(5, 31):
        scan(app, at(2025, 5, day, 9, 5))
    office_mail = mails(app, "office-esc@example.org")
    registrar_mail = mails(app, "reg-esc@example.org")
    assert office_mail, "the late review escalates to the project office"
    assert all("Секретный черновик" not in m.body_text for m in office_mail)
    assert any("Секретный черновик" in m.body_text for m in registrar_mail)
