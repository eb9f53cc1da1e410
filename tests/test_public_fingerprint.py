"""Issue 15 item 3: the public pages' validator is the agency's publication fingerprint, kept by
triggers (migration public15fingerprint, docs/public-cache.md). Whatever a page shows changes
it at once; the fingerprint is read without the request's transaction and without widening
what an anonymous request may read."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from publicdata_helpers import approve_another, build_published

from tests.conftest import APP_ROLE
from touchpoints.auth.models import User
from touchpoints.core.db import SYSTEM_SCOPE, Scope, agency_scope, db, push_scope, scoped
from touchpoints.core.tenancy import Agency, Region
from touchpoints.jobs import wait_for_inprocess_jobs
from touchpoints.lists.annulments import annul, version_by_number
from touchpoints.public import fingerprint
from touchpoints.public.models import PublicFingerprint


@pytest.fixture
def app_conn(migrated):
    engine = sa.create_engine(migrated["app"])
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT current_user")) == APP_ROLE
        conn.rollback()
        yield conn
    engine.dispose()


@pytest.fixture
def published(app, make_agency, make_user, monkeypatch):
    from touchpoints.public import services

    # The order's PDF is not what these tests are about: WeasyPrint need not run behind them.
    monkeypatch.setattr(services, "pdf_available", lambda: False)
    return build_published(app, make_agency, make_user)


def _revalidate(client, url: str, response):
    """The page again, as a browser holding ``response`` asks for it."""
    return client.get(url, headers={"If-None-Match": response.headers["ETag"]})


def _stamp(app, agency_id: int) -> int:
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return db.session.get(PublicFingerprint, agency_id).stamp


def test_the_agencys_card_and_region_change_its_pages_at_once(app, client, published):
    url, index = f"/p/{published['slug']}/", "/p/"
    page, listing, embed = client.get(url), client.get(index), client.get(url + "embed")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, published["agency_id"])
        agency.full_name = "Министерство переименованное"
        agency.short_name = "Минпереименования"
        db.session.commit()
    renamed = _revalidate(client, url, page)
    assert renamed.status_code == 200
    assert "Министерство переименованное" in renamed.get_data(as_text=True)
    assert "Министерство переименованное" in _revalidate(client, index, listing).get_data(
        as_text=True
    )
    assert "Министерство переименованное" in _revalidate(client, url + "embed", embed).get_data(
        as_text=True
    )
    # Nothing changed since: the client's copy is current.
    assert _revalidate(client, url, renamed).status_code == 304

    with app.app_context(), scoped(SYSTEM_SCOPE):
        db.session.get(Region, published["region_id"]).name = "Область переименованная"
        db.session.commit()
    moved = _revalidate(client, url, renamed)
    assert moved.status_code == 200 and "Область переименованная" in moved.get_data(as_text=True)


def test_an_annulled_approval_changes_the_current_page(app, client, published):
    url = f"/p/{published['slug']}/"
    before = client.get(url)
    assert "27-п" in before.get_data(as_text=True)
    with app.app_context(), scoped(agency_scope(published["agency_id"])):
        agency = db.session.get(Agency, published["agency_id"])
        registrar = db.session.get(User, published["registrar_id"])
        annul(agency, version_by_number(agency.id, 2), registrar, "Опечатка в номере приказа")
        db.session.commit()
    after = _revalidate(client, url, before)
    assert after.status_code == 200
    body = after.get_data(as_text=True)
    # Version 1 is in force again: its order is the current one.
    assert published["markers"]["EXCLUDED"] in body and published["markers"]["PUB2"] not in body


def test_only_the_changed_agency_changes(app, client, make_agency, make_user, published):
    other = build_published(app, make_agency, make_user)
    mine, theirs = _stamp(app, published["agency_id"]), _stamp(app, other["agency_id"])
    approve_another(app, published, "Ещё одна строка")
    assert _stamp(app, published["agency_id"]) != mine
    assert _stamp(app, other["agency_id"]) == theirs


def test_signed_in_visitors_get_the_anonymous_page_and_keep_their_session(
    app, client, published, login_as
):
    url = f"/p/{published['slug']}/"
    anonymous = app.test_client().get(url)
    login_as(published["registrar_id"])
    response = client.get(url)
    # No session: nothing for a shared cache to keep apart, no cookie rewritten.
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers.get("Vary", "")
    assert response.headers["ETag"] == anonymous.headers["ETag"]
    assert response.get_data() == anonymous.get_data()
    # The registrar is still signed in elsewhere.
    assert client.get("/list/").status_code == 200


def test_fingerprints_widen_no_scope(app, app_conn, published):
    """As the application's role: without a scope the table reads as empty (RLS); the lookups
    give one agency's id, stamp and time by its slug, or the summary of all, and no more."""
    assert app_conn.scalar(sa.text("SELECT count(*) FROM public_fingerprint")) == 0
    row = app_conn.execute(
        sa.text("SELECT * FROM public_fingerprint_lookup(:s)"), {"s": published["slug"]}
    ).one()
    assert row._fields == ("agency_id", "stamp", "changed_at")
    assert row.agency_id == published["agency_id"]
    assert app_conn.execute(sa.text("SELECT * FROM public_fingerprint_summary()")).one()[0] == 1
    app_conn.rollback()
    # An agency's scope writes its own row only.
    with app.app_context():
        key = app.config["SCOPE_KEY"]
    with app_conn.begin():
        push_scope(app_conn, agency_scope(published["agency_id"] + 1), key)
        updated = app_conn.execute(
            sa.text("UPDATE public_fingerprint SET stamp = 0 WHERE agency_id = :a"),
            {"a": published["agency_id"]},
        )
        assert updated.rowcount == 0
    with app_conn.begin():
        push_scope(app_conn, Scope("public"), key)
        assert app_conn.scalar(sa.text("SELECT count(*) FROM public_fingerprint")) == 1


def test_a_hit_is_one_statement(app, client, published):
    """A page already rendered by this process costs the fingerprint's one statement (no
    transaction: no scope handed over), whoever asks."""
    url = f"/p/{published['slug']}/"
    requests: list[list[str]] = []
    # The fixture's commits enqueued jobs that run on the in-process pool: only requests count.
    with app.app_context():
        wait_for_inprocess_jobs()

    def statement(conn, cursor, sql, *args):
        requests[-1].append(sql)

    sa.event.listen(sa.Engine, "before_cursor_execute", statement)
    try:
        for path in (url, url, "/p/", "/p/"):
            requests.append([])
            assert client.get(path).status_code == 200
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", statement)
    page_miss, page_hit, index_miss, index_hit = requests
    assert len(page_miss) > 1 and len(index_miss) > 1
    assert len(page_hit) == 1 and "public_fingerprint_lookup(" in page_hit[0]
    assert len(index_hit) == 1 and "public_fingerprint_summary()" in index_hit[0]
    with app.app_context():
        assert fingerprint.page_tag("no-such-agency") is None
        assert fingerprint.page_tag("Not a slug!") is None


def test_the_demo_on_sqlite_keeps_fingerprints_too(tmp_path):
    """`make demo` runs on SQLite: the migration's triggers are SQLite's there."""
    from flask_migrate import upgrade

    from touchpoints import create_app
    from touchpoints.config import ROOT_DIR
    from touchpoints.demo.data import load_demo

    app = create_app(
        "demo",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/demo.sqlite3",
        INSTANCE_DIR=tmp_path,
        PUBLIC_ORDER_PDF=False,
    )
    with app.app_context():
        upgrade(directory=str(ROOT_DIR / "migrations"))
        load_demo()
    client = app.test_client()
    url = "/p/murmansk-tourism/"
    page, listing = client.get(url), client.get("/p/")
    assert page.status_code == listing.status_code == 200
    assert _revalidate(client, url, page).status_code == 304
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.scalar(sa.select(Agency).where(Agency.slug == "murmansk-tourism"))
        agency.full_name = "Комитет переименованный"
        db.session.commit()
    for path, before in ((url, page), ("/p/", listing)):
        after = _revalidate(client, path, before)
        assert after.status_code == 200 and "Комитет переименованный" in after.get_data(
            as_text=True
        )
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
