"""The review path end to end through the pages, for both seed forms (Murmansk 2.2 / 2.2.4,
Kuzbass 3.3 / 3.4): draft, submit, return with a comment, include, change and exclusion
proposals, the self-approval rule, and two people saving the same entry."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from conftest import login
from lists_support import agency_id_of, entry_state, form_post, in_agency

from touchpoints.audit.models import AuditEvent
from touchpoints.auth.roles import Role
from touchpoints.core.db import db
from touchpoints.core.tenancy import Agency
from touchpoints.lists.models import Entry

SEEDS = {
    # slug: (editor subdivision, a catalogue touchpoint, a process name)
    "murmansk-tourism": ("tourism-dev", "portal", "Аттестация экскурсоводов (гидов)"),
    "kuzbass-emergencies": ("civil-defence", "site", "Информирование населения о ЧС"),
}


def _form(app, agency_id):
    with in_agency(app, agency_id) as agency:
        return agency.form


def _new_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return int(re.search(r"/list/entries/(\d+)", response.headers["Location"]).group(1))


@pytest.mark.parametrize("slug", sorted(SEEDS))
def test_review_path_end_to_end(seeded, make_user, slug):
    app = seeded
    sub_code, tp_code, process = SEEDS[slug]
    aid = agency_id_of(app, slug)
    form = _form(app, aid)
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    editor = make_user(Role.EDITOR, agency_id=aid, subdivision_code=sub_code)
    ed, reg = app.test_client(), app.test_client()
    login(ed, app, editor)
    login(reg, app, registrar)

    # The editor drafts an entry and submits it.
    page = ed.get("/list/entries/new").get_data(as_text=True)
    for column in form["columns"]:
        assert column["label"] in page  # labels of the agency's own form
    r = ed.post(
        "/list/entries/new",
        data=form_post(
            form,
            process_name=process,
            touchpoint_code=tp_code,
            client_needs=["info", "consultation"],
            interaction="Размещение сведений",
            action="submit",
        ),
    )
    eid = _new_id(r)
    assert entry_state(app, aid, eid)["status"] == "submitted"
    assert process in reg.get("/list/review?queue=waiting").get_data(as_text=True)

    # The editor cannot include (2.2.3 / 3.3: the registrar does).
    assert ed.post(f"/list/entries/{eid}/include").status_code == 403

    # Returned with a comment, seen by the editor in "returned to me".
    assert reg.post(f"/list/entries/{eid}/return", data={"comment": ""}).status_code == 302
    assert entry_state(app, aid, eid)["status"] == "submitted"  # no comment, no return
    reg.post(f"/list/entries/{eid}/return", data={"comment": "Уточните взаимодействие"})
    assert entry_state(app, aid, eid)["status"] == "returned"
    returned = ed.get("/list/review?queue=returned").get_data(as_text=True)
    assert "Уточните взаимодействие" in returned

    # Fixed and resubmitted, then included.
    revision = entry_state(app, aid, eid)["revision"]
    r = ed.post(
        f"/list/entries/{eid}/edit",
        data=form_post(
            form,
            process_name=process,
            touchpoint_code=tp_code,
            client_needs=["info", "consultation"],
            interaction="Размещение сведений и форм документов",
            revision=revision,
            action="submit",
        ),
    )
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    assert entry_state(app, aid, eid)["status"] == "submitted"
    r = reg.post(f"/list/entries/{eid}/include", data={"comment": "Проверено"})
    assert r.status_code == 302
    state = entry_state(app, aid, eid)
    assert state["status"] == "included"
    assert state["interaction"] == "Размещение сведений и форм документов"
    listing = reg.get("/list/").get_data(as_text=True)
    assert "Размещение сведений и форм документов" in listing

    # A change to an included entry is a proposal; the row stays as it was until included.
    r = ed.post(
        f"/list/entries/{eid}/edit",
        data=form_post(
            form,
            process_name=process,
            touchpoint_code=tp_code,
            client_needs=["info", "consultation", "forms"],
            interaction="Размещение сведений и форм документов",
            revision=entry_state(app, aid, eid)["revision"],
            action="submit",
        ),
    )
    change_id = _new_id(r)
    assert change_id != eid
    assert entry_state(app, aid, eid)["client_needs"] == ["info", "consultation"]
    assert entry_state(app, aid, change_id)["status"] == "submitted"
    reg.post(f"/list/entries/{change_id}/include")
    assert entry_state(app, aid, eid)["client_needs"] == ["info", "consultation", "forms"]
    assert entry_state(app, aid, change_id)["status"] == "applied"

    # An exclusion needs its reason and follows the same path.
    ed.post(f"/list/entries/{eid}/exclude", data={"reason": ""})
    with in_agency(app, aid):
        assert db.session.scalar(sa.select(sa.func.count()).where(Entry.target_id == eid)) == 1
    r = ed.post(f"/list/entries/{eid}/exclude", data={"reason": "Точка больше не используется"})
    exclusion_id = _new_id(r)
    assert entry_state(app, aid, eid)["status"] == "included"
    reg.post(f"/list/entries/{exclusion_id}/include")
    assert entry_state(app, aid, eid)["status"] == "excluded"
    assert "Размещение сведений и форм документов" not in reg.get("/list/").get_data(as_text=True)

    # The entry's history names every step.
    history = reg.get(f"/list/entries/{eid}").get_data(as_text=True)
    for label in ("Отправлена на проверку", "Возвращена на доработку", "Внесено изменение"):
        assert label in history
    assert "Исключена из перечня" in history


def test_self_approval_only_for_a_registrar_acting_alone(seeded, make_user):
    app = seeded
    aid = agency_id_of(app, "kuzbass-emergencies")
    form = _form(app, aid)
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    client = app.test_client()
    login(client, app, registrar)
    post = form_post(form, touchpoint_code="site", interaction="Новости", action="submit")

    # Alone: may include their own entry, and it is recorded.
    eid = _new_id(client.post("/list/entries/new", data=post))
    client.post(f"/list/entries/{eid}/include")
    assert entry_state(app, aid, eid)["status"] == "included"
    with in_agency(app, aid):
        comments = db.session.scalars(
            sa.select(AuditEvent.comment).where(
                AuditEvent.object_id == str(eid), AuditEvent.action == "entry.review.include"
            )
        ).all()
    assert any("единолично" in (c or "") for c in comments)

    # With a second registrar the other one must include it.
    other = make_user(Role.REGISTRAR, agency_id=aid)
    eid2 = _new_id(client.post("/list/entries/new", data=post))
    r = client.post(f"/list/entries/{eid2}/include", follow_redirects=True)
    assert "другое уполномоченное лицо" in r.get_data(as_text=True)
    assert entry_state(app, aid, eid2)["status"] == "submitted"
    second = app.test_client()
    login(second, app, other)
    second.post(f"/list/entries/{eid2}/include")
    assert entry_state(app, aid, eid2)["status"] == "included"


@pytest.mark.parametrize("slug", sorted(SEEDS))
def test_second_save_is_refused_with_both_versions(seeded, make_user, slug):
    app = seeded
    _sub_code, tp_code, process = SEEDS[slug]
    aid = agency_id_of(app, slug)
    form = _form(app, aid)
    first, second = app.test_client(), app.test_client()
    login(first, app, make_user(Role.REGISTRAR, agency_id=aid))
    login(second, app, make_user(Role.REGISTRAR, agency_id=aid))
    base = dict(process_name=process, touchpoint_code=tp_code, interaction="Исходный текст")
    eid = _new_id(first.post("/list/entries/new", data=form_post(form, **base)))
    revision = entry_state(app, aid, eid)["revision"]

    # Both opened the same revision; the first save wins.
    assert first.get(f"/list/entries/{eid}/edit").status_code == 200
    assert second.get(f"/list/entries/{eid}/edit").status_code == 200
    r = first.post(
        f"/list/entries/{eid}/edit",
        data=form_post(form, **{**base, "interaction": "Текст первого"}, revision=revision),
    )
    assert r.status_code == 302
    r = second.post(
        f"/list/entries/{eid}/edit",
        data=form_post(form, **{**base, "interaction": "Текст второго"}, revision=revision),
    )
    assert r.status_code == 409
    body = r.get_data(as_text=True)
    assert "Текст первого" in body and "Текст второго" in body  # both, side by side
    # The form keeps what the second person typed.
    assert re.search(r'<textarea[^>]*name="interaction"[^>]*>\s*Текст второго</textarea>', body)
    state = entry_state(app, aid, eid)
    assert state["interaction"] == "Текст первого"  # nothing overwritten
    assert state["revision"] == revision + 1

    # Saving again after seeing the conflict is a deliberate choice and goes through.
    r = second.post(
        f"/list/entries/{eid}/edit",
        data=form_post(form, **{**base, "interaction": "Текст второго"}, revision=revision + 1),
    )
    assert r.status_code == 302
    assert entry_state(app, aid, eid)["interaction"] == "Текст второго"


def test_change_proposal_is_refused_after_the_row_changed(seeded, make_user):
    app = seeded
    aid = agency_id_of(app, "murmansk-tourism")
    form = _form(app, aid)
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    editor = make_user(Role.EDITOR, agency_id=aid, subdivision_code="tourism-dev")
    reg, ed = app.test_client(), app.test_client()
    login(reg, app, registrar)
    login(ed, app, editor)
    with in_agency(app, aid):
        from touchpoints.core.tenancy import Subdivision

        sub = db.session.scalar(
            sa.select(Subdivision.id).where(
                Subdivision.agency_id == aid, Subdivision.code == "tourism-dev"
            )
        )
    base = dict(process_name="Реестр гидов", touchpoint_code="portal", interaction="Публикация")
    eid = _new_id(
        reg.post(
            "/list/entries/new", data=form_post(form, **base, subdivision_id=sub, action="include")
        )
    )
    revision = entry_state(app, aid, eid)["revision"]
    proposal = _new_id(
        ed.post(
            f"/list/entries/{eid}/edit",
            data=form_post(
                form, **{**base, "specifics": "Ежедневно"}, revision=revision, action="submit"
            ),
        )
    )
    reg.post(
        f"/list/entries/{eid}/edit",
        data=form_post(
            form,
            **{**base, "interaction": "Публикация реестра"},
            revision=revision,
            subdivision_id=sub,
        ),
    )
    r = reg.post(f"/list/entries/{proposal}/include", follow_redirects=True)
    assert "изменена после подготовки предложения" in r.get_data(as_text=True)
    assert entry_state(app, aid, eid)["interaction"] == "Публикация реестра"
    assert entry_state(app, aid, proposal)["status"] == "submitted"

    # A proposal prepared on a row that changed while the form was open is refused at once,
    # with both versions shown; no proposal is created.
    ed.post(f"/list/entries/{proposal}/withdraw")
    r = ed.post(
        f"/list/entries/{eid}/edit",
        data=form_post(form, **{**base, "specifics": "По будням"}, revision=revision),
    )
    assert r.status_code == 409
    body = r.get_data(as_text=True)
    assert "Публикация реестра" in body and "По будням" in body
    with in_agency(app, aid):
        open_ = db.session.scalar(
            sa.select(sa.func.count()).where(
                Entry.target_id == eid, Entry.status.in_(("draft", "submitted"))
            )
        )
    assert open_ == 0


def test_permissions(seeded, make_user, make_region):
    app = seeded
    aid = agency_id_of(app, "murmansk-tourism")
    form = _form(app, aid)
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    reg = app.test_client()
    login(reg, app, registrar)
    eid = _new_id(
        reg.post(
            "/list/entries/new",
            data=form_post(form, process_name="П", touchpoint_code="portal", interaction="В"),
        )
    )

    viewer = app.test_client()
    login(viewer, app, make_user(Role.VIEWER, agency_id=aid))
    assert viewer.get("/list/").status_code == 200
    assert viewer.get(f"/list/entries/{eid}").status_code == 200
    assert viewer.get("/list/entries/new").status_code == 403
    assert viewer.get(f"/list/entries/{eid}/edit").status_code == 403
    assert viewer.post(f"/list/entries/{eid}/submit").status_code == 403
    assert viewer.post("/list/approve", data={"order_number": "1"}).status_code == 403

    with in_agency(app, aid) as agency:
        region_id = agency.region_id
    office = app.test_client()
    login(office, app, make_user(Role.OFFICE, region_id=region_id))
    assert office.get("/agencies/murmansk-tourism/list").status_code == 200
    check_page = office.get("/agencies/murmansk-tourism/check")
    assert check_page.status_code == 200
    assert "/list/areas" not in check_page.get_data(as_text=True)  # nothing to mark
    assert office.get("/agencies/murmansk-tourism/versions/").status_code == 200
    assert office.post("/list/areas", data={"area_code": "control"}).status_code == 403
    assert office.get("/list/").status_code == 403
    assert office.post("/list/entries/new", data={}).status_code == 403
    assert office.post(f"/list/entries/{eid}/include").status_code == 403
    # Another region's office does not see the agency at all.
    stranger = app.test_client()
    login(stranger, app, make_user(Role.OFFICE, region_id=make_region()))
    assert stranger.get("/agencies/murmansk-tourism/list").status_code == 404

    # Another agency's registrar gets 404 for this agency's entry.
    other = agency_id_of(app, "kuzbass-emergencies")
    outsider = app.test_client()
    login(outsider, app, make_user(Role.REGISTRAR, agency_id=other))
    assert outsider.get(f"/list/entries/{eid}").status_code == 404
    assert outsider.post(f"/list/entries/{eid}/include").status_code == 404
    assert entry_state(app, aid, eid)["status"] == "draft"


def test_registrar_who_rewrote_a_submission_cannot_include_it(app, seeded, make_user, login_as):
    """Editing someone's submitted entry makes the registrar its author (four eyes, 2.2 / 3.3)."""
    import sqlalchemy as sa

    from touchpoints.auth.models import User
    from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, scoped
    from touchpoints.core.tenancy import Agency
    from touchpoints.lists import services

    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.scalar(sa.select(Agency).where(Agency.slug == "murmansk-tourism"))
        agency_id = agency.id
    first = make_user("registrar", agency_id=agency_id)
    second = make_user("registrar", agency_id=agency_id)
    editor = make_user("editor", agency_id=agency_id)
    with app.app_context(), scoped(agency_scope(agency_id)):
        agency = db.session.get(Agency, agency_id)
        ed, r1, r2 = (db.session.get(User, i) for i in (editor, first, second))
        entry = services.create_entry(
            agency,
            ed,
            {
                "activity_area": "services",
                "process_name": "Аттестация экскурсоводов",
                "touchpoint_code": "portal",
                "client_needs": ["info"],
                "interaction": "Размещение порядка",
            },
        )
        services.submit(entry, ed)
        db.session.commit()
        services.update_entry(
            entry, r1, {"interaction": "Переписано уполномоченным"}, entry.revision
        )
        db.session.commit()
        with pytest.raises(services.ReviewError, match="другое уполномоченное лицо"):
            services.include(entry, r1)
        db.session.rollback()
        services.include(db.session.get(type(entry), entry.id), r2)
        db.session.commit()


def test_messages_say_what_happened_and_the_queue_moves_on(app, make_agency, make_user):
    """Issue 13: «Исключение оформлено.» after only proposing, «Сведения включены» after an
    exclusion; and «next in queue» after including or returning."""
    from lists_support import add_included, data, subdivision_ids

    from touchpoints.auth.models import User
    from touchpoints.lists import services

    aid = make_agency()
    reg = make_user(Role.REGISTRAR, agency_id=aid)
    make_user(Role.REGISTRAR, agency_id=aid)  # two registrars: proposals wait for review
    editor = make_user(Role.EDITOR, agency_id=aid)
    with in_agency(app, aid) as agency:
        form = agency.form
    sub = subdivision_ids(app, aid)[0]  # the editor's own
    (target,) = add_included(app, aid, reg, [data(form, process="А", subdivision_id=sub)])
    ed, rg = app.test_client(), app.test_client()
    login(ed, app, editor)
    login(rg, app, reg)

    r = ed.post(
        f"/list/entries/{target}/exclude", data={"reason": "Не оказываем"}, follow_redirects=True
    )
    body = r.get_data(as_text=True)
    assert "Предложение об исключении отправлено на проверку" in body
    assert "Исключение оформлено" not in body
    with in_agency(app, aid):
        proposal = db.session.scalar(sa.select(Entry.id).where(Entry.target_id == target))
        user = db.session.get(User, editor)
        second = services.create_entry(db.session.get(Agency, aid), user, data(form, process="В"))
        services.submit(second, user)
        db.session.commit()
        second_id = second.id

    r = rg.post(f"/list/entries/{proposal}/include")
    assert r.headers["Location"].endswith(f"/list/entries/{second_id}")
    body = rg.get(r.headers["Location"]).get_data(as_text=True)
    assert "Строка исключена из перечня." in body and "Сведения включены" not in body
    assert "следующая строка из очереди" in body
    r = rg.post(f"/list/entries/{second_id}/return", data={"comment": "Уточните"})
    assert r.headers["Location"].endswith("/list/review")
    assert "Очередь проверки пуста" in rg.get("/list/review").get_data(as_text=True)
