"""Request plumbing seen by people: times in their own zone, errors in Russian."""

from datetime import UTC, date, datetime

from touchpoints.audit.models import AuditEvent
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped


def test_times_are_shown_in_the_viewers_region(app, make_region, make_agency, make_user, login_as):
    region = make_region(timezone="Asia/Novokuznetsk")
    agency = make_agency(region_id=region)
    user = make_user(Role.REGISTRAR, agency_id=agency)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        db.session.add(
            AuditEvent(
                agency_id=agency,
                at=datetime(2025, 12, 31, 20, 30, tzinfo=UTC),
                action="entry.include",
                object_type="entry",
                actor_label="system",
            )
        )
        db.session.commit()
    body = login_as(user).get("/audit/").get_data(as_text=True)
    # 20:30 UTC on New Year's Eve is 03:30 on 1 January in Kemerovo (UTC+7).
    assert "01.01.2026 03:30" in body
    assert "31.12.2025 20:30" not in body


def test_huge_ids_in_urls_are_not_found(app, make_agency, make_user, login_as):
    client = login_as(make_user(Role.REGISTRAR, agency_id=make_agency()))
    for path in (
        "/list/entries/99999999999999999999",
        "/list/versions/9223372036854775808",
        "/users/4294967296/edit",
    ):
        assert client.get(path).status_code == 404, path


def test_dashboard_drilldown_filters_are_understood_by_the_list(demo_app):
    client = demo_app.test_client()
    client.post("/login", data={"email": "office@murmansk.example.org", "password": "demo"})
    internal = client.get("/agencies/murmansk-tourism/list?client=internal").get_data(as_text=True)
    assert "Техническая поддержка рабочих мест" in internal
    assert "Аттестация экскурсоводов" not in internal
    digital = client.get("/agencies/murmansk-tourism/list?channel=digital").get_data(as_text=True)
    assert "Система учёта заявок" in digital and "Журнал заявок" not in digital
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert "client=internal" in dashboard and "channel=digital" in dashboard
    assert "channel_kind=" not in dashboard and "client_kind=" not in dashboard


def test_audit_log_reads_in_russian(demo_app):
    client = demo_app.test_client()
    client.post(
        "/login", data={"email": "registrar@murmansk-tourism.example.org", "password": "demo"}
    )
    body = client.get("/audit/").get_data(as_text=True)
    assert "Возвращена на доработку" in body or "Отправлена на проверку" in body
    assert "entry.submit" not in body and "entry.create" not in body
    assert "Строки перечня".lower() in body.lower()
    entries = client.get("/audit/?action=entry.").get_data(as_text=True)
    assert "Утверждена редакция перечня" not in entries


def test_users_page_does_not_query_per_user(app, make_agency, make_user, login_as):
    import sqlalchemy as sa

    from touchpoints.core.db import db

    client = login_as(make_user(Role.ADMIN))

    def count(n_agencies):
        # Each user in an agency of their own: a lazy load per row would show as more queries.
        for _ in range(n_agencies):
            make_user(Role.EDITOR, agency_id=make_agency())
        statements = []
        with app.app_context():
            engine = db.engine
            # A new agency's figures are computed by a job in this process: its statements
            # would be counted as the page's.
            app.extensions["inprocess_jobs"].wait(timeout=60)
        listener = lambda *a: statements.append(a[2])  # noqa: E731
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get("/users/").status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    assert count(1) == count(6)


def test_numbers_read_the_same_on_every_surface():
    # Every surface's cell text comes from lists.table.cell_text, which prints numbers with
    # core.text.number (tests/test_lists_table.py checks the surfaces themselves).
    from touchpoints.core.text import number
    from touchpoints.lists.form import Form
    from touchpoints.lists.table import cell_text

    form = Form({"slug": "f", "columns": [], "activity_areas": [], "client_needs": []})
    norm = {"field": "response_hours_requests", "key": "rq"}
    note = {"field": "extra", "key": "note"}
    for render in (number, lambda v: cell_text(form, norm, {"response_hours_requests": v})):
        assert render(1.5) == "1,5"
        assert render(2.0) == "2"
    # Text keeps its own punctuation.
    assert number("Ответ в течение 1.5 ч.") == "Ответ в течение 1.5 ч."
    assert cell_text(form, note, {"extra": {"note": "Раздел сайта."}}) == "Раздел сайта."


def test_audit_trail_reads_as_sentences_with_labels_and_version_numbers(
    app, make_agency, make_user, login_as
):
    """Issue 13: no raw JSON, no \\u escapes, no codes; version № 2 is «№ 2», not its row id."""
    from lists_support import add_included, approve_list, data, in_agency

    from touchpoints.auth.models import User
    from touchpoints.lists import services
    from touchpoints.lists.models import Entry

    aid = make_agency()
    other = make_agency()
    reg = make_user(Role.REGISTRAR, agency_id=aid, name="Мария Петрова")
    with in_agency(app, aid) as agency:
        form = agency.form
    code = form["touchpoints"][0]["code"]
    tp_name = form["touchpoints"][0]["name"]
    (eid,) = add_included(app, aid, reg, [data(form, process="Выдача разрешений")])
    # Another agency's version first, so that row ids and numbers differ.
    oreg = make_user(Role.REGISTRAR, agency_id=other)
    with in_agency(app, other) as o:
        oform = o.form
    add_included(app, other, oreg, [data(oform)])
    with in_agency(app, other) as o:
        approve_list(o, db.session.get(User, oreg), order_number="1", order_date=date(2025, 1, 10))
        db.session.commit()
    with in_agency(app, aid) as agency:
        user = db.session.get(User, reg)
        approve_list(agency, user, order_number="5", order_date=date(2025, 1, 10))
        entry = db.session.get(Entry, eid)
        services.update_entry(
            entry, user, {"touchpoint_code": code, "channel_kind": "offline"}, entry.revision
        )
        approve_list(agency, user, order_number="6", order_date=date(2025, 2, 1))
        db.session.commit()
    client = login_as(reg)
    body = client.get("/audit/").get_data(as_text=True)
    assert "Утверждена редакция перечня № 2" in body and "Утверждена редакция перечня № 1" in body
    assert "№ 3" not in body
    assert "Точка из справочника:" in body and tp_name in body
    assert "Мария Петрова" in body
    assert "\\u04" not in body and "{&#34;" not in body and '{"' not in body
    for raw in ('"status"', "order_number", f">{code}<", "digital", "offline"):
        assert raw not in body, raw
    assert "Дата приказа:" in body and "01.02.2025" in body
    # Filters: by person, by kind, by date.
    assert "Утверждена" not in client.get("/audit/?action=entry.").get_data(as_text=True)
    assert "Записей нет" in client.get("/audit/?from=2000-01-01&to=2000-01-02").get_data(
        as_text=True
    )
    assert "Записей нет" in client.get(f"/audit/?actor={oreg}").get_data(as_text=True)
    r = client.get("/audit/export.csv?action=version.")
    text = r.get_data(as_text=True)
    assert text.startswith("\ufeffКогда;Кто;Что сделано;Поле;Было;Стало;Комментарий")
    assert "Утверждена редакция перечня № 2" in text and "Мария Петрова" in text
    assert "order_date" not in text and "2025-02-01" not in text


def test_a_form_post_commits_or_shows_the_refusal(app, make_agency):
    """core.web.committed: the block's work is committed; a refusal is rolled back and shown on
    the field a FieldError names, on the given field, or as a flash; other errors pass."""
    import pytest
    import sqlalchemy as sa
    from flask import get_flashed_messages

    from touchpoints.core.forms import FieldError
    from touchpoints.core.web import committed

    agency = make_agency()

    class Field:
        errors = ()

    def event(action):
        db.session.add(
            AuditEvent(agency_id=agency, action=action, object_type="test", actor_label="system")
        )
        db.session.flush()

    with app.test_request_context("/", method="POST"), scoped(SYSTEM_SCOPE):
        with committed(ValueError) as done:
            event("test.kept")
        assert done

        on_field = Field()
        with committed(ValueError, on_field) as refused:
            event("test.refused")
            raise ValueError("Нельзя так")
        assert not refused and on_field.errors == ["Нельзя так"]
        with committed(ValueError) as again:
            event("test.after")  # commits this alone: the refused work was rolled back
        assert again

        form = type("Form", (), {"email": Field(), "name": Field()})()
        with committed(FieldError, form.name, form=form) as named:
            raise FieldError("email", "Адрес занят")
        assert not named and form.email.errors == ["Адрес занят"] and form.name.errors == ()

        with committed(ValueError) as flashed:
            raise ValueError("Сказано")
        assert not flashed
        assert get_flashed_messages(with_categories=True) == [("error", "Сказано")]

        with pytest.raises(KeyError), committed(ValueError):
            event("test.failed")
            raise KeyError("not a refusal")
        db.session.rollback()
        actions = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.agency_id == agency)
        ).all()
    assert sorted(actions) == ["test.after", "test.kept"]
