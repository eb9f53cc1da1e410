"""Import and export of lists (issue 3, «Import and export»)."""

from __future__ import annotations

import csv
import io
import os
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from lists_support import approve_list

from touchpoints.audit.models import AuditEvent
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.lists import services as lists
from touchpoints.lists.form import Form
from touchpoints.lists.models import Entry, ListVersion
from touchpoints.transfer import imports
from touchpoints.transfer.export import MACHINE_COLUMNS, export_list
from touchpoints.transfer.fields import column_target
from touchpoints.transfer.models import ImportSession

SEEDS = ("murmansk-tourism", "kuzbass-emergencies")


# --------------------------------------------------------------------------- helpers


def agency_id_of(app, slug):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return db.session.scalar(sa.select(Agency.id).where(Agency.slug == slug))


def entry_count(app, agency_id):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return db.session.scalar(sa.select(sa.func.count()).where(Entry.agency_id == agency_id))


def session_count(app):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return db.session.scalar(sa.select(sa.func.count()).select_from(ImportSession))


def comparable(form: Form, rows) -> list[tuple]:
    """What a list in this form shows: its columns plus what the import derives (area, kind)."""
    fields = [column_target(c) for c in form.columns]
    out = []
    for r in rows:
        values = [r.activity_area, r.touchpoint_code, r.channel_kind, r.client_kind]
        for f in fields:
            if f == "client_needs":
                values.append(tuple(r.client_needs or ()))
            elif f.startswith("extra:"):
                values.append((r.extra or {}).get(f[6:], ""))
            elif f != "subdivision":
                values.append(getattr(r, f) or "")
        out.append(tuple(values))
    return out


def working(app, agency_id):
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        form = Form(agency.form)
        entries = Entry.working(agency_id)
        entries.sort(key=lists.sort_key_for(form))
        return comparable(form, entries)


def export(app, agency_id, fmt, version_number=None):
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        version = None
        if version_number is not None:
            version = db.session.scalar(
                sa.select(ListVersion).where(
                    ListVersion.agency_id == agency_id, ListVersion.number == version_number
                )
            )
        return export_list(agency, version, fmt)


def upload(client, data: bytes, name: str):
    return client.post(
        "/list/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def token_of(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    location = response.headers["Location"]
    assert "/list/import/" in location
    return location.rsplit("/", 1)[-1]


def xlsx_bytes(rows, merged=()) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for rng in merged:
        ws.merge_cells(rng)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def docx_bytes(rows=None, text="Просто текст без таблицы.") -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(text)
    if rows:
        table = document.add_table(rows=0, cols=len(rows[0]))
        for row in rows:
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=True):
                cell.text = value
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


@pytest.fixture
def target_agency(app, make_agency, make_user):
    """An empty agency in a seed agency's form, with its registrar: where round trips land. In
    the seed agency's region, whose shared touchpoints the list names (docs/registry.md)."""

    def make(template):
        with app.app_context(), scoped(SYSTEM_SCOPE):
            region_id = db.session.scalar(
                sa.select(Agency.region_id).where(Agency.form_template == template).limit(1)
            )
        agency_id = make_agency(template=template, region_id=region_id)
        return agency_id, make_user(Role.REGISTRAR, agency_id=agency_id)

    return make


# --------------------------------------------------------------------------- round trip


def assert_form_table(app, agency_id, data):
    """The DOCX is the form's table: landscape, «№» and the labels, column numbers, groups."""
    import docx
    from docx.enum.section import WD_ORIENT

    document = docx.Document(io.BytesIO(data))
    assert document.sections[0].orientation == WD_ORIENT.LANDSCAPE
    table = document.tables[0]
    with app.app_context(), scoped(SYSTEM_SCOPE):
        form = Form(db.session.get(Agency, agency_id).form)
    header = [c.text for c in table.rows[0].cells]
    assert header == ["№", *[c["label"] for c in form.columns]]
    assert [c.text for c in table.rows[1].cells] == [str(i) for i in range(1, len(header) + 1)]
    group = table.rows[2].cells
    assert len({id(c._tc) for c in group}) == 1, "an activity area heading spans the whole row"
    assert group[0].text == form.activity_areas[0]["name"]
    assert table.rows[3].cells[0].text == "1"


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
@pytest.mark.parametrize("slug", SEEDS)
def test_exported_list_imports_back_to_the_same_entries(
    demo_app, client, login_as, target_agency, slug, fmt
):
    app = demo_app
    source = agency_id_of(app, slug)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        template = db.session.get(Agency, source).form_template
    expected = working(app, source)
    assert len(expected) > 20
    data, filename, _ = export(app, source, fmt)

    if fmt == "docx":
        assert_form_table(app, source, data)

    agency_id, registrar = target_agency(template)
    login_as(registrar)
    token = token_of(upload(client, data, filename))
    page = client.get(f"/list/import/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "строк с ошибками" in html
    assert entry_count(app, agency_id) == 0, "nothing is written before confirmation"

    response = client.post(f"/list/import/{token}/confirm")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert working(app, agency_id) == expected
    assert session_count(app) == 0
    with app.app_context(), scoped(agency_scope(agency_id)):
        events = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.agency_id == agency_id)
        ).all()
    # Through the review path (issue 11): created and included by the registrar acting alone.
    assert events.count("entry.create") == len(expected)
    assert events.count("entry.review.include") == len(expected)
    assert "list.import" in events


def test_approved_version_exported_as_docx_imports_back(demo_app, target_agency):
    app = demo_app
    source = agency_id_of(app, "murmansk-tourism")
    with app.app_context(), scoped(agency_scope(source)):
        version = db.session.scalar(sa.select(ListVersion).where(ListVersion.agency_id == source))
        expected = comparable(Form(version.form), version.entries)
        number = version.number
    data, filename, _ = export(app, source, "docx", number)
    assert "redakciya-1" in filename
    agency_id, registrar = target_agency("murmansk-6")
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        session = imports.start_import(agency, data, filename, registrar)
        imports.confirm(agency, session.token, registrar)
        db.session.commit()
    assert working(app, agency_id) == expected


# --------------------------------------------------------------------------- CSV


def test_scripts_csv_export_matches_the_entries(demo_app):
    """The operator's CSV (flask lists export --format csv): stable machine columns; the people's
    CSV of the download buttons is tested in tests/test_people_csv.py."""
    app = demo_app
    source = agency_id_of(app, "murmansk-tourism")
    with app.app_context(), scoped(agency_scope(source)):
        raw, _, _ = export_list(db.session.get(Agency, source), None, "csv", for_scripts=True)
    assert raw.startswith("\ufeff".encode()), "UTF-8 with BOM for Excel"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    with app.app_context(), scoped(agency_scope(source)):
        agency = db.session.get(Agency, source)
        form = Form(agency.form)
        entries = Entry.working(source)
        entries.sort(key=lists.sort_key_for(form))
        expected = [
            (
                str(e.id),
                e.activity_area,
                e.touchpoint,
                e.channel_kind,
                ";".join(e.client_needs),
                e.subdivision.name if e.subdivision else "",
            )
            for e in entries
        ]
    labels = [c["label"] for c in form.columns]
    assert rows[0] == ["№", *labels, *MACHINE_COLUMNS]
    body = rows[1:]
    assert [r[0] for r in body] == [str(i) for i in range(1, len(expected) + 1)]
    idx = {name: rows[0].index(name) for name in MACHINE_COLUMNS}
    got = [
        (
            r[idx["entry_id"]],
            r[idx["activity_area_code"]],
            r[idx["touchpoint"]],
            r[idx["channel_kind"]],
            r[idx["client_needs"]],
            r[idx["subdivision"]],
        )
        for r in body
    ]
    assert got == expected
    # The form's own columns carry what people read: the area's name, the touchpoint.
    assert body[0][labels.index("Точка взаимодействия") + 1] == entries[0].touchpoint
    assert body[0][1] == form.area_name(entries[0].activity_area)


def test_export_routes_404_for_unknown_format_and_version(demo_app, make_user, login_as, client):
    app = demo_app
    source = agency_id_of(app, "kuzbass-emergencies")
    login_as(make_user(Role.EDITOR, agency_id=source))
    assert client.get("/list/export.pdf").status_code == 404
    assert client.get("/list/versions/1/export.xlsx").status_code == 200
    assert client.get("/list/versions/1/export.exe").status_code == 404
    assert client.get("/list/versions/99/export.xlsx").status_code == 404
    other = agency_id_of(app, "murmansk-tourism")
    other_registrar = make_user(Role.REGISTRAR, agency_id=other)
    with app.app_context(), scoped(agency_scope(other)):
        from touchpoints.auth.models import User

        # Another agency's version numbers resolve within one's own agency only. A second
        # version needs a change (an identical one is refused).
        registrar = db.session.get(User, other_registrar)
        first = Entry.working(other)[0]
        lists.update_entry(first, registrar, {"specifics": "Уточнено"}, first.revision)
        version = approve_list(
            db.session.get(Agency, other),
            registrar,
            order_number="99",
            order_date=date.today(),
        )
        assert version.number == 2
        db.session.commit()
    assert client.get("/list/versions/2/export.csv").status_code == 404


def test_export_formula_like_text_stays_text(app, make_agency, make_user):
    from openpyxl import load_workbook

    agency_id = make_agency(template="kuzbass-3")
    user_id = make_user(Role.REGISTRAR, agency_id=agency_id)
    with app.app_context(), scoped(agency_scope(agency_id)):
        from touchpoints.auth.models import User

        agency = db.session.get(Agency, agency_id)
        entry = lists.create_entry(
            agency,
            db.session.get(User, user_id),
            {
                "activity_area": "appeals",
                "touchpoint": '=HYPERLINK("http://evil")',
                "interaction": "+7 (384) 000-00-00",
            },
        )
        entry.status = "included"
        db.session.commit()
    data, _, _ = export(app, agency_id, "xlsx")
    ws = load_workbook(io.BytesIO(data)).active
    values = [c for row in ws.iter_rows(values_only=True) for c in row if c]
    assert '=HYPERLINK("http://evil")' in values
    assert all(getattr(c, "data_type", "s") != "f" for row in ws.iter_rows() for c in row)
    text = export(app, agency_id, "csv")[0].decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'+7 (384)" in text


# --------------------------------------------------------------------------- broken files


def _random_bytes() -> bytes:
    return os.urandom(4096)


def _corrupt_zip() -> bytes:
    good = xlsx_bytes([["Точка взаимодействия", "Порядок взаимодействия с клиентом"]])
    return good[:200] + os.urandom(300) + good[500:]


BROKEN = {
    "random bytes as xlsx": (_random_bytes, "list.xlsx", "повреждён"),
    "corrupt zip": (_corrupt_zip, "list.xlsx", "повреждён"),
    "docx without a table": (lambda: docx_bytes(), "list.docx", "нет таблицы"),
    "sheet with no recognisable header": (
        lambda: xlsx_bytes([["Имя", "Возраст"], ["Иван", "30"], ["Пётр", "41"]]),
        "people.xlsx",
        "не найдено граф",
    ),
    "old binary Word": (
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
        "list.doc",
        "старом формате",
    ),
    "plain text": (lambda: "№;Точка".encode(), "list.txt", "Word (.docx) или Excel (.xlsx)"),
    "empty file": (lambda: b"", "list.xlsx", "Файл пустой"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_files_change_nothing_and_say_why(seeded, make_user, login_as, client, case):
    app = seeded
    source = agency_id_of(app, "murmansk-tourism")
    registrar = make_user(Role.REGISTRAR, agency_id=source)
    with app.app_context(), scoped(agency_scope(source)):
        from touchpoints.auth.models import User

        entry = lists.create_entry(
            db.session.get(Agency, source),
            db.session.get(User, registrar),
            {"activity_area": "services", "process_name": "Аттестация гидов",
             "touchpoint_code": "portal", "interaction": "Размещение порядка"},
        )  # fmt: skip
        entry.status = "included"
        db.session.commit()
    login_as(registrar)
    before = working(app, source)
    assert len(before) == 1
    make, name, message = BROKEN[case]
    response = upload(client, make(), name)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html
    assert "Traceback" not in html
    assert session_count(app) == 0
    assert working(app, source) == before


def test_oversized_files_are_refused_with_a_message(
    seeded, make_agency, make_user, login_as, client
):
    app = seeded
    agency_id = make_agency(template="kuzbass-3")
    login_as(make_user(Role.REGISTRAR, agency_id=agency_id))
    data = xlsx_bytes(
        [["Точки взаимодействия с внутренним клиентом", "Порядок взаимодействия с клиентом"]]
        + [["Телефонная связь", "Консультирование " * 20]] * 200
    )
    app.config["IMPORT_MAX_BYTES"] = len(data) - 1
    response = upload(client, data, "big.xlsx")
    assert response.status_code == 400
    assert "Файл слишком большой" in response.get_data(as_text=True)
    # Beyond the request limit itself the upload page answers too, not a bare error.
    app.config["MAX_CONTENT_LENGTH"] = 2048
    response = upload(client, data, "big.xlsx")
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "Файл слишком большой" in html and 'type="file"' in html
    assert session_count(app) == 0
    assert entry_count(app, agency_id) == 0


def test_too_many_rows_are_refused(seeded, make_agency):
    app = seeded
    agency_id = make_agency(template="kuzbass-3")
    app.config["IMPORT_MAX_ROWS"] = 10
    data = xlsx_bytes(
        [["Точки взаимодействия с внутренним клиентом", "Порядок взаимодействия с клиентом"]]
        + [["Телефонная связь", f"Консультирование {i}"] for i in range(20)]
    )
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        with pytest.raises(imports.ImportFileError, match="больше 10 строк"):
            imports.start_import(agency, data, "long.xlsx", None)


# --------------------------------------------------------------------------- bad rows


MURMANSK_HEADER = [
    "№",
    "Направление деятельности органа власти",
    "Наименование конкретного процесса",
    "Точка взаимодействия",
    "Осуществляемое взаимодействие с клиентом",
    "Особенности взаимодействия с клиентом",
]


def appendix2_rows(bad: bool = False) -> list[list[str]]:
    """A table laid out like Appendix 2 of the Murmansk order, with two real rows per area."""
    rows = [
        ["Перечень точек взаимодействия (наименование ИО)", "", "", "", "", ""],
        MURMANSK_HEADER,
        ["1", "2", "3", "4", "5", "6"],
        ["1", "Предоставление государственных услуг", "Наименование государственной услуги", "", "", ""],
        ["", "", "Аттестация экскурсоводов", "Официальный сайт Комитета (Портал)", "Размещение порядка", ""],
        ["", "", "Аттестация экскурсоводов", "Телефонная связь", "Консультирование", "Не более двух переключений"],
        ["4", "Рассмотрение обращений и запросов", "Наименование процесса по рассмотрению обращений и запросов", "", "", ""],
        ["", "", "Рассмотрение обращений граждан", "Электронная почта Комитета", "Приём обращений", ""],
        ["", "", "Рассмотрение обращений граждан", "Горячая линия губернатора", "Приём обращений по телефону", ""],
    ]  # fmt: skip
    if bad:
        rows.append(["", "Продажа билетов", "Экскурсии", "Касса", "Продажа", ""])
    return rows


def test_appendix2_layout_is_understood(seeded, make_user):
    app = seeded
    agency_id = agency_id_of(app, "murmansk-tourism")
    user_id = make_user(Role.REGISTRAR, agency_id=agency_id)
    data = docx_bytes(appendix2_rows())
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        session = imports.start_import(agency, data, "appendix2.docx", user_id)
        assert session.header_row == 1
        assert session.mapping == [
            "#",
            "activity_area",
            "process_name",
            "touchpoint",
            "interaction",
            "specifics",
        ]
        analysis = imports.analyse_session(agency, session)
        assert analysis.ok, analysis.messages()
        groups = [r for r in analysis.rows if r.kind == "group"]
        assert [g.area_name for g in groups] == [
            "Предоставление государственных услуг",
            "Рассмотрение обращений и запросов",
        ]
        data_rows = analysis.data_rows
        assert [r.values["activity_area"] for r in data_rows] == ["services"] * 2 + ["appeals"] * 2
        assert data_rows[0].values["touchpoint_code"] == "portal"
        # Not in the catalogue: typed in, classified by its name (seeds 3.1 / 4.1), flagged.
        hotline = data_rows[3]
        assert hotline.values["touchpoint_code"] is None
        assert hotline.values["channel_kind"] == "offline"
        assert any("нет в каталоге" in w for w in hotline.warnings)


def test_one_bad_row_blocks_the_whole_import(seeded, make_user, login_as, client):
    app = seeded
    agency_id = agency_id_of(app, "murmansk-tourism")
    login_as(make_user(Role.REGISTRAR, agency_id=agency_id))
    token = token_of(upload(client, xlsx_bytes(appendix2_rows(bad=True)), "bad.xlsx"))
    html = client.get(f"/list/import/{token}").get_data(as_text=True)
    # An unknown area is a question the person settles in the preview (issue 11), and until
    # it is settled nothing can be loaded.
    assert "Уточните сопоставления" in html and "«Продажа билетов»" in html
    assert "Загрузить пока нельзя" in html
    only_errors = client.get(f"/list/import/{token}?errors=1").get_data(as_text=True)
    assert "<td>Горячая линия губернатора</td>" in html
    assert "<td>Продажа билетов</td>" in only_errors
    assert "<td>Горячая линия губернатора</td>" not in only_errors
    response = client.post(f"/list/import/{token}/confirm", follow_redirects=True)
    assert "в файле есть ошибки" in response.get_data(as_text=True)
    assert entry_count(app, agency_id) == 0
    assert session_count(app) == 1, "the upload stays for another try"


def test_unknown_need_subdivision_and_missing_required_field(seeded, make_agency, make_user):
    app = seeded
    agency_id = make_agency(template="default-full", subdivisions=("main",))
    user_id = make_user(Role.REGISTRAR, agency_id=agency_id)
    rows = [
        ["Направление деятельности", "Наименование процесса", "Точка взаимодействия",
         "Вид точки", "Удовлетворяемые потребности клиента",
         "Осуществляемое взаимодействие с клиентом", "Структурное подразделение"],
        ["Предоставление государственных услуг", "Выдача лицензий", "Официальный сайт", "цифровая",
         "Получение информации; Получение форм документов", "Публикация", "Отдел main"],
        ["Предоставление государственных услуг", "Выдача лицензий", "Телефонная линия", "офлайн",
         "Гадание на кофейной гуще", "Консультации", "Отдел main"],
        ["Предоставление государственных услуг", "", "Личный приём", "офлайн",
         "Получение консультации", "Приём", "Отдел кадров"],
        ["Предоставление государственных услуг", "Выдача лицензий", "Письмо", "бумажная",
         "Получение консультации", "Ответы", "Отдел main"],
    ]  # fmt: skip
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        session = imports.start_import(agency, xlsx_bytes(rows), "x.xlsx", user_id)
        analysis = imports.analyse_session(agency, session)
        first, need, required, kind = analysis.data_rows
        assert first.errors == []
        assert first.values["client_needs"] == ["info", "forms"]
        assert first.values["subdivision_id"] is not None
        assert need.errors == []
        assert [(q.kind, q.text, q.match.code) for q in need.questions] == [
            ("need", "Гадание на кофейной гуще", None)
        ]
        assert any("Наименование процесса" in e for e in required.errors)
        # An unknown subdivision does not block the file: asked about, or loaded without one.
        assert any(q.text == "Отдел кадров" for q in required.questions) or any(
            "«Отдел кадров» нет в организации" in w for w in required.warnings
        )
        assert any("Вид точки «бумажная»" in e for e in kind.errors)
        assert not analysis.ok
        with pytest.raises(imports.ImportRefused):
            imports.confirm(agency, session.token, user_id)
        db.session.rollback()
    assert entry_count(app, agency_id) == 0


def test_failure_during_confirmation_leaves_the_list_as_it_was(
    demo_app, target_agency, login_as, client, monkeypatch
):
    app = demo_app
    source = agency_id_of(app, "kuzbass-emergencies")
    data, filename, _ = export(app, source, "xlsx")
    agency_id, registrar = target_agency("kuzbass-3")
    login_as(registrar)
    token = token_of(upload(client, data, filename))
    real = imports.audit.record

    def flaky(action, *args, **kwargs):
        # The import's own record comes last, after every row and its trail were written.
        if action == "list.import":
            raise RuntimeError("disk full")
        return real(action, *args, **kwargs)

    monkeypatch.setattr(imports.audit, "record", flaky)
    response = client.post(f"/list/import/{token}/confirm", follow_redirects=True)
    assert "перечень не изменён" in response.get_data(as_text=True)
    assert entry_count(app, agency_id) == 0
    assert session_count(app) == 1
    monkeypatch.setattr(imports.audit, "record", real)
    assert client.post(f"/list/import/{token}/confirm").status_code == 302
    assert working(app, agency_id) == working(app, source)


# --------------------------------------------------------------------------- mapping


def test_registrar_adjusts_the_mapping(seeded, make_user, login_as, client):
    app = seeded
    agency_id = agency_id_of(app, "murmansk-tourism")
    login_as(make_user(Role.REGISTRAR, agency_id=agency_id))
    token = token_of(upload(client, xlsx_bytes(appendix2_rows()), "a.xlsx"))
    mapping = ["#", "activity_area", "process_name", "touchpoint", "interaction", ""]
    response = client.post(
        f"/list/import/{token}",
        data={"header_row": "1", **{f"col_{i}": m for i, m in enumerate(mapping)}},
    )
    assert response.status_code == 302
    with app.app_context(), scoped(agency_scope(agency_id)):
        session = db.session.scalar(sa.select(ImportSession))
        assert session.mapping == mapping
    assert client.post(f"/list/import/{token}/confirm").status_code == 302
    with app.app_context(), scoped(agency_scope(agency_id)):
        specifics = db.session.scalars(sa.select(Entry.specifics)).all()
    assert len(specifics) == 4 and set(specifics) == {""}, "the ignored column is not imported"


def test_viewer_cannot_import_editor_imports_as_submissions(seeded, make_user, login_as, client):
    app = seeded
    agency_id = agency_id_of(app, "murmansk-tourism")
    login_as(make_user(Role.VIEWER, agency_id=agency_id))
    assert client.get("/list/import").status_code == 403
    assert upload(client, xlsx_bytes(appendix2_rows()), "a.xlsx").status_code == 403
    client.post("/logout")
    # Issue 11: an editor's import goes through the review path, as submissions.
    login_as(make_user(Role.EDITOR, agency_id=agency_id))
    token = token_of(upload(client, xlsx_bytes(appendix2_rows()), "a.xlsx"))
    assert client.post(f"/list/import/{token}/confirm").status_code == 302
    with app.app_context(), scoped(agency_scope(agency_id)):
        statuses = db.session.scalars(sa.select(Entry.status)).all()
    assert statuses == ["submitted"] * 4


def test_import_token_of_another_agency_is_404(seeded, make_user, login_as, client):
    app = seeded
    murmansk = agency_id_of(app, "murmansk-tourism")
    kuzbass = agency_id_of(app, "kuzbass-emergencies")
    login_as(make_user(Role.REGISTRAR, agency_id=murmansk))
    token = token_of(upload(client, xlsx_bytes(appendix2_rows()), "a.xlsx"))
    client.post("/logout")
    login_as(make_user(Role.REGISTRAR, agency_id=kuzbass))
    assert client.get(f"/list/import/{token}").status_code == 404
    assert client.post(f"/list/import/{token}", data={"header_row": "0"}).status_code == 404
    assert client.post(f"/list/import/{token}/confirm").status_code == 404
    assert client.post(f"/list/import/{token}/cancel").status_code == 404
    assert session_count(app) == 1
    assert entry_count(app, kuzbass) == 0 and entry_count(app, murmansk) == 0


def test_expired_and_cancelled_uploads(seeded, make_user, login_as, client):
    app = seeded
    agency_id = agency_id_of(app, "murmansk-tourism")
    login_as(make_user(Role.REGISTRAR, agency_id=agency_id))
    token = token_of(upload(client, xlsx_bytes(appendix2_rows()), "a.xlsx"))
    with app.app_context(), scoped(agency_scope(agency_id)):
        session = db.session.scalar(sa.select(ImportSession))
        session.expires_at = session.expires_at - timedelta(days=2)
        db.session.commit()
    response = client.get(f"/list/import/{token}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/list/import")
    assert client.post(f"/list/import/{token}/confirm").status_code == 302
    assert entry_count(app, agency_id) == 0
    # The next upload sweeps expired ones away.
    second = token_of(upload(client, xlsx_bytes(appendix2_rows()), "b.xlsx"))
    assert session_count(app) == 1
    assert client.post(f"/list/import/{second}/cancel").status_code == 302
    assert session_count(app) == 0
    assert client.get(f"/list/import/{second}").status_code == 404


# --------------------------------------------------------------------------- CLI


def test_cli_import_dry_run_bad_file_and_real_import(seeded, tmp_path):
    app = seeded
    agency_id = agency_id_of(app, "murmansk-tourism")
    runner = app.test_cli_runner()
    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx_bytes(appendix2_rows()))
    bad = tmp_path / "bad.docx"
    bad.write_bytes(docx_bytes(appendix2_rows(bad=True)))

    result = runner.invoke(args=["lists", "import", "murmansk-tourism", str(good), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Ничего не записано" in result.output
    assert entry_count(app, agency_id) == 0

    result = runner.invoke(args=["lists", "import", "murmansk-tourism", str(bad)])
    assert result.exit_code != 0
    assert "строка 10" in result.output and "Продажа билетов" in result.output
    assert entry_count(app, agency_id) == 0

    result = runner.invoke(args=["lists", "import", "murmansk-tourism", str(good)])
    assert result.exit_code == 0, result.output
    assert entry_count(app, agency_id) == 4
    with app.app_context(), scoped(agency_scope(agency_id)):
        statuses = set(db.session.scalars(sa.select(Entry.status)))
        labels = set(
            db.session.scalars(
                sa.select(AuditEvent.actor_label).where(AuditEvent.action == "list.import")
            )
        )
    assert statuses == {"included"} and labels == {"cli"}

    result = runner.invoke(args=["lists", "import", "no-such-agency", str(good)])
    assert result.exit_code != 0 and "не найдена" in result.output


def test_cli_export(demo_app, tmp_path):
    app = demo_app
    runner = app.test_cli_runner()
    out = tmp_path / "v1.csv"
    result = runner.invoke(
        args=[
            "lists",
            "export",
            "kuzbass-emergencies",
            "--format",
            "csv",
            "--version",
            "1",
            "-o",
            str(out),
        ]
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    source = agency_id_of(app, "kuzbass-emergencies")
    with app.app_context(), scoped(agency_scope(source)):
        count = db.session.scalar(
            sa.select(ListVersion.entry_count).where(ListVersion.agency_id == source)
        )
    assert len(rows) == count + 1
    result = runner.invoke(
        args=["lists", "export", "kuzbass-emergencies", "--version", "42", "-o", str(out)]
    )
    assert result.exit_code != 0 and "нет редакции № 42" in result.output
    docx_out = tmp_path / "w.docx"
    result = runner.invoke(
        args=["lists", "export", "kuzbass-emergencies", "--format", "docx", "-o", str(docx_out)]
    )
    assert result.exit_code == 0 and docx_out.read_bytes()[:2] == b"PK"


def test_agency_home_links_to_import_and_export(seeded, make_user, login_as, client):
    agency_id = agency_id_of(seeded, "kuzbass-emergencies")
    login_as(make_user(Role.REGISTRAR, agency_id=agency_id))
    html = client.get("/").get_data(as_text=True)
    assert 'href="/list/import"' in html
    assert 'href="/list/export.docx"' in html
    client.post("/logout")
    login_as(make_user(Role.VIEWER, agency_id=agency_id))
    html = client.get("/").get_data(as_text=True)
    assert 'href="/list/export.xlsx"' in html
    assert 'href="/list/import"' not in html
    assert client.get("/list/import").status_code == 403
