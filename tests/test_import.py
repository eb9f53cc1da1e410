"""Import of what agencies really have (issue 11): shapes, understanding, preview, update, limits."""

from __future__ import annotations

import io
import time
import tracemalloc

import pytest
import sqlalchemy as sa

from tests import import_fixtures as fx
from tests.test_transfer import agency_id_of, export, token_of, upload, working
from touchpoints.audit.models import AuditEvent
from touchpoints.auth.roles import Role
from touchpoints.core.db import agency_scope, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.lists.models import Entry
from touchpoints.transfer import imports
from touchpoints.transfer.models import ImportChoice, ImportSession
from touchpoints.transfer.rows import NO_AREA

MURMANSK, KUZBASS = "murmansk-tourism", "kuzbass-emergencies"


def analyse(app, agency_id, data, name, *, sheet=None, settle=()):
    """Read a file as the preview would; returns a plain summary (nothing is written)."""
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        session = imports.start_import(agency, data, name, None, sheet)
        for kind, text, code in settle:
            imports.settle(session, kind, text, code)
        a = imports.analyse_session(agency, session)
        out = {
            "ok": a.ok,
            "messages": a.messages(),
            "kinds": [r.kind for r in a.rows],
            "data": [r.values for r in a.data_rows],
            "questions": [(q.kind, q.text, q.match.code) for q, _ in a.questions],
            "warnings": [w for r in a.rows for w in r.warnings],
            "notes": a.notes,
            "groups": [r.area_name for r in a.rows if r.kind == "group"],
            "plan": a.plan,
        }
        db.session.rollback()
    return out


def fields(rows, *keys):
    return [tuple(r.get(k) for k in keys) for r in rows]


# --------------------------------------------------------------------------- shapes


def test_word_list_over_two_tables_with_a_footnote_murmansk(seeded):
    app = seeded
    data = fx.docx(
        [[fx.MURMANSK_HEADER, ["1", "2", "3", "4", "5", "6"], *fx.murmansk_rows()],
         fx.murmansk_internal_rows()],
        before="Перечень точек взаимодействия Комитета по туризму Мурманской области",
        after="* Нормативы ожидания указаны в соответствии с пунктом 3.2.4 Порядка.",
    )  # fmt: skip
    # The footnote as a row under the table too (people put it inside the table as well).
    data = fx.docx(
        [[fx.MURMANSK_HEADER, *fx.murmansk_rows()],
         [*fx.murmansk_internal_rows(), ["* Указаны нормативы по п. 3.2.4 Порядка", "", "", "", "", ""]]],
        merge_rows={(1, 3)},
    )  # fmt: skip
    got = analyse(app, agency_id_of(app, MURMANSK), data, "perechen.docx")
    assert got["ok"], got["messages"]
    assert fields(got["data"], "activity_area", "touchpoint_code") == [
        ("services", "portal"), ("services", "phone"), ("appeals", "email"),
        ("internal", "edms"), ("internal", "request_log"),
    ]  # fmt: skip
    assert "note" in got["kinds"], "the footnote is shown as such, not read as an area"


def test_word_list_over_two_tables_kuzbass_numbered_area_rows(seeded):
    app = seeded
    rows = fx.kuzbass_rows()
    data = fx.docx(
        [[fx.KUZBASS_HEADER, ["1", "2", "3"], *rows[:3]], rows[3:]],
        merge_rows={(0, 2), (1, 0)},
    )
    got = analyse(app, agency_id_of(app, KUZBASS), data, "kuzbass.docx")
    assert got["ok"], got["messages"]
    assert got["groups"] == [
        "Предоставление государственных услуг, услуг",
        "Рассмотрение обращений и запросов",
    ]
    assert fields(got["data"], "activity_area", "touchpoint_code") == [
        ("services", "site"), ("services", "phone"), ("appeals", "email"), ("appeals", "letter"),
    ]  # fmt: skip


def test_two_sheets_title_merged_area_hidden_rows_totals_signature(seeded):
    app = seeded
    external = [
        ["Перечень точек взаимодействия Комитета по туризму", "", "", "", "", ""],
        ["(внешние клиенты)", "", "", "", "", ""],
        fx.MURMANSK_HEADER,
        ["1", "2", "3", "4", "5", "6"],
        ["1", "Предоставление государственных услуг", "Аттестация экскурсоводов", "Официальный сайт Комитета (Портал)", "Размещение порядка", ""],
        ["2", "", "Аттестация экскурсоводов", "Телефонная связь", "Консультирование", ""],
        ["3", "", "Аттестация экскурсоводов", "Электронная почта Комитета", "Приём заявлений", ""],
        ["x", "УДАЛЁННАЯ СТРОКА", "скрыта", "Телефонная связь", "не должна читаться", ""],
        ["Итого: 3 точки", "", "", "", "", ""],
        ["Исполнитель: Иванова И. И., тел. 8 (8152) 00-00-00", "", "", "", "", ""],
        ["Председатель комитета", "", "", "______________", "И. И. Петров", ""],
    ]  # fmt: skip
    for row in external:
        row.append("служебная пометка")  # a hidden column G
    internal = [
        fx.MURMANSK_HEADER,
        ["4", "Взаимодействие с внутренним клиентом", "Согласование служебных записок", "Система электронного документооборота (СЭДО)", "Согласование", ""],
    ]  # fmt: skip
    data = fx.xlsx(
        {"Внешние": external, "Внутренние": internal, "Черновик": [["мусор"]]},
        merges={"Внешние": ["B5:B7", "A1:F1"]},
        hidden_rows={"Внешние": [8]},
        hidden_cols={"Внешние": ["G"]},
        hidden_sheets=("Черновик",),
    )
    got = analyse(app, agency_id_of(app, MURMANSK), data, "two.xlsx")
    assert got["ok"], got["messages"]
    assert fields(got["data"], "activity_area", "touchpoint_code", "interaction") == [
        ("services", "portal", "Размещение порядка"),
        ("services", "phone", "Консультирование"),
        ("services", "email", "Приём заявлений"),
        ("internal", "edms", "Согласование"),
    ]
    kinds = got["kinds"]
    assert kinds.count("title") == 2 and "total" in kinds and "signature" in kinds
    assert not any("пометка" in str(v) for r in got["data"] for v in r.values())
    only = analyse(app, agency_id_of(app, MURMANSK), data, "two.xlsx", sheet="Внутренние")
    assert fields(only["data"], "touchpoint_code") == [("edms",)]


def test_kuzbass_list_without_area_rows_asks_once_for_the_area(seeded):
    app = seeded
    rows = [fx.KUZBASS_HEADER, ["1", "Телефонная связь", "Консультирование"],
            ["2", "Письмо", "Приём писем"]]  # fmt: skip
    agency_id = agency_id_of(app, KUZBASS)
    got = analyse(app, agency_id, fx.xlsx({"Лист1": rows}), "one-area.xlsx")
    assert not got["ok"]
    assert got["questions"] == [("area", NO_AREA, None)]
    got = analyse(
        app, agency_id, fx.xlsx({"Лист1": rows}), "one-area.xlsx",
        settle=[("area", NO_AREA, "appeals")],
    )  # fmt: skip
    assert got["ok"], got["messages"]
    assert fields(got["data"], "activity_area", "client_kind") == [("appeals", "external")] * 2


def test_reworded_reordered_headers_everyday_areas_and_free_needs(seeded):
    app = seeded
    rows = [
        ["Точки взаимодействия", "Процесс", "Направление", "Потребности клиента", "Порядок взаимодействия"],
        ["Телефонная связь", "Аттестация гидов", "Государственные услуги",
         "2.6.1. Получение информации", "Консультации"],
        ["Официальный сайт Комитета (Портал)", "Аттестация гидов", "госуслуги",
         "подача заявления, получение консультации", "Приём заявлений"],
    ]  # fmt: skip
    got = analyse(app, agency_id_of(app, MURMANSK), fx.xlsx({"Лист1": rows}), "free.xlsx")
    assert got["ok"], got["messages"]
    assert fields(got["data"], "activity_area", "process_name", "client_needs") == [
        ("services", "Аттестация гидов", ["info"]),
        ("services", "Аттестация гидов", ["submit", "consultation"]),
    ]


def test_fuzzy_match_never_swaps_external_for_internal(seeded):
    app = seeded
    rows = [fx.MURMANSK_HEADER,
            ["1", "Взаимодействие с внешними клиентами", "Приём граждан", "Личное взаимодействие", "Приём", ""]]  # fmt: skip
    got = analyse(app, agency_id_of(app, MURMANSK), fx.xlsx({"Л": rows}), "ext.xlsx")
    assert not got["ok"], "an unsure area is settled by the person"
    ((kind, _text, code),) = got["questions"]
    assert kind == "area" and code not in ("internal", "internal_it", "internal_accounting",
                                           "internal_admin")  # fmt: skip


def test_murmansk_needs_written_as_bullets_in_the_interaction(seeded):
    app = seeded
    rows = [fx.MURMANSK_HEADER, *fx.murmansk_rows()]
    rows[2][4] = (
        "Размещение порядка аттестации:\n• получение информации\n• получение форм документов"
    )
    got = analyse(app, agency_id_of(app, MURMANSK), fx.xlsx({"Л": rows}), "bullets.xlsx")
    assert got["ok"], got["messages"]
    assert got["data"][0]["client_needs"] == ["info", "forms"]
    assert got["data"][0]["interaction"] == rows[2][4], "the text itself stays as written"


@pytest.mark.parametrize("fmt", ["ods", "odt", "html", "csv-1251", "csv-utf8-comma"])
def test_opendocument_html_and_csv_read_like_excel(seeded, fmt):
    app = seeded
    rows = [fx.KUZBASS_HEADER, *fx.kuzbass_rows()]
    data, name = {
        "ods": (lambda: fx.odf({"Перечень": rows, "Пусто": [["x"]]}, spreadsheet=True,
                               hidden_rows={("Перечень", 2)}), "list.ods"),
        "odt": (lambda: fx.odf({"Таблица1": rows}, spreadsheet=False), "list.odt"),
        "html": (lambda: fx.html_xls(rows), "list.xls"),
        "csv-1251": (lambda: fx.csv_bytes(rows), "list.csv"),
        "csv-utf8-comma": (lambda: b"\xef\xbb\xbf" + fx.csv_bytes(rows, delimiter=",",
                                                                   encoding="utf-8"), "list.csv"),
    }[fmt]  # fmt: skip
    got = analyse(app, agency_id_of(app, KUZBASS), data(), name)
    assert got["ok"], got["messages"]
    expected = [("services", "site"), ("services", "phone"), ("appeals", "email"),
                ("appeals", "letter")]  # fmt: skip
    if fmt == "ods":
        expected.pop(0)  # row 3 of the sheet is hidden
    assert fields(got["data"], "activity_area", "touchpoint_code") == expected


@pytest.mark.parametrize(
    "data,name,message",
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "list.xls", "Файл → Сохранить как"),
        (b"<html><body><p>no table</p></body></html>", "list.xls", "таблицы в нём нет"),
        (b"%PDF-1.4 not a list", "list.pdf", "Файлы других форматов не поддерживаются"),
    ],
)
def test_files_that_are_not_lists_say_what_to_do(seeded, data, name, message):
    app = seeded
    with app.app_context(), scoped(agency_scope(agency_id_of(app, KUZBASS))):
        agency = db.session.get(Agency, agency_id_of(app, KUZBASS))
        with pytest.raises(imports.ImportFileError, match=message.replace("→", ".")):
            imports.start_import(agency, data, name, None)


def test_a_table_that_is_not_a_list_is_refused(seeded):
    app = seeded
    data = fx.docx([[["Фамилия", "Телефон"], ["Иванов", "00-00"]]])
    with app.app_context(), scoped(agency_scope(agency_id_of(app, KUZBASS))):
        agency = db.session.get(Agency, agency_id_of(app, KUZBASS))
        with pytest.raises(imports.ImportFileError, match="это не перечень"):
            imports.start_import(agency, data, "staff.docx", None)


# --------------------------------------------------------------------------- round trip, update


def _entries(app, agency_id):
    with app.app_context(), scoped(agency_scope(agency_id)):
        rows = db.session.execute(
            sa.select(Entry.id, Entry.status, Entry.kind, Entry.revision).order_by(Entry.id)
        ).all()
        return [tuple(r) for r in rows]


@pytest.mark.parametrize("slug", [MURMANSK, KUZBASS])
def test_csv_export_imports_back_to_the_same_entries(demo_app, make_agency, make_user, slug):
    app = demo_app
    source = agency_id_of(app, slug)
    with app.app_context(), scoped(agency_scope(source)):
        agency = db.session.get(Agency, source)
        template, region_id = agency.form_template, agency.region_id
    data, name, _ = export(app, source, "csv")
    # In the same region: the list's shared touchpoints are its region's (docs/registry.md).
    agency_id = make_agency(template=template, region_id=region_id)
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        session = imports.start_import(agency, data, name, registrar)
        imports.confirm(agency, session.token, registrar)
        db.session.commit()
    assert working(app, agency_id) == working(app, source)


@pytest.mark.parametrize("fmt", ["xlsx", "docx", "csv"])
def test_importing_the_lists_own_export_changes_nothing(demo_app, make_user, login_as, client, fmt):
    app = demo_app
    agency_id = agency_id_of(app, KUZBASS)
    before, entries = working(app, agency_id), _entries(app, agency_id)
    data, name, _ = export(app, agency_id, fmt)
    login_as(make_user(Role.REGISTRAR, agency_id=agency_id))
    token = token_of(upload(client, data, name))
    html = client.get(f"/list/import/{token}").get_data(as_text=True)
    assert "новых строк: <b>0</b>" in html and "изменённых строк: <b>0</b>" in html
    assert f"без изменений: <b>{len(before)}</b>" in html
    assert client.post(f"/list/import/{token}/confirm").status_code == 302
    assert working(app, agency_id) == before
    assert _entries(app, agency_id) == entries, "no entry created, changed or re-revised"


def test_update_shows_changes_field_by_field_and_excludes_missing_by_choice(
    demo_app, make_user, login_as, client
):
    from openpyxl import load_workbook

    app = demo_app
    agency_id = agency_id_of(app, MURMANSK)
    data, _name, _ = export(app, agency_id, "xlsx")
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Все сведения"]
    header = [c.value for c in ws[2]]
    col = header.index("Осуществляемое взаимодействие с клиентом") + 1
    changed_id = int(ws.cell(row=3, column=1).value)
    ws.cell(row=3, column=col, value="Новый порядок взаимодействия")
    missing_id = int(ws.cell(row=4, column=1).value)
    ws.delete_rows(4)
    buf = io.BytesIO()
    wb.save(buf)
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
    login_as(registrar)
    token = token_of(upload(client, buf.getvalue(), "changed.xlsx"))
    html = client.get(f"/list/import/{token}").get_data(as_text=True)
    assert "изменённых строк: <b>1</b>" in html and "нет в файле: <b>1</b>" in html
    assert "Новый порядок взаимодействия" in html
    response = client.post(
        f"/list/import/{token}/options",
        data={"apply_changes": "1", "exclude_missing": "1", "reason": "Канал закрыт"},
    )
    assert response.status_code == 302
    assert client.post(f"/list/import/{token}/confirm").status_code == 302
    with app.app_context(), scoped(agency_scope(agency_id)):
        changed = db.session.get(Entry, changed_id)
        assert changed.interaction == "Новый порядок взаимодействия"
        proposal = db.session.scalar(sa.select(Entry).where(Entry.target_id == missing_id))
        # The demo agency has another registrar: the exclusion waits for them (four eyes).
        assert (proposal.kind, proposal.status, proposal.exclusion_reason) == (
            "exclusion", "submitted", "Канал закрыт",
        )  # fmt: skip
        assert db.session.get(Entry, missing_id).status == "included"


# --------------------------------------------------------------------------- the preview


def test_preview_fixes_settle_skip_and_remembered_choice(
    seeded, make_agency, make_user, login_as, client
):
    app = seeded
    agency_id = make_agency(template="kuzbass-3")
    login_as(make_user(Role.REGISTRAR, agency_id=agency_id))
    rows = [
        fx.KUZBASS_HEADER,
        ["1.", "Госуслуги населению", ""],
        ["1", "Телефон доверия", "Консультирование"],
        ["2", "Официальный сайт Департамента", ""],
        ["3", "Черновая строка", "удалить"],
    ]
    data = fx.xlsx({"Л": rows}, merges={"Л": ["B2:C2"]})
    token = token_of(upload(client, data, "fix.xlsx"))
    html = client.get(f"/list/import/{token}").get_data(as_text=True)
    assert "Уточните сопоставления" in html and "Госуслуги населению" in html
    assert "Загрузить пока нельзя" in html
    with app.app_context(), scoped(agency_scope(agency_id)):
        session = db.session.scalar(sa.select(ImportSession))
        index = {r[1]: i for i, r in enumerate(session.cells)}
    assert client.post(f"/list/import/{token}/settle",
                       data={"kind": "area", "text": "Госуслуги населению", "code": "services"}
                       ).status_code == 302  # fmt: skip
    # «Телефон доверия» is not «Телефонная связь» of the catalogue: kept as typed.
    client.post(f"/list/import/{token}/settle",
                data={"kind": "touchpoint", "text": "Телефон доверия", "code": ""})  # fmt: skip
    blank = index["Официальный сайт Департамента"]
    client.post(f"/list/import/{token}/rows/{blank}", data={"f_interaction": "Публикация"})
    client.post(f"/list/import/{token}/rows/{index['Черновая строка']}/skip", data={"skip": "1"})
    html = client.get(f"/list/import/{token}").get_data(as_text=True)
    assert "пропущена вами" in html
    assert "Загрузить (2 строки)" in html, html[html.find("<table class") :][:6000]
    assert client.post(f"/list/import/{token}/confirm").status_code == 302
    with app.app_context(), scoped(agency_scope(agency_id)):
        got = db.session.execute(
            sa.select(Entry.activity_area, Entry.touchpoint, Entry.interaction).order_by(Entry.id)
        ).all()
        choices = db.session.execute(sa.select(ImportChoice.kind, ImportChoice.code)).all()
    assert [tuple(r) for r in got] == [
        ("services", "Телефон доверия", "Консультирование"),
        ("services", "Официальный сайт Департамента", "Публикация"),
    ]
    assert ("area", "services") in [tuple(c) for c in choices]
    # The agency's next file is understood without asking again.
    token = token_of(upload(client, data, "again.xlsx"))
    html = client.get(f"/list/import/{token}").get_data(as_text=True)
    assert "Уточните сопоставления" not in html


def test_changing_a_columns_meaning_in_the_preview(
    seeded, make_agency, make_user, login_as, client
):
    app = seeded
    agency_id = make_agency(template="kuzbass-3")
    login_as(make_user(Role.REGISTRAR, agency_id=agency_id))
    rows = [["№", "Канал", "Что делаем", "Комментарий"],
            ["1", "Письмо", "Ответ на письмо", "служебное"]]  # fmt: skip
    token = token_of(upload(client, fx.xlsx({"Л": rows}), "c.xlsx"))
    mapping = ["#", "touchpoint", "interaction", ""]
    response = client.post(f"/list/import/{token}",
                           data={"header_row": "0", **{f"col_{i}": m for i, m in enumerate(mapping)}})  # fmt: skip
    assert response.status_code == 302
    with app.app_context(), scoped(agency_scope(agency_id)):
        assert db.session.scalar(sa.select(ImportSession.mapping)) == mapping


# --------------------------------------------------------------------------- limits


def test_million_row_workbook_and_zip_bomb_are_refused_fast_at_bounded_memory(
    seeded, make_user, login_as, client
):
    app = seeded
    agency_id = agency_id_of(app, KUZBASS)
    big = fx.million_row_xlsx()
    bomb = fx.zip_bomb()
    app.config["IMPORT_MAX_BYTES"] = 50 * 1024 * 1024
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        for data, message in ((big, "больше 3000 строк"), (bomb, "после распаковки")):
            tracemalloc.start()
            started = time.perf_counter()
            with pytest.raises(imports.ImportFileError, match=message):
                imports.start_import(agency, data, "big.xlsx", None)
            elapsed = time.perf_counter() - started
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert elapsed < 5, f"refused after {elapsed:.1f} s"
            assert peak < 64 * 1024 * 1024, f"peak {peak / 2**20:.0f} MB"
    # On the web: a clear message, not a 500.
    app.config["MAX_CONTENT_LENGTH"] = 60 * 1024 * 1024
    login_as(make_user(Role.REGISTRAR, agency_id=agency_id))
    response = upload(client, big, "big.xlsx")
    assert response.status_code == 400 and "больше 3000 строк" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- CLI


def test_cli_update_sheet_and_exclusions(demo_app, tmp_path):
    app = demo_app
    agency_id = agency_id_of(app, KUZBASS)
    data, _, _ = export(app, agency_id, "xlsx")
    path = tmp_path / "own.xlsx"
    path.write_bytes(data)
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["lists", "import", KUZBASS, str(path), "--sheet", "Все сведения", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "Новых строк: 0, изменённых: 0" in result.output
    before = _entries(app, agency_id)
    result = runner.invoke(args=["lists", "import", KUZBASS, str(path), "--update"])
    assert result.exit_code == 0, result.output
    assert _entries(app, agency_id) == before
    result = runner.invoke(args=["lists", "import", KUZBASS, str(path), "--sheet", "Нет такого"])
    assert result.exit_code != 0 and "нет видимого листа" in result.output
    with app.app_context(), scoped(agency_scope(agency_id)):
        labels = db.session.scalars(
            sa.select(AuditEvent.actor_label).where(AuditEvent.action == "list.import")
        ).all()
    assert "cli" in labels


# --------------------------------------------------------------------------- registry links


def test_rows_naming_a_shared_touchpoint_or_a_registry_process_are_linked(
    seeded, make_user, make_region, login_as, client
):
    # docs/registry.md: a row whose touchpoint is a shared touchpoint of the agency's region
    # (case, «ё» and spacing aside) is linked to it, as a row naming a registry process is; the
    # preview shows both links; another region's shared touchpoint is free text.
    from registry_support import add_process, add_shared

    app = seeded
    agency_id = agency_id_of(app, MURMANSK)
    with app.app_context(), scoped(agency_scope(agency_id)):
        region_id = db.session.get(Agency, agency_id).region_id
    office = make_user(Role.OFFICE, region_id=region_id)
    mfc = add_shared(app, region_id, office, "МФЦ «Мои документы»")
    other_region = make_region()
    add_shared(app, other_region, make_user(Role.OFFICE, region_id=other_region), "Горячая линия")
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
    process = add_process(app, agency_id, registrar, "Аттестация экскурсоводов")
    rows = [
        *fx.murmansk_rows(),
        ["", "", "аттестация экскурсоводов", "мфц «МОИ  документы»", "Приём заявлений", ""],
        ["", "", "Рассмотрение обращений граждан", "Горячая линия", "Консультирование", ""],
    ]
    data = fx.xlsx({"Перечень": [fx.MURMANSK_HEADER, *rows]})
    login_as(registrar)
    token = token_of(upload(client, data, "list.xlsx"))
    html = client.get(f"/list/import/{token}").get_data(as_text=True)
    assert "→ МФЦ «Мои документы» (общая точка региона)" in html
    assert html.count("→ Аттестация экскурсоводов (реестр процессов)") == 3
    assert "→ Горячая линия (общая точка региона)" not in html
    assert client.post(f"/list/import/{token}/confirm").status_code == 302
    with app.app_context(), scoped(agency_scope(agency_id)):
        got = {
            (e.process_name, e.touchpoint): (
                e.process_id, e.shared_touchpoint_id, e.touchpoint_code, e.channel_kind
            )
            for e in Entry.working(agency_id)
        }  # fmt: skip
    assert got[("аттестация экскурсоводов", "МФЦ «Мои документы»")] == (
        process, mfc, None, "offline"
    )  # fmt: skip
    assert got[("Аттестация экскурсоводов", "Телефонная связь")][:3] == (process, None, "phone")
    assert got[("Рассмотрение обращений граждан", "Горячая линия")][:2] == (None, None)

    # The same file again, once the registry has the appeals process: the rows that name it
    # are linked as a change, said in the preview, and nothing else changes.
    appeals = add_process(app, agency_id, registrar, "Рассмотрение обращений граждан")
    token = token_of(upload(client, data, "list.xlsx"))
    html = client.get(f"/list/import/{token}").get_data(as_text=True)
    assert "изменённых строк: <b>2</b>" in html and "новых строк: <b>0</b>" in html
    assert "Процесс из реестра процессов" in html and "не выбран (текстом)" in html
    assert client.post(f"/list/import/{token}/confirm").status_code == 302
    with app.app_context(), scoped(agency_scope(agency_id)):
        linked = {
            e.touchpoint: e.process_id
            for e in Entry.working(agency_id)
            if e.process_name == "Рассмотрение обращений граждан"
        }
    assert linked == {"Электронная почта Комитета": appeals, "Горячая линия": appeals}
