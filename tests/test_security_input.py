"""Bad input gets a field error or a 400, never a 500 (issue 14, item 4)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.lists_support import form_post, in_agency
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, scoped
from touchpoints.core.forms import TEXT_LIMIT
from touchpoints.core.safety import clean_text, spreadsheet_text
from touchpoints.lists.models import Entry


def entry_form_data(app, agency_id: int) -> dict:
    with in_agency(app, agency_id) as agency:
        form = agency.form
    return form_post(form, process_name="Процесс", touchpoint="Своя точка", interaction="Звонок")


@pytest.fixture
def registrar(app, make_agency, make_user, login_as):
    agency_id = make_agency()
    return login_as(make_user(Role.REGISTRAR, agency_id=agency_id)), agency_id


@pytest.mark.parametrize(
    "field, value",
    [
        ("response_hours_mentions", "99999"),
        ("response_hours_requests", "1e20"),
        ("response_hours_requests", "1e308"),
        ("response_hours_mentions", "Infinity"),
        ("response_hours_mentions", "NaN"),
        ("waiting_minutes", "2147483648"),
        ("max_transfers", "99999999999999999999"),
    ],
)
def test_numbers_out_of_range_are_field_errors(app, registrar, field, value):
    client, agency_id = registrar
    data = entry_form_data(app, agency_id) | {field: value}
    response = client.post("/list/entries/new", data=data)
    assert response.status_code == 200, response.status_code
    body = response.get_data(as_text=True)
    assert "Не больше" in body or "Слишком большое число" in body or "Введите число" in body
    assert f'value="{value}"' in body or value in body  # what was typed stays
    with app.app_context(), scoped(agency_scope(agency_id)):
        assert db.session.scalar(sa.select(sa.func.count(Entry.id))) == 0


@pytest.mark.parametrize(
    "path",
    [
        "/list/?q=a%00b",
        "/users/?q=%00",
        "/audit/?action=x%00",
        "/list/?q=%1b[31m",
        "/p/murmansk%00",
    ],
)
def test_control_characters_in_urls_are_400(registrar, path):
    client, _ = registrar
    assert client.get(path).status_code == 400


def test_nul_in_anonymous_login_email_is_400(client):
    response = client.post("/login", data={"email": "a\x00@example.org", "password": "x"})
    assert response.status_code == 400
    assert "недопустимые" in response.get_data(as_text=True)


def test_nul_in_entry_text_is_400_and_stores_nothing(app, registrar):
    client, agency_id = registrar
    data = entry_form_data(app, agency_id) | {"interaction": "до\x00после"}
    assert client.post("/list/entries/new", data=data).status_code == 400
    with app.app_context(), scoped(agency_scope(agency_id)):
        assert db.session.scalar(sa.select(sa.func.count(Entry.id))) == 0


def test_upload_name_with_nul_is_400(registrar):
    import io

    client, _ = registrar
    response = client.post(
        "/list/import",
        data={"file": (io.BytesIO(b"x"), "bad\x00name.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


def test_every_text_field_has_a_length_limit(app, registrar):
    client, agency_id = registrar
    # The entry form has tighter limits of its own per field (lists/forms.py TEXT_LIMITS);
    # the central limit of core.forms stands behind every other text field.
    from touchpoints.lists.forms import TEXT_LIMITS

    limit = TEXT_LIMITS["specifics"]
    assert limit <= TEXT_LIMIT
    data = entry_form_data(app, agency_id) | {"specifics": "я" * (TEXT_LIMIT + 1)}
    response = client.post("/list/entries/new", data=data)
    assert response.status_code == 200
    assert f"Не длиннее {limit} символов" in response.get_data(as_text=True)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.scalar(sa.select(sa.func.count(Entry.id))) == 0


def test_bidi_controls_are_removed_from_typed_text(app, registrar):
    client, agency_id = registrar
    data = entry_form_data(app, agency_id) | {"interaction": "Звонок \u202eанорефелет"}
    response = client.post("/list/entries/new", data=data)
    assert response.status_code == 302
    with app.app_context(), scoped(agency_scope(agency_id)):
        stored = db.session.scalar(sa.select(Entry.interaction))
    assert stored == "Звонок анорефелет"


def test_safety_helpers():
    assert clean_text("a\x00b\x1bc\td\ne\u202ef\u2066") == "abc\td\nef"
    for formula in ("=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=x"):
        assert spreadsheet_text(formula).startswith("'")
    assert spreadsheet_text("Телефон") == "Телефон" and spreadsheet_text(5) == 5
