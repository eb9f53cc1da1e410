"""Approved versions: approval, viewing in the version's own form, comparison with the reasons
for actualisation (Murmansk 5.2, Kuzbass 5.3), changes since the last version, and immutability
through every route and in the database itself."""

from __future__ import annotations

import copy
from datetime import date

import pytest
import sqlalchemy as sa
from conftest import login
from lists_support import add_included, agency_id_of, approve_list, data, in_agency

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import db
from touchpoints.lists import services
from touchpoints.lists.models import Entry, ListVersion, VersionEntry


def approve(app, aid, user_id, number="1"):
    with in_agency(app, aid) as agency:
        version = approve_list(
            agency, db.session.get(User, user_id), order_number=number, order_date=date(2024, 3, 15)
        )
        db.session.commit()
        return version.number


def _three(form, codes):
    return [
        data(form, process="Аттестация гидов", code=codes[0]),
        data(form, process="Аттестация гидов", code=codes[1], needs=("submit",)),
        data(form, process="Реестр гидов", code=codes[0]),
    ]


@pytest.mark.parametrize(
    "slug,codes,needs_reason,excluded_reason,added_reason",
    [
        ("murmansk-tourism", ("portal", "email"), "п. 5.2.3", "п. 5.2.4", "п. 5.2.1"),
        (
            "kuzbass-emergencies",
            ("site", "email"),
            "п. 5.3 подп. 3",
            "п. 5.3 подп. 1",
            "п. 5.3 подп. 1",
        ),
    ],
)
def test_compare_versions_with_reasons(
    seeded, make_user, slug, codes, needs_reason, excluded_reason, added_reason
):
    app = seeded
    aid = agency_id_of(app, slug)
    user = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    first, second, third = add_included(app, aid, user, _three(form, codes))
    assert approve(app, aid, user) == 1

    with in_agency(app, aid) as agency:
        registrar = db.session.get(User, user)
        e = db.session.get(Entry, first)
        services.update_entry(e, registrar, {"client_needs": ["info", "consultation"]}, e.revision)
        proposal = services.propose_exclusion(
            db.session.get(Entry, third), registrar, "Реестр ведётся на федеральном портале"
        )
        services.include(proposal, registrar)
        db.session.commit()
    (added,) = add_included(app, aid, user, [data(form, process="Субсидии", code=codes[1])])

    client = app.test_client()
    login(client, app, user)
    # The working list shows what changed since version 1.
    listing = client.get("/list/").get_data(as_text=True)
    assert "Изменения с редакции № 1" in listing
    assert "новая" in listing and "изменена" in listing

    assert approve(app, aid, user, "2") == 2
    page = client.get("/list/versions/compare?a=1&b=2").get_data(as_text=True)
    assert needs_reason in page and excluded_reason in page and added_reason in page
    assert "Реестр ведётся на федеральном портале" in page
    assert "Субсидии" in page
    with in_agency(app, aid):
        v1 = db.session.scalar(sa.select(ListVersion).where(ListVersion.number == 1))
        v2 = db.session.scalar(sa.select(ListVersion).where(ListVersion.number == 2))
        assert {ve.entry_id for ve in v1.entries} == {first, second, third}
        assert {ve.entry_id for ve in v2.entries} == {first, second, added}
    # Version 2 against the working list: nothing changed since.
    assert "Различий нет" in client.get("/list/versions/compare?a=2").get_data(as_text=True)
    # A version that does not exist is a clear message, not a traceback.
    r = client.get("/list/versions/compare?a=7&b=2", follow_redirects=True)
    assert "Такой редакции нет" in r.get_data(as_text=True)
    assert client.get("/list/versions/9").status_code == 404


def test_version_renders_in_its_own_form(seeded, make_user, make_region):
    app = seeded
    aid = agency_id_of(app, "murmansk-tourism")
    user = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    add_included(app, aid, user, _three(form, ("portal", "email")))
    approve(app, aid, user)
    # The agency's form changes afterwards; version 1 keeps the form it was approved in.
    with in_agency(app, aid) as agency:
        new_form = copy.deepcopy(agency.form)
        new_form["columns"][1]["label"] = "Процесс (новая редакция формы)"
        agency.form = new_form
        db.session.commit()
    client = app.test_client()
    login(client, app, user)
    page = client.get("/list/versions/1").get_data(as_text=True)
    assert "Наименование конкретного процесса" in page
    assert "Процесс (новая редакция формы)" not in page
    assert "Аттестация гидов" in page
    # Numbered columns 1..6 and the grouping by activity area, as in Appendix 2.
    assert (
        '<tr class="colnums"><td>1</td><td>2</td><td>3</td><td>4</td><td>5</td><td>6</td>' in page
    )
    assert "1. Предоставление государственных услуг" in page

    with in_agency(app, aid) as agency:
        region_id = agency.region_id
    office = app.test_client()
    login(office, app, make_user(Role.OFFICE, region_id=region_id))
    assert office.get("/agencies/murmansk-tourism/versions/1").status_code == 200
    assert office.get("/agencies/murmansk-tourism/versions/2").status_code == 404
    stranger = app.test_client()
    login(stranger, app, make_user(Role.OFFICE, region_id=make_region()))
    assert stranger.get("/agencies/murmansk-tourism/versions/1").status_code == 404


def test_version_cannot_be_changed_by_any_route(seeded, make_user):
    app = seeded
    aid = agency_id_of(app, "kuzbass-emergencies")
    user = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    add_included(app, aid, user, _three(form, ("site", "email")))
    approve(app, aid, user)

    def snapshot():
        with in_agency(app, aid):
            v = db.session.scalar(sa.select(ListVersion))
            rows = db.session.execute(
                sa.select(VersionEntry.__table__).order_by(VersionEntry.id)
            ).all()
            return (v.order_number, v.order_date, v.entry_count, [tuple(r) for r in rows])

    before = snapshot()
    client = app.test_client()
    login(client, app, user)
    checked = 0
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if "version" not in rule.rule:
            continue
        url = rule.rule.replace("<int:number>", "1").replace("<slug>", "kuzbass-emergencies")
        allowed = adapter.allowed_methods(url)
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            if method in allowed:
                # A route that accepts writes may only create things, never alter version 1.
                client.open(url, method=method, data={"order_number": "X"})
            else:
                assert client.open(url, method=method).status_code == 405, (url, method)
            checked += 1
    assert checked >= 12
    assert snapshot() == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE list_version SET order_number = 'подделка'",
        "DELETE FROM list_version",
        "UPDATE version_entry SET touchpoint = 'подделка'",
        "DELETE FROM version_entry",
    ],
)
def test_version_cannot_be_changed_by_sql_as_the_application_role(seeded, make_user, statement):
    app = seeded
    aid = agency_id_of(app, "murmansk-tourism")
    user = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    add_included(app, aid, user, _three(form, ("portal", "email")))
    approve(app, aid, user)
    with in_agency(app, aid):
        # The application's own role, in the agency's scope (so RLS lets the rows be seen).
        assert db.session.execute(sa.text("SELECT current_user")).scalar() != "postgres"
        assert db.session.execute(sa.text("SELECT count(*) FROM version_entry")).scalar() == 3
        with pytest.raises(sa.exc.DBAPIError, match="неизменна"):
            db.session.execute(sa.text(statement))
        db.session.rollback()
    with in_agency(app, aid):
        v = db.session.scalar(sa.select(ListVersion))
        assert v.order_number == "1" and len(v.entries) == 3
