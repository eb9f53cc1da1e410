"""A new agency comes on board without an operator (issue 12, items 3, 4 and 6).

The agency card with its name in the cases titles need (checked on the list page, in the order
PDF read back with pypdf and on the public page); people by invitation, the mail read from a
real SMTP server on loopback; resend, revoke, expired, used and forged links; who may invite
whom; another agency's objects are 404; the first-steps checklist.
"""

from __future__ import annotations

import io
import re
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from conftest import PASSWORD, make_app
from lists_support import add_included, approve_list, data, in_agency
from pypdf import PdfReader
from test_reminders_delivery import free_port, start_smtp

from touchpoints.audit.models import AuditEvent
from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency, Region, Subdivision
from touchpoints.invitations.models import Invitation
from touchpoints.orders.rendering import render_order

NAMES = {
    "full_name": "Комитет по культуре Мурманской области",
    "name_genitive": "Комитета по культуре Мурманской области",
    "name_dative": "Комитету по культуре Мурманской области",
    "name_prepositional": "Комитете по культуре Мурманской области",
    "short_name": "Комитет по культуре",
}
NEW_PASSWORD = "своё длинное слово 2026"


def norm(text: str) -> str:
    return " ".join(text.split())


def text_of(response) -> str:
    return norm(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


@pytest.fixture
def admin(seeded, make_user):
    return make_user(Role.ADMIN, email="admin@example.org")


def create_culture(client, app) -> int:
    with app.app_context(), scoped(SYSTEM_SCOPE):
        region_id = Region.by_slug("murmansk").id
    response = client.post(
        "/agencies/new",
        data={
            **NAMES,
            "slug": "murmansk-culture",
            "region_id": region_id,
            "form_template": "default-full",
            "head_title": "Председатель Комитета по культуре Мурманской области",
            "head_name": "И.И. Иванова",
            "city": "г. Мурманск",
            "legal_basis": "В соответствии с распоряжением Губернатора Мурманской области",
        },
    )
    assert response.status_code == 302, text_of(response)[:800]
    with app.app_context(), scoped(SYSTEM_SCOPE):
        return db.session.scalar(sa.select(Agency.id).where(Agency.slug == "murmansk-culture"))


# --------------------------------------------------------------------------- the card


def test_the_cases_make_every_title_grammatical(seeded, admin, make_user, login_as):
    app = seeded
    aid = create_culture(login_as(admin), app)
    login_as(admin).post("/logout")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.get(Agency, aid)
        assert agency.name_in("genitive") == NAMES["name_genitive"]
        assert agency.name_in("dative") == NAMES["name_dative"] and not agency.cases_missing
        db.session.add(Subdivision(agency_id=aid, code="main", name="Отдел музеев"))
        db.session.commit()
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    client = login_as(registrar)

    page = text_of(client.get("/list/"))
    assert f"Перечень точек взаимодействия с клиентом {NAMES['name_genitive']}" in page
    assert f"Рабочий перечень {NAMES['name_genitive']}" in page
    assert "взаимодействия с клиентом Комитет по культуре" not in page

    with in_agency(app, aid) as agency:
        form = agency.form
    add_included(app, aid, registrar, [data(form, process="Выдача разрешений на съёмку")])
    with in_agency(app, aid) as agency:
        user = db.session.get(User, registrar)
        version = approve_list(
            agency, user, order_number="7", order_date=date.today() - timedelta(days=1)
        )
        db.session.commit()
        pdf = render_order(agency, version).pdf
    text = norm(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
    assert f"в {NAMES['name_prepositional']}" in text  # the order's title and clause 1
    assert f"к приказу {NAMES['name_genitive']}" in text  # the appendix heading
    assert f"с клиентом {NAMES['name_genitive']}" in text  # the appendix title
    assert "с клиентом Комитет по культуре" not in text

    public = text_of(app.test_client().get("/p/murmansk-culture/"))
    assert f"Перечень точек взаимодействия с клиентом {NAMES['name_genitive']}" in public


def test_registrar_edits_own_card_and_units_audited(seeded, make_agency, make_user, login_as):
    app = seeded
    aid = make_agency(subdivisions=("main",))
    client = login_as(make_user(Role.REGISTRAR, agency_id=aid))
    with app.app_context(), scoped(SYSTEM_SCOPE):
        slug = db.session.get(Agency, aid).slug
    assert client.get(f"/agencies/{slug}/card").status_code == 200
    r = client.post(f"/agencies/{slug}/card", data={**NAMES, "website": "ftp://x"})
    assert r.status_code == 200 and "https://" in text_of(r)  # a clear error, input kept
    assert NAMES["name_dative"] in r.get_data(as_text=True)
    r = client.post(f"/agencies/{slug}/card", data={**NAMES, "website": "https://culture.example"})
    assert r.status_code == 302

    r = client.post(
        f"/agencies/{slug}/units/",
        data={"name": "Мурманский областной музей", "kind": "subordinate"},
    )
    assert r.status_code == 302
    units = text_of(client.get(f"/agencies/{slug}/units/"))
    assert f"Организации, подведомственные {NAMES['name_dative']}" in units
    with app.app_context(), scoped(SYSTEM_SCOPE):
        museum = db.session.scalar(
            sa.select(Subdivision).where(Subdivision.name == "Мурманский областной музей")
        )
        main = db.session.scalar(
            sa.select(Subdivision).where(Subdivision.agency_id == aid, Subdivision.code == "main")
        )
        assert museum.is_subordinate and museum.active
    # The same name twice is refused; renaming and archiving keep the row (entries refer to it).
    r = client.post(
        f"/agencies/{slug}/units/",
        data={"name": "Мурманский областной музей", "kind": "subdivision"},
    )
    assert r.status_code == 200 and "уже есть" in text_of(r)
    client.post(f"/agencies/{slug}/units/{main.id}", data={"name": "Отдел музейной работы"})
    client.post(f"/agencies/{slug}/units/{main.id}/active", data={"active": "0"})
    with app.app_context(), scoped(SYSTEM_SCOPE):
        main = db.session.get(Subdivision, main.id)
        assert main.name == "Отдел музейной работы" and not main.active
        agency = db.session.get(Agency, aid)
        assert (
            agency.full_name == NAMES["full_name"] and agency.website == "https://culture.example"
        )
        actions = set(
            db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.agency_id == aid))
        )
    assert {
        "agency.update",
        "subdivision.create",
        "subdivision.rename",
        "subdivision.archive",
    } <= actions
    trail = text_of(client.get("/audit/"))
    assert "Изменена карточка организации" in trail
    assert "Наименование в дательном падеже" in trail


def test_who_may_edit_a_card(seeded, make_agency, make_region, make_user, login_as):
    app = seeded
    with app.app_context(), scoped(SYSTEM_SCOPE):
        murmansk = Region.by_slug("murmansk").id
    aid = make_agency("alpha-card", region_id=murmansk)
    other = make_agency("beta-card", region_id=make_region("far"))
    allowed = {
        "office": make_user(Role.OFFICE, region_id=murmansk),
        "registrar": make_user(Role.REGISTRAR, agency_id=aid),
    }
    for uid in allowed.values():
        client = login_as(uid)
        assert client.get("/agencies/alpha-card/card").status_code == 200
        assert client.get("/agencies/beta-card/card").status_code == 404
        client.post("/logout")
    for role in (Role.EDITOR, Role.VIEWER):
        client = login_as(make_user(role, agency_id=aid))
        assert client.get("/agencies/alpha-card/card").status_code == 403
        assert (
            client.post(
                "/agencies/alpha-card/units/", data={"name": "X", "kind": "subdivision"}
            ).status_code
            == 403
        )
        client.post("/logout")
    # The office writes the agency's rows in that agency's scope only.
    client = login_as(allowed["office"])
    r = client.post(
        "/agencies/alpha-card/units/", data={"name": "Отдел кадров", "kind": "subdivision"}
    )
    assert r.status_code == 302
    assert (
        client.post(
            "/agencies/beta-card/units/", data={"name": "X", "kind": "subdivision"}
        ).status_code
        == 404
    )
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert (
            db.session.scalar(
                sa.select(Subdivision.agency_id).where(Subdivision.name == "Отдел кадров")
            )
            == aid
        )
        assert not db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Subdivision)
            .where(Subdivision.agency_id == other, Subdivision.name == "X")
        )


# --------------------------------------------------------------------------- invitations


@pytest.fixture
def mail_app(seeded, migrated):
    """The same database, an app that sends its mail over SMTP to a server on loopback."""
    port = free_port()
    controller, inbox = start_smtp(port)
    other = make_app(
        migrated,
        MAIL_BACKEND="smtp",
        MAIL_PORT=port,
        MAIL_TIMEOUT=3,
        BASE_URL="https://reestr.example.gov.ru",
    )
    yield other, inbox
    with other.app_context():
        other.extensions["inprocess_jobs"].wait(timeout=60)
        db.session.remove()
        db.engine.dispose()
    controller.stop()


def sign_in(client, email: str, password: str = PASSWORD):
    r = client.post("/login", data={"email": email, "password": password})
    assert r.status_code == 302, text_of(r)[:400]
    return client


def mail_to(inbox, address: str, count: int = 1, timeout: float = 20.0):
    """The ``count``-th message to ``address`` (waits for delivery after commit)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = [m for rcpts, m in inbox.messages if address in rcpts]
        if len(got) >= count:
            return got[count - 1]
        time.sleep(0.1)
    raise AssertionError(f"no mail #{count} to {address}: {[r for r, _ in inbox.messages]}")


def link_in(msg) -> str:
    body = msg.get_body(("plain",)).get_content()
    match = re.search(r"https://reestr\.example\.gov\.ru(/invite/[A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


def invite(client, slug, **values):
    return client.post(f"/agencies/{slug}/people/", data=values)


def test_invitation_by_mail_sets_own_password_and_signs_in(mail_app, make_agency, make_user):
    app, inbox = mail_app
    aid = make_agency("culture-inv", subdivisions=("museums",))
    with app.app_context(), scoped(SYSTEM_SCOPE):
        unit = db.session.scalar(sa.select(Subdivision.id).where(Subdivision.agency_id == aid))
        db.session.get(Agency, aid).name_genitive = "Министерства культуры-инв"
        db.session.commit()
    registrar = make_user(Role.REGISTRAR, agency_id=aid, email="reg@culture.example")
    client = sign_in(app.test_client(), "reg@culture.example")
    r = invite(
        client,
        "culture-inv",
        email="Maria@Culture.example",
        name="Мария Петрова",
        role="editor",
        subdivision_id=unit,
    )
    assert r.status_code == 302, text_of(r)[:600]

    msg = mail_to(inbox, "maria@culture.example")
    assert msg["Subject"] == "Приглашение в реестр перечней: Министерство culture-inv"
    body = msg.get_body(("plain",)).get_content()
    assert "вести перечень Министерства культуры-инв" in body and "7 дней" in body
    assert "Сотрудник подразделения (Отдел museums)" in body
    path = link_in(msg)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        inv = db.session.scalar(sa.select(Invitation))
        # Only the hash of the link's token is kept.
        assert inv.token_hash != path.rsplit("/", 1)[1] and len(inv.token_hash) == 64
        assert path.rsplit("/", 1)[1] not in str(
            db.session.execute(sa.select(Invitation.__table__)).all()
        )
        assert inv.invited_by_id == registrar

    visitor = app.test_client()
    page = visitor.get(path)
    assert page.status_code == 200 and "maria@culture.example" in page.get_data(as_text=True)
    r = visitor.post(path, data={"name": "Мария Петрова", "new": "short", "confirm": "short"})
    assert r.status_code == 200 and "Не короче 10 символов" in text_of(r)
    r = visitor.post(path, data={"name": "Мария Петрова", "new": NEW_PASSWORD, "confirm": "другое"})
    assert "Пароли не совпадают" in text_of(r)
    r = visitor.post(
        path, data={"name": "Мария Петрова", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert r.status_code == 302 and r.headers["Location"] == "/"
    assert visitor.get("/list/").status_code == 200  # signed in at once

    with app.app_context(), scoped(SYSTEM_SCOPE):
        user = db.session.scalar(sa.select(User).where(User.email == "maria@culture.example"))
        assert (user.role, user.agency_id, user.subdivision_id) == ("editor", aid, unit)
        assert user.check_password(NEW_PASSWORD) and not user.is_demo
        assert db.session.scalar(sa.select(Invitation)).accepted_at is not None
    # Used once: the link now says so, and the password works on the login page.
    used = app.test_client().get(path)
    assert used.status_code == 410 and "уже задан пароль" in text_of(used)
    sign_in(app.test_client(), "maria@culture.example", NEW_PASSWORD)


def test_resend_revoke_expired_and_forged_links_say_so(mail_app, make_agency, make_user):
    app, inbox = mail_app
    make_agency("culture-links")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        aid = db.session.scalar(sa.select(Agency.id).where(Agency.slug == "culture-links"))
    make_user(Role.ADMIN, email="root@example.org")
    client = sign_in(app.test_client(), "root@example.org")
    assert (
        invite(client, "culture-links", email="one@example.org", role="registrar").status_code
        == 302
    )
    first = link_in(mail_to(inbox, "one@example.org"))
    # The same address again: resend instead.
    r = invite(client, "culture-links", email="one@example.org", role="viewer")
    assert r.status_code == 200 and "Отправьте его повторно" in text_of(r)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        inv_id = db.session.scalar(sa.select(Invitation.id))
    assert (
        client.post(f"/agencies/culture-links/people/invitations/{inv_id}/resend").status_code
        == 302
    )
    second = link_in(mail_to(inbox, "one@example.org", count=2))
    assert second != first
    dead = app.test_client().get(first)
    assert dead.status_code == 404 and "Ссылка недействительна" in text_of(dead)
    assert app.test_client().get(second).status_code == 200

    assert (
        client.post(f"/agencies/culture-links/people/invitations/{inv_id}/revoke").status_code
        == 302
    )
    revoked = app.test_client().get(second)
    assert revoked.status_code == 410 and "приглашение отозвано" in text_of(revoked)
    r = app.test_client().post(
        second, data={"name": "X", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert r.status_code == 410

    # Expired: seven days after the last mail.
    assert (
        invite(client, "culture-links", email="two@example.org", role="viewer").status_code == 302
    )
    late = link_in(mail_to(inbox, "two@example.org"))
    with app.app_context(), scoped(SYSTEM_SCOPE):
        inv = db.session.scalar(sa.select(Invitation).where(Invitation.email == "two@example.org"))
        inv.expires_at = inv.created_at - timedelta(seconds=1)
        db.session.commit()
    expired = app.test_client().get(late)
    assert expired.status_code == 410 and "Срок действия ссылки истёк" in text_of(expired)
    listing = text_of(client.get("/agencies/culture-links/people/"))
    assert "срок истёк" in listing and "отозвано" in listing

    for forged in ("/invite/" + "A" * 43, "/invite/x", "/invite/" + "z" * 300):
        r = app.test_client().get(forged)
        assert r.status_code == 404 and "Ссылка недействительна" in text_of(r), forged
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).select_from(User).where(User.agency_id == aid)
            )
            == 0
        )
        actions = list(
            db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.agency_id == aid))
        )
    assert {"invitation.create", "invitation.resend", "invitation.revoke"} <= set(actions)


def test_who_may_invite_whom(seeded, make_agency, make_region, make_user, login_as):
    app = seeded
    with app.app_context(), scoped(SYSTEM_SCOPE):
        murmansk = Region.by_slug("murmansk").id
    aid = make_agency("alpha-inv", region_id=murmansk)
    make_agency("beta-inv", region_id=make_region("elsewhere"))
    registrar = login_as(make_user(Role.REGISTRAR, agency_id=aid))
    # Registrars are appointed by the head (Murmansk 2.2, Kuzbass 3.2): never by a registrar.
    r = invite(registrar, "alpha-inv", email="twin@example.org", role="registrar")
    assert r.status_code == 200 and "Invalid choice" not in text_of(r)
    assert invite(registrar, "alpha-inv", email="v@example.org", role="viewer").status_code == 302
    # An editor needs a subdivision of this agency.
    r = invite(registrar, "alpha-inv", email="e@example.org", role="editor")
    assert r.status_code == 200 and "нужно подразделение" in text_of(r)
    assert invite(registrar, "beta-inv", email="x@example.org", role="viewer").status_code == 404
    # An address that has an account (here or anywhere) gets one answer that reveals nothing.
    make_user(Role.VIEWER, agency_id=aid, email="colleague@example.org")
    r = invite(registrar, "alpha-inv", email="colleague@example.org", role="viewer")
    assert "Эту почту нельзя использовать" in text_of(r)
    registrar.post("/logout")

    office = login_as(make_user(Role.OFFICE, region_id=murmansk))
    assert (
        invite(office, "alpha-inv", email="boss@example.org", role="registrar").status_code == 302
    )
    assert invite(office, "beta-inv", email="y@example.org", role="registrar").status_code == 404
    office.post("/logout")
    for role in (Role.EDITOR, Role.VIEWER):
        client = login_as(make_user(role, agency_id=aid))
        assert client.get("/agencies/alpha-inv/people/").status_code == 403
        assert invite(client, "alpha-inv", email="z@example.org", role="viewer").status_code == 403
        client.post("/logout")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        got = dict(db.session.execute(sa.select(Invitation.email, Invitation.role)).all())
    assert got == {"v@example.org": "viewer", "boss@example.org": "registrar"}


def test_another_agencys_invitations_are_404(seeded, make_agency, make_user, login_as):
    app = seeded
    mine, theirs = make_agency("mine-inv"), make_agency("theirs-inv")
    admin = login_as(make_user(Role.ADMIN))
    assert invite(admin, "theirs-inv", email="t@example.org", role="viewer").status_code == 302
    admin.post("/logout")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        foreign = db.session.scalar(sa.select(Invitation.id).where(Invitation.agency_id == theirs))
    client = login_as(make_user(Role.REGISTRAR, agency_id=mine))
    for action in ("resend", "revoke"):
        r = client.post(f"/agencies/mine-inv/people/invitations/{foreign}/{action}")
        assert r.status_code == 404, action
        r = client.post(f"/agencies/theirs-inv/people/invitations/{foreign}/{action}")
        assert r.status_code == 404, action
    assert "t@example.org" not in client.get("/agencies/mine-inv/people/").get_data(as_text=True)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.get(Invitation, foreign).revoked_at is None


def test_nobody_types_another_persons_password(seeded, make_agency, make_user, login_as):
    aid = make_agency("alpha-pw")
    client = login_as(make_user(Role.ADMIN))
    viewer = make_user(Role.VIEWER, agency_id=aid)
    page = client.get(f"/users/{viewer}/edit").get_data(as_text=True)
    assert 'type="password"' not in page
    r = client.get("/users/new")
    assert r.status_code == 302 and r.headers["Location"].endswith("/agencies/")
    client.post("/logout")
    registrar = login_as(make_user(Role.REGISTRAR, agency_id=aid))
    r = registrar.get("/users/new")
    assert r.status_code == 302 and r.headers["Location"].endswith("/agencies/alpha-pw/people/")


def test_cli_invites_with_a_subdivision(mail_app, make_agency):
    app, inbox = mail_app
    make_agency("cli-inv", subdivisions=("museums",))
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "agencies",
            "invite",
            "cli-inv",
            "ed@example.org",
            "--role",
            "editor",
            "--subdivision",
            "Отдел museums",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "/invite/" in link_in(mail_to(inbox, "ed@example.org"))
    result = runner.invoke(
        args=[
            "agencies",
            "invite",
            "cli-inv",
            "x@example.org",
            "--role",
            "editor",
            "--subdivision",
            "Нет такого",
        ]
    )
    assert result.exit_code != 0 and "Нет подразделения «Нет такого»" in result.output
    result = runner.invoke(
        args=["agencies", "invite", "nowhere", "x@example.org", "--role", "viewer"]
    )
    assert result.exit_code != 0 and "Нет организации" in result.output
    with app.app_context(), scoped(SYSTEM_SCOPE):
        inv = db.session.scalar(sa.select(Invitation))
        assert (inv.email, inv.role, inv.invited_by_id) == ("ed@example.org", "editor", None)


# --------------------------------------------------------------------------- first steps


def test_first_steps_checklist_follows_what_exists(seeded, make_agency, make_user, login_as):
    app = seeded
    aid = make_agency("steps", subdivisions=())
    registrar = make_user(Role.REGISTRAR, agency_id=aid)
    client = login_as(registrar)

    def states() -> dict[str, str]:
        html = client.get("/").get_data(as_text=True)
        if "Первые шаги" not in html:
            return {}
        items = re.findall(r'<li class="(done|todo)">.*?<a href="([^"]+)">([^<]+)</a>', html, re.S)
        return {label: state for state, _, label in items}

    first = states()
    assert len(first) == 6
    assert first["Пригласить уполномоченное лицо"] == "done"  # the registrar is here
    assert first["Добавить подразделения и подведомственные организации"] == "todo"
    html = client.get("/").get_data(as_text=True)
    for href in (
        "/agencies/steps/units/",
        "/agencies/steps/people/",
        "/list/import",
        "/list/approve",
        "/deadlines/publication",
    ):
        assert f'href="{href}"' in html, href

    assert client.post("/agencies/steps/form-checked").status_code == 302
    client.post("/agencies/steps/units/", data={"name": "Отдел музеев", "kind": "subdivision"})
    with in_agency(app, aid) as agency:
        form = agency.form
    add_included(app, aid, registrar, [data(form, process="Приём заявок")])
    now = states()
    assert now["Проверить форму перечня: графы и справочники"] == "done"
    assert now["Добавить подразделения и подведомственные организации"] == "done"
    assert now["Загрузить перечень из файла или внести строки"] == "done"
    assert now["Утвердить первую редакцию приказом"] == "todo"

    with in_agency(app, aid) as agency:
        user = db.session.get(User, registrar)
        approve_list(agency, user, order_number="1", order_date=date.today() - timedelta(days=1))
        db.session.commit()
    assert states()["Утвердить первую редакцию приказом"] == "done"
    r = client.post(
        "/deadlines/publication",
        data={"published_on": date.today().isoformat(), "url": "https://steps.example/list"},
    )
    assert r.status_code == 302, text_of(r)[:500]
    assert states() == {}  # everything done: the list is gone


def test_invitation_on_the_sqlite_demo(tmp_path):
    """`make demo`'s path: no row-level security, the outbox instead of SMTP."""
    from flask_migrate import upgrade

    from touchpoints import create_app
    from touchpoints.config import ROOT_DIR
    from touchpoints.demo.data import load_demo
    from touchpoints.mail.models import MailMessage

    app = create_app(
        "demo",
        SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/demo.sqlite3",
        INSTANCE_DIR=tmp_path,
        WTF_CSRF_ENABLED=False,
        INPROCESS_BEAT=False,
    )
    with app.app_context():
        upgrade(directory=str(ROOT_DIR / "migrations"))
        load_demo()
        with scoped(SYSTEM_SCOPE):
            agency = db.session.scalar(sa.select(Agency).where(Agency.slug == "murmansk-tourism"))
            # The seed's cases moved from the settings into the columns.
            assert agency.name_in("genitive") == "Комитета по туризму Мурманской области"
            assert "name_genitive" not in (agency.settings or {})
    result = app.test_cli_runner().invoke(
        args=["agencies", "invite", "murmansk-tourism", "new@demo.example", "--role", "viewer"]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        app.extensions["inprocess_jobs"].wait(timeout=30)
        with scoped(SYSTEM_SCOPE):
            body = db.session.scalar(
                sa.select(MailMessage.body_text).where(MailMessage.recipient == "new@demo.example")
            )
    path = re.search(r"/invite/[A-Za-z0-9_-]+", body).group(0)
    client = app.test_client()
    assert client.get(path).status_code == 200
    r = client.post(path, data={"name": "Новый", "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert r.status_code == 302
    assert "Комитет по туризму" in client.get("/").get_data(as_text=True)
    assert client.get("/invite/forged").status_code == 404


def _migration():
    import importlib.util

    from touchpoints.config import ROOT_DIR

    path = ROOT_DIR / "migrations" / "versions" / "onboard0001_agency_card_and_invitations.py"
    spec = importlib.util.spec_from_file_location("migration_onboard0001", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_migration_moves_the_cases_out_of_the_settings(migrated):
    """onboard0001 on PostgreSQL: the cases kept in the settings become columns. Under forced RLS
    the owner sees rows only in a verified scope, so the step signs the system scope itself."""
    import os

    from flask_migrate import downgrade, upgrade

    from tests.conftest import PG_ADMIN_URL
    from touchpoints.config import ROOT_DIR
    from touchpoints.core.cli import grant_app_role

    name = f"touchpoints_test_{os.environ.get('TEST_DB_PREFIX', '')}onb_migr"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    app = make_app({"app": url, "owner": url})
    directory = str(ROOT_DIR / "migrations")
    engine = sa.create_engine(url)
    try:
        with app.app_context():
            upgrade(directory=directory, revision="b1300000001")
            grant_app_role(engine, "touchpoints_app_test", scope_key=app.config["SCOPE_KEY"])
            with engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "INSERT INTO region (slug, name, timezone, created_at) "
                        "VALUES ('r', 'Регион', 'Europe/Moscow', now())"
                    )
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO agency (slug, region_id, full_name, short_name, "
                        "form_template, form, head_name, head_title, city, legal_basis, "
                        "settings, source, created_at) VALUES ('a', 1, 'Комитет', 'К', 't', "
                        "'{}', '', '', '', '', :s, 'ui', now())"
                    ),
                    {
                        "s": '{"name_genitive": "Комитета", "name_prepositional": "Комитете", "x": 1}'
                    },
                )
            upgrade(directory=directory)
            with engine.begin() as conn:
                row = conn.execute(
                    sa.text("SELECT name_genitive, name_prepositional, settings FROM agency")
                ).one()
                conn.execute(sa.text(_migration().SIGNED_SYSTEM_SCOPE))
                assert conn.scalar(sa.text("SELECT app_scope()")) == "all"
            assert row[:2] == ("Комитета", "Комитете") and row[2] == {"x": 1}
            downgrade(directory=directory, revision="b1300000001")
            with engine.begin() as conn:
                settings = conn.scalar(sa.text("SELECT settings FROM agency"))
            assert settings["name_genitive"] == "Комитета"
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_public_page_follows_a_corrected_case(seeded):
    """The public page is served with a validator (ETag): a corrected case is a new page."""
    app = seeded
    client = app.test_client()
    first = client.get("/p/murmansk-tourism/embed")
    etag = first.headers["ETag"]
    assert "Комитета по туризму Мурманской области" in first.get_data(as_text=True)
    page_etag = client.get("/p/murmansk-tourism/").headers["ETag"]
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.scalar(sa.select(Agency).where(Agency.slug == "murmansk-tourism"))
        agency.name_genitive = "Комитета по туризму и отдыху Мурманской области"
        db.session.commit()
    again = client.get("/p/murmansk-tourism/embed", headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert "Комитета по туризму и отдыху" in again.get_data(as_text=True)
    page = client.get("/p/murmansk-tourism/", headers={"If-None-Match": page_etag})
    assert page.status_code == 200
