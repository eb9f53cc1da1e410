"""The reminder scan's SQL selection (reminders/scan.py) against the rules spelled out in Python.

``expected`` below is the scanner as it was before the selection moved into SQL (one candidate
per deadline, step and person, built in Python); the claim statement must insert exactly the
rows it lists: the same steps, days, recipients, escalations and opt-outs, with several policies
(an agency's own, a region's default, the built-in one), time zones, editors present and
missing, the project office's people and its shared address. The demo's SQLite runs it too.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from deadlines_support import MSK, NOVOKUZNETSK, at, include_entry, set_created, submit_entry

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Region
from touchpoints.deadlines import compute
from touchpoints.deadlines.models import (
    Deadline,
    DeadlineKind,
    Reminder,
    ReminderOptOut,
    ReminderPolicy,
)
from touchpoints.reminders import scan as scanner
from touchpoints.reminders.claim import claim_due
from touchpoints.reminders.services import at_local, policies_for


def expected(now: datetime) -> set[tuple]:
    """Every reminder due by ``now`` for the open deadlines, by the rules in plain Python."""
    agencies = compute.load_agencies(None)
    pols = policies_for(agencies)
    users = db.session.execute(
        sa.select(User.id, User.email, User.role, User.agency_id, User.region_id).where(User.active)
    ).all()
    subdivision_of = dict(db.session.execute(sa.select(User.id, User.subdivision_id)).all())
    office_email = dict(db.session.execute(sa.select(Region.id, Region.office_email)).all())
    muted = set(db.session.execute(sa.select(ReminderOptOut.user_id, ReminderOptOut.kind)).all())
    out = set()
    for d in db.session.scalars(sa.select(Deadline).where(Deadline.status == "open")):
        a = agencies[d.agency_id]
        staff = [u for u in users if u.agency_id == a.id]
        office = [
            (u.email.lower(), u.id)
            for u in users
            if u.role == "office" and u.region_id == a.region_id
        ]
        shared = office_email.get(a.region_id)
        if shared and all(e != shared.lower() for e, _ in office):
            office.append((shared.lower(), None))
        policy = pols[a.id]
        for step, offset in policy.steps():
            day = a.calendar.add_working_days(d.due_on, offset) if offset else d.due_on
            if day < d.started_on or at_local(day, policy.send_hour, a.tz) > now:
                continue
            registrars = [(u.email.lower(), u.id) for u in staff if u.role == "registrar"]
            if d.kind == DeadlineKind.RECONFIRM.value:
                people = [
                    (u.email.lower(), u.id)
                    for u in staff
                    if u.role == "editor" and subdivision_of[u.id] == d.subdivision_id
                ]
                if offset >= 0 or not people:
                    people += registrars
            else:
                people = registrars
            rows = [(e, i, False) for e, i in people]
            if offset > 0:
                rows += [(u.email.lower(), u.id, False) for u in staff if u.role == "viewer"]
                rows += [(e, i, True) for e, i in office]
            seen = set()
            for email, user_id, escalation in rows:
                if email in seen:
                    continue
                seen.add(email)
                optional = offset < 0
                status = "muted" if optional and (user_id, d.kind) in muted else "claimed"
                out.add((d.id, step, email, user_id, day, escalation, optional, status))
    return out


def claimed() -> set[tuple]:
    return {
        tuple(r)
        for r in db.session.execute(
            sa.select(
                Reminder.deadline_id,
                Reminder.step,
                Reminder.recipient,
                Reminder.user_id,
                Reminder.send_on,
                Reminder.escalation,
                Reminder.optional,
                Reminder.status,
            )
        )
    }


def test_claims_are_exactly_the_rules_at_every_moment(app, make_region, make_agency, make_user):
    # Murmansk-like region: the built-in policy, an office person whose address is also the
    # region's shared one (said once), and a second office person.
    north = make_region(slug="sql-north", timezone="Europe/Moscow")
    # Kuzbass-like region: its own default policy and only a shared address.
    south = make_region(slug="sql-south", timezone="Asia/Novokuznetsk")
    own = make_agency(region_id=north)  # its own policy
    plain = make_agency(region_id=north, subdivisions=())  # the built-in policy
    southern = make_agency(region_id=south)  # the region's policy
    with app.app_context(), scoped(SYSTEM_SCOPE):
        db.session.get(Region, north).office_email = "Office-North@example.org"
        db.session.get(Region, south).office_email = "shared-south@example.org"
        db.session.add_all(
            [
                ReminderPolicy(
                    agency_id=own, before_days=[5, 1], on_day=False, after_days=[2], send_hour=10
                ),
                ReminderPolicy(
                    region_id=south, before_days=[2], on_day=True, after_days=[1, 3], send_hour=8
                ),
            ]
        )
        db.session.commit()
    make_user(Role.OFFICE, region_id=north, email="office-north@example.org")
    make_user(Role.OFFICE, region_id=north, email="analyst-north@example.org")
    for agency in (own, plain, southern):
        make_user(Role.REGISTRAR, agency_id=agency, email=f"reg-{agency}@example.org")
        make_user(Role.VIEWER, agency_id=agency, email=f"head-{agency}@example.org")
    # An editor of the first subdivision only: the second's reminders go to the registrar.
    make_user(Role.EDITOR, agency_id=own, subdivision_code="main", email="ed-own@example.org")
    # People who turned off early reminders: of re-confirmation, and of publication.
    quiet = make_user(Role.EDITOR, agency_id=southern, subdivision_code="main")
    calm = make_user(Role.REGISTRAR, agency_id=own, email="calm@example.org")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        db.session.add(ReminderOptOut(user_id=quiet, kind=DeadlineKind.RECONFIRM.value))
        db.session.add(ReminderOptOut(user_id=calm, kind=DeadlineKind.PUBLICATION.value))
        db.session.commit()
    for agency in (own, plain, southern):
        set_created(app, agency, at(2025, 1, 20, 10))
    include_entry(app, own, at(2025, 4, 25, 10))
    include_entry(app, southern, at(2025, 4, 28, 15, tz=NOVOKUZNETSK))
    submit_entry(app, plain, at(2025, 5, 5, 11))
    submit_entry(app, southern, at(2025, 5, 6, 9, tz=NOVOKUZNETSK))
    # Started after its earliest step would fall: that step is never sent.
    submit_entry(app, own, at(2025, 5, 13, 18))

    moments = [at(2025, 4, 10, 9, 59), at(2025, 5, 12, 9, 30), at(2025, 5, 15, 8, 0, tz=UTC)]
    moments += [moments[-1] + timedelta(days=n, hours=n) for n in (1, 3, 7, 30, 120)]
    counts = []
    with app.app_context(), scoped(SYSTEM_SCOPE):
        compute.sync(None, moments[0])
        db.session.commit()
        for now in moments:
            counts.append(claim_due(now))
            db.session.commit()
            assert claimed() == expected(now), now
        # A rerun at the last moment claims nothing more.
        assert claim_due(moments[-1]) == 0
        kinds = {k for (k,) in db.session.execute(sa.select(Reminder.kind).distinct())}
        statuses = {s for (s,) in db.session.execute(sa.select(Reminder.status).distinct())}
        escalations = db.session.scalar(
            sa.select(sa.func.count()).where(Reminder.escalation, Reminder.user_id.is_(None))
        )
        total = len(claimed())
    # The scenario reaches every branch: all three kinds, opt-outs, the shared address.
    assert kinds == {k.value for k in DeadlineKind}
    assert statuses == {"claimed", "muted"}
    assert escalations > 0
    # Each run reports what it inserted itself.
    assert sum(counts) == total and all(c >= 0 for c in counts)


def test_office_address_is_said_once_when_a_person_has_it(app, make_region, make_agency, make_user):
    region = make_region(timezone="Europe/Moscow")
    agency = make_agency(region_id=region, subdivisions=())
    make_user(Role.REGISTRAR, agency_id=agency, email="reg-once@example.org")
    make_user(Role.OFFICE, region_id=region, email="desk@example.org")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        db.session.get(Region, region).office_email = "DESK@example.org"
        db.session.commit()
    include_entry(app, agency, at(2025, 4, 25, 10, tz=MSK))
    with app.app_context(), scoped(SYSTEM_SCOPE):
        compute.sync([agency], at(2025, 4, 26))
        db.session.commit()
        claim_due(at(2025, 5, 16, 9, 5))  # one working day after the deadline
        db.session.commit()
        rows = db.session.execute(
            sa.select(Reminder.recipient, Reminder.user_id, Reminder.escalation).where(
                Reminder.step == "after:1"
            )
        ).all()
    assert sorted(r.recipient for r in rows) == ["desk@example.org", "reg-once@example.org"]
    desk = next(r for r in rows if r.recipient == "desk@example.org")
    assert desk.user_id is not None and desk.escalation


def test_demo_on_sqlite_scans_and_reruns(tmp_path):
    """`make demo` runs the scan on a thread of the web process, on SQLite."""
    from flask_migrate import upgrade

    from touchpoints import create_app
    from touchpoints.config import ROOT_DIR
    from touchpoints.demo.data import load_demo

    app = create_app(
        "demo", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/demo.sqlite3", INSTANCE_DIR=tmp_path
    )
    with app.app_context():
        upgrade(directory=str(ROOT_DIR / "migrations"))
        load_demo()
        later = datetime.now(UTC) + timedelta(days=120)
        with scoped(SYSTEM_SCOPE):
            first = scanner.scan(later)
            again = scanner.scan(later)
            assert claimed() == expected(later)
        db.session.remove()
    app.extensions["inprocess_jobs"].wait()
    assert first["claimed"] > 0 and first["digests"] > 0
    assert again["claimed"] == 0 and again["digests"] == 0
