"""The agency's own procedure as data (issue 12, item 2; docs/forms.md): the order that set up its
list and which rules apply, with which clause and norm. Checks, hints and the order's PDF quote
the agency's own order; nothing of another order leaks in."""

from __future__ import annotations

import io

import sqlalchemy as sa
from lists_support import add_included, agency_id_of, data, in_agency
from pypdf import PdfReader
from test_form_editor import page_of, post_of, stored_form

from touchpoints.agencies.services import create_agency
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.lists.compliance import check
from touchpoints.orders.rendering import render_order

MURMANSK = "murmansk-tourism"
KUZBASS = "kuzbass-emergencies"


def test_the_murmansk_form_shows_no_kuzbass_hint(seeded, make_user, login_as, client):
    app = seeded
    login_as(make_user(Role.REGISTRAR, agency_id=agency_id_of(app, MURMANSK)))
    page = client.get("/list/entries/new").get_data(as_text=True)
    assert "Кузбасс" not in page and "4.2.7" not in page and "15 минут" not in page
    # Its own clauses instead (Murmansk 3.2.3, 3.2.4, 2.6, 3.1).
    assert "Ответ на упоминания в соцсетях — не более 4 часов (п. 3.2.3 Порядка)." in page
    assert "Не более 2 переключений (п. 3.2.4 Порядка)." in page
    assert "(п. 2.6 Порядка)" in page and "(п. 3.1 Порядка)" in page
    assert "3.2.3 / 4.2.3" not in page
    client.post("/logout")
    login_as(make_user(Role.REGISTRAR, agency_id=agency_id_of(app, KUZBASS)))
    page = client.get("/list/entries/new").get_data(as_text=True)
    assert "Ожидание — не более 15 минут (п. 4.2.7 ж Порядка)." in page
    assert "2.6 / 3.7" not in page and "(п. 3.7 Порядка)" in page


def test_the_murmansk_procedure_has_no_waiting_norm(seeded, make_user):
    app = seeded
    aid = agency_id_of(app, MURMANSK)
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    form = stored_form(app, MURMANSK)
    add_included(app, aid, registrar, [data(form, code="personal", waiting_minutes=40)])
    with in_agency(app, aid) as agency:
        assert not [f for f in check(agency).findings if f.rule == "norm_waiting"]


def test_a_check_cites_the_clause_the_agency_mapped(seeded, make_user, login_as):
    app = seeded
    aid = agency_id_of(app, KUZBASS)
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    form = stored_form(app, KUZBASS)
    add_included(
        app, aid, registrar, [data(form, code="phone", needs=(), max_transfers=2, process="Звонок")]
    )
    with in_agency(app, aid) as agency:
        findings = {f.rule: f for f in check(agency).findings}
        assert findings["needs"].clause == "п. 3.7 Порядка"
        assert "norm_transfers" not in findings  # 2 transfers: within the order's norm
    client = login_as(registrar)
    raw, revision, _ = page_of(app, KUZBASS)
    response = client.post(
        f"/forms/agencies/{KUZBASS}",
        data=post_of(
            raw,
            revision,
            **{
                "procedure-name": "Приказ Департамента от 01.03.2026 № 12",
                "procedure-order_number": "12",
                "procedure-order_date": "2026-03-01",
                "procedure-order_title": "О порядке ведения перечня",
                "rule-needs-clause": "п. 2.4 Порядка (ред. 2026)",
                "rule-norm_transfers-limit": "1",
                "rule-norm_transfers-clause": "п. 4.3 Порядка (ред. 2026)",
            },
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    with in_agency(app, aid) as agency:
        findings = {f.rule: f for f in check(agency).findings}
        assert findings["needs"].clause == "п. 2.4 Порядка (ред. 2026)"
        transfers = findings["norm_transfers"]
        assert transfers.clause == "п. 4.3 Порядка (ред. 2026)"
        assert "допускается не более 1" in transfers.message
        assert transfers.title == "Не более 1 переключения при телефонном звонке"
        assert agency.form["procedure"]["order"] == {
            "number": "12",
            "date": "2026-03-01",
            "title": "О порядке ведения перечня",
        }
    page = client.get("/list/check").get_data(as_text=True)
    assert "п. 2.4 Порядка (ред. 2026)" in page and "п. 3.7 Порядка" not in page
    # The entry form's hint follows the new norm.
    assert "Не более 1 переключения (п. 4.3 Порядка (ред. 2026))." in client.get(
        "/list/entries/new"
    ).get_data(as_text=True)


def test_a_rule_the_procedure_does_not_apply_is_not_checked(seeded, make_user, login_as):
    app = seeded
    aid = agency_id_of(app, KUZBASS)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        region_id = db.session.get(Agency, aid).region_id
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    form = stored_form(app, KUZBASS)
    add_included(app, aid, registrar, [data(form, code="phone", process="Звонок")])
    with in_agency(app, aid) as agency:
        assert any(f.rule == "offline_only" for f in check(agency).findings)
    office = login_as(make_user(Role.OFFICE, region_id=region_id))
    raw, revision, _ = page_of(app, KUZBASS)
    response = office.post(
        f"/forms/agencies/{KUZBASS}",
        data=post_of(raw, revision, **{"rule-offline_only-applies": None}),
    )
    assert response.status_code == 302
    with in_agency(app, aid) as agency:
        assert not any(f.rule == "offline_only" for f in check(agency).findings)


def _pdf_text(agency) -> str:
    rendered = render_order(agency)
    reader = PdfReader(io.BytesIO(rendered.pdf))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def test_the_order_pdf_quotes_the_agencys_own_order(seeded, make_user, login_as):
    app = seeded
    with app.app_context(), scoped(SYSTEM_SCOPE):
        mur = db.session.scalar(sa.select(Agency).where(Agency.slug == MURMANSK))
        text = _pdf_text(mur)
    assert (
        "на основании Порядка ведения перечня точек взаимодействия с клиентом, утверждённого "
        "приказом от 28.02.2024 № 21, приказываю:" in text
    )
    # A new agency starts from a template (whose procedure names no order) and sets its own.
    with app.app_context(), scoped(SYSTEM_SCOPE):
        region_id = mur.region_id
        agency = create_agency(
            {
                "slug": "murmansk-culture",
                "region_id": region_id,
                "full_name": "Комитет по культуре Мурманской области",
                "short_name": "Комитет по культуре",
                "form_template": "default-full",
                "legal_basis": "В соответствии с распоряжением Губернатора",
            }
        )
        db.session.commit()
        aid = agency.id
        assert "Порядка ведения" not in _pdf_text(agency)
    client = login_as(make_user(Role.OFFICE, region_id=region_id))
    raw, revision, _ = page_of(app, "murmansk-culture")
    response = client.post(
        "/forms/agencies/murmansk-culture",
        data=post_of(
            raw,
            revision,
            **{
                "procedure-code": "murmansk-culture-5",
                "procedure-name": "Приказ Комитета по культуре от 15.01.2026 № 5",
                "procedure-order_number": "5",
                "procedure-order_date": "2026-01-15",
                "rule-area-clause": "п. 2.3 Порядка",
            },
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    with in_agency(app, aid) as agency:
        text = _pdf_text(agency)
        area = next(f for f in check(agency).findings if f.rule == "area")
    assert "утверждённого приказом от 15.01.2026 № 5, приказываю:" in text
    assert area.clause == "п. 2.3 Порядка"
