"""A changed e-mail waits for its mailbox (issue 14, item 5: no account enumeration across
agencies). The editor hears the same words whatever the address; the link mailed to the new
address (read from a real SMTP server on loopback) applies it if it is free, or tells the owner
of that mailbox that it cannot be used; the person keeps the old address until then."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from test_onboarding import mail_app, mail_to, sign_in, text_of  # noqa: F401

from touchpoints.audit.models import AuditEvent
from touchpoints.auth.models import EMAIL_REFUSED, User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped, utcnow
from touchpoints.users import email_change
from touchpoints.users.email_change import EmailChange


def link_in(msg) -> str:
    body = msg.get_body(("plain",)).get_content()
    match = re.search(r"https://reestr\.example\.gov\.ru(/users/email/[A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


def edit(client, user_id: int, email: str, name: str = "Коллега"):
    return client.post(
        f"/users/{user_id}/edit", data={"email": email, "name": name, "role": "viewer"}
    )


def said_after(client, response) -> str:
    """The words the editor reads after saving (the page the form redirects to)."""
    assert response.status_code == 302, text_of(response)[:600]
    return text_of(client.get(response.headers["Location"]))


def email_of(app, user_id: int) -> str:
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return db.session.get(User, user_id).email


def audit_count(app, user_id: int) -> int:
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return db.session.scalar(
            sa.select(sa.func.count(AuditEvent.id)).where(
                AuditEvent.object_type == "user_account", AuditEvent.object_id == str(user_id)
            )
        )


def test_a_changed_email_waits_for_its_mailbox(mail_app, make_agency, make_user):  # noqa: F811
    app, inbox = mail_app
    mine, theirs = make_agency("mine-mail"), make_agency("theirs-mail")
    foreign = make_user(Role.VIEWER, agency_id=theirs, email="taken@example.org")
    first = make_user(Role.VIEWER, agency_id=mine, email="first@example.org", name="Коллега")
    second = make_user(Role.VIEWER, agency_id=mine, email="second@example.org", name="Коллега")
    make_user(Role.REGISTRAR, agency_id=mine, email="reg@mine.example")
    editor = sign_in(app.test_client(), "reg@mine.example")

    # Another agency's login and a free address: the same words, nothing applied yet.
    taken = said_after(editor, edit(editor, first, "Taken@Example.org"))
    free = said_after(editor, edit(editor, second, "new@example.org"))
    assert "уже есть" not in taken and "нельзя" not in taken
    assert taken.replace("taken@example.org", "X") == free.replace("new@example.org", "X")
    assert "отправлено письмо со ссылкой" in free and "по прежнему адресу" in free
    assert (email_of(app, first), email_of(app, second)) == (
        "first@example.org",
        "second@example.org",
    )
    page = text_of(editor.get(f"/users/{second}/edit"))
    assert "Ждёт подтверждения: new@example.org" in page
    # One's own colleague's address is refused, as the editor sees that person anyway.
    r = edit(editor, second, "first@example.org")
    assert r.status_code == 200 and EMAIL_REFUSED in text_of(r)

    to_taken, to_free = mail_to(inbox, "taken@example.org"), mail_to(inbox, "new@example.org")
    assert to_free["Subject"] == "Подтвердите адрес для входа в реестр перечней"
    body = to_free.get_body(("plain",)).get_content()
    assert "Здравствуйте, Коллега!" in body and "действует 3 дня" in body
    assert not [m for rcpts, m in inbox.messages if "second@example.org" in rcpts]
    free_link, taken_link = link_in(to_free), link_in(to_taken)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        stored = set(db.session.scalars(sa.select(EmailChange.token_hash)))
    assert free_link.rsplit("/", 1)[1] not in stored and len(stored) == 2

    # The free address: a GET only asks (mail scanners open links); the POST applies it.
    visitor = app.test_client()
    r = visitor.get(free_link)
    assert r.status_code == 200 and "new@example.org" in text_of(r)
    assert email_of(app, second) == "second@example.org"
    r = visitor.post(free_link)
    assert r.status_code == 200 and "Адрес подтверждён" in text_of(r)
    assert email_of(app, second) == "new@example.org"
    sign_in(app.test_client(), "new@example.org")
    used = app.test_client().get(free_link)
    assert used.status_code == 410 and email_change.USED_LINK in text_of(used)

    # The taken address: its mailbox's owner is told; nothing changes, nothing is recorded
    # that the editor could read, and the editor's page reads as for an unanswered link.
    events = audit_count(app, first)
    r = app.test_client().post(taken_link)
    assert r.status_code == 200 and email_change.REFUSED in text_of(r)
    assert email_of(app, first) == "first@example.org"
    assert email_of(app, foreign) == "taken@example.org"
    assert audit_count(app, first) == events
    assert "Ждёт подтверждения: taken@example.org" in text_of(editor.get(f"/users/{first}/edit"))
    sign_in(app.test_client(), "first@example.org")

    # A newer request kills the older link; an expired or forged link says so.
    said_after(editor, edit(editor, first, "later@example.org"))
    assert app.test_client().get(taken_link).status_code == 404
    later = link_in(mail_to(inbox, "later@example.org"))
    with app.app_context(), scoped(SYSTEM_SCOPE):
        db.session.execute(
            sa.update(EmailChange).values(expires_at=utcnow() - timedelta(minutes=1))
        )
        db.session.commit()
    expired = app.test_client().post(later)
    assert expired.status_code == 410 and email_change.EXPIRED_LINK in text_of(expired)
    assert email_of(app, first) == "first@example.org"
    forged = app.test_client().get("/users/email/not-a-token")
    assert forged.status_code == 404 and email_change.FORGED_LINK in text_of(forged)


def test_the_operator_changes_an_office_address_the_same_way(
    mail_app,  # noqa: F811
    make_region,
    make_user,
):
    """People without an agency are changed by the operator; the link works for them too."""
    app, inbox = mail_app
    office = make_user(Role.OFFICE, region_id=make_region(), email="office@example.org")
    make_user(Role.ADMIN, email="admin@mail.example")
    admin = sign_in(app.test_client(), "admin@mail.example")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        region_id = db.session.get(User, office).region_id
    r = admin.post(
        f"/users/{office}/edit",
        data={"email": "office2@example.org", "name": "Офис", "role": "office",
              "region_id": region_id, "agency_id": 0, "subdivision_id": 0},
    )  # fmt: skip
    said_after(admin, r)
    link = link_in(mail_to(inbox, "office2@example.org"))
    assert email_of(app, office) == "office@example.org"
    r = app.test_client().post(link)
    assert "Адрес подтверждён" in text_of(r)
    assert email_of(app, office) == "office2@example.org"
