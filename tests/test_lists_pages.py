"""The working list in the agency's form: columns, numbering, grouping, search, filters,
pagination, and a number of SQL queries that does not grow with the number of entries."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from conftest import login
from lists_support import add_included, agency_id_of, approve_list, data, in_agency, subdivision_ids

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import db
from touchpoints.jobs import wait_for_inprocess_jobs


def _rows(form, n, start=0):
    areas = [a["code"] for a in form["activity_areas"]]
    codes = [t["code"] for t in form["touchpoints"]]
    return [
        data(
            form,
            area=areas[i % len(areas)],
            process=f"Процесс {i:03d}",
            code=codes[i % len(codes)],
        )
        for i in range(start, start + n)
    ]


def _count_queries(app, client, url):
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        # Tasks run in threads of this process (the dashboard's figures after a change): their
        # statements are not the page's.
        wait_for_inprocess_jobs()
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        response = client.get(url)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


def test_list_page_queries_do_not_grow_with_entries(seeded, make_user):
    app = seeded
    aid = agency_id_of(app, "murmansk-tourism")
    user = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    add_included(app, aid, user, _rows(form, 5))
    with in_agency(app, aid) as agency:
        approve_list(
            agency, db.session.get(User, user), order_number="1", order_date=date(2024, 3, 1)
        )
        db.session.commit()
    client = app.test_client()
    login(client, app, user)
    client.get("/list/")  # warm-up: caches of the first request are not the point
    few, body = _count_queries(app, client, "/list/")
    assert body.count("Процесс 00") == 5
    add_included(app, aid, user, _rows(form, 55, start=5))
    # The comparison with the last version is made once per change (lists/changes.py).
    client.get("/list/")
    many, body = _count_queries(app, client, "/list/")
    assert body.count("Процесс 0") == 50  # a full page
    assert "Страница 1 из 2" in body
    assert many == few, (few, many)


def test_list_in_the_form_with_filters_and_search(seeded, make_user):
    app = seeded
    aid = agency_id_of(app, "kuzbass-emergencies")
    user = make_user(Role.VIEWER, agency_id=aid)
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    subs = subdivision_ids(app, aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    add_included(
        app,
        aid,
        registrar,
        [
            data(
                form,
                area="services",
                process="Аттестация спасателей",
                code="site",
                interaction="Сведения об аттестации",
                subdivision_id=subs[0],
            ),
            data(
                form,
                area="control",
                process="Надзор за защитой населения",
                code="phone",
                interaction="Консультации по надзору",
                subdivision_id=subs[1],
            ),
            data(
                form,
                area="internal",
                process="Кадровые вопросы",
                code="email",
                interaction="Заявления сотрудников",
                subdivision_id=subs[1],
            ),
        ],
    )
    client = app.test_client()
    login(client, app, user)
    body = client.get("/list/").get_data(as_text=True)
    # Kuzbass appendix: № and two columns, numbered 1..3, rows grouped by activity area.
    assert "Точки взаимодействия с внутренним клиентом" in body
    assert "Порядок взаимодействия с клиентом" in body
    assert '<tr class="colnums"><td>1</td><td>2</td><td>3</td><td></td></tr>' in body
    assert "1. Предоставление государственных услуг, услуг" in body
    assert "6. Организация отношений с внутренним клиентом (сотрудником)" in body
    assert body.index("Сведения об аттестации") < body.index("Консультации по надзору")

    def shown(query):
        page = client.get(f"/list/?{query}").get_data(as_text=True)
        return {
            text
            for text in (
                "Сведения об аттестации",
                "Консультации по надзору",
                "Заявления сотрудников",
            )
            if text in page
        }

    assert shown("area=control") == {"Консультации по надзору"}
    assert shown("channel=offline") == {"Консультации по надзору"}
    assert shown(f"subdivision={subs[1]}") == {"Консультации по надзору", "Заявления сотрудников"}
    assert shown("q=ЗАЯВЛЕНИЯ") == {"Заявления сотрудников"}
    assert shown("q=кадровые") == {"Заявления сотрудников"}  # the process, not shown in the form
    assert shown("status=pending") == set()
    assert shown("area=nonsense&status=nonsense") == {
        "Сведения об аттестации",
        "Консультации по надзору",
        "Заявления сотрудников",
    }


def test_entry_form_follows_the_agency_form(seeded, make_user):
    app = seeded
    aid = agency_id_of(app, "murmansk-tourism")
    client = app.test_client()
    login(client, app, make_user(Role.EDITOR, agency_id=aid, subdivision_code="it"))
    page = client.get("/list/entries/new").get_data(as_text=True)
    # Labels and catalogues of the Murmansk form (Appendix 2, section 4, clause 2.6).
    assert "Наименование конкретного процесса" in page
    assert "Сетевой диск Комитета" in page and "Книга учёта служебных записок" in page
    assert "Получение форм документов" in page
    assert "Взаимодействие с внутренним клиентом по вопросам ведения бухгалтерского учета" in page
    # Required columns are enforced; what was typed is kept.
    r = client.post(
        "/list/entries/new",
        data={
            "activity_area": "services",
            "process_name": "",
            "touchpoint_code": "",
            "touchpoint": "",
            "interaction": "Мой текст",
            "client_needs": ["info"],
        },
    )
    assert r.status_code == 200
    body = r.get_data(as_text=True)
    assert "Заполните это поле" in body
    assert "Выберите точку из справочника или введите её название" in body
    assert "Мой текст" in body
    # A touchpoint typed by hand is classified by the person; norms it cannot have are dropped.
    r = client.post(
        "/list/entries/new",
        data={
            "activity_area": "internal_it",
            "process_name": "Заявки на ремонт техники",
            "touchpoint_code": "",
            "touchpoint": "Телеграм-бот отдела",
            "channel_kind": "digital",
            "interaction": "Приём заявок",
            "client_needs": ["submit"],
            "client_kind": "internal",
        },
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:3000]
    r = client.post(
        "/list/entries/new",
        data={
            "activity_area": "internal_it",
            "process_name": "Заявки",
            "touchpoint_code": "phone",
            "interaction": "Приём заявок",
            "client_needs": ["submit"],
            "max_transfers": "1",
            "waiting_minutes": "30",
        },
    )
    assert r.status_code == 302
    from touchpoints.lists.models import Entry

    with in_agency(app, aid):
        typed, phone = db.session.scalars(sa.select(Entry).order_by(Entry.id)).all()
        assert (typed.touchpoint, typed.touchpoint_code, typed.channel_kind) == (
            "Телеграм-бот отдела",
            None,
            "digital",
        )
        assert (phone.touchpoint, phone.channel_kind) == ("Телефонная связь", "offline")
        assert (phone.max_transfers, phone.waiting_minutes) == (1, None)
        assert phone.subdivision.code == "it"  # an editor's entry is their subdivision's


def test_changes_since_the_version_are_kept_until_the_list_changes(seeded, make_user):
    """Issue 15 item 4: the comparison with the last version is not redone on every view."""
    app = seeded
    aid = agency_id_of(app, "murmansk-tourism")
    user = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    add_included(app, aid, user, _rows(form, 3))
    with in_agency(app, aid) as agency:
        approve_list(
            agency, db.session.get(User, user), order_number="1", order_date=date(2024, 3, 1)
        )
        db.session.commit()
    client = app.test_client()
    login(client, app, user)
    first = client.get("/list/").get_data(as_text=True)
    assert "Рабочий перечень совпадает с последней утверждённой редакцией" in first
    statements = []

    def listener(conn, cursor, statement, *args):
        statements.append(statement)

    with app.app_context():
        # Tasks run in threads of this process (the dashboard's figures after a change): their
        # statements are not the page's.
        wait_for_inprocess_jobs()
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        assert client.get("/list/").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert not [s for s in statements if "FROM version_entry" in s], statements
    # A change to the working list is seen at once.
    add_included(app, aid, user, _rows(form, 1, start=3))
    after = client.get("/list/").get_data(as_text=True)
    assert "Добавлено строк: <b>1</b>" in after
    assert after.count(">новая</span>") == 1
