"""What the reminder scan skips (reminders/watermark.py, deadlines/diff.py) it would have found
nothing in: after each scan the claims are exactly the rules' (``expected``, written in plain
Python in test_reminders_scan_sql.py) — when a person is added, a deadline is opened after a
claim, or a dispatch runs for an earlier moment — and a rerun with nothing new builds no claim.
"""

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from deadlines_support import MSK, NOVOKUZNETSK, at, include_entry, set_created, submit_entry
from test_reminders_scan_sql import claimed, expected

from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Subdivision
from touchpoints.deadlines import compute, diff
from touchpoints.deadlines.models import Deadline, Reconfirmation, Reminder
from touchpoints.lists.models import Entry, EntryStatus
from touchpoints.reminders import scan as scanner
from touchpoints.reminders import watermark
from touchpoints.reminders.claim import claim_statement

DUE = (2025, 5, 15)  # the publication deadline of a change on 25 April 2025


def scan(app, now, *, latest=True) -> dict:
    """A scan at ``now``; then the claims are exactly what the rules call for at that moment (or,
    for a moment earlier than a scan before, include it)."""
    with app.app_context(), scoped(SYSTEM_SCOPE):
        result = scanner.scan(now)
    app.extensions["inprocess_jobs"].wait()
    with app.app_context(), scoped(SYSTEM_SCOPE):
        unsent = {(*r[:-1], "claimed" if r[-1] == "sent" else r[-1]) for r in claimed()}
        if latest:
            assert unsent == expected(now), now
        else:
            assert unsent >= expected(now), now
    return result


@pytest.fixture
def agency_with_registrar(app, make_region, make_agency, make_user):
    """An agency and its registrar; with ``changed``, a change on 25 April (due on 15 May)."""

    def factory(email: str, *, changed=True) -> int:
        region = make_region(slug="wm-north", timezone="Europe/Moscow")
        agency = make_agency(region_id=region, subdivisions=())
        make_user(Role.REGISTRAR, agency_id=agency, email=email)
        if changed:
            change(app, agency)
        return agency

    return factory


def change(app, agency: int) -> None:
    include_entry(app, agency, at(2025, 4, 25, 10))


def steps_of(app, email: str) -> list[str]:
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return sorted(s for r, s in claimed_by(email))


def claimed_by(email: str) -> list[tuple[str, str]]:
    return [(r[2], r[1]) for r in claimed() if r[2] == email]


def test_a_person_added_after_a_claim_gets_the_steps_already_due(
    app, agency_with_registrar, make_user
):
    agency = agency_with_registrar("first@example.org")
    assert scan(app, at(*DUE, 9, 5))["claimed"] == 3
    make_user(Role.REGISTRAR, agency_id=agency, email="second@example.org")
    # Two minutes later no step fell due, but the people changed: the claim looks at all.
    assert scan(app, at(*DUE, 9, 7))["claimed"] == 3
    assert steps_of(app, "second@example.org") == ["before:1", "before:3", "due"]
    assert scan(app, at(*DUE, 9, 9))["claimed"] == 0


def test_a_deadline_opened_after_a_claim_gets_its_past_steps(app, agency_with_registrar):
    agency_with_registrar("early@example.org")
    late = agency_with_registrar("late@example.org", changed=False)
    assert scan(app, at(*DUE, 9, 5))["claimed"] == 3
    # Another agency's change of the same day, entered after the claim (the same people): its
    # deadline is opened by the next scan, with an id above the ones the claim saw.
    change(app, late)
    assert scan(app, at(*DUE, 9, 7))["claimed"] == 3
    assert steps_of(app, "late@example.org") == ["before:1", "before:3", "due"]


def test_a_dispatch_for_an_earlier_moment_leaves_nothing_behind(app, agency_with_registrar):
    agency_with_registrar("now@example.org")
    past = agency_with_registrar("past@example.org", changed=False)
    scan(app, at(*DUE, 9, 5))
    change(app, past)
    # `reminders dispatch --at` three working days before the deadline: the new deadline's
    # first step only.
    scan(app, at(2025, 5, 12, 9, 5), latest=False)
    assert steps_of(app, "past@example.org") == ["before:3"]
    # Back to the present: the steps between the two moments are not skipped.
    assert scan(app, at(*DUE, 9, 7))["claimed"] == 2
    assert steps_of(app, "past@example.org") == ["before:1", "before:3", "due"]


def test_a_rerun_with_nothing_new_builds_no_claim(app, agency_with_registrar):
    agency_with_registrar("idle@example.org")
    scan(app, at(*DUE, 9, 5))
    with app.app_context(), scoped(SYSTEM_SCOPE):
        window = watermark.open_window()
        assert window.since == at(*DUE, 9, 5) and window.seen == window.latest
        # Minutes later: no hour passed in any zone, no deadline is new — nothing to read.
        assert claim_statement(at(*DUE, 9, 7), window) is None
        # The next morning's hour passed: the step due then is looked for (and found).
        assert claim_statement(at(2025, 5, 16, 9, 1), window) is not None
        db.session.rollback()
    assert scan(app, at(2025, 5, 16, 9, 1))["claimed"] == 1


@pytest.mark.parametrize(
    ("since", "now", "falls"),
    [
        (at(*DUE, 9, 5), at(*DUE, 9, 7), False),
        (at(*DUE, 8, 59), at(*DUE, 9, 0), True),  # 09:00 in Moscow
        (at(*DUE, 4, 59), at(*DUE, 5, 0), True),  # 09:00 in Novokuznetsk
        (at(*DUE, 9, 5), at(2025, 5, 14, 9, 5), False),  # an earlier moment
        # From 09:01 in Moscow to 08:00 next day there, 13:01 to 12:00 in Novokuznetsk.
        (datetime(2025, 5, 15, 6, 1, tzinfo=UTC), datetime(2025, 5, 16, 5, 0, tzinfo=UTC), True),
        # From 09:01 in Moscow to 04:00 next day there, 13:01 to 08:00 in Novokuznetsk.
        (datetime(2025, 5, 15, 6, 1, tzinfo=UTC), datetime(2025, 5, 16, 1, 0, tzinfo=UTC), False),
    ],
)
def test_which_windows_may_hold_a_step(app, make_region, since, now, falls):
    make_region(slug="wm-msk", timezone="Europe/Moscow")
    make_region(slug="wm-nkz", timezone="Asia/Novokuznetsk")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert watermark.steps_may_fall_due(since, now) is falls


def full_sync_changes(now) -> list[int]:
    """The agencies a sync of every agency would change (rolled back)."""
    changed = sorted(compute.sync(None, now)["agencies"])
    db.session.rollback()
    return changed


def test_changed_agencies_are_those_a_full_sync_changes(app, make_region, make_agency):
    region = make_region(slug="wm-diff", timezone="Asia/Novokuznetsk")
    published = make_agency(region_id=region)
    reviewed = make_agency(region_id=region)
    quiet = make_agency(region_id=region)
    for agency in (published, reviewed, quiet):
        set_created(app, agency, at(2025, 1, 20, 10))
    include_entry(app, published, at(2025, 4, 25, 10))
    waiting = submit_entry(app, reviewed, at(2025, 5, 6, 9, tz=NOVOKUZNETSK))
    now = at(2025, 5, 7, 12)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        first = full_sync_changes(now)
        assert first == sorted((published, reviewed, quiet))  # every cycle starts, too
        assert diff.changed_agencies() == first
        compute.sync(None, now)
        db.session.commit()
        assert diff.changed_agencies() == [] == full_sync_changes(now)
        # The submission is included (its review ends, publication starts), a change lands in
        # the quiet agency, a subdivision of the first confirms its entries.
        entry = db.session.get(Entry, waiting)
        entry.status, entry.reviewed_at = EntryStatus.INCLUDED.value, at(2025, 5, 7, 10)
        sub = db.session.scalar(sa.select(Subdivision.id).where(Subdivision.agency_id == published))
        db.session.add(
            Reconfirmation(
                agency_id=published,
                subdivision_id=sub,
                confirmed_on=now.date(),
                confirmed_at=at(2025, 5, 7, 11, tz=MSK),
            )
        )
        db.session.commit()
    include_entry(app, quiet, at(2025, 5, 7, 11))
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert (
            diff.changed_agencies()
            == full_sync_changes(now)
            == sorted((published, reviewed, quiet))
        )


def test_reminders_always_have_their_deadline(app, agency_with_registrar):
    """Reminders carry no foreign keys (only the claim writes them, from the deadlines it
    reads); what a key would guard against, a deadline deleted, the database refuses."""
    agency_with_registrar("kept@example.org")
    scan(app, at(*DUE, 9, 5))
    with app.app_context(), scoped(SYSTEM_SCOPE):
        with pytest.raises(sa.exc.IntegrityError, match="удалить его нельзя"):
            db.session.execute(sa.delete(Deadline))
        db.session.rollback()
        orphans = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Reminder)
            .outerjoin(Deadline, Deadline.id == Reminder.deadline_id)
            .where(sa.or_(Deadline.id.is_(None), Deadline.agency_id != Reminder.agency_id))
        )
        reminders = db.session.scalar(sa.select(sa.func.count()).select_from(Reminder))
    assert reminders == 3 and orphans == 0
