"""What the importer keeps of a cell's text (issue 14), and the people's CSV (issue 11, item 5).

Control characters (NUL, ESC) and bidirectional overrides in an uploaded cell are dropped at
reading, in every format, so they reach neither the preview nor the database (a NUL in a text
column is a PostgreSQL error). The people's CSV — «;»-separated, UTF-8 with a BOM, the list's
Russian column headings only — imports back to the same list.
"""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
import sqlalchemy as sa

from tests import import_fixtures as fx
from tests.test_transfer import working
from touchpoints.auth.roles import Role
from touchpoints.core.db import agency_scope, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.lists import services as lists
from touchpoints.lists import table
from touchpoints.lists.form import Form
from touchpoints.lists.labels import COLUMN_LABELS
from touchpoints.lists.models import COMMON_FIELDS, Entry
from touchpoints.transfer import imports

#: What the person typed, and what a control character or an override did to it in the file.
DIRTY = "Консульт\x00ирование\x1b по телефону\u202e"
#: XML 1.0 cannot hold NUL or ESC at all: Word and OpenDocument files carry only overrides.
DIRTY_XML = "Консульт\u202eирование по\u2066 телефону\u202c"
CLEAN = "Консультирование по телефону"


def _rows(cell: str) -> list[list[str]]:
    rows = [fx.KUZBASS_HEADER, *fx.kuzbass_rows()]
    rows[3] = [rows[3][0], "Телефон\x00ная связь\u202e" if "\x00" in cell else rows[3][1], cell]
    return rows


def _xlsx_with_escapes() -> bytes:
    """What Excel writes for a cell holding NUL and ESC: the OOXML escapes ``_x0000_``."""
    data = fx.xlsx({"Перечень": _rows("PLACEHOLDER")})
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            part = src.read(name)
            if name.startswith("xl/worksheets/"):
                part = part.replace(
                    b"PLACEHOLDER", "Консульт_x0000_ирование_x001B_ по телефону\u202e".encode()
                )
                part = part.replace("Телефон\x00ная".encode(), "Телефон_x0000_ная".encode())
            zipfile_part = src.getinfo(name)
            dst.writestr(zipfile_part, part)
    return out.getvalue()


def _html(rows) -> bytes:
    # Raw control characters in the page: the HTML parser passes them through.
    return fx.html_xls(rows)


FILES = {
    "csv": lambda: (fx.csv_bytes(_rows(DIRTY), encoding="utf-8"), "list.csv"),
    "xlsx": lambda: (_xlsx_with_escapes(), "list.xlsx"),
    "docx": lambda: (fx.docx([_rows(DIRTY_XML)]), "list.docx"),
    "ods": lambda: (fx.odf({"Перечень": _rows(DIRTY_XML)}, spreadsheet=True), "list.ods"),
    "html": lambda: (_html(_rows(DIRTY)), "list.xls"),
}


@pytest.mark.parametrize("fmt", list(FILES))
def test_control_and_bidi_characters_are_cleaned_at_reading(seeded, make_agency, make_user, fmt):
    app = seeded
    agency_id = make_agency(template="kuzbass-3")
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
    data, name = FILES[fmt]()
    if fmt == "xlsx":
        assert b"_x0000_" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        session = imports.start_import(agency, data, name, registrar)
        texts = [c for row in session.cells for c in row]
        assert CLEAN in texts, texts
        assert not any(ch in t for t in texts for ch in "\x00\x1b\u202e\u2066\u202c")
        analysis = imports.analyse_session(agency, session)
        assert analysis.ok, analysis.messages()
        imports.confirm(agency, session.token, registrar)
        db.session.commit()
    with app.app_context(), scoped(agency_scope(agency_id)):
        stored = db.session.scalars(sa.select(Entry.interaction).order_by(Entry.id)).all()
    assert CLEAN in stored, stored
    assert len(stored) == 4


def test_a_csv_with_a_nul_is_read_as_text_not_refused_as_binary(seeded, make_agency):
    app = seeded
    agency_id = make_agency(template="kuzbass-3")
    data = fx.csv_bytes(_rows("\x00\x00" + DIRTY), encoding="utf-8")
    assert data[:4096].count(b"\0") >= 2
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        session = imports.start_import(agency, data, "list.csv", None)
        assert imports.analyse_session(agency, session).ok
        db.session.rollback()
    # A UTF-16 text (a NUL in every other byte) is still not taken for a CSV.
    utf16 = "№;Точка\n1;Телефон\n".encode("utf-16-le")
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        with pytest.raises(imports.ImportFileError, match="Файлы других форматов"):
            imports.start_import(agency, utf16, "list.csv", None)


# --------------------------------------------------------------------------- the people's CSV


def peoples_csv(app, agency_id) -> bytes:
    """The list as the download buttons write it: «;», UTF-8 with a BOM, Russian headings only —
    «№», the form's columns, then every other field under its column label (lists/labels.py),
    cells as the list shows them (lists/table.py)."""
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        form = Form(agency.form)
        entries = Entry.working(agency_id)
        entries.sort(key=lists.sort_key_for(form))
        in_form = {c["field"] for c in form.columns}
        others = [f for f in COMMON_FIELDS if f not in in_form]
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter=";")
        writer.writerow(["№", *[c["label"] for c in form.columns],
                         *[COLUMN_LABELS[f] for f in others]])  # fmt: skip
        for n, e in enumerate(entries, start=1):
            writer.writerow([str(n), *[table.cell_text(form, c, e) for c in form.columns],
                             *[table.field_text(form, f, e) for f in others]])  # fmt: skip
    return buf.getvalue().encode("utf-8-sig")


@pytest.mark.parametrize("slug", ["murmansk-tourism", "kuzbass-emergencies"])
def test_peoples_csv_imports_back(demo_app, make_agency, make_user, slug):
    app = demo_app
    from tests.test_transfer import agency_id_of

    source = agency_id_of(app, slug)
    data = peoples_csv(app, source)
    assert data.startswith(b"\xef\xbb\xbf")
    header = data[3:].decode().split("\r\n", 1)[0]
    assert ";" in header and "entry_id" not in header and "," in header  # «…, ч» headings
    with app.app_context(), scoped(agency_scope(source)):
        agency = db.session.get(Agency, source)
        template, region_id = agency.form_template, agency.region_id
    # In the source's region, whose shared touchpoints the list names (docs/registry.md).
    agency_id = make_agency(template=template, region_id=region_id)
    registrar = make_user(Role.REGISTRAR, agency_id=agency_id)
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        session = imports.start_import(agency, data, "perechen.csv", registrar)
        analysis = imports.analyse_session(agency, session)
        assert analysis.ok, analysis.messages()
        assert not analysis.questions
        mapped = set(session.mapping)
        assert {"client_kind", "channel_kind", "response_hours_requests"} <= mapped
        imports.confirm(agency, session.token, registrar)
        db.session.commit()
    assert working(app, agency_id) == working(app, source)
