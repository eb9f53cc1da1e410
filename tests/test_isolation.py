"""Tenant isolation, tested from the outside (issue 2).

Every route of the URL map that takes an id or a slug is requested by one agency's users with
another agency's objects: the answer is 404, exactly as for an object that does not exist. The
routes come from ``app.url_map``, so a route added later is covered without touching this file.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa
from lists_support import approve_list

from tests.conftest import APP_ROLE, load_demo_data, make_app
from touchpoints.api import services as api_tokens
from touchpoints.api.models import ApiToken
from touchpoints.audit.models import AuditEvent
from touchpoints.auth.models import User
from touchpoints.calendar.models import CalendarOverride
from touchpoints.calendar.services import add_override
from touchpoints.config import DEMO_SCOPE_KEY
from touchpoints.core.db import (
    SYSTEM_SCOPE,
    Scope,
    agency_scope,
    db,
    push_scope,
    rls_statements,
    scoped,
    tenant_tables,
    utcnow,
)
from touchpoints.core.tenancy import Agency, Region, Subdivision
from touchpoints.invitations.models import VALID_FOR, Invitation, hash_token
from touchpoints.lists import services as lists
from touchpoints.lists.models import Entry, ListVersion
from touchpoints.lists.passports import SharedTouchpoint, TouchpointPassport
from touchpoints.lists.processes import RegistryProcess
from touchpoints.mail.models import MailMessage
from touchpoints.mail.service import queue_mail
from touchpoints.transfer.models import ImportSession

#: Blueprints that serve approved, public data by design (issue 7); isolation of drafts there is
#: tested in the public pages' own tests.
PUBLIC_BLUEPRINTS = {"public", "api", "static", "health"}


@pytest.fixture
def two_agencies(seeded):
    """The demo data of both seed agencies, in two regions, plus a second version of Kuzbass so
    that a version number exists in one agency and not the other."""
    app = seeded
    load_demo_data(app)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        kuz = db.session.scalar(sa.select(Agency).where(Agency.slug == "kuzbass-emergencies"))
        registrar = db.session.scalar(
            sa.select(User).where(User.email == "registrar@kuzbass-emergencies.example.org")
        )
        # A second version needs a change (an identical one is refused).
        first = Entry.working(kuz.id)[0]
        lists.update_entry(
            first, registrar, {"specifics": "Уточнено ко второй редакции"}, first.revision
        )
        approve_list(kuz, registrar, order_number="200", order_date=dt.date(2025, 6, 2))
        queue_mail(registrar.email, "Напоминание", "Текст", agency_id=kuz.id)
        # An upload waiting for confirmation in each agency (opaque token in the URL).
        for agency in db.session.scalars(sa.select(Agency)):
            db.session.add(
                ImportSession(
                    agency_id=agency.id,
                    token=f"tok-{agency.slug}",
                    expires_at=utcnow() + dt.timedelta(hours=1),
                    filename="list.xlsx",
                    cells=[["Точка взаимодействия"], ["Официальный сайт"]],
                )
            )
        # Region-level objects of both regions: API tokens of each project office and
        # calendar overrides (e.g. a regional holiday).
        for region in db.session.scalars(sa.select(Region)):
            office = db.session.scalar(
                sa.select(User).where(User.region_id == region.id, User.role == "office")
            )
            api_tokens.issue(office, f"Токен {region.slug}", region.id)
            add_override(region.id, dt.date(2026, 12, 30), False, "Региональный выходной")
        _registry_objects()
        mur_id = db.session.scalar(sa.select(Agency.id).where(Agency.slug == "murmansk-tourism"))
        queue_mail(
            "registrar@murmansk-tourism.example.org", "Напоминание", "Текст", agency_id=mur_id
        )
        db.session.commit()
    return app


def _registry_objects() -> None:
    """A registry process, a touchpoint passport and a shared touchpoint of each agency and
    region (docs/registry.md)."""
    for agency in db.session.scalars(sa.select(Agency)):
        process = RegistryProcess(
            agency_id=agency.id, kind="service", name="Услуга", name_key="услуга"
        )
        passport = TouchpointPassport(
            agency_id=agency.id, touchpoint_key="name:точка", touchpoint_name="Точка"
        )
        shared = SharedTouchpoint(
            region_id=agency.region_id, name=f"МФЦ {agency.slug}", channel_kind="offline"
        )
        db.session.add_all([process, passport, shared])


def _ids(app, slug: str) -> dict[str, list]:
    """Ids of every kind of object of one agency, by URL argument name."""
    with app.app_context(), scoped(SYSTEM_SCOPE):
        agency = db.session.scalar(sa.select(Agency).where(Agency.slug == slug))
        entries = db.session.scalars(sa.select(Entry.id).where(Entry.agency_id == agency.id)).all()
        users = db.session.scalars(sa.select(User.id).where(User.agency_id == agency.id)).all()
        numbers = db.session.scalars(
            sa.select(ListVersion.number).where(ListVersion.agency_id == agency.id)
        ).all()
        subdivisions = db.session.scalars(
            sa.select(Subdivision.id).where(Subdivision.agency_id == agency.id)
        ).all()
        extra = _feature_ids(agency.id)
        tokens = db.session.scalars(
            sa.select(ApiToken.id).where(ApiToken.region_id == agency.region_id)
        ).all()
        overrides = db.session.scalars(
            sa.select(CalendarOverride.id).where(CalendarOverride.region_id == agency.region_id)
        ).all()
        messages = db.session.scalars(
            sa.select(MailMessage.id).where(MailMessage.agency_id == agency.id)
        ).all()
        invitations = db.session.scalars(
            sa.select(Invitation.id).where(Invitation.agency_id == agency.id)
        ).all()
        shared = db.session.scalars(
            sa.select(SharedTouchpoint.id).where(SharedTouchpoint.region_id == agency.region_id)
        ).all()
        return {
            "slug": [slug],
            "entry_id": entries,
            "user_id": users,
            "number": numbers,
            "subdivision_id": subdivisions,
            "agency_id": [agency.id],
            "message_id": messages,
            "invitation_id": invitations,
            "token_id": tokens,
            "override_id": overrides,
            "job_id": _job_ids(agency),
            "shared_touchpoint_id": shared,
            "registry_process_id": db.session.scalars(
                sa.select(RegistryProcess.id).where(RegistryProcess.agency_id == agency.id)
            ).all(),
            "touchpoint_passport_id": db.session.scalars(
                sa.select(TouchpointPassport.id).where(TouchpointPassport.agency_id == agency.id)
            ).all(),
            # A row of an upload's preview: only meaningful with the upload's own token.
            "index": [0],
            **extra,
        }


def _invite_each_agency(app) -> None:
    """A pending invitation in each agency (issue 12): its id is a URL argument too."""
    with app.app_context(), scoped(SYSTEM_SCOPE):
        for agency in db.session.scalars(sa.select(Agency)):
            db.session.add(
                Invitation(
                    agency_id=agency.id,
                    email=f"invited@{agency.slug}.example.org",
                    role="viewer",
                    token_hash=hash_token(f"invite-{agency.slug}"),
                    expires_at=utcnow() + VALID_FOR,
                )
            )
        db.session.commit()


def _feature_ids(agency_id: int) -> dict[str, list]:
    """Opaque tokens and other ids of later features, found through tenant tables' columns."""
    out: dict[str, list] = {}
    for table_name in tenant_tables():
        table = db.metadata.tables[table_name]
        if "token" in table.c:
            out.setdefault("token", []).extend(
                db.session.scalars(sa.select(table.c.token).where(table.c.agency_id == agency_id))
            )
    return out


def _job_ids(agency) -> list[int]:
    """A background job of the agency's registrar (made here once): /jobs/<job_id> pages."""
    from touchpoints.background.models import BackgroundJob

    ids = db.session.scalars(
        sa.select(BackgroundJob.id).where(BackgroundJob.agency_id == agency.id)
    ).all()
    if not ids:
        user_id = db.session.scalar(
            sa.select(User.id).where(User.agency_id == agency.id, User.role == "registrar")
        )
        job = BackgroundJob(
            kind="export",
            agency_id=agency.id,
            user_id=user_id,
            params={"fmt": "csv", "version": None},
            status="ready",
            result=b"x",
            result_size=1,
        )
        db.session.add(job)
        db.session.commit()
        ids = [job.id]
    return list(ids)


def _routes(app):
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.split(".", 1)[0] if "." in rule.endpoint else rule.endpoint
        if not rule.arguments or blueprint in PUBLIC_BLUEPRINTS:
            continue
        yield rule


def _build(rule, values: dict) -> str:
    path = rule.rule
    for arg in rule.arguments:
        path = re.sub(r"<(?:[^:<>]+:)?" + arg + r">", str(values[arg]), path)
    return path


def _check_routes(app, client, own: dict, foreign: dict) -> list[str]:
    problems = []
    for rule in _routes(app):
        unknown = [a for a in rule.arguments if a not in foreign]
        if unknown:
            problems.append(
                f"{rule.rule}: no test objects for argument(s) {unknown}; add them to _ids()"
            )
            continue
        if any(not foreign[a] for a in rule.arguments):
            continue
        foreign_values = {a: foreign[a][-1] for a in rule.arguments}
        path = _build(rule, foreign_values)
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(path, method=method)
            if response.status_code == 404:
                continue
            if response.status_code == 403 and all(own.get(a) for a in rule.arguments):
                # Forbidden to the role whatever the object: allowed if it is 403 for one's own too.
                own_path = _build(rule, {a: own[a][0] for a in rule.arguments})
                if client.open(own_path, method=method).status_code == 403:
                    continue
            problems.append(f"{method} {path} -> {response.status_code}")
    return problems


@pytest.mark.parametrize(
    "email",
    [
        "registrar@murmansk-tourism.example.org",
        "editor@murmansk-tourism.example.org",
        "viewer@murmansk-tourism.example.org",
        "office@murmansk.example.org",
    ],
)
def test_every_route_hides_other_agencys_objects(two_agencies, email):
    app = two_agencies
    _invite_each_agency(app)
    app.config["ALLOW_DEMO_PASSWORDS"] = True
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": "demo"}).status_code == 302
    own = _ids(app, "murmansk-tourism")
    foreign = _ids(app, "kuzbass-emergencies")
    # Version numbers: only those that the foreign agency has and the own one does not.
    foreign["number"] = [n for n in foreign["number"] if n not in own["number"]]
    # Every kind of argument has an object to try, so no route is skipped for lack of one.
    assert all(foreign[k] for k in foreign), {k for k in foreign if not foreign[k]}
    problems = _check_routes(app, client, own, foreign)
    assert not problems, "\n".join(problems)


def test_routes_with_arguments_exist(two_agencies):
    # Guards the test above against silently checking nothing.
    rules = list(_routes(two_agencies))
    assert any("slug" in r.arguments for r in rules)
    assert any("user_id" in r.arguments for r in rules)


# --------------------------------------------------------------------------- database layer


def _app_role_engine(urls):
    return sa.create_engine(urls["app"])


def _push(conn, scope):
    """The scope as the application hands it over: signed with the configured key."""
    push_scope(conn, scope, key=DEMO_SCOPE_KEY)


def test_rls_hides_other_agency_rows_from_raw_sql(two_agencies, migrated):
    with two_agencies.app_context(), scoped(SYSTEM_SCOPE):
        mur = db.session.scalar(sa.select(Agency.id).where(Agency.slug == "murmansk-tourism"))
        kuz = db.session.scalar(sa.select(Agency.id).where(Agency.slug == "kuzbass-emergencies"))
    engine = _app_role_engine(migrated)
    try:
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT current_user")) == APP_ROLE
            for table in tenant_tables():
                _push(conn, agency_scope(kuz))
                leaked = conn.scalar(
                    sa.text(f"SELECT count(*) FROM {table} WHERE agency_id = :m"), {"m": mur}
                )
                assert leaked == 0, f"{table}: {leaked} rows of another agency visible"
                conn.rollback()
            # No scope at all: nothing (fails closed).
            for table in tenant_tables():
                assert conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) == 0, table
                conn.rollback()
            # With its own agency set, the rows are there: the policy is not simply "deny all".
            _push(conn, agency_scope(mur))
            assert conn.scalar(sa.text("SELECT count(*) FROM entry")) > 0
            conn.rollback()
    finally:
        engine.dispose()


def test_rls_refuses_writing_into_another_agency(two_agencies, migrated):
    with two_agencies.app_context(), scoped(SYSTEM_SCOPE):
        mur = db.session.scalar(sa.select(Agency.id).where(Agency.slug == "murmansk-tourism"))
        kuz = db.session.scalar(sa.select(Agency.id).where(Agency.slug == "kuzbass-emergencies"))
    engine = _app_role_engine(migrated)
    try:
        with engine.connect() as conn:
            _push(conn, agency_scope(kuz))
            with pytest.raises(sa.exc.ProgrammingError, match="row-level security"):
                conn.execute(
                    sa.text(
                        "INSERT INTO subdivision (agency_id, code, name, active) VALUES (:m, 'x', 'x', true)"
                    ),
                    {"m": mur},
                )
            conn.rollback()
            _push(conn, agency_scope(kuz))
            updated = conn.execute(
                sa.text("UPDATE entry SET process_name = 'взлом' WHERE agency_id = :m"), {"m": mur}
            ).rowcount
            assert updated == 0
            conn.rollback()
    finally:
        engine.dispose()


def test_project_office_scope_reads_own_region_only(two_agencies, migrated):
    with two_agencies.app_context(), scoped(SYSTEM_SCOPE):
        mur = db.session.scalar(sa.select(Agency).where(Agency.slug == "murmansk-tourism"))
        kuz_id = db.session.scalar(sa.select(Agency.id).where(Agency.slug == "kuzbass-emergencies"))
        region_id = mur.region_id
        mur_id = mur.id
    engine = _app_role_engine(migrated)
    try:
        with engine.connect() as conn:
            _push(conn, Scope("region", region_id=region_id))
            own = conn.scalar(
                sa.text("SELECT count(*) FROM entry WHERE agency_id = :a"), {"a": mur_id}
            )
            other = conn.scalar(
                sa.text("SELECT count(*) FROM entry WHERE agency_id = :a"), {"a": kuz_id}
            )
            assert own > 0 and other == 0
            # The office reads; it does not write.
            changed = conn.execute(sa.text("UPDATE entry SET process_name = 'x'")).rowcount
            assert changed == 0
            conn.rollback()
    finally:
        engine.dispose()


def test_orm_layer_scopes_queries_without_rls(two_agencies):
    """The application layer alone (as on SQLite) also hides other agencies' rows."""
    app = two_agencies
    with app.app_context():
        with scoped(SYSTEM_SCOPE):
            mur = db.session.scalar(sa.select(Agency.id).where(Agency.slug == "murmansk-tourism"))
            total = db.session.scalar(sa.select(sa.func.count(Entry.id)))
        with scoped(agency_scope(mur)):
            rows = db.session.scalars(sa.select(Entry)).all()
            assert rows and all(e.agency_id == mur for e in rows)
            assert len(rows) < total


def test_every_tenant_table_has_forced_rls(migrated):
    engine = sa.create_engine(migrated["owner"])
    try:
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
            for table in tenant_tables():
                assert rows.get(table) == (True, True), f"{table} lacks forced RLS"
            role = conn.execute(
                sa.text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"),
                {"r": APP_ROLE},
            ).one()
            assert tuple(role) == (False, False)
    finally:
        engine.dispose()


def test_rls_statements_fail_closed():
    ddl = " ".join(rls_statements("entry"))
    # The scope comes from the verified functions only, never from a bare setting.
    assert "agency_id = (SELECT app_agency())" in ddl
    assert "current_setting" not in ddl
    assert "FORCE ROW LEVEL SECURITY" in ddl


def test_migration_policies_match_the_models():
    """Every revision that puts tables under RLS declares them in its TENANT_TABLES; together
    they match the models' declarations."""
    import importlib.util

    from touchpoints.config import ROOT_DIR
    from touchpoints.core.db import tenant_table_policies

    declared: dict = {}
    for path in sorted((ROOT_DIR / "migrations" / "versions").glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for table, policy in getattr(module, "TENANT_TABLES", {}).items():
            assert table not in declared, f"{table} declared twice ({path.name})"
            declared[table] = policy
    assert tenant_table_policies() == dict(sorted(declared.items()))


def test_project_office_never_reads_drafts(two_agencies, migrated):
    """docs/tenancy.md: nobody sees another agency's drafts, the project office included."""
    app = two_agencies
    with app.app_context(), scoped(SYSTEM_SCOPE):
        mur = db.session.scalar(sa.select(Agency).where(Agency.slug == "murmansk-tourism"))
        hidden = db.session.scalars(
            sa.select(Entry.process_name).where(
                Entry.agency_id == mur.id,
                Entry.kind == "new",
                Entry.status.in_(("draft", "submitted", "returned")),
            )
        ).all()
        region_id, mur_id = mur.region_id, mur.id
    assert hidden, "demo data has drafts, submissions and returns"
    # Application layer alone: connected as the owner, whom RLS does not restrict.
    owner_app = make_app({"app": migrated["owner"], "owner": migrated["owner"]})
    with owner_app.app_context(), scoped(Scope("region", region_id=region_id)):
        statuses = set(db.session.scalars(sa.select(Entry.status).where(Entry.agency_id == mur_id)))
        assert statuses <= {"included", "excluded"} and statuses
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0
    # Database layer, raw SQL as the application's role.
    engine = _app_role_engine(migrated)
    try:
        with engine.connect() as conn:
            _push(conn, Scope("region", region_id=region_id))
            drafts = conn.scalar(
                sa.text("SELECT count(*) FROM entry WHERE status NOT IN ('included', 'excluded')")
            )
            assert drafts == 0
            assert conn.scalar(sa.text("SELECT count(*) FROM entry")) > 0
            assert conn.scalar(sa.text("SELECT count(*) FROM audit_event")) == 0
            assert conn.scalar(sa.text("SELECT count(*) FROM import_session")) == 0
            conn.rollback()
    finally:
        engine.dispose()
    # Through the drill-down pages, whatever the filter asks for.
    client = app.test_client()
    client.post("/login", data={"email": "office@murmansk.example.org", "password": "demo"})
    for status in ("pending", "all", "draft", "submitted", "returned"):
        body = client.get(f"/agencies/murmansk-tourism/list?status={status}").get_data(as_text=True)
        for text in hidden:
            assert text not in body, (status, text)
