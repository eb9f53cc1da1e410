"""Issue 15 item 2 (stored per-agency figures) and issue 13 item 3 (figures that agree)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, Scope, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.dashboard import figures
from touchpoints.dashboard.models import AgencyFigures
from touchpoints.jobs import wait_for_inprocess_jobs
from touchpoints.lists import services as lists

ENTRY = {
    "activity_area": "services",
    "process_name": "Секретная формулировка процесса",
    "touchpoint_code": "site",
    "client_needs": ["info"],
    "interaction": "Информирование",
}


def _entries(app, agency_id, user_id, *, included=0, submitted=0, proposals=0):
    """Rows through the list's own services, so every change is tracked as in production."""
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, agency_id)
        user = db.session.get(User, user_id)
        made = []
        for _ in range(included + proposals):
            entry = lists.create_entry(agency, user, ENTRY)
            lists.include(entry, user)
            made.append(entry)
        for _ in range(submitted):
            lists.submit(lists.create_entry(agency, user, ENTRY), user)
        for target in made[:proposals]:
            lists.submit(lists.propose_exclusion(target, user, "Больше не оказывается"), user)
        db.session.commit()
        wait_for_inprocess_jobs()


def _stored(app, agency_id):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        row = db.session.get(AgencyFigures, agency_id)
        return None if row is None else (row.generation, row.computed_generation, row.data)


def _settle(app):
    with app.app_context():
        wait_for_inprocess_jobs()


def test_pending_figure_links_to_exactly_the_rows_it_counts(
    app, client, login_as, make_region, make_agency, make_user
):
    region_id = make_region()
    agency_id = make_agency(region_id=region_id, template="default-full")
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id, name="Анна Регистратор")
    editor = make_user(Role.EDITOR, agency_id=agency_id, name="Пётр Редактор")
    _entries(app, agency_id, registrar, included=3, proposals=1)
    _entries(app, agency_id, editor, submitted=2)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        slug = db.session.get(Agency, agency_id).slug
    login_as(make_user(Role.OFFICE, region_id=region_id))

    board = client.get("/dashboard/").get_data(as_text=True)
    link = re.search(rf'href="(/dashboard/agencies/{slug}/pending)"[^>]*>(\d+)</a>', board)
    assert link, "the pending figure is a link"
    assert link.group(2) == "3"  # two new rows and one exclusion proposal

    page = client.get(link.group(1))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    items = re.findall(r"<tr>\s*<td>", html.split('id="pending-items"')[1])
    assert len(items) == 3
    assert "Всего: <strong>3</strong>" in html
    assert html.count("Пётр Редактор") == 2 and "Анна Регистратор" in html
    assert "предложение исключения" in html and html.count("новая строка") == 2
    assert "Секретная формулировка" not in html  # the office sees who and when, not the content

    # The agency page the dashboard links to says the same, as a link to the same items.
    overview = client.get(f"/agencies/{slug}/").get_data(as_text=True)
    assert re.search(rf'href="/dashboard/agencies/{slug}/pending">3</a>', overview)


def test_pending_items_of_another_region_are_not_found(
    app, client, login_as, make_region, make_agency, make_user
):
    mine, theirs = make_region(), make_region()
    foreign = make_agency(region_id=theirs)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        slug = db.session.get(Agency, foreign).slug
    login_as(make_user(Role.OFFICE, region_id=mine))
    assert client.get(f"/dashboard/agencies/{slug}/pending").status_code == 404


def test_a_change_recomputes_only_that_agency(app, make_region, make_agency, make_user):
    north, south = make_region(), make_region()
    a = make_agency(region_id=north)
    b = make_agency(region_id=north)
    c = make_agency(region_id=south)
    with app.app_context():
        figures.refresh_all()
    before = {x: _stored(app, x) for x in (a, b, c)}
    assert all(s is not None and s[0] == s[1] for s in before.values())

    _entries(app, a, make_user(Role.REGISTRAR, agency_id=a), included=2)
    after = {x: _stored(app, x) for x in (a, b, c)}
    assert after[a][0] > before[a][0], "the change bumped the agency's generation"
    assert after[a][1] == after[a][0], "the task recomputed it"
    assert after[a][2]["touchpoints"] == 2
    assert after[b] == before[b] and after[c] == before[c]


def test_a_bulk_change_recomputes_its_agencies_in_batches_of_a_region(
    app, make_region, make_agency, monkeypatch
):
    """A bulk writer (the reminder scan) names many agencies at once: one statement marks them,
    one task per batch of a region's agencies recomputes them, and no other agency is touched."""
    north, south = make_region(), make_region()
    marked = [make_agency(region_id=north) for _ in range(3)] + [make_agency(region_id=south)]
    untouched = make_agency(region_id=north)
    with app.app_context():
        figures.refresh_all()
    before = {x: _stored(app, x) for x in (*marked, untouched)}
    monkeypatch.setattr(figures, "BATCH", 2)  # north's three agencies in two batches
    with app.app_context(), scoped(SYSTEM_SCOPE):
        by_region = figures.mark_stale(db.session.connection(), set(marked))
        db.session.rollback()
        assert {r: sorted(ids) for r, ids in by_region.items()} == {
            north: sorted(marked[:3]),
            south: marked[3:],
        }
        figures.changed(set(marked))
        db.session.commit()
    _settle(app)
    after = {x: _stored(app, x) for x in (*marked, untouched)}
    for x in marked:
        assert after[x][0] == before[x][0] + 1, "marked once"
        assert after[x][1] == after[x][0], "and recomputed by its batch's task"
    assert after[untouched] == before[untouched]


def test_dashboard_reads_stored_rows_without_touching_entries(
    app, client, login_as, make_region, make_agency, make_user
):
    region_id = make_region()
    for _ in range(4):
        agency_id = make_agency(region_id=region_id)
        _entries(app, agency_id, make_user(Role.REGISTRAR, agency_id=agency_id), included=2)
    _settle(app)
    login_as(make_user(Role.OFFICE, region_id=region_id))
    client.get("/dashboard/")
    statements = []
    with app.app_context():
        engine = db.engine

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        html = client.get("/dashboard/").get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert "<b>8</b>точек взаимодействия в регионе" in html
    assert not [s for s in statements if re.search(r"\bFROM entry\b", s)], statements


def test_stale_rows_are_computed_on_the_spot(app, client, login_as, make_region, make_agency):
    """Before the task has run (or if it failed), the page still shows current figures."""
    region_id = make_region()
    agency_id = make_agency(region_id=region_id)
    # The agency's creation enqueued its refresh on the in-process pool: let it finish first,
    # or it may store freshly computed figures over the 999 written below.
    _settle(app)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        figures.refresh([agency_id])
        db.session.commit()
        db.session.execute(
            sa.update(AgencyFigures)
            .where(AgencyFigures.agency_id == agency_id)
            .values(data=dict(db.session.get(AgencyFigures, agency_id).data, touchpoints=999))
        )
        db.session.commit()
    with app.app_context(), scoped(SYSTEM_SCOPE):
        rows = figures.region_rows(db.session.get(Agency, agency_id).region, _today())
    assert rows[0].touchpoints == 999  # current rows are read as stored
    with app.app_context(), scoped(SYSTEM_SCOPE):
        figures.mark_stale(db.session.connection(), {agency_id})
        db.session.commit()
        rows = figures.region_rows(db.session.get(Agency, agency_id).region, _today())
    assert rows[0].touchpoints == 0


def _today():
    from datetime import date

    return date.today()


def test_office_reads_only_its_regions_figures_in_postgres(app, make_region, make_agency):
    north, south = make_region(), make_region()
    a, b = make_agency(region_id=north), make_agency(region_id=south)
    with app.app_context():
        figures.refresh_all()
        with scoped(Scope("region", region_id=north)):
            seen = db.session.execute(sa.text("SELECT agency_id FROM agency_figures")).scalars()
            assert set(seen) == {a}
        with scoped(Scope("agency", agency_id=b)):
            seen = db.session.execute(sa.text("SELECT agency_id FROM agency_figures")).scalars()
            assert set(seen) == {b}
        with scoped(Scope("public")):
            assert not db.session.execute(sa.text("SELECT 1 FROM agency_figures")).all()
        db.session.rollback()


def test_refresh_command(app, make_region, make_agency):
    region_id = make_region()
    agency_id = make_agency(region_id=region_id)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        slug = db.session.get(Agency, agency_id).region.slug
    result = app.test_cli_runner().invoke(args=["dashboard", "refresh", "--region", slug])
    assert result.exit_code == 0, result.output
    assert "Органов власти с пересчитанными показателями: 1." in result.output
    assert _stored(app, agency_id)[2]["touchpoints"] == 0
    result = app.test_cli_runner().invoke(args=["dashboard", "refresh", "--region", "nowhere"])
    assert result.exit_code != 0 and "не найден" in result.output
