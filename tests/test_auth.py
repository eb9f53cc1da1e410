"""Logging in and out, CSRF, rate limits, `next`, sessions ended by a password change (issue 2)."""

import sqlalchemy as sa

from tests.conftest import PASSWORD, load_demo_data, make_app
from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped


def test_login_logout(client, make_agency, make_user):
    user = make_user(Role.VIEWER, agency_id=make_agency())
    with client.application.app_context(), scoped(SYSTEM_SCOPE):
        email = db.session.get(User, user).email
    r = client.post("/login", data={"email": email.upper(), "password": PASSWORD})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/logout")
    assert client.get("/").status_code == 302


def test_wrong_password_keeps_email_and_says_why(client, make_agency, make_user):
    user = make_user(Role.VIEWER, agency_id=make_agency())
    with client.application.app_context(), scoped(SYSTEM_SCOPE):
        email = db.session.get(User, user).email
    r = client.post("/login", data={"email": email, "password": "wrong"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "Неверная электронная почта или пароль" in body
    assert f'value="{email}"' in body


def test_inactive_user_cannot_log_in(client, app, make_agency, make_user):
    user = make_user(Role.VIEWER, agency_id=make_agency())
    with app.app_context(), scoped(SYSTEM_SCOPE):
        u = db.session.get(User, user)
        u.active = False
        email = u.email
        db.session.commit()
    r = client.post("/login", data={"email": email, "password": PASSWORD})
    assert r.status_code == 200


def test_next_is_followed_only_within_the_site(client, app, make_agency, make_user):
    user = make_user(Role.REGISTRAR, agency_id=make_agency())
    with app.app_context(), scoped(SYSTEM_SCOPE):
        email = db.session.get(User, user).email
    for evil in (
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
    ):
        r = client.post("/login", data={"email": email, "password": PASSWORD, "next": evil})
        assert r.headers["Location"] == "/", evil
        client.post("/logout")
    r = client.post("/login", data={"email": email, "password": PASSWORD, "next": "/users/"})
    assert r.headers["Location"] == "/users/"


def test_password_change_ends_other_sessions(app, make_agency, make_user):
    user = make_user(Role.REGISTRAR, agency_id=make_agency())
    with app.app_context(), scoped(SYSTEM_SCOPE):
        email = db.session.get(User, user).email
    first, second = app.test_client(), app.test_client()
    for c in (first, second):
        assert c.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    new = "a completely new passphrase"
    r = first.post("/account/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert r.status_code == 302
    assert first.get("/").status_code == 200  # the session that changed it goes on
    assert second.get("/").status_code == 302  # the other one is over
    assert second.get("/").headers["Location"].startswith("/login")


def test_password_change_rejects_wrong_current_and_keeps_form(login_as, make_agency, make_user):
    client = login_as(make_user(Role.VIEWER, agency_id=make_agency()))
    r = client.post(
        "/account/password", data={"current": "nope", "new": "x" * 12, "confirm": "x" * 12}
    )
    assert r.status_code == 200
    assert "Текущий пароль указан неверно" in r.get_data(as_text=True)


def test_passwords_are_argon2id(app, make_agency, make_user):
    user = make_user(Role.VIEWER, agency_id=make_agency())
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.get(User, user).password_hash.startswith("$argon2id$")


def test_csrf_is_required_on_forms(migrated, make_agency, make_user):
    app = make_app(migrated, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    r = client.post("/login", data={"email": "a@example.org", "password": "x"})
    assert r.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    assert 'name="csrf_token"' in page


def test_login_attempts_are_rate_limited(migrated):
    app = make_app(migrated, LOGIN_RATE_LIMIT="3 per hour")  # no window can lapse on a slow machine
    client = app.test_client()
    codes = [
        client.post("/login", data={"email": "x@example.org", "password": "bad"}).status_code
        for _ in range(5)
    ]
    assert codes[:3] == [200, 200, 200]
    assert codes[3] == 429
    assert "Слишком много" in client.post(
        "/login", data={"email": "x@example.org", "password": "b"}
    ).get_data(as_text=True)


def test_demo_password_refused_outside_demo(seeded):
    load_demo_data(seeded)
    client = seeded.test_client()
    assert seeded.config["ALLOW_DEMO_PASSWORDS"] is False
    r = client.post("/login", data={"email": "admin@example.org", "password": "demo"})
    assert r.status_code == 200
    seeded.config["ALLOW_DEMO_PASSWORDS"] = True
    r = client.post("/login", data={"email": "admin@example.org", "password": "demo"})
    assert r.status_code == 302


def test_security_headers(client):
    r = client.get("/login")
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY"


def test_unknown_page_is_a_russian_404_with_a_way_back(client):
    r = client.get("/no-such-page")
    assert r.status_code == 404
    body = r.get_data(as_text=True)
    assert "Страница не найдена" in body and "На главную" in body


def test_user_count_is_not_leaked_by_login(app, client):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    r = client.post("/login", data={"email": "nobody@example.org", "password": "x"})
    assert "Неверная электронная почта или пароль" in r.get_data(as_text=True)
