"""Approval guarded against typos, and a mistaken approval annulled with a reason (issue 13)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from lists_support import add_included, approve_list, data, in_agency

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import db, scoped
from touchpoints.lists import annulments
from touchpoints.lists.approval_guard import agency_today, normalise_number
from touchpoints.lists.errors import ReviewError
from touchpoints.lists.models import ListVersion


@pytest.fixture
def ready(app, make_agency, make_user):
    aid = make_agency()
    reg = make_user(Role.REGISTRAR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    add_included(app, aid, reg, [data(form, process="Первый процесс")])
    return aid, reg


def _approve(app, aid, reg, number, day):
    with in_agency(app, aid) as agency:
        version = approve_list(
            agency, db.session.get(User, reg), order_number=number, order_date=day
        )
        db.session.commit()
        return version.number


def _today(app, aid):
    with in_agency(app, aid) as agency:
        return agency_today(agency)


def _change(app, aid, reg, process):
    with in_agency(app, aid) as agency:
        form = agency.form
    add_included(app, aid, reg, [data(form, process=process)])


def test_order_date_in_the_future_is_refused(app, ready):
    aid, reg = ready
    with pytest.raises(ReviewError, match="позже сегодняшней"):
        _approve(app, aid, reg, "21", date(2027, 12, 31))
    with pytest.raises(ReviewError, match="позже сегодняшней"):
        _approve(app, aid, reg, "21", _today(app, aid) + timedelta(days=1))
    assert _approve(app, aid, reg, "21", _today(app, aid)) == 1


def test_allowance_is_configurable(app, ready):
    aid, reg = ready
    app.config["ORDER_DATE_ALLOWANCE_DAYS"] = 2
    try:
        assert _approve(app, aid, reg, "21", _today(app, aid) + timedelta(days=2)) == 1
    finally:
        app.config["ORDER_DATE_ALLOWANCE_DAYS"] = 0


def test_date_before_previous_order_and_repeated_number_are_refused(app, ready):
    aid, reg = ready
    today = _today(app, aid)
    _approve(app, aid, reg, "21-п", today - timedelta(days=10))
    _change(app, aid, reg, "Второй процесс")
    with pytest.raises(ReviewError, match="раньше приказа предыдущей редакции № 1"):
        _approve(app, aid, reg, "30", today - timedelta(days=11))
    with pytest.raises(ReviewError, match="уже утвердил редакцию № 1"):
        _approve(app, aid, reg, "№ 21-П", today)
    assert _approve(app, aid, reg, "30", today) == 2


def test_normalised_numbers():
    assert normalise_number("№ 21-п") == normalise_number(" 21 - П ") == "21-п"
    assert normalise_number("21") != normalise_number("121")


def test_annulment_makes_the_previous_version_current_and_allows_approving_again(
    app, ready, make_user
):
    aid, reg = ready
    today = _today(app, aid)
    _approve(app, aid, reg, "21", today - timedelta(days=5))
    _change(app, aid, reg, "Второй процесс")
    _approve(app, aid, reg, "22", today)
    with in_agency(app, aid) as agency:
        user = db.session.get(User, reg)
        v1 = annulments.version_by_number(aid, 1)
        with pytest.raises(ReviewError, match="только действующую редакцию"):
            annulments.annul(agency, v1, user, "Опечатка в дате приказа")
        v2 = annulments.version_by_number(aid, 2)
        with pytest.raises(ReviewError, match="причину"):
            annulments.annul(agency, v2, user, "ошибка")
        annulments.annul(agency, v2, user, "Опечатка в номере приказа")
        db.session.commit()
    with app.app_context(), scoped(public_scope()):
        current = ListVersion.latest(aid)
        assert current.number == 1
        assert ListVersion.latest_of([aid])[aid].number == 1
    # The annulled order's number is free again; the list is approved as № 3.
    assert _approve(app, aid, reg, "22", today) == 3
    with app.app_context(), scoped(public_scope()):
        assert ListVersion.latest(aid).number == 3


def public_scope():
    from touchpoints.core.db import Scope

    return Scope("public")


def test_annulment_from_the_version_page(app, ready, login_as):
    aid, reg = ready
    _approve(app, aid, reg, "21", _today(app, aid))
    client = login_as(reg)
    page = client.get("/list/versions/1").get_data(as_text=True)
    assert "Аннулировать ошибочное утверждение" in page
    r = client.post("/list/versions/1/annul", data={"reason": "Дата приказа с опечаткой"})
    assert r.status_code == 302
    page = client.get("/list/versions/1").get_data(as_text=True)
    assert "Утверждение этой редакции аннулировано" in page
    assert "Причина: Дата приказа с опечаткой" in page
    assert "аннулирована" in client.get("/list/versions/").get_data(as_text=True)
    approve = client.get("/list/approve").get_data(as_text=True)
    assert "приказом № {order_number} от {order_date}" in approve


def test_annulment_reason_is_at_most_what_the_page_allows(app, ready, login_as):
    """Issue 14: free text has a limit on the server too (the field's maxlength is 2000)."""
    aid, reg = ready
    _approve(app, aid, reg, "21", _today(app, aid))
    client = login_as(reg)
    r = client.post("/list/versions/1/annul", data={"reason": "я" * 2001}, follow_redirects=True)
    assert "не длиннее 2000 знаков" in r.get_data(as_text=True)
    with in_agency(app, aid) as agency:
        assert annulments.current_in_force(agency.id).number == 1
