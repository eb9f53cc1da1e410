"""Touchpoint passports (Murmansk 2.4-2.5, 2.10.3-2.10.4, Kuzbass 3.6, 3.8 подп. 3-4): a
digital-only process with no alternative for clients who cannot use digital channels, and
measured figures over the procedure's norms — each with a list that breaks the rule and one
that satisfies it; the passport page."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from conftest import login
from lists_support import add_included, agency_id_of, data, in_agency

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.lists import procedures
from touchpoints.lists.compliance import check
from touchpoints.lists.passports import TouchpointPassport, touchpoint_key
from touchpoints.registry import passports
from touchpoints.registry.services import RegistryError

MURMANSK, KUZBASS = "murmansk-tourism", "kuzbass-emergencies"


@pytest.fixture
def agency(seeded, make_user):
    def make(slug):
        aid = agency_id_of(seeded, slug)
        user = make_user(Role.REGISTRAR, agency_id=aid)
        with in_agency(seeded, aid) as a:
            form = a.form
        return seeded, aid, user, form

    return make


def findings(app, aid, rule):
    with in_agency(app, aid) as a:
        return [f for f in check(a).findings if f.rule == rule]


def digital_code(form):
    return next(t["code"] for t in form["touchpoints"] if t["channel_kind"] == "digital")


def offline_code(form):
    return next(t["code"] for t in form["touchpoints"] if t["channel_kind"] == "offline")


def save(app, aid, user, key, **values):
    with in_agency(app, aid) as a:
        person = db.session.get(User, user)
        passport = passports.open_passport(a, person, key)
        passports.save_passport(passport, person, values, date.today())
        db.session.commit()
        return passport.id


def test_digital_only_process_needs_an_alternative(agency):
    app, aid, user, form = agency(MURMANSK)
    code = digital_code(form)
    (row,) = add_included(app, aid, user, [data(form, process="Онлайн-запись", code=code)])
    key = touchpoint_key(code, None, None)
    # Before the agency keeps passports the platform knows nothing either way: no finding.
    assert findings(app, aid, "no_alternative") == []
    # A passport that states nothing for those clients: the rule is broken (Murmansk 2.10.3).
    save(app, aid, user, key, basis_kind="act", basis_title="Приказ № 1")
    (found,) = findings(app, aid, "no_alternative")
    assert found.entry_id == row and found.level == "warning"
    assert found.clause == "пп. 2.10.3, 2.10.4 Порядка"
    assert "Онлайн-запись" in found.message
    # Satisfied: the passport says what elderly clients get.
    save(app, aid, user, key, accessibility={"elderly": "Запись по телефону через оператора"})
    assert findings(app, aid, "no_alternative") == []


def test_a_process_with_an_offline_touchpoint_needs_no_passport_alternative(agency):
    app, aid, user, form = agency(KUZBASS)
    digital, offline = digital_code(form), offline_code(form)
    add_included(
        app,
        aid,
        user,
        [
            data(form, process="Приём заявлений", code=digital),
            data(form, process="Приём заявлений", code=offline),
        ],
    )
    save(app, aid, user, touchpoint_key(digital, None, None), basis_kind="contract")
    assert findings(app, aid, "no_alternative") == []


@pytest.mark.parametrize(
    "slug, clause", [(MURMANSK, "п. 3.2.4 Порядка"), (KUZBASS, "п. 4.2.5 а Порядка")]
)
def test_measured_figures_over_a_norm(agency, slug, clause):
    app, aid, user, form = agency(slug)
    code = offline_code(form)
    (row,) = add_included(app, aid, user, [data(form, process="Консультации", code=code)])
    key = touchpoint_key(code, None, None)
    with in_agency(app, aid) as a:
        limit = procedures.limit(procedures.procedure_of(a.form), "norm_transfers")
    save(app, aid, user, key, measured_transfers=int(limit) + 1, measured_on=date(2026, 10, 1))
    (found,) = findings(app, aid, "measured_norm")
    assert found.clause == clause and found.entry_id == row
    assert f"по замерам {int(limit) + 1}" in found.message and "01.10.2026" in found.message
    save(app, aid, user, key, measured_transfers=int(limit), measured_on=date(2026, 10, 1))
    assert findings(app, aid, "measured_norm") == []


def test_passport_values_are_checked(agency):
    app, aid, user, form = agency(KUZBASS)
    code = digital_code(form)
    add_included(app, aid, user, [data(form, process="П", code=code)])
    key = touchpoint_key(code, None, None)
    with pytest.raises(RegistryError, match="дату замера"):
        save(app, aid, user, key, measured_waiting_minutes=5)
    with pytest.raises(RegistryError, match="https://"):
        save(app, aid, user, key, basis_url="ftp://example.org/act.pdf")
    with pytest.raises(RegistryError, match="в будущем"):
        save(app, aid, user, key, measured_waiting_minutes=5, measured_on=date(2999, 1, 1))
    with in_agency(app, aid) as a, pytest.raises(RegistryError, match="нет в перечне"):
        passports.open_passport(a, db.session.get(User, user), "code:not-in-the-list")


def test_passport_pages(agency, client):
    app, aid, user, form = agency(MURMANSK)
    code = digital_code(form)
    add_included(app, aid, user, [data(form, process="Онлайн-запись", code=code)])
    login(client, app, user)
    page = client.get("/registry/passports/").get_data(as_text=True)
    assert "Заполнить паспорт" in page
    key = touchpoint_key(code, None, None)
    response = client.post("/registry/passports/open", data={"key": key})
    assert response.status_code == 302
    pid = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    response = client.post(
        f"/registry/passports/{pid}",
        data={
            "basis_kind": "instruction",
            "basis_title": "Поручение председателя от 01.03.2024",
            "basis_url": "https://example.org/instruction",
            "offer__disabled": "Версия для слабовидящих",
            "offer__little_russian": "",
            "feedback": ["gosuslugi_widget", "survey"],
            "measured_waiting_minutes": "12",
            "measured_on": "2026-10-01",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    with app.app_context(), scoped(SYSTEM_SCOPE):
        p = db.session.get(TouchpointPassport, pid)
        assert p.basis_kind == "instruction" and p.offers == {"disabled": "Версия для слабовидящих"}
        assert p.feedback == ["gosuslugi_widget", "survey"] and p.measured_waiting_minutes == 12
    # A measured figure without its date is refused, nothing changes.
    response = client.post(f"/registry/passports/{pid}", data={"measured_transfers": "1"})
    assert response.status_code == 400 and "дату замера" in response.get_data(as_text=True)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.get(TouchpointPassport, pid).measured_transfers is None
    page = client.get(f"/registry/passports/{pid}").get_data(as_text=True)
    assert "Поручение председателя" in page


def test_other_agencys_passport_is_404(agency, client):
    app, _aid, user, _form = agency(MURMANSK)
    _, kid, kuser, kform = agency(KUZBASS)
    code = digital_code(kform)
    add_included(app, kid, kuser, [data(kform, process="П", code=code)])
    foreign = save(app, kid, kuser, touchpoint_key(code, None, None), basis_kind="act")
    login(client, app, user)
    assert client.get(f"/registry/passports/{foreign}").status_code == 404
    assert client.post(f"/registry/passports/{foreign}", data={"basis_kind": ""}).status_code == 404
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert (
            db.session.scalar(
                sa.select(TouchpointPassport.basis_kind).where(TouchpointPassport.id == foreign)
            )
            == "act"
        )


@pytest.mark.parametrize(
    "slug, field, code, norm, clause",
    [
        (KUZBASS, "measured_mentions_hours", "social", "norm_mentions", "п. 4.2.3 в Порядка"),
        (KUZBASS, "measured_requests_hours", "social", "norm_requests", "п. 4.2.3 в Порядка"),
        (KUZBASS, "measured_waiting_minutes", "reception", "norm_waiting", "п. 4.2.7 ж Порядка"),
        (MURMANSK, "measured_mentions_hours", "social", "norm_mentions", "п. 3.2.3 Порядка"),
        (MURMANSK, "measured_requests_hours", "messengers", "norm_requests", "п. 3.2.3 Порядка"),
    ],
)
def test_each_measured_figure_against_its_norm(agency, slug, field, code, norm, clause):
    # Every measured figure of a passport is held to the limit its procedure states: over it
    # breaks the rule, at it satisfies it.
    app, aid, user, form = agency(slug)
    (row,) = add_included(app, aid, user, [data(form, process="Информирование", code=code)])
    key = touchpoint_key(code, None, None)
    with in_agency(app, aid) as a:
        limit = procedures.limit(procedures.procedure_of(a.form), norm)
    over = limit + (0.5 if field.endswith("_hours") else 1)
    save(app, aid, user, key, **{field: over, "measured_on": date(2026, 9, 30)})
    (found,) = findings(app, aid, "measured_norm")
    assert (found.clause, found.entry_id, found.level) == (clause, row, "warning")
    assert "30.09.2026" in found.message
    save(app, aid, user, key, **{field: limit, "measured_on": date(2026, 9, 30)})
    assert findings(app, aid, "measured_norm") == []


def test_a_figure_the_procedure_sets_no_norm_for_is_not_judged(agency):
    # The Murmansk order states no waiting time (only Kuzbass 4.2.7 ж does).
    app, aid, user, form = agency(MURMANSK)
    add_included(app, aid, user, [data(form, process="Аттестация", code="personal")])
    save(
        app, aid, user, touchpoint_key("personal", None, None),
        measured_waiting_minutes=90, measured_on=date(2026, 9, 30),
    )  # fmt: skip
    assert findings(app, aid, "measured_norm") == []


def test_a_shared_touchpoints_passport_keeps_the_alternative(agency, make_user):
    # The passport of a region's shared touchpoint (keyed by its id, not its name) states the
    # alternative of a process reached only through it; the same name typed by hand is another
    # touchpoint, whose passport is its own.
    from registry_support import add_shared

    app, aid, user, form = agency(MURMANSK)
    with in_agency(app, aid) as a:
        region_id = a.region_id
    office = make_user(Role.OFFICE, region_id=region_id)
    sid = add_shared(app, region_id, office, "Региональный портал услуг", "digital")
    add_included(
        app, aid, user,
        [data(form, process="Электронная запись", code=None, touchpoint="Региональный портал услуг",
              channel_kind="digital", shared_touchpoint_id=sid)],
    )  # fmt: skip
    key = touchpoint_key(None, sid, None)
    save(app, aid, user, key, basis_kind="act", basis_title="210-ФЗ")
    (found,) = findings(app, aid, "no_alternative")
    assert "Электронная запись" in found.message
    # The same name typed by hand is not this touchpoint: the list has no such one.
    typed = touchpoint_key(None, None, "Региональный портал услуг")
    with in_agency(app, aid) as a, pytest.raises(RegistryError, match="нет в перечне"):
        passports.open_passport(a, db.session.get(User, user), typed)
    save(app, aid, user, key, accessibility={"low_digital": "Подача того же заявления в МФЦ"})
    assert findings(app, aid, "no_alternative") == []
