"""Issue 13's smaller items: the order's wording, zones on public times, length limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from lists_support import add_included, approve_list, data, form_post, in_agency

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import db
from touchpoints.core.web import ru_datetime_zone, zone_name
from touchpoints.lists import services
from touchpoints.lists.models import Entry
from touchpoints.orders.document import order_context, refer_to_appendices


def test_zone_names_are_the_russian_ones():
    moment = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert zone_name(moment, ZoneInfo("Europe/Moscow")) == "МСК"
    assert zone_name(moment, ZoneInfo("Asia/Novokuznetsk")) == "МСК+4"
    assert zone_name(moment, ZoneInfo("Europe/Kaliningrad")) == "МСК−1"
    assert ru_datetime_zone(moment, ZoneInfo("Europe/Moscow")) == "01.03.2026 12:00 (МСК)"


def test_single_appendix_wording_becomes_two_when_changes_are_attached():
    (text,) = refer_to_appendices(["Утвердить перечень согласно приложению к настоящему приказу."])
    assert "согласно приложению № 1 к настоящему приказу" in text
    assert "в приложении № 2" in text


def test_order_with_changes_names_both_appendices_and_says_empty_in_words(
    app, make_agency, make_user
):
    aid = make_agency()
    reg = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    (eid,) = add_included(app, aid, reg, [data(form, process="Процесс", specifics="")])
    with in_agency(app, aid) as agency:
        user = db.session.get(User, reg)
        approve_list(agency, user, order_number="1", order_date=date.today() - timedelta(days=3))
        entry = db.session.get(Entry, eid)
        services.update_entry(entry, user, {"specifics": "По записи"}, entry.revision)
        v2 = approve_list(agency, user, order_number="2", order_date=date.today())
        db.session.commit()
        doc = order_context(agency, v2)
        first = doc.paragraphs[0]
        details = [d for row in doc.changes.rows for d in row.details]
        plain = order_context(agency, v2, with_changes=False).paragraphs[0]
    assert "согласно приложению № 1" in first and "приложении № 2" in first
    assert "№ 1" not in plain
    assert any("(не заполнено) → «По записи»" in d for d in details), details
    assert not any("«»" in d for d in details)


def test_entry_text_fields_have_limits_counters_and_field_errors(
    app, make_agency, make_user, login_as
):
    aid = make_agency()
    client = login_as(make_user(Role.REGISTRAR, agency_id=aid))
    page = client.get("/list/entries/new").get_data(as_text=True)
    assert 'maxlength="500"' in page and 'maxlength="2000"' in page
    assert "app.js" in page  # the counter (static/app.js, no CDN)
    with in_agency(app, aid) as agency:
        form = agency.form
    huge = "Очень длинное название процесса " * 400  # 12,800 characters
    r = client.post("/list/entries/new", data=form_post(form, process_name=huge))
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Не длиннее 500 символов" in body
    assert "Очень длинное название процесса Очень" in body  # what was typed is kept


def test_kuzbass_list_on_screen_has_the_process_subheadings_of_its_pdf(seeded, make_user):
    """The Kuzbass form has no process column; its PDF heads each process (orders.services
    list_appendix), and the page does the same now."""
    from conftest import login
    from lists_support import agency_id_of

    app = seeded
    aid = agency_id_of(app, "kuzbass-emergencies")
    reg = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    assert not any(c["field"] == "process_name" for c in form["columns"])
    add_included(app, aid, reg, [data(form, process="Информирование населения о ЧС")])
    client = app.test_client()
    login(client, app, reg)
    page = client.get("/list/").get_data(as_text=True)
    assert '<tr class="subgroup"><td colspan=' in page
    assert "Информирование населения о ЧС</td></tr>" in page
