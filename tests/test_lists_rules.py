"""Each rule said once: the four-eyes predicate as the page shows it, approval's own guards
(compliance and "nothing changed", Murmansk 2.2 / 5.2, Kuzbass 3.3 / 3.5 / 5.3), and the clauses
and norms a form's declared procedure supplies to the checks."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from conftest import login
from lists_support import add_included, agency_id_of, approve_list, data, in_agency

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import db
from touchpoints.lists import approval, policy, procedures, services
from touchpoints.lists.compliance import check
from touchpoints.lists.errors import ReviewError
from touchpoints.lists.models import Entry, ListVersion


def _submitted(app, aid, editor_id, form, **extra) -> int:
    with in_agency(app, aid) as agency:
        editor = db.session.get(User, editor_id)
        entry = services.create_entry(agency, editor, data(form, **extra))
        services.submit(entry, editor)
        db.session.commit()
        return entry.id


def test_the_entry_page_offers_inclusion_only_to_whom_the_predicate_allows(seeded, make_user):
    app = seeded
    aid = agency_id_of(app, "murmansk-tourism")
    first = make_user(Role.REGISTRAR, agency_id=aid)
    second = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    # The first registrar's own submission: four eyes apply, there is a second registrar.
    eid = _submitted(app, aid, first, form, code="portal")
    with in_agency(app, aid):
        entry = db.session.get(Entry, eid)
        mine = policy.can_include(db.session.get(User, first), entry)
        theirs = policy.can_include(db.session.get(User, second), entry)
        assert not mine and mine.reason == "Свою строку включает другое уполномоченное лицо"
        assert theirs
        assert policy.can_return(db.session.get(User, first), entry)

    own = app.test_client()
    login(own, app, first)
    page = own.get(f"/list/entries/{eid}").get_data(as_text=True)
    assert "Свою строку включает другое уполномоченное лицо" in page
    assert f"/list/entries/{eid}/include" not in page
    assert f"/list/entries/{eid}/return" in page  # returning one's own is allowed

    other = app.test_client()
    login(other, app, second)
    page = other.get(f"/list/entries/{eid}").get_data(as_text=True)
    assert f"/list/entries/{eid}/include" in page
    assert other.post(f"/list/entries/{eid}/include").status_code == 302
    with in_agency(app, aid):
        assert db.session.get(Entry, eid).status == "included"


def test_a_lone_registrar_includes_their_own_entry_and_it_is_recorded(seeded, make_user):
    app = seeded
    aid = agency_id_of(app, "kuzbass-emergencies")
    alone = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    eid = _submitted(app, aid, alone, form, code="site")
    with in_agency(app, aid):
        user, entry = db.session.get(User, alone), db.session.get(Entry, eid)
        assert policy.registrar_acts_alone(aid)
        assert policy.can_include(user, entry) and policy.includes_alone(user, entry)
        services.include(entry, user)
        db.session.commit()
    with in_agency(app, aid):
        from touchpoints.audit.models import AuditEvent

        event = db.session.scalars(
            AuditEvent.of_agency(aid, "entry.review.include").where(
                AuditEvent.object_id == str(eid)
            )
        ).one()
        assert "единолично" in event.comment


def test_approval_runs_the_compliance_check_itself(seeded, make_user):
    app = seeded
    aid = agency_id_of(app, "kuzbass-emergencies")
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    add_included(app, aid, registrar, [data(form, code="site")])
    with in_agency(app, aid) as agency:
        user = db.session.get(User, registrar)
        # Six of the seven activity areas are neither filled nor marked (Kuzbass 3.5).
        assert len(check(agency).errors) == 6
        with pytest.raises(ReviewError, match="ошибок — 6"):
            approval.approve_version(agency, user, order_number="1", order_date=date(2025, 1, 9))
        db.session.rollback()
        assert ListVersion.latest(aid) is None
        version = approve_list(agency, user, order_number="1", order_date=date(2025, 1, 9))
        db.session.commit()
        assert version.number == 1 and version.entry_count == 1


def test_an_unchanged_list_is_not_approved_twice(seeded, make_user):
    app = seeded
    aid = agency_id_of(app, "murmansk-tourism")
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    [eid] = add_included(app, aid, registrar, [data(form, code="portal")])
    with in_agency(app, aid) as agency:
        user = db.session.get(User, registrar)
        approve_list(agency, user, order_number="1", order_date=date(2025, 1, 9))
        db.session.commit()
        with pytest.raises(ReviewError, match="не изменился после редакции № 1"):
            approval.approve_version(agency, user, order_number="2", order_date=date(2025, 2, 3))
        db.session.rollback()
        entry = db.session.get(Entry, eid)
        services.update_entry(entry, user, {"specifics": "Уточнено"}, entry.revision)
        assert (
            approval.approve_version(
                agency, user, order_number="2", order_date=date(2025, 2, 3)
            ).number
            == 2
        )
        db.session.commit()


def test_approval_guards_are_steps_a_new_rule_can_join(seeded, make_user, monkeypatch):
    app = seeded
    aid = agency_id_of(app, "murmansk-tourism")
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    add_included(app, aid, registrar, [data(form, code="portal")])

    def no_orders_on_sunday(request):
        if request.order_date.weekday() == 6:
            raise ReviewError("Приказ не датируется воскресеньем")

    monkeypatch.setattr(approval, "GUARDS", [*approval.GUARDS, no_orders_on_sunday])
    with in_agency(app, aid) as agency, pytest.raises(ReviewError, match="воскресеньем"):
        approve_list(
            agency, db.session.get(User, registrar), order_number="1", order_date=date(2025, 1, 5)
        )


# --------------------------------------------------------------------------- procedures


def test_forms_declare_their_procedure_and_the_findings_cite_it(seeded):
    app = seeded
    cited = {}
    for slug in ("murmansk-tourism", "kuzbass-emergencies"):
        aid = agency_id_of(app, slug)
        with in_agency(app, aid) as agency:
            cited[slug] = agency.form["procedure"]["code"]
            area = next(f for f in check(agency).errors if f.rule == "area")
            assert area.clause and area.clause == procedures.clause(
                agency.form["procedure"], "area"
            )
    assert cited == {"murmansk-tourism": "murmansk-21", "kuzbass-emergencies": "kuzbass-134"}
    assert procedures.clause(procedures.PROCEDURES["kuzbass-134"], "area") == "п. 3.5 Порядка"


def test_an_agencys_own_mapping_changes_clauses_and_norms(seeded, make_user):
    """The shape issue 12 builds on: a form's procedure is data, clauses and limits included."""
    app = seeded
    aid = agency_id_of(app, "kuzbass-emergencies")
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    add_included(app, aid, registrar, [data(form, code="reception", waiting_minutes=20)])
    with in_agency(app, aid) as agency:
        before = [f for f in check(agency).findings if f.rule == "norm_waiting"]
        assert [(f.level, f.clause) for f in before] == [("error", "п. 4.2.7 ж Порядка")]
        own = copy.deepcopy(agency.form)
        own["procedure"]["code"] = "own-order"
        own["procedure"]["rules"]["norm_waiting"] = {"clause": "п. 7 приказа № 5", "limit": 30}
        agency.form = own
        db.session.commit()
    with in_agency(app, aid) as agency:
        assert not [f for f in check(agency).findings if f.rule == "norm_waiting"]
        own = copy.deepcopy(agency.form)
        own["procedure"]["rules"]["norm_waiting"]["limit"] = 10
        agency.form = own
        db.session.commit()
    with in_agency(app, aid) as agency:
        [finding] = [f for f in check(agency).findings if f.rule == "norm_waiting"]
        assert finding.clause == "п. 7 приказа № 5"
        assert "больше 10 мин" in finding.message


def test_a_form_naming_an_unknown_procedure_is_refused(tmp_path, app):
    import shutil

    from touchpoints.tenants.loader import DefinitionError, load

    shutil.copytree(app.config["TENANTS_DIR"], tmp_path / "tenants")
    path = tmp_path / "tenants" / "forms" / "kuzbass-3.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("procedure: kuzbass-134", "procedure: kuzbass"),
        encoding="utf-8",
    )
    with pytest.raises(DefinitionError) as exc:
        load(tmp_path / "tenants")
    assert any(
        f.endswith("kuzbass-3.yaml") and field == "procedure" and "неизвестный порядок" in msg
        for f, field, msg in exc.value.problems
    ), exc.value.problems
