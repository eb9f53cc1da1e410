"""CSV for people (issue 13 item 8): the download buttons give what Russian Excel opens as
columns — semicolons, UTF-8 with a BOM, Russian headings only; scripts keep theirs."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from conftest import login
from lists_support import add_included, data

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.lists.form import Form
from touchpoints.lists.labels import COLUMN_LABELS
from touchpoints.transfer.export import MACHINE_COLUMNS
from touchpoints.transfer.matching import PSEUDO_LABELS

LATIN_WORD = re.compile(r"[A-Za-z_]{3,}")


def read_people_csv(raw: bytes) -> list[list[str]]:
    assert raw.startswith("\ufeff".encode()), "UTF-8 with a BOM: Excel reads Cyrillic right"
    text = raw.decode("utf-8-sig")
    first = text.split("\r\n", 1)[0]
    assert first.count(";") > 0 and first.count(",") < first.count(";"), first
    return list(csv.reader(io.StringIO(text), delimiter=";"))


@pytest.fixture
def listed(app, make_agency, make_user):
    agency_id = make_agency(template="kuzbass-3")
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        form = db.session.get(Agency, agency_id).form
    needs = [n["code"] for n in form["client_needs"][:2]]
    ids = add_included(
        app,
        agency_id,
        registrar,
        [
            data(form, process="Приём обращений", needs=needs, interaction="+7 (384) 000-00-00"),
            data(form, process="Консультации", touchpoint='=HYPERLINK("http://evil")'),
        ],
    )
    return {"agency_id": agency_id, "registrar": registrar, "form": form, "ids": ids}


def test_list_csv_of_the_download_button_is_for_russian_excel(app, listed, login_as):
    client = login_as(listed["registrar"])
    response = client.get("/list/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_people_csv(response.get_data())
    header, body = rows[0], rows[1:]

    form = Form(listed["form"])
    labels = [c["label"] for c in form.columns]
    assert header[: 1 + len(labels)] == ["№", *labels], "the form's own columns first"
    assert header[-1] == PSEUDO_LABELS["entry_id"], "the row's code, for importing back"
    assert COLUMN_LABELS["client_kind"] in header, "fields the form lacks, under our labels"
    assert not [h for h in header if LATIN_WORD.search(h)], f"Russian headings only: {header}"
    assert not set(MACHINE_COLUMNS) & set(header)
    assert all(len(r) == len(header) for r in body)

    assert [r[0] for r in body] == ["1", "2"]
    assert sorted(int(r[-1]) for r in body) == sorted(listed["ids"])
    by_process = {r[header.index(COLUMN_LABELS["process_name"])]: r for r in body}
    first = by_process["Приём обращений"]
    needs = form.need_names([n["code"] for n in listed["form"]["client_needs"][:2]])
    assert first[header.index(COLUMN_LABELS["client_needs"])] == "\n".join(needs)
    # Text that would run as a formula is shown as typed, after an apostrophe.
    text = response.get_data().decode("utf-8-sig")
    assert "'+7 (384) 000-00-00" in text and "'=HYPERLINK" in text
    assert ";=HYPERLINK" not in text and ";+7" not in text


def test_scripts_keep_their_csv(app, listed, tmp_path):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        slug = db.session.get(Agency, listed["agency_id"]).slug
    out = tmp_path / "list.csv"
    result = app.test_cli_runner().invoke(
        args=["lists", "export", slug, "--format", "csv", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    assert rows[0][-len(MACHINE_COLUMNS) :] == list(MACHINE_COLUMNS)
    assert len(rows) == 3


def test_audit_csv_comes_from_the_same_module(app, listed, login_as):
    client = login_as(listed["registrar"])
    response = client.get("/audit/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = read_people_csv(response.get_data())
    assert rows[0] == ["Когда", "Кто", "Что сделано", "Поле", "Было", "Стало", "Комментарий"]
    assert len(rows) > 1


def test_users_csv_for_registrars_and_administrators(app, listed, make_user, make_agency, login_as):
    agency_id = listed["agency_id"]
    editor = make_user(
        Role.EDITOR, agency_id=agency_id, name="Ёлкина Анна", email="anna@example.org"
    )
    make_user(Role.REGISTRAR, agency_id=make_agency(), name="Чужой Сотрудник")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        db.session.get(User, editor).active = False
        db.session.commit()

    client = login_as(listed["registrar"])
    response = client.get("/users/export.csv")
    assert response.status_code == 200
    rows = read_people_csv(response.get_data())
    assert rows[0] == [
        "Имя",
        "Электронная почта",
        "Роль",
        "Организация",
        "Подразделение",
        "Регион",
        "Учётная запись",
        "Создана",
        "Последний вход",
    ]
    people = {r[0]: r for r in rows[1:]}
    assert "Чужой Сотрудник" not in people, "a registrar exports their own agency only"
    anna = people["Ёлкина Анна"]
    assert anna[1:3] == ["anna@example.org", "Сотрудник подразделения"]
    assert anna[6] == "отключена" and anna[4].startswith("Отдел")
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", anna[7]), anna[7]
    raw = response.get_data().decode("utf-8-sig")
    assert "argon2" not in raw, "never a password hash"
    assert 'href="/users/export.csv' in client.get("/users/").get_data(as_text=True)

    found = read_people_csv(client.get("/users/export.csv?q=anna").get_data())
    assert [r[0] for r in found[1:]] == ["Ёлкина Анна"], "the page's search applies"

    admin = app.test_client()
    login(admin, app, make_user(Role.ADMIN))
    everyone = {r[0] for r in read_people_csv(admin.get("/users/export.csv").get_data())[1:]}
    assert {"Ёлкина Анна", "Чужой Сотрудник"} <= everyone
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert len(everyone) == db.session.scalar(sa.select(sa.func.count()).select_from(User))

    viewer = app.test_client()
    login(viewer, app, make_user(Role.VIEWER, agency_id=agency_id))
    assert viewer.get("/users/export.csv").status_code == 403


def test_people_csv_imports_back_unchanged(app, listed):
    from touchpoints.transfer import imports
    from touchpoints.transfer.export import export_list

    agency_id = listed["agency_id"]
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        raw, name, _ = export_list(agency, None, "csv")
        session = imports.start_import(agency, raw, name, listed["registrar"])
        result = imports.confirm(agency, session.token, listed["registrar"])
        db.session.commit()
    assert (result.added, result.changed) == (0, 0), "the rows are found by their code"
