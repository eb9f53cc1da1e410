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
from touchpoints.lists.models import Entry
from touchpoints.regions.models import Agency
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
    (kind, text, code), = got["questions"]  # fmt: skip
    assert kind == "area" and code not in ("internal", "internal_it", "internal_accounting",
                                           "internal_admin")  # fmt: skip


def test_murmansk_needs_written_as_bullets_in_the_interaction(seeded):
    app = seeded
    rows = [fx.MURMANSK_HEADER, *fx.murmansk_rows()]
    rows[2][4] = "Размещение порядка аттестации:\n• получение информации\n• получение форм документов"
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
