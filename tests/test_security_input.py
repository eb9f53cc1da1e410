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


def test_an_id_beyond_integer_is_a_refusal(app, registrar):
    """A hidden id is a whole number within PostgreSQL's integer (core.forms), so a forged one
    is the form's refusal, not a database error."""
    client, _ = registrar
    for forged in ("2147483648", "99999999999999999999", "1e3", "²"):
        r = client.post("/deadlines/reconfirm", data={"subdivision_id": forged})
        assert r.status_code == 302, forged
        page = client.get(r.headers["Location"]).get_data(as_text=True)
        assert "Не удалось подтвердить" in page, forged


IMPORT_HEAD = ["Направление деятельности", "Наименование процесса", "Точка взаимодействия",
               "Осуществляемое взаимодействие с клиентом", "Время ответа на упоминания, ч",
               "Время ожидания, мин", "Переключений на других сотрудников, не более"]  # fmt: skip


@pytest.mark.parametrize(
    "cells, error",
    [
        (["99999", "", ""], "не больше 8760"),
        (["1e308", "", ""], "не больше 8760"),
        (["Infinity", "", ""], "не число"),
        (["NaN", "", ""], "не число"),
        (["", "2147483648", ""], "не больше 1440"),
        (["", "", "99999999999"], "не больше 100"),
    ],
)
def test_an_uploaded_row_keeps_the_entry_forms_ranges(app, registrar, cells, error):
    """An upload is input too: a number beyond the form's range is the row's error in the
    preview (it used to pass the check and fail applying, in the database)."""
    _, agency_id = registrar
    row = ["Предоставление государственных услуг", "Процесс", "Телефонная линия", "Звонок"]
    (message,) = _import_errors(app, agency_id, [IMPORT_HEAD, row + cells])
    assert error in message


def test_an_uploaded_row_keeps_the_entry_forms_text_limits(app, registrar):
    from touchpoints.lists.forms import TEXT_LIMITS

    _, agency_id = registrar
    limit = TEXT_LIMITS["interaction"]
    row = ["Предоставление государственных услуг", "Процесс", "Телефонная линия", "я" * (limit + 1)]
    (message,) = _import_errors(app, agency_id, [IMPORT_HEAD[:4], row])
    assert f"не длиннее {limit} символов, а в файле {limit + 1}" in message
    row[3] = "я" * limit
    assert _import_errors(app, agency_id, [IMPORT_HEAD[:4], row]) == []


def _import_errors(app, agency_id, rows) -> list[str]:
    """The errors the import's check finds in the file's rows."""
    from tests import import_fixtures as fx
    from touchpoints.core.tenancy import Agency
    from touchpoints.transfer import imports

    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        session = imports.start_import(agency, fx.xlsx({"Перечень": rows}), "list.xlsx", None)
        db.session.flush()
        analysis = imports.analyse_session(agency, session)
        db.session.rollback()
    return [e for r in analysis.rows for e in r.errors]


@pytest.mark.parametrize(
    "query", ["from=0001-01-01", "to=9999-12-31", "from=1-01-01&to=9999-12-31"]
)
def test_dates_at_the_ends_of_the_calendar_are_no_filter(registrar, query):
    client, _ = registrar
    assert client.get(f"/audit/?{query}").status_code == 200
    assert client.get(f"/audit/export.csv?{query}").status_code == 200


def test_stored_bidi_controls_print_neither_in_the_order_nor_in_exports(app, registrar):
    """Text stored before the input filter (or by an import of old data) cannot print reversed:
    the order's PDF and the list's CSV, XLSX and DOCX drop bidirectional controls too."""
    import io
    import zipfile

    from openpyxl import load_workbook
    from pypdf import PdfReader

    from tests.lists_support import add_included, data
    from touchpoints.auth.models import User
    from touchpoints.orders import rendering

    client, agency_id = registrar
    with in_agency(app, agency_id) as agency:
        form = agency.form
        user_id = db.session.scalar(sa.select(User.id).where(User.agency_id == agency_id))
    (entry_id,) = add_included(app, agency_id, user_id, [data(form, process="Процесс")])
    with in_agency(app, agency_id) as agency:
        db.session.get(Entry, entry_id).interaction = "Звонок \u202eанорефелет\u202c конец"
        db.session.commit()
        pdf = rendering.render_order(agency, None).pdf
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "анорефелет" in " ".join(text.split()) and "\u202e" not in text
    for fmt in ("csv", "xlsx", "docx"):
        body = client.get(f"/list/export.{fmt}").data
        if fmt == "xlsx":  # the cells' text (write-only mode stores it as character references)
            sheets = load_workbook(io.BytesIO(body)).worksheets
            body = "".join(
                str(c) for ws in sheets for r in ws.iter_rows(values_only=True) for c in r
            )
            body = body.encode()
        elif fmt == "docx":
            with zipfile.ZipFile(io.BytesIO(body)) as z:
                body = b"".join(z.read(n) for n in z.namelist())
        assert "анорефелет".encode() in body, fmt
        assert "\u202e".encode() not in body and "\u202c".encode() not in body, fmt


def test_a_two_megabyte_field_is_a_field_error_and_a_larger_request_a_413(app, registrar):
    """The issue's 2 MB field (stored once): the field's limit answers; beyond the request limit
    (MAX_CONTENT_LENGTH) the error page speaks of text too, not only of files."""
    client, agency_id = registrar
    data = entry_form_data(app, agency_id) | {"specifics": "я" * 1_000_000}
    response = client.post("/list/entries/new", data=data)
    assert response.status_code == 200
    assert "Не длиннее 2000 символов" in response.get_data(as_text=True)
    with app.app_context(), scoped(agency_scope(agency_id)):
        assert db.session.scalar(sa.select(sa.func.count(Entry.id))) == 0
    response = client.post("/list/entries/new", data={"specifics": "я" * 2_000_000})
    assert response.status_code == 413
    assert "сократите текст" in response.get_data(as_text=True)
