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
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
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


def _compare(app, aid):
    from touchpoints.lists.approval import changes_since_last

    with in_agency(app, aid) as agency:
        return changes_since_last(agency)[1]


def _forget_links(app, version_number):
    """A version approved before versions kept references: its rows' ids are NULL. Written as
    the owner with the immutability trigger off (replica), as no role of the platform can."""
    engine = sa.create_engine(app.config["MIGRATION_DATABASE_URL"], poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.execute(
                sa.text(
                    "UPDATE version_entry SET process_id = NULL, shared_touchpoint_id = NULL "
                    "WHERE version_id = (SELECT id FROM list_version WHERE number = :n)"
                ),
                {"n": version_number},
            )
    finally:
        engine.dispose()


def test_a_renamed_registry_process_stays_the_same_process(seeded, make_user):
    # Versions keep the registry process each row named, not only its name: after a rename the
    # version still shows the approved name, says what it is called now, and the comparison
    # calls the change a rename of the same process (details), not another process.
    from registry_support import add_process

    from touchpoints.lists.processes import RegistryProcess
    from touchpoints.registry import services as registry

    app = seeded
    aid = agency_id_of(app, "kuzbass-emergencies")
    user = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    pid = add_process(app, aid, user, "Выдача справок о пожарах")
    rows = add_included(
        app,
        aid,
        user,
        [
            data(form, process="Выдача справок о пожарах", process_id=pid, code="site"),
            data(form, process="Выдача справок о пожарах", process_id=pid, code="email"),
        ],
    )
    assert approve(app, aid, user) == 1
    with in_agency(app, aid):
        frozen = db.session.scalars(sa.select(VersionEntry)).all()
        assert {(ve.entry_id, ve.process_id) for ve in frozen} == {(r, pid) for r in rows}

    with in_agency(app, aid):
        process = db.session.get(RegistryProcess, pid)
        registry.update_process(
            process,
            db.session.get(User, user),
            {"name": "Выдача справок о пожарах и их последствиях", "kind": "service"},
        )
        db.session.commit()
    with in_agency(app, aid):
        # The rows that name the process by id follow the registry; the registrar's edit.
        renamed = [db.session.get(Entry, r) for r in rows]
        assert {e.process_name for e in renamed} == {"Выдача справок о пожарах и их последствиях"}
        assert all(e.reviewed_by_id == user for e in renamed)
    diff = _compare(app, aid)
    assert [c.fields for c in diff.changed] == [["process_name"], ["process_name"]]
    assert all(c.renamed == ("process_name",) for c in diff.changed)
    details = diff.reasons["details"]
    assert all(c.reasons == [details] for c in diff.changed)

    client = app.test_client()
    login(client, app, user)
    page = client.get("/list/versions/1").get_data(as_text=True)
    assert "Выдача справок о пожарах</td>" in page or "Выдача справок о пожарах<" in page
    assert (
        "процесс реестра «Выдача справок о пожарах» — теперь "
        "«Выдача справок о пожарах и их последствиях»" in page
    )
    assert approve(app, aid, user, "2") == 2
    page = client.get("/list/versions/compare?a=1&b=2").get_data(as_text=True)
    assert "Процесс переименован в реестре процессов: строка о том же процессе" in page
    assert "переименованы" not in client.get("/list/versions/2").get_data(as_text=True)

    # A version approved before the ids were kept still reads: the same change, no rename.
    _forget_links(app, 1)
    page = client.get("/list/versions/compare?a=1&b=2").get_data(as_text=True)
    assert "Выдача справок о пожарах и их последствиях" in page
    assert "Процесс переименован" not in page
    page = client.get("/list/versions/1").get_data(as_text=True)
    assert "Выдача справок о пожарах" in page and "переименованы" not in page


def test_a_renamed_shared_touchpoint_is_the_same_touchpoint(seeded, make_user):
    # A shared touchpoint renamed by the office and picked again is the same touchpoint: its
    # row changed details, not the kind of touchpoint (Kuzbass 5.3); a typed touchpoint that
    # changed its name is another touchpoint.
    from registry_support import add_shared

    from touchpoints.lists.passports import SharedTouchpoint
    from touchpoints.registry import shared

    app = seeded
    aid = agency_id_of(app, "kuzbass-emergencies")
    user = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form, region_id = agency.form, agency.region_id
    office = make_user(Role.OFFICE, region_id=region_id)
    sid = add_shared(app, region_id, office, "МФЦ «Мои документы»")
    mfc, typed = add_included(
        app,
        aid,
        user,
        [
            data(form, code=None, touchpoint="МФЦ «Мои документы»", channel_kind="offline",
                 shared_touchpoint_id=sid),
            data(form, code=None, touchpoint="Горячая линия", channel_kind="offline"),
        ],
    )  # fmt: skip
    assert approve(app, aid, user) == 1
    with app.app_context(), scoped(SYSTEM_SCOPE):
        item = db.session.get(SharedTouchpoint, sid)
        shared.update(
            item,
            db.session.get(User, office),
            {"name": "МФЦ «Мои документы» Кузбасса", "channel_kind": "offline"},
        )
        db.session.commit()
    client = app.test_client()
    login(client, app, user)
    page = client.get("/list/versions/1").get_data(as_text=True)
    assert "общая точка региона «МФЦ «Мои документы»» — теперь «МФЦ «Мои документы» Кузбасса»" in (
        page.replace("&#34;", '"').replace("&laquo;", "«").replace("&raquo;", "»")
    )
    with in_agency(app, aid):
        registrar = db.session.get(User, user)
        for entry_id, name in ((mfc, "МФЦ «Мои документы» Кузбасса"), (typed, "Горячая линия 112")):
            e = db.session.get(Entry, entry_id)
            services.update_entry(e, registrar, {"touchpoint": name}, e.revision)
        db.session.commit()
    diff = _compare(app, aid)
    by_key = {c.key: c for c in diff.changed}
    assert by_key[mfc].renamed == ("touchpoint",)
    assert by_key[mfc].reasons == [diff.reasons["details"]]
    assert by_key[typed].renamed == ()
    assert by_key[typed].reasons == [diff.reasons["kind"]]
