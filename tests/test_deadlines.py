"""Deadlines: publication (seeds 5.4 / 5.5), review, re-confirmation (5.3 / 5.4)."""

from datetime import date

import sqlalchemy as sa
from deadlines_support import MSK, approve, at, include_entry, set_created, submit_entry

from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.deadlines import compute, services
from touchpoints.deadlines.models import Deadline, Publication
from touchpoints.deadlines.summary import deadline_summaries
from touchpoints.jobs import wait_for_inprocess_jobs


def _summary(app, agency_id, today):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return deadline_summaries([agency_id], today)[agency_id]


def test_publication_due_ten_working_days_after_a_change(app, make_agency):
    agency = make_agency()
    set_created(app, agency, at(2025, 1, 10))
    include_entry(app, agency, at(2025, 4, 25, 10))
    s = _summary(app, agency, date(2025, 5, 14))
    assert s.publication_due_on == date(2025, 5, 15)
    assert (s.publication_status, s.publication_days) == ("due", 1)
    assert _summary(app, agency, date(2025, 5, 15)).publication_label == "срок сегодня"
    late = _summary(app, agency, date(2025, 5, 19))
    assert (late.publication_status, late.publication_days) == ("overdue", -2)
    assert late.publication_label == "просрочено на 2 рабочих дня"


def test_publication_clock_runs_from_first_unpublished_change(app, make_agency, make_user):
    agency = make_agency()
    registrar = make_user(Role.REGISTRAR, agency_id=agency)
    include_entry(app, agency, at(2025, 4, 25, 10))
    approve(app, agency, at(2025, 5, 12, 10))
    # The version carries the change of 25 April: its clock still runs from then.
    assert _summary(app, agency, date(2025, 5, 13)).publication_due_on == date(2025, 5, 15)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        a = db.session.get(Agency, agency)
        from touchpoints.auth.models import User

        user = db.session.get(User, registrar)
        compute.sync([agency], now=at(2025, 5, 13))
        pub = services.record_publication(a, user, date(2025, 5, 16), "https://example.org/list")
        db.session.commit()
        assert pub.on_time is False
        closed = db.session.scalars(sa.select(Deadline).where(Deadline.kind == "publication")).all()
        assert [(d.status, d.outcome) for d in closed] == [("closed", "late")]
    s = _summary(app, agency, date(2025, 5, 20))
    assert s.publication_status == "on_time" and s.last_publication_on == date(2025, 5, 16)
    # A change after the published version starts a new clock (12-13 June 2025 are days off).
    include_entry(app, agency, at(2025, 6, 2, 15))
    assert _summary(app, agency, date(2025, 6, 3)).publication_due_on == date(2025, 6, 18)


def test_publication_recorded_on_time_in_the_interface(
    app, client, login_as, make_agency, make_user
):
    agency = make_agency()
    include_entry(app, agency, at(2025, 4, 25, 10))
    approve(app, agency, at(2025, 4, 28, 10))
    login_as(make_user(Role.REGISTRAR, agency_id=agency))
    home = client.get("/").get_data(as_text=True)
    assert "Размещение на сайте" in home and "15.05.2025" in home
    bad = client.post("/deadlines/publication", data={"published_on": "2025-05-14", "url": "сайт"})
    assert bad.status_code == 400
    assert "https://" in bad.get_data(as_text=True)
    assert 'value="2025-05-14"' in bad.get_data(as_text=True)
    ok = client.post(
        "/deadlines/publication",
        data={"published_on": "2025-05-14", "url": "https://example.org/perechen"},
    )
    assert ok.status_code == 302
    page = client.get("/deadlines/").get_data(as_text=True)
    assert "https://example.org/perechen" in page and "в срок" in page
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.scalar(sa.select(Publication.on_time)) is True


def test_editor_cannot_record_publication(client, login_as, make_agency, make_user):
    agency = make_agency()
    login_as(make_user(Role.EDITOR, agency_id=agency))
    assert client.get("/deadlines/publication").status_code == 403
    assert client.get("/deadlines/").status_code == 200


def test_review_deadline_and_pending_counts(app, make_agency):
    agency = make_agency()
    submit_entry(app, agency, at(2025, 4, 30, 9))
    submit_entry(app, agency, at(2025, 5, 13, 9))
    s = _summary(app, agency, date(2025, 5, 13))
    assert s.pending_reviews == 2
    assert s.oldest_review_submitted_on == date(2025, 4, 30)
    # Five working days after 30 April across the May holidays: 5, 6, 7, 12, 13 May.
    assert s.oldest_review_due_on == date(2025, 5, 13)
    assert s.overdue_reviews == 0
    assert _summary(app, agency, date(2025, 5, 14)).overdue_reviews == 1


def test_reconfirmation_cycle_and_confirm_by_editor(app, client, login_as, make_agency, make_user):
    agency = make_agency(subdivisions=("main", "second"))
    set_created(app, agency, at(2025, 1, 10))
    s = _summary(app, agency, date(2025, 4, 14))
    # Quarterly: 10 January + 3 months = Thursday 10 April 2025, missed by both subdivisions.
    assert s.reconfirm_next_due_on == date(2025, 4, 10)
    assert s.reconfirm_overdue == 2
    editor = make_user(Role.EDITOR, agency_id=agency, subdivision_code="main")
    login_as(editor)
    page = client.get("/deadlines/").get_data(as_text=True)
    assert page.count("Сведения актуальны") == 1  # only for the editor's own subdivision
    with app.app_context(), scoped(SYSTEM_SCOPE):
        from touchpoints.core.tenancy import Subdivision

        subs = dict(
            db.session.execute(
                sa.select(Subdivision.code, Subdivision.id).where(Subdivision.agency_id == agency)
            ).all()
        )
    assert (
        client.post("/deadlines/reconfirm", data={"subdivision_id": subs["second"]}).status_code
        == 302
    )
    assert _summary(app, agency, date(2025, 4, 14)).reconfirm_overdue == 2
    assert (
        client.post("/deadlines/reconfirm", data={"subdivision_id": subs["main"]}).status_code
        == 302
    )
    today = date.today()
    assert _summary(app, agency, date(2025, 4, 14)).reconfirm_overdue == 1
    assert _summary(app, agency, today).reconfirm_next_due_on is not None


def test_summaries_cost_a_fixed_number_of_queries(app, make_agency, make_region):
    region = make_region()
    few = [make_agency(region_id=region) for _ in range(2)]
    many = few + [make_agency(region_id=region) for _ in range(6)]
    for a in many:
        include_entry(app, a, at(2025, 4, 25, 10))
        submit_entry(app, a, at(2025, 4, 28, 10))
    counts = []
    with app.app_context(), scoped(SYSTEM_SCOPE):
        # The setup's commits enqueued dashboard refreshes that run on the in-process pool, on
        # this same engine: let them finish so that only the summaries' statements are counted.
        wait_for_inprocess_jobs()
        engine = db.engine
        for ids in (few, many):
            n = [0]

            def count(*args, n=n, **kwargs):
                n[0] += 1

            sa.event.listen(engine, "before_cursor_execute", count)
            try:
                result = deadline_summaries(ids, date(2025, 5, 14))
            finally:
                sa.event.remove(engine, "before_cursor_execute", count)
            assert len(result) == len(ids)
            assert all(r.pending_reviews == 1 for r in result.values())
            counts.append(n[0])
            db.session.rollback()
    assert counts[0] == counts[1], counts


def test_summaries_respect_scope(app, make_agency):
    mine, other = make_agency(), make_agency()
    include_entry(app, other, at(2025, 4, 25, 10))
    from touchpoints.core.db import agency_scope

    with app.app_context(), scoped(agency_scope(mine)):
        result = deadline_summaries([mine, other], date(2025, 5, 1))
    assert other not in result or result[other].publication_due_on is None
    assert MSK  # the helpers' zone is Murmansk's


def test_registrars_direct_edit_starts_the_publication_clock(app, make_agency, make_user):
    """Any change to the working list counts (5.4 / 5.5), a registrar's own edit included."""
    from touchpoints.auth.models import User
    from touchpoints.core.db import utcnow
    from touchpoints.lists import services as lists
    from touchpoints.lists.models import Entry

    agency = make_agency()
    registrar = make_user(Role.REGISTRAR, agency_id=agency)
    entry_id = include_entry(app, agency, at(2025, 4, 25, 10))
    approve(app, agency, at(2025, 4, 28, 10))
    with app.app_context(), scoped(SYSTEM_SCOPE):
        user = db.session.get(User, registrar)
        compute.sync([agency], now=at(2025, 4, 29))
        services.record_publication(
            db.session.get(Agency, agency), user, date(2025, 4, 29), "https://example.org/l"
        )
        db.session.commit()
    today = utcnow().date()
    assert _summary(app, agency, today).publication_due_on is None
    with app.app_context(), scoped(SYSTEM_SCOPE):
        entry = db.session.get(Entry, entry_id)
        lists.update_entry(
            entry,
            db.session.get(User, registrar),
            {"specifics": "Новый режим работы"},
            entry.revision,
        )
        db.session.commit()
    assert _summary(app, agency, today).publication_due_on is not None
