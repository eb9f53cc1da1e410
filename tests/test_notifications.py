"""Notices at the event (issue 13): recorded in the deciding transaction, mailed after commit,
once; each person's choice per kind; mandatory kinds cannot be turned off."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from lists_support import add_included, approve_list, data, in_agency

from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped, utcnow
from touchpoints.core.tenancy import Agency, Region
from touchpoints.lists import services
from touchpoints.lists.models import Entry
from touchpoints.mail.models import MailMessage
from touchpoints.notifications import service as notices
from touchpoints.notifications.models import Notification


def _people(app, make_agency, make_user, make_region):
    region = make_region()
    aid = make_agency(region_id=region)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        db.session.get(Agency, aid).short_name = "Комитет по туризму"
        db.session.get(Region, region).office_email = "Office@region.example.org"
        db.session.commit()
    return {
        "agency": aid,
        "registrar": make_user(Role.REGISTRAR, agency_id=aid, email="reg@example.org"),
        "editor": make_user(Role.EDITOR, agency_id=aid, email="ed@example.org"),
        "office": make_user(Role.OFFICE, region_id=region, email="po@example.org"),
    }


def _mail(app):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return [
            (m.recipient, m.subject, m.body_text)
            for m in db.session.scalars(sa.select(MailMessage).order_by(MailMessage.id))
        ]


def _submit_draft(app, p, process="Выдача разрешений"):
    with in_agency(app, p["agency"]) as agency:
        editor = db.session.get(User, p["editor"])
        entry = services.create_entry(agency, editor, data(agency.form, process=process))
        services.submit(entry, editor)
        db.session.commit()
        return entry.id


def test_submission_return_and_inclusion_reach_the_right_people(
    app, make_agency, make_user, make_region
):
    p = _people(app, make_agency, make_user, make_region)
    entry_id = _submit_draft(app, p)
    mail = _mail(app)
    assert [(r, s) for r, s, _ in mail] == [
        ("reg@example.org", "Комитет по туризму: строка отправлена на проверку")
    ]
    assert "«Выдача разрешений»" in mail[0][2] and "/list/entries/" in mail[0][2]

    with in_agency(app, p["agency"]):
        registrar = db.session.get(User, p["registrar"])
        services.return_entry(db.session.get(Entry, entry_id), registrar, "Уточните канал")
        db.session.commit()
    recipient, subject, body = _mail(app)[-1]
    assert recipient == "ed@example.org"
    assert subject == "Комитет по туризму: строка возвращена на доработку"
    assert "Что исправить: Уточните канал" in body

    with in_agency(app, p["agency"]):
        editor = db.session.get(User, p["editor"])
        services.submit(db.session.get(Entry, entry_id), editor)
        db.session.commit()
    with in_agency(app, p["agency"]):
        registrar = db.session.get(User, p["registrar"])
        services.include(db.session.get(Entry, entry_id), registrar)
        db.session.commit()
    subjects = [(r, s) for r, s, _ in _mail(app)]
    assert subjects[-1] == ("ed@example.org", "Комитет по туризму: строка включена в перечень")
    # The second submission is a new event: told again, once.
    assert (
        subjects.count(("reg@example.org", "Комитет по туризму: строка отправлена на проверку"))
        == 2
    )
    assert len(subjects) == 4


def test_exclusion_is_told_to_its_author(app, make_agency, make_user, make_region):
    p = _people(app, make_agency, make_user, make_region)
    with in_agency(app, p["agency"]) as agency:
        form = agency.form
    (target,) = add_included(app, p["agency"], p["editor"], [data(form, process="Экскурсии")])
    with in_agency(app, p["agency"]):
        editor = db.session.get(User, p["editor"])
        proposal = services.propose_exclusion(db.session.get(Entry, target), editor, "Не оказываем")
        services.submit(proposal, editor)
        db.session.commit()
        pid = proposal.id
    with in_agency(app, p["agency"]):
        services.include(db.session.get(Entry, pid), db.session.get(User, p["registrar"]))
        db.session.commit()
    assert _mail(app)[-1][:2] == (
        "ed@example.org",
        "Комитет по туризму: строка исключена из перечня",
    )


def test_a_rolled_back_decision_sends_nothing(app, make_agency, make_user, make_region):
    p = _people(app, make_agency, make_user, make_region)
    with in_agency(app, p["agency"]) as agency:
        editor = db.session.get(User, p["editor"])
        entry = services.create_entry(agency, editor, data(agency.form))
        services.submit(entry, editor)
        db.session.rollback()
    app.extensions["inprocess_jobs"].wait()
    assert _mail(app) == []
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_digest_choice_and_mandatory_kinds(app, make_agency, make_user, make_region):
    p = _people(app, make_agency, make_user, make_region)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        editor = db.session.get(User, p["editor"])
        registrar = db.session.get(User, p["registrar"])
        # "Off" for a return is refused (Murmansk 5.3 / Kuzbass 5.4); "digest" is taken.
        notices.set_modes(editor, {"entry_returned": "off", "entry_included": "digest"})
        notices.set_modes(registrar, {"entry_submitted": "digest"})
        db.session.commit()
        modes = notices.modes_for(p["editor"])
        assert modes["entry_returned"] == "now" and modes["entry_included"] == "digest"
    _submit_draft(app, p)
    assert _mail(app) == []  # the registrar chose the digest
    with app.app_context(), scoped(SYSTEM_SCOPE):
        (note,) = db.session.scalars(sa.select(Notification)).all()
        assert (note.recipient, note.status) == ("reg@example.org", "pending")
        assert notices.pending_recipients() == [("reg@example.org", p["agency"])]


def test_approval_goes_to_editors_and_office_in_the_digest_by_default(
    app, make_agency, make_user, make_region
):
    p = _people(app, make_agency, make_user, make_region)
    with in_agency(app, p["agency"]) as agency:
        form = agency.form
    add_included(app, p["agency"], p["editor"], [data(form)])
    with in_agency(app, p["agency"]) as agency:
        registrar = db.session.get(User, p["registrar"])
        version = approve_list(
            agency, registrar, order_number="21", order_date=utcnow().date() - timedelta(days=1)
        )
        db.session.commit()
        vid = version.id
    with app.app_context(), scoped(SYSTEM_SCOPE):
        rows = db.session.scalars(
            sa.select(Notification).where(Notification.event_key == f"version_approved:{vid}")
        ).all()
        assert sorted((n.recipient, n.status) for n in rows) == [
            ("ed@example.org", "pending"),
            ("office@region.example.org", "pending"),
            ("po@example.org", "pending"),
        ]
        assert rows[0].subject == "Комитет по туризму: утверждена редакция перечня № 1"


def test_settings_page_saves_choices(app, make_agency, make_user, make_region, login_as):
    p = _people(app, make_agency, make_user, make_region)
    client = login_as(p["editor"])
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Строка возвращена на доработку" in page and "Обязательное" in page
    assert 'name="entry_returned" value="off"' in page and "disabled" in page
    r = client.post("/notifications/", data={"entry_included": "off", "entry_returned": "off"})
    assert r.status_code == 302
    with app.app_context(), scoped(SYSTEM_SCOPE):
        modes = notices.modes_for(p["editor"])
    assert modes["entry_included"] == "off" and modes["entry_returned"] == "now"
