"""The database layer on its own (issue 14, items 1 and 2): SQL run as the application's role,
as an attacker with an SQL injection would, cannot widen its scope or read users and tokens of
other agencies; session tokens are stored hashed."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import APP_ROLE, load_demo_data
from touchpoints.auth.models import LoginSession, User, hash_session_token
from touchpoints.auth.roles import Role
from touchpoints.config import DEMO_SCOPE_KEY
from touchpoints.core.db import (
    SYSTEM_SCOPE,
    Scope,
    agency_scope,
    db,
    push_scope,
    scope_signature,
    scoped,
)
from touchpoints.core.tenancy import Agency
from touchpoints.invitations.models import Invitation
from touchpoints.invitations.services import EMAIL_REFUSED


@pytest.fixture
def demo(seeded):
    load_demo_data(seeded)
    with seeded.app_context(), scoped(SYSTEM_SCOPE):
        ids = dict(db.session.execute(sa.select(Agency.slug, Agency.id)).all())
        region = db.session.scalar(
            sa.select(Agency.region_id).where(Agency.slug == "murmansk-tourism")
        )
    return seeded, ids["murmansk-tourism"], ids["kuzbass-emergencies"], region


@pytest.fixture
def app_conn(migrated):
    engine = sa.create_engine(migrated["app"])
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT current_user")) == APP_ROLE
        yield conn
    engine.dispose()


def _rls_tables(conn) -> list[str]:
    return list(
        conn.scalars(
            sa.text(
                "SELECT relname FROM pg_class WHERE relkind = 'r' AND relrowsecurity "
                "AND relnamespace = 'public'::regnamespace ORDER BY relname"
            )
        )
    )


def _counts(conn, tables) -> dict[str, int]:
    return {t: conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) for t in tables}


def test_every_table_is_under_forced_rls(migrated):
    engine = sa.create_engine(migrated["owner"])
    with engine.connect() as conn:
        rows = dict(
            (name, (enabled, forced))
            for name, enabled, forced in conn.execute(
                sa.text(
                    "SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class "
                    "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
                )
            )
        )
    engine.dispose()
    for table in db.metadata.tables:
        assert rows[table] == (True, True), f"{table} lacks forced RLS"
    for named in ("user_account", "api_token", "reminder_digest", "reminder_policy",
                  "reminder_opt_out", "calendar_override", "agency", "region", "form_template",
                  "login_session"):  # fmt: skip
        assert rows[named] == (True, True), named


def test_set_config_as_the_app_role_widens_nothing(demo, app_conn):
    _app, _mur, kuz, region = demo
    tables = _rls_tables(app_conn)
    # What an injection would try: the old way of saying "everything".
    for kind in ("all", "public", "region"):
        app_conn.execute(
            sa.text(
                "SELECT set_config('app.scope', :k, true), set_config('app.region_id', :r, true),"
                " set_config('app.agency_id', :a, true)"
            ),
            {"k": kind, "r": str(region), "a": str(kuz)},
        )
        assert set(_counts(app_conn, tables).values()) == {0}, kind
        # A made-up signature changes nothing either.
        app_conn.execute(sa.text("SELECT set_config('app.scope_sig', repeat('ab', 32), true)"))
        assert set(_counts(app_conn, tables).values()) == {0}, kind
        app_conn.rollback()
    # A signature made for another connection (a replay) is refused too.
    pid = app_conn.connection.dbapi_connection.info.backend_pid
    forged = scope_signature(DEMO_SCOPE_KEY, SYSTEM_SCOPE, pid + 1)
    app_conn.execute(
        sa.text(
            "SELECT set_config('app.scope', 'all', true), set_config('app.scope_sig', :s, true)"
        ),
        {"s": forged},
    )
    assert app_conn.scalar(sa.text("SELECT count(*) FROM user_account")) == 0
    app_conn.rollback()
    # The policies are not simply "deny": a properly signed scope reads.
    push_scope(app_conn, SYSTEM_SCOPE, key=DEMO_SCOPE_KEY)
    counts = _counts(app_conn, tables)
    assert counts["user_account"] > 0 and counts["entry"] > 0 and counts["agency"] == 2
    app_conn.rollback()


def test_signed_agency_scope_cannot_be_edited_to_another_agency(demo, app_conn):
    _app, mur, kuz, _region = demo
    push_scope(app_conn, agency_scope(mur), key=DEMO_SCOPE_KEY)
    assert app_conn.scalar(sa.text("SELECT count(*) FROM entry")) > 0
    # The injection keeps the signature and changes the agency: nothing at all any more.
    app_conn.execute(sa.text("SELECT set_config('app.agency_id', :a, true)"), {"a": str(kuz)})
    assert app_conn.scalar(sa.text("SELECT count(*) FROM entry")) == 0
    assert app_conn.scalar(sa.text("SELECT count(*) FROM user_account")) == 0
    app_conn.rollback()


def test_the_app_role_cannot_read_the_key(app_conn):
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        app_conn.execute(sa.text("SELECT key FROM app_private.scope_key"))
    app_conn.rollback()
    body = app_conn.scalar(sa.text("SELECT prosrc FROM pg_proc WHERE proname = 'app_scope_valid'"))
    assert DEMO_SCOPE_KEY not in body  # the key is data of the owner, not in the function


def test_users_and_tokens_are_scoped(demo, app_conn):
    _app, mur, kuz, region = demo
    assert app_conn.scalar(sa.text("SELECT count(*) FROM user_account")) == 0  # no scope
    push_scope(app_conn, agency_scope(mur), key=DEMO_SCOPE_KEY)
    agencies = set(app_conn.scalars(sa.text("SELECT agency_id FROM user_account")))
    assert agencies == {mur}
    assert app_conn.scalar(sa.text("SELECT count(*) FROM api_token")) == 0
    assert set(app_conn.scalars(sa.text("SELECT id FROM agency"))) == {mur}
    app_conn.rollback()
    # The project office: its region's agencies and people, no one else's.
    push_scope(app_conn, Scope("region", region_id=region), key=DEMO_SCOPE_KEY)
    seen = set(app_conn.scalars(sa.text("SELECT coalesce(agency_id, 0) FROM user_account")))
    assert mur in seen and kuz not in seen
    app_conn.rollback()


def test_login_lookup_returns_only_what_login_needs(demo, app_conn):
    columns = app_conn.execute(
        sa.text("SELECT * FROM auth_login_lookup('registrar@murmansk-tourism.example.org')")
    )
    assert set(columns.keys()) == {
        "id", "password_hash", "active", "is_demo", "role", "agency_id", "region_id"
    }  # fmt: skip
    assert len(columns.all()) == 1
    app_conn.rollback()


def test_session_tokens_are_stored_hashed_and_logout_ends_them(demo):
    app = demo[0]
    app.config["ALLOW_DEMO_PASSWORDS"] = True
    client = app.test_client()
    email = "viewer@murmansk-tourism.example.org"
    assert client.post("/login", data={"email": email, "password": "demo"}).status_code == 302
    with client.session_transaction() as sess:
        raw = sess["_user_id"]
    with app.app_context(), scoped(SYSTEM_SCOPE):
        hashes = set(db.session.scalars(sa.select(LoginSession.token_hash)))
        assert hash_session_token(raw) in hashes and raw not in hashes
        assert "session_token" not in {c.name for c in User.__table__.columns}
    saved = client.get_cookie("session")
    assert client.get("/list/").status_code == 200
    client.post("/logout")
    # The cookie saved before logging out no longer opens anything.
    other = app.test_client()
    other.set_cookie("session", saved.value)
    response = other.get("/list/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert hash_session_token(raw) not in set(
            db.session.scalars(sa.select(LoginSession.token_hash))
        )


def test_production_refuses_a_missing_or_demo_scope_key():
    from touchpoints.config import ConfigError, build_config

    base = dict(
        SECRET_KEY="s" * 48,
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://u@h/db",
        TRUSTED_HOSTS=["x.example"],
    )
    for key in (None, DEMO_SCOPE_KEY, "short", "s" * 48):
        with pytest.raises(ConfigError, match="SCOPE_KEY"):
            build_config("production", SCOPE_KEY=key, **base)
    build_config("production", SCOPE_KEY="k" * 48, **base)


def test_per_account_lockout_with_backoff(migrated):
    from tests.conftest import make_app

    # A generous per-address limit, so that only the per-account lockout can answer 429.
    app = make_app(migrated, LOGIN_RATE_LIMIT="100 per minute", LOGIN_LOCKOUT_THRESHOLD=3)
    client = app.test_client()
    for _ in range(2):
        r = client.post("/login", data={"email": "Target@example.org", "password": "bad"})
        assert r.status_code == 200
    r = client.post("/login", data={"email": "target@example.org", "password": "bad"})
    assert r.status_code == 429 and "Повторите попытку через 1 мин." in r.get_data(as_text=True)
    # Locked regardless of the password, also from another address; other accounts are not.
    other = app.test_client()
    r = other.post(
        "/login",
        data={"email": "target@example.org", "password": "x"},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert r.status_code == 429
    assert (
        client.post("/login", data={"email": "else@example.org", "password": "x"}).status_code
        == 200
    )
    with app.app_context():
        from touchpoints.auth import lockout

        assert lockout.delay_after(3) == 30 and lockout.delay_after(4) == 60
        assert lockout.delay_after(50) == app.config["LOGIN_LOCKOUT_MAX_SECONDS"]


def test_inviting_another_agencys_address_reveals_nothing(app, make_agency, make_user, login_as):
    """A registrar cannot see other agencies' people, so inviting a foreign address answers as
    for a free one; the clash shows only to the person who opens the link, as the one answer
    that reveals nothing (docs/security.md, "Account enumeration")."""
    from touchpoints.invitations import services as invitations
    from touchpoints.invitations.models import hash_token

    mine, theirs = make_agency("mine-enum"), make_agency("theirs-enum")
    foreign = make_user(Role.VIEWER, agency_id=theirs, email="taken@example.org")
    local = make_user(Role.VIEWER, agency_id=mine, email="colleague@example.org")
    client = login_as(make_user(Role.REGISTRAR, agency_id=mine))
    answers = []
    for email in ("taken@example.org", "free@example.org", "colleague@example.org"):
        r = client.post(
            "/agencies/mine-enum/people/", data={"email": email, "name": "Новый", "role": "viewer"}
        )
        body = r.get_data(as_text=True)
        assert "уже есть" not in body and "существует" not in body
        answers.append(r.status_code)
    # A foreign address reads as a free one; one's own colleague is refused with EMAIL_REFUSED.
    assert answers == [302, 302, 200]
    assert EMAIL_REFUSED in body
    with app.app_context(), scoped(SYSTEM_SCOPE):
        inv = db.session.scalar(
            sa.select(Invitation).where(Invitation.email == "taken@example.org")
        )
        inv.token_hash = hash_token("known-token-for-the-test")
        db.session.commit()
    r = app.test_client().post(
        "/invite/known-token-for-the-test",
        data={"name": "Чужой", "new": "long enough pw", "confirm": "long enough pw"},
    )
    assert r.status_code == 200 and EMAIL_REFUSED in r.get_data(as_text=True)
    assert invitations.EMAIL_REFUSED == EMAIL_REFUSED
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 3
        assert {foreign, local} <= set(db.session.scalars(sa.select(User.id)))
        assert db.session.get(User, foreign).agency_id == theirs


def test_an_office_request_cannot_step_out_of_its_scope(
    app, app_conn, make_region, make_agency, make_user
):
    """An injection in an office request: it may not make its account an administrator, plant
    a session of a registrar of its region, and a registrar's request may not move its agency
    into another region (migration security14_0001)."""
    region, elsewhere = make_region(), make_region()
    agency = make_agency(region_id=region)
    office = make_user(Role.OFFICE, region_id=region)
    registrar = make_user(Role.REGISTRAR, agency_id=agency)
    plant = sa.text(
        "INSERT INTO login_session (user_id, token_hash, created_at) VALUES (:u, :h, now())"
    )
    attempts = [
        (
            Scope("region", region_id=region),
            sa.text("UPDATE user_account SET role = 'admin' WHERE id = :u"),
            {"u": office},
            "row-level security",
        ),
        (Scope("region", region_id=region), plant, {"u": registrar, "h": "a" * 64}, "row-level"),
        (
            agency_scope(agency),
            sa.text("UPDATE agency SET region_id = :r WHERE id = :a"),
            {"r": elsewhere, "a": agency},
            "only in the system scope",
        ),
    ]
    for scope, statement, params, refusal in attempts:
        push_scope(app_conn, scope, key=DEMO_SCOPE_KEY)
        with pytest.raises(sa.exc.ProgrammingError, match=refusal):
            app_conn.execute(statement, params)
        app_conn.rollback()
    # What these scopes do every day still works: the office's own session and name.
    push_scope(app_conn, Scope("region", region_id=region), key=DEMO_SCOPE_KEY)
    app_conn.execute(plant, {"u": office, "h": "b" * 64})
    assert (
        app_conn.execute(
            sa.text("UPDATE user_account SET name = 'Офис' WHERE id = :u"), {"u": office}
        ).rowcount
        == 1
    )
    app_conn.rollback()
    push_scope(app_conn, SYSTEM_SCOPE, key=DEMO_SCOPE_KEY)
    moved = sa.text("UPDATE agency SET region_id = :r WHERE id = :a")
    assert app_conn.execute(moved, {"r": elsewhere, "a": agency}).rowcount == 1
    app_conn.rollback()
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.get(User, office).role == "office"


def test_the_app_role_has_no_temporary_tables(app_conn):
    """A temporary view named like a real table would serve the later requests on the same
    pooled connection, in their scope (it once captured an administrator's signed scope)."""
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        app_conn.execute(sa.text("CREATE TEMP VIEW region AS SELECT 1 AS id"))
    app_conn.rollback()


def test_a_pooled_connection_carries_nothing_into_the_next_request(migrated):
    """What an injection leaves on its connection (a prepared statement under the name psycopg
    would run later, a session setting) is gone when the next request gets the connection, and
    psycopg prepares nothing of its own (core/postgres.py)."""
    from tests.conftest import make_app

    app = make_app(migrated, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 1, "max_overflow": 0})
    pid = "SELECT pg_backend_pid()"
    with app.app_context(), scoped(SYSTEM_SCOPE):
        first = db.session.scalar(sa.text(pid))
        db.session.execute(sa.text("PREPARE _pg3_0 (smallint) AS SELECT 'planted' WHERE $1 > 0"))
        db.session.execute(sa.text("SELECT set_config('search_path', 'pg_catalog', false)"))
        db.session.commit()
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.scalar(sa.text(pid)) == first  # the same server process
        for _ in range(8):
            assert db.session.scalar(sa.select(sa.func.count(Agency.id))) == 0
        assert db.session.scalar(sa.text("SELECT count(*) FROM pg_prepared_statements")) == 0
        assert db.session.scalar(sa.text("SHOW search_path")) == '"$user", public'
        db.session.remove()
        db.engine.dispose()


def test_an_office_request_cannot_change_agency_peoples_own_choices(
    app, app_conn, make_region, make_agency, make_user
):
    """Reminder opt-outs, notice settings and pending e-mail changes are written only for the
    people a scope may write: an office's scope reads its region's agency people but changes
    their settings no more (migration security14_0002)."""
    region = make_region()
    agency = make_agency(region_id=region)
    office = make_user(Role.OFFICE, region_id=region)
    registrar = make_user(Role.REGISTRAR, agency_id=agency)
    inserts = {
        "reminder_opt_out": "INSERT INTO reminder_opt_out (user_id, kind) VALUES (:u, 'early')",
        "notification_preference": "INSERT INTO notification_preference "
        "(user_id, kind, mode) VALUES (:u, 'submitted', 'off')",
        "email_change": "INSERT INTO email_change (user_id, new_email, token_hash, expires_at, "
        "created_at) VALUES (:u, 'x@example.org', md5(CAST(:u AS text) || random()::text), "
        "now() + interval '1 day', now())",
    }
    # The agency's own scope sets its registrar's choices; the system scope anyone's.
    for scope, person in ((agency_scope(agency), registrar), (SYSTEM_SCOPE, office)):
        push_scope(app_conn, scope, key=DEMO_SCOPE_KEY)
        for statement in inserts.values():
            app_conn.execute(sa.text(statement), {"u": person})
        app_conn.commit()
    office_scope = Scope("region", region_id=region)
    for table, statement in inserts.items():
        push_scope(app_conn, office_scope, key=DEMO_SCOPE_KEY)
        with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
            app_conn.execute(sa.text(statement), {"u": registrar})
        app_conn.rollback()
        # The registrar's rows are visible to the office, yet neither changed nor deleted.
        push_scope(app_conn, office_scope, key=DEMO_SCOPE_KEY)
        mine = {"u": registrar}
        where = f"FROM {table} WHERE user_id = :u"
        assert app_conn.scalar(sa.text(f"SELECT count(*) {where}"), mine) == 1, table
        assert app_conn.execute(sa.text(f"DELETE {where}"), mine).rowcount == 0, table
        touched = f"UPDATE {table} SET user_id = user_id WHERE user_id = :u"
        assert app_conn.execute(sa.text(touched), mine).rowcount == 0, table
        # Its own account's rows it still changes.
        assert app_conn.execute(sa.text(f"DELETE {where}"), {"u": office}).rowcount == 1, table
        app_conn.rollback()
