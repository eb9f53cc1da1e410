"""Files for people never carry a live formula; open data keeps values exact, as documented
(issue 14, item 6)."""

from __future__ import annotations

import io

import sqlalchemy as sa

from tests.conftest import load_demo_data
from touchpoints.audit import service as audit
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, scoped
from touchpoints.core.tenancy import Agency

EVIL = '=HYPERLINK("http://evil.example/","нажмите")'


def _cells(data: bytes):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


def test_dashboard_xlsx_writes_an_agency_named_like_a_formula_as_text(
    app, make_region, make_agency, make_user, login_as
):
    region = make_region()
    agency_id = make_agency(region_id=region)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, agency_id)
        agency.full_name = agency.short_name = EVIL
        db.session.commit()
    client = login_as(make_user(Role.OFFICE, region_id=region))
    response = client.get("/dashboard/export.xlsx")
    assert response.status_code == 200
    cells = _cells(response.data)
    assert all(c.data_type != "f" for c in cells), "no cell is a formula"
    named = [c for c in cells if c.value == EVIL]
    assert len(named) >= 3  # the summary, the heat map and the channels sheets
    assert all(c.data_type == "s" for c in named)


def test_audit_csv_escapes_formulas(app, make_agency, make_user, login_as):
    agency_id = make_agency()
    client = login_as(make_user(Role.VIEWER, agency_id=agency_id))
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        audit.record("entry.update", agency, agency_id=agency_id, comment="+cmd|' /C calc'!A0")
        db.session.commit()
    text = client.get("/audit/export.csv").get_data(as_text=True)
    assert "'+cmd|" in text
    assert "\n+cmd" not in text and ",+cmd" not in text


def test_open_data_keeps_values_exact_and_says_so(seeded):
    from touchpoints.lists.models import VersionEntry

    load_demo_data(seeded)
    client = seeded.test_client()
    page = client.get("/p/opendata/").get_data(as_text=True)
    assert 'id="formulas"' in page and "без защитного апострофа" in page
    with seeded.app_context(), scoped(SYSTEM_SCOPE):
        slug, process = db.session.execute(
            sa.select(Agency.slug, VersionEntry.process_name)
            .join(VersionEntry, VersionEntry.agency_id == Agency.id)
            .limit(1)
        ).one()
    csv_text = client.get(f"/p/{slug}/current.csv").get_data(as_text=True)
    # Machines read what was approved: the same text, no apostrophes added anywhere.
    assert process.split("\n")[0] in csv_text
    assert ",'" not in csv_text


def test_users_csv_escapes_formulas(app, make_agency, make_user, login_as):
    agency_id = make_agency()
    make_user(Role.VIEWER, agency_id=agency_id, name=EVIL)
    make_user(Role.VIEWER, agency_id=agency_id, name="+cmd|' /C calc'!A0")
    client = login_as(make_user(Role.REGISTRAR, agency_id=agency_id))
    text = client.get("/users/export.csv").get_data(as_text=True)
    fields = [f for line in text.splitlines() for f in line.split(";")]
    assert "'" + EVIL.replace('"', '""') in text and "'+cmd|" in text
    assert not any(f.lstrip('"').startswith(("=", "+", "-", "@")) for f in fields)
