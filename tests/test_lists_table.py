"""The form-shaped table (lists/table.py) and the labels (lists/labels.py): built once, and every
surface — pages, the order's appendix, the exports, open data — reads the same cells."""

from __future__ import annotations

import csv
import io
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from lists_support import approve_list

from touchpoints.auth.roles import Role
from touchpoints.config import ROOT_DIR
from touchpoints.core.db import agency_scope, db, scoped
from touchpoints.lists import labels, table
from touchpoints.lists.form import Form
from touchpoints.lists.models import ListVersion
from touchpoints.tenants.loader import load
from touchpoints.tenants.schema import jsonable


@pytest.fixture(scope="module")
def forms() -> dict[str, Form]:
    return {slug: Form(jsonable(f)) for slug, f in load(ROOT_DIR / "tenants").forms.items()}


def row(area: str, process="Процесс", touchpoint="Точка", **values) -> dict:
    return {
        "activity_area": area,
        "process_name": process,
        "touchpoint": touchpoint,
        "interaction": "Взаимодействие",
        **values,
    }


def test_murmansk_form_has_six_numbered_columns(forms):
    # Murmansk order No. 21, appendix 2: six columns, numbered 1..6 under the header.
    t = table.build(forms["murmansk-6"], [])
    assert t.header[0] == "№"
    assert [c.number for c in t.columns] == [2, 3, 4, 5, 6]
    assert t.header[1:] == [c["label"] for c in forms["murmansk-6"].columns]


def test_kuzbass_form_has_three_columns(forms):
    # Kuzbass order No. 134, the appendix to the Procedure: «№», touchpoint, procedure.
    t = table.build(forms["kuzbass-3"], [])
    assert len(t.header) == 3
    assert [c.field for c in t.columns] == ["touchpoint", "interaction"]


def test_rows_group_by_area_in_the_forms_order(forms):
    form = forms["murmansk-6"]
    first, second = form.activity_areas[0]["code"], form.activity_areas[1]["code"]
    rows = [row(second, "Б"), row(first, "А1"), row("gone", "Старое"), row(first, "А2")]
    t = table.build(form, rows)
    assert [g.code for g in t.groups] == [first, second, "gone"]
    assert [[r.cells[1] for r in g.rows] for g in t.groups] == [["А1", "А2"], ["Б"], ["Старое"]]
    # Numbered in printed order; the Murmansk appendix heads an area with its number.
    assert [r.number for r in t.rows] == [1, 2, 3, 4]
    assert t.groups[0].heading == f"1. {form.activity_areas[0]['name']}"
    assert t.groups[1].heading.startswith("2. ")
    # An area the form no longer has keeps its code as a title, without a number.
    assert t.groups[2].heading == "gone"


def test_area_not_performed_is_an_empty_group(forms):
    # Kuzbass 3.5: the list is formed for each area; an area not performed is shown as such.
    form = forms["kuzbass-3"]
    first, second = (a["code"] for a in form.activity_areas[:2])
    t = table.build(form, [row(first)], not_performed=[second, first])
    assert [(g.code, g.not_performed, len(g.rows)) for g in t.groups] == [
        (first, False, 1),
        (second, True, 0),
    ]
    # Without the mark an empty area is not printed at all.
    assert [g.code for g in table.build(form, [row(first)]).groups] == [first]


def test_numbers_come_from_the_version_or_run_on(forms):
    form = forms["kuzbass-3"]
    area = form.activity_areas[0]["code"]
    frozen = [row(area, row_number=7), row(area, row_number=8)]
    assert [r.number for r in table.build(form, frozen).rows] == [7, 8]
    assert [r.number for r in table.build(form, frozen, renumber=True).rows] == [1, 2]
    # A page of the working list continues the numbering of the pages before it.
    assert [r.number for r in table.build(form, [row(area)], start=51).rows] == [51]


def test_process_headings_for_a_form_without_a_process_column(forms):
    form = forms["kuzbass-3"]
    area = form.activity_areas[0]["code"]
    t = table.build(form, [row(area, "П1"), row(area, "П1"), row(area, "П2")])
    assert not t.has_process_column
    assert [(p, len(rs)) for p, rs in t.groups[0].by_process()] == [("П1", 2), ("П2", 1)]


def test_flat_form_has_one_group_in_the_given_order(forms):
    form = Form({**forms["default-full"].d, "group_by_area": False})
    areas = [a["code"] for a in form.activity_areas]
    t = table.build(form, [row(areas[1], "Б"), row(areas[0], "А")])
    assert len(t.groups) == 1 and t.groups[0].code is None and t.groups[0].heading == ""
    assert [r.cells[1] for r in t.rows] == ["Б", "А"]


def test_cell_text_is_the_one_reading_of_a_field(forms):
    form = forms["default-full"]
    need = form.client_needs[0]
    r = row(
        form.activity_areas[0]["code"],
        channel_kind="digital",
        client_kind="internal",
        client_needs=[need["code"], "unknown"],
        response_hours_requests=1.5,
        waiting_minutes=15,
        extra={"note": 2.5},
        subdivision="Отдел",
    )

    def cell(field, key=None, sep=table.NEEDS_SEPARATOR):
        return table.cell_text(form, {"field": field, "key": key or field}, r, sep)

    assert cell("activity_area") == form.activity_areas[0]["name"]
    assert cell("channel_kind") == "цифровая"
    assert cell("client_kind") == "внутренний"
    assert cell("client_needs") == f"{need['name']}; unknown"
    assert cell("client_needs", sep=table.NEEDS_PER_LINE) == f"{need['name']}\nunknown"
    assert cell("response_hours_requests") == "1,5"
    assert cell("waiting_minutes") == "15"
    assert cell("extra", "note") == "2,5"
    assert cell("subdivision") == "Отдел"
    assert cell("specifics") == ""


def test_value_of_reads_entries_version_rows_and_dicts():
    unit = SimpleNamespace(name="Отдел кадров")
    entry = SimpleNamespace(subdivision=unit, process_name="П")
    frozen = SimpleNamespace(subdivision_name="Отдел кадров", subdivision=None)
    assert table.value_of(entry, "subdivision") == "Отдел кадров"
    assert table.value_of(frozen, "subdivision") == "Отдел кадров"
    assert table.value_of({"subdivision": "Отдел кадров"}, "subdivision") == "Отдел кадров"
    assert table.value_of(SimpleNamespace(subdivision=None), "subdivision") == ""


def test_extra_text_uses_the_forms_labels(forms):
    form = Form(
        {
            **forms["default-full"].d,
            "columns": [{"key": "note", "label": "Примечание", "field": "extra"}],
        }
    )
    assert table.extra_text(form, {"note": "Есть", "other": 1.5, "empty": ""}) == (
        "Примечание: Есть; other: 1,5"
    )
    assert table.extra_text(form, None) == ""


def test_labels_are_defined_once(forms):
    from touchpoints.lists import forms as entry_forms
    from touchpoints.transfer import fields

    # The importer reads the very dictionaries the tables write with.
    assert fields.CHANNEL_LABELS is labels.CHANNEL_KINDS
    assert fields.CLIENT_LABELS is labels.CLIENT_KINDS
    assert fields.FIELD_LABELS is labels.COLUMN_LABELS
    assert entry_forms.FIELD_LABELS is labels.FIELD_LABELS
    # One wording per place: the short label in text, the full one as a column head.
    assert labels.FIELD_LABELS["client_kind"] == "Вид клиента"
    assert labels.COLUMN_LABELS["client_kind"] == "Клиент (внешний / внутренний)"
    # The agency's own column label wins (Kuzbass form, column 2).
    assert labels.label_for(forms["kuzbass-3"], "touchpoint") == (
        "Точки взаимодействия с внутренним клиентом"
    )
    assert labels.label_for(forms["kuzbass-3"], "client_kind") == "Вид клиента"
    assert labels.label_for(forms["kuzbass-3"], "extra") == labels.EXTRA_LABEL


# --------------------------------------------------------------------------- every surface


@pytest.fixture
def approved_full(app, make_agency, make_user):
    """A version in the full form plus a norm and an extra column, with a fractional norm."""
    from touchpoints.auth.models import User
    from touchpoints.core.tenancy import Agency
    from touchpoints.lists import services as lists

    agency_id = make_agency()
    registrar_id = make_user(Role.REGISTRAR, agency_id=agency_id)
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        form = dict(agency.form)
        form["columns"] = [
            *form["columns"],
            {"key": "rq", "label": "Ответ на обращение, ч", "field": "response_hours_requests"},
            {"key": "note", "label": "Примечание", "field": "extra"},
        ]
        agency.form = form
        user = db.session.get(User, registrar_id)
        area = form["activity_areas"][0]["code"]
        entry = lists.create_entry(
            agency,
            user,
            {
                "activity_area": area,
                "process_name": "Процесс с нормой",
                "touchpoint": "Официальный сайт",
                "channel_kind": "digital",
                "client_kind": "external",
                "client_needs": [form["client_needs"][0]["code"]],
                "interaction": "Ответы на обращения",
                "response_hours_requests": 1.5,
                "extra": {"note": "Круглосуточно"},
            },
        )
        lists.include(entry, user)
        version = approve_list(agency, user, order_number="5-п", order_date=date(2024, 3, 1))
        db.session.commit()
        return {"agency_id": agency_id, "slug": agency.slug, "version": version.number}


def test_every_surface_prints_the_builders_cells(app, approved_full, make_user, login_as):
    from openpyxl import load_workbook

    from touchpoints.core.tenancy import Agency
    from touchpoints.orders.document import order_context
    from touchpoints.public import opendata
    from touchpoints.public import services as public
    from touchpoints.transfer.export import export_list

    agency_id = approved_full["agency_id"]
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        version = db.session.scalar(
            sa.select(ListVersion).where(ListVersion.agency_id == agency_id)
        )
        expected = table.build(Form(version.form), list(version.entries)).rows[0].cells
        assert "1,5" in expected and "Круглосуточно" in expected and "цифровая" in expected

        appendix = order_context(agency, version).appendix
        pdf_cells = appendix.groups[0].subgroups[0][1][0][1:]
        assert pdf_cells == expected

        xlsx, _, _ = export_list(agency, version, "xlsx")
        sheet = load_workbook(io.BytesIO(xlsx)).active
        data_rows = [r for r in sheet.iter_rows(min_row=6, values_only=True) if r[1]]
        assert [c or "" for c in data_rows[0][1:]] == expected  # XLSX keeps "" as empty

        raw, _, _ = export_list(agency, version, "csv")  # the people's CSV: «;» for Excel
        lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
        assert lines[1][1 : 1 + len(expected)] == expected

        # Open data keeps raw values (its documented structure): the number stays a number.
        record = opendata.entry_record(
            agency.slug, version.number, version.entries[0], Form(version.form)
        )
        assert record["response_hours_requests"] == 1.5
        public_cells = public.version_table(version, list(version.entries)).rows[0].cells
        assert public_cells == expected

    page = app.test_client().get(f"/p/{approved_full['slug']}/").get_data(as_text=True)
    viewer = login_as(make_user(Role.VIEWER, agency_id=agency_id))
    staff_page = viewer.get(f"/list/versions/{approved_full['version']}").get_data(as_text=True)
    for text in expected:
        if text:
            assert f"<td>{text}</td>" in page or f">{text}<" in page, text
            assert f">{text}<" in staff_page, text
