"""Each compliance rule with one list that breaks it and one that satisfies it, citing the
clause of the agency's own order; errors block approval, warnings do not; many agencies are
checked in a constant number of queries."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from conftest import login
from lists_support import add_included, agency_id_of, data, in_agency

from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, Scope, db, scoped
from touchpoints.jobs import wait_for_inprocess_jobs
from touchpoints.lists import services
from touchpoints.lists.compliance import check, check_many
from touchpoints.lists.models import ListVersion

MURMANSK, KUZBASS = "murmansk-tourism", "kuzbass-emergencies"


@pytest.fixture
def setup(seeded, make_user):
    def make(slug):
        aid = agency_id_of(seeded, slug)
        user = make_user(Role.REGISTRAR, agency_id=aid)
        with in_agency(seeded, aid) as agency:
            form = agency.form
        return aid, user, form

    return make


def report(app, aid):
    with in_agency(app, aid) as agency:
        return check(agency)


def findings(rep, rule):
    return [f for f in rep.findings if f.rule == rule]


def test_required_fields(seeded, setup):
    aid, user, form = setup(MURMANSK)
    bad, good = add_included(
        seeded,
        aid,
        user,
        [
            data(form, process="Аттестация гидов", code="portal", interaction=""),
            data(form, process="Реестр гидов", code="portal"),
        ],
    )
    rep = report(seeded, aid)
    found = findings(rep, "required")
    assert [f.entry_id for f in found] == [bad]
    assert found[0].level == "error" and found[0].clause == "п. 2.2.2 Порядка"
    assert "Осуществляемое взаимодействие с клиентом" in found[0].message
    assert good not in {f.entry_id for f in found}


@pytest.mark.parametrize("slug,clause", [(MURMANSK, "п. 2.6 Порядка"), (KUZBASS, "п. 3.7 Порядка")])
def test_client_needs_named_for_every_touchpoint(seeded, setup, slug, clause):
    aid, user, form = setup(slug)
    code = form["touchpoints"][0]["code"]
    bad, _good = add_included(
        seeded,
        aid,
        user,
        [data(form, process="А", code=code, needs=()), data(form, process="Б", code=code)],
    )
    found = findings(report(seeded, aid), "needs")
    assert [(f.entry_id, f.level, f.clause) for f in found] == [(bad, "error", clause)]


def test_no_duplicate_touchpoint_within_one_process(seeded, setup):
    aid, user, form = setup(MURMANSK)
    ids = add_included(
        seeded,
        aid,
        user,
        [
            data(form, process="Субсидии", code="portal", needs=("info",)),
            # The same touchpoint typed by hand (case and spaces differ) in the same process.
            data(
                form,
                process="  субсидии ",
                touchpoint="официальный сайт комитета (портал)",
                needs=("submit",),
            ),
            # The same touchpoint in another process is fine (2.8 is per process).
            data(form, process="Реестр гидов", code="portal"),
        ],
    )
    found = findings(report(seeded, aid), "duplicate")
    assert [(f.entry_id, f.clause) for f in found] == [(ids[1], "п. 2.8 Порядка")]


def test_every_activity_area_covered_or_not_performed(seeded, setup):
    aid, user, form = setup(KUZBASS)
    add_included(seeded, aid, user, [data(form, area="services", code="site")])
    found = findings(report(seeded, aid), "area")
    expected = {a["code"] for a in form["activity_areas"]} - {"services"}
    assert {f.area for f in found} == expected
    assert all(f.clause == "п. 3.5 Порядка" and f.level == "error" for f in found)

    with in_agency(seeded, aid) as agency:
        for code in sorted(expected - {"appeals"}):
            services.set_area_not_performed(agency, code, True, "Не осуществляется")
        db.session.commit()
    assert {f.area for f in findings(report(seeded, aid), "area")} == {"appeals"}
    add_included(seeded, aid, user, [data(form, area="appeals", code="email")])
    assert findings(report(seeded, aid), "area") == []


def test_external_process_with_offline_touchpoints_only_is_a_warning(seeded, setup):
    aid, user, form = setup(MURMANSK)
    add_included(
        seeded,
        aid,
        user,
        [
            data(form, process="Приём туристов", code="phone"),
            data(form, process="Приём туристов", code="personal"),
            data(form, process="Консультации", code="phone"),
            data(form, process="Консультации", code="portal"),
            data(form, process="Внутренние заявки", code="request_log", client_kind="internal"),
        ],
    )
    found = findings(report(seeded, aid), "offline_only")
    assert len(found) == 1
    assert found[0].level == "warning" and found[0].clause == "п. 2.10.2 Порядка"
    assert "Приём туристов" in found[0].message


@pytest.mark.parametrize(
    "slug,code,field,bad,good,rule,level,clause",
    [
        (MURMANSK, "social", "response_hours_mentions", 5, 4, "norm_mentions", "warning", "3.2.3"),
        (
            MURMANSK,
            "social",
            "response_hours_requests",
            2.5,
            2,
            "norm_requests",
            "warning",
            "3.2.3",
        ),
        (
            KUZBASS,
            "social",
            "response_hours_mentions",
            4.5,
            1,
            "norm_mentions",
            "warning",
            "4.2.3 в",
        ),
        (MURMANSK, "phone", "max_transfers", 3, 2, "norm_transfers", "error", "3.2.4"),
        (KUZBASS, "phone", "max_transfers", 4, 0, "norm_transfers", "error", "4.2.5 а"),
        (KUZBASS, "reception", "waiting_minutes", 20, 15, "norm_waiting", "error", "4.2.7 ж"),
    ],
)
def test_service_norms(seeded, setup, slug, code, field, bad, good, rule, level, clause):
    aid, user, form = setup(slug)
    bad_id, _good_id = add_included(
        seeded,
        aid,
        user,
        [
            data(form, process="Процесс 1", code=code, **{field: bad}),
            data(form, process="Процесс 2", code=code, **{field: good}),
        ],
    )
    found = findings(report(seeded, aid), rule)
    assert [(f.entry_id, f.level, f.clause) for f in found] == [
        (bad_id, level, f"п. {clause} Порядка")
    ]


def _clean_list(form):
    return [
        data(
            form,
            area=a["code"],
            process=f"Процесс {a['code']}",
            code=form["touchpoints"][0]["code"],
        )
        for a in form["activity_areas"]
    ]


def test_errors_block_approval_warnings_do_not(seeded, setup):
    aid, user, form = setup(KUZBASS)
    ids = add_included(seeded, aid, user, _clean_list(form))
    client = seeded.test_client()
    login(client, seeded, user)
    # A warning only (an external process with a phone line only) does not block.
    add_included(seeded, aid, user, [data(form, process="Горячая линия", code="phone")])
    assert report(seeded, aid).errors == [] and report(seeded, aid).warnings

    # An error blocks: no client needs on one touchpoint.
    with in_agency(seeded, aid):
        from touchpoints.lists.models import Entry

        db.session.get(Entry, ids[0]).client_needs = []
        db.session.commit()
    page = client.get("/list/check").get_data(as_text=True)
    assert "п. 3.7 Порядка" in page and f"/list/entries/{ids[0]}" in page
    post = {
        "order_number": "141",
        "order_date": "2024-01-22",
        "signatory_title": "Начальник Департамента",
        "signatory_name": "П.П. Яцухно",
    }
    r = client.post("/list/approve", data=post, follow_redirects=True)
    assert "не может быть утверждён" in r.get_data(as_text=True)
    with in_agency(seeded, aid):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ListVersion)) == 0

    with in_agency(seeded, aid):
        db.session.get(Entry, ids[0]).client_needs = ["info"]
        db.session.commit()
    r = client.post("/list/approve", data=post)
    assert r.status_code == 302 and r.headers["Location"].endswith("/list/versions/1")
    with in_agency(seeded, aid):
        version = db.session.scalar(sa.select(ListVersion))
        assert version.entry_count == len(ids) + 1
        assert version.signatory_name == "П.П. Яцухно"


def test_mark_area_not_performed_through_the_page(seeded, setup):
    aid, user, _form = setup(KUZBASS)
    client = seeded.test_client()
    login(client, seeded, user)
    r = client.post(
        "/list/areas", data={"area_code": "control", "not_performed": "1", "reason": ""}
    )
    assert r.status_code == 302
    assert "control" in {f.area for f in findings(report(seeded, aid), "area")}  # reason needed
    client.post(
        "/list/areas",
        data={"area_code": "control", "not_performed": "1", "reason": "Надзор не осуществляем"},
    )
    assert "control" not in {f.area for f in findings(report(seeded, aid), "area")}
    client.post("/list/areas", data={"area_code": "control", "not_performed": "0"})
    assert "control" in {f.area for f in findings(report(seeded, aid), "area")}


def test_check_many_uses_a_constant_number_of_queries(app, make_agency, make_region, make_user):
    def count_queries(ids):
        statements = []

        def listener(conn, cursor, statement, *args):
            statements.append(statement)

        with app.app_context(), scoped(SYSTEM_SCOPE):
            wait_for_inprocess_jobs()  # tasks' threads are not what is counted
            sa.event.listen(db.engine, "before_cursor_execute", listener)
            try:
                reports = check_many(ids)
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", listener)
        return reports, [s for s in statements if "set_config" not in s]

    agencies = []
    regions = [make_region(), make_region()]
    for n in range(4):
        aid = make_agency(region_id=regions[n % 2])
        user = make_user(Role.REGISTRAR, agency_id=aid)
        with in_agency(app, aid) as agency:
            form = agency.form
        rows = [data(form, process=f"П{i}", code="site") for i in range(n + 1)]
        rows.append(data(form, process="П0", code="site"))  # one duplicate each
        add_included(app, aid, user, rows)
        agencies.append(aid)
    # The setup's commits enqueued dashboard refreshes that run on the in-process pool, on this
    # same engine: let them finish so that only check_many's statements are counted.
    with app.app_context():
        wait_for_inprocess_jobs()
    _small, q_small = count_queries(agencies[:2])
    large, q_large = count_queries(agencies)
    # Forms, entries, area marks, and the registries and passports (lists.coverage).
    assert len(q_small) == len(q_large) <= 5
    assert set(large) == set(agencies)
    for aid in agencies:
        assert len(findings(large[aid], "duplicate")) == 1
    # The project office's scope sees its region's agencies only.
    with app.app_context(), scoped(Scope("region", region_id=regions[0])):
        assert set(check_many(agencies)) == {agencies[0], agencies[2]}
    # The same report as the one-agency check.
    with in_agency(app, agencies[3]) as agency:
        assert check(agency).findings == large[agencies[3]].findings


def test_cli_check_exit_code(seeded, setup):
    aid, user, form = setup(KUZBASS)
    runner = seeded.test_cli_runner()
    add_included(seeded, aid, user, [data(form, area="services", code="site", needs=())])
    result = runner.invoke(args=["lists", "check", KUZBASS])
    assert result.exit_code == 1, result.output
    assert "п. 3.7 Порядка" in result.output and "п. 3.5 Порядка" in result.output

    with in_agency(seeded, aid):
        from touchpoints.lists.models import Entry

        for e in db.session.scalars(sa.select(Entry)):
            e.client_needs = ["info"]
        db.session.commit()
    add_included(seeded, aid, user, _clean_list(form)[1:])
    result = runner.invoke(args=["lists", "check", KUZBASS])
    assert result.exit_code == 0, result.output
    assert "Ошибок нет" in result.output
    assert runner.invoke(args=["lists", "check", "no-such-agency"]).exit_code != 0
