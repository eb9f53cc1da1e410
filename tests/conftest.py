"""Fixtures: a real PostgreSQL database per test process (the app connects as a non-owner role so
row-level security applies), real Redis, one application per process, factories for tenants and
users, and a clean slate per test (the rows written are deleted by the owner afterwards). How
and why: docs/testing.md."""

from __future__ import annotations

import contextlib
import copy
import functools
import os
import uuid
from datetime import date
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from tests.ordering import (  # noqa: F401 - hooks: longest tests first (tests/ordering.py)
    pytest_collection_modifyitems,
    pytest_runtest_logreport,
    pytest_sessionfinish,
)
from tests.snapshots import owner_engine, replay
from touchpoints import create_app
from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.config import ROOT_DIR
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency, Region, Subdivision
from touchpoints.extensions import limiter

PG_ADMIN_URL = os.environ.get(
    "TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _redis_url() -> str:
    # One Redis database per xdist worker: tests flush theirs, and a real Celery worker's
    # queue must not be flushed by the other worker's tests. TEST_REDIS_BASE (15 unless set)
    # is the first worker's database, the others count down from it, so parallel checkouts
    # on one machine can each take their own (docs/testing.md).
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    base = int(os.environ.get("TEST_REDIS_BASE", "15"))
    return f"redis://127.0.0.1:6379/{(base - index) % 16}"


REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL") or _redis_url()
APP_ROLE = "touchpoints_app_test"
PASSWORD = "correct horse battery staple"


def _db_name() -> str:
    # TEST_DB_PREFIX keeps parallel checkouts on one machine out of each other's databases.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"touchpoints_test_{os.environ.get('TEST_DB_PREFIX', '')}{worker}"


def _require_services() -> None:
    """Tests run against the real services; their absence is a failure, never a skip."""
    try:
        sa.create_engine(PG_ADMIN_URL).connect().close()
    except Exception as exc:
        pytest.exit(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}", returncode=3)
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_timeout=3).ping()
    except Exception as exc:
        pytest.exit(f"Redis is not reachable at {REDIS_TEST_URL}: {exc}", returncode=3)


@pytest.fixture(scope="session")
def database_urls():
    _require_services()
    name = _db_name()
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    owner_url = f"{base}/{name}"
    app_url = owner_url.replace("postgres@", f"{APP_ROLE}@", 1)
    yield {"owner": owner_url, "app": app_url, "name": name}


@pytest.fixture(scope="session")
def migrated(database_urls):
    """Upgrade the empty database with Alembic as the owner, then grant the app role."""
    from flask_migrate import upgrade

    from touchpoints.core.cli import grant_app_role

    app = create_app(
        "test",
        SQLALCHEMY_DATABASE_URI=database_urls["owner"],
        MIGRATION_DATABASE_URL=database_urls["owner"],
    )
    with app.app_context():
        upgrade(directory=str(ROOT_DIR / "migrations"))
    engine = sa.create_engine(database_urls["owner"])
    _create_unmigrated_tables(engine)
    grant_app_role(engine, APP_ROLE, scope_key=app.config["SCOPE_KEY"])
    engine.dispose()
    return database_urls


def _create_unmigrated_tables(engine) -> None:
    """Tables of models that have no migration yet, so that work in progress can be tested.

    tests/test_migrations.py fails while any such table exists: this only keeps the other tests
    meaningful until the migration is written. New tenant tables get the same RLS policies."""
    from touchpoints.core.db import rls_statements, tenant_table_policies

    existing = set(sa.inspect(engine).get_table_names())
    missing = [t for t in db.metadata.sorted_tables if t.name not in existing]
    if not missing:
        return
    db.metadata.create_all(engine, tables=missing)
    tenant = tenant_table_policies()
    with engine.begin() as conn:
        for table in missing:
            if table.name in tenant:
                public, region_read = tenant[table.name]
                for statement in rls_statements(
                    table.name, public_read=public, region_read=region_read
                ):
                    conn.execute(sa.text(statement))


def make_app(urls, **overrides):
    cfg = {
        "SQLALCHEMY_DATABASE_URI": urls["app"],
        "MIGRATION_DATABASE_URL": urls["owner"],
        "RATELIMIT_STORAGE_URI": REDIS_TEST_URL,
        "WTF_CSRF_ENABLED": False,
        "MAIL_BACKEND": "outbox",
        "SERVER_NAME": None,
    }
    cfg.update(overrides)
    return create_app("test", **cfg)


@pytest.fixture(scope="session")
def _session_app(migrated):
    """One application for the whole session: building an app per test cost more than most tests."""
    app = make_app(migrated)
    pristine = _AppState(app)
    yield app, pristine
    with app.app_context():
        app.extensions["inprocess_jobs"].wait(timeout=60)
        db.session.remove()
        db.engine.dispose()


class _AppState:
    """What a test may change on the shared app, taken before any test ran, and put back after
    each one: the configuration (deep enough for the nested Celery settings) and the per-process
    caches that features keep in ``app.extensions``."""

    def __init__(self, app):
        self.config = copy.deepcopy(dict(app.config))
        self.extensions = set(app.extensions)

    def restore(self, app) -> None:
        app.config.clear()
        app.config.update(copy.deepcopy(self.config))
        for key in set(app.extensions) - self.extensions:
            del app.extensions[key]


@pytest.fixture
def app(_session_app, migrated):
    app, pristine = _session_app
    # Flask-Limiter's one Limiter keeps the storage of the app it was last initialised with; a
    # test that built its own app (the demo on SQLite: memory storage) must not leave it there.
    limiter.init_app(app)
    # Likewise Celery's default app (shared tasks run in the Flask app of the Celery app that was
    # made default last): a test's own app must not run the next test's tasks.
    app.extensions["celery"].set_default()
    app.extensions["celery"].set_current()
    yield app
    with app.app_context():
        app.extensions["inprocess_jobs"].wait(timeout=60)
        db.session.remove()
    pristine.restore(app)
    _clean(migrated)


def _clean(urls) -> None:
    """Empty what the test wrote: find the non-empty tables in one query and delete their rows.

    DELETE of a few rows is much cheaper than TRUNCATE, which creates new files for every table.
    The owner is a superuser here: ``session_replication_role = replica`` switches off triggers
    for this transaction only (foreign keys and the immutability of approved versions), so the
    order of deletion does not matter. Identities restart, as a fresh database would have them."""
    names = [t.name for t in db.metadata.sorted_tables]
    probe = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in names
    )
    with owner_engine(urls["owner"]).begin() as conn:
        used = list(conn.execute(sa.text(probe)).scalars())
        if used:
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            statements = [f'DELETE FROM "{name}"' for name in used]
            statements += [
                f"SELECT setval(s, 1, false) FROM pg_get_serial_sequence('\"{name}\"', 'id') s "
                "WHERE s IS NOT NULL"
                for name in used
                if "id" in db.metadata.tables[name].c
            ]
            conn.exec_driver_sql("; ".join(statements))
    flush_redis()


@pytest.fixture(autouse=True)
def _fresh_redis():
    """Every test starts with an empty Redis database: rate-limit windows, lockouts and queues of
    a test that built its own app (and so skipped the per-test reset) never reach the next one."""
    flush_redis()


def flush_redis() -> None:
    """Empty the test Redis database, through one client (and connection) for the session."""
    _redis_client().flushdb()


@functools.cache
def _redis_client() -> redis.Redis:
    return redis.Redis.from_url(REDIS_TEST_URL)


@pytest.fixture
def app_ctx(app):
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def seeded(app):
    """Both seed regions and agencies from tenants/ (flask tenants sync), copied back after the
    first sync in a process (tests/snapshots.py)."""
    from touchpoints.tenants.sync import sync

    def build():
        with app.app_context():
            sync(app.config["TENANTS_DIR"])
            db.session.commit()

    tenants = app.config["TENANTS_DIR"]
    replay(app.config["MIGRATION_DATABASE_URL"], ("tenants", _tenant_files(tenants)), build)
    return app


# --------------------------------------------------------------------------- factories


@pytest.fixture
def make_region(app):
    def factory(slug=None, name=None, timezone="Europe/Moscow"):
        with app.app_context(), scoped(SYSTEM_SCOPE):
            slug = slug or f"region-{uuid.uuid4().hex[:6]}"
            region = db.session.scalar(sa.select(Region).where(Region.slug == slug))
            if region is None:
                region = Region(slug=slug, name=name or f"Регион {slug}", timezone=timezone)
                db.session.add(region)
                db.session.commit()
            return region.id

    return factory


def _tenant_files(tenants_dir) -> tuple:
    """What tells whether tenants/ changed: its files and their modification times."""
    files = sorted(Path(tenants_dir).rglob("*.yaml"))
    return str(tenants_dir), tuple((str(f), f.stat().st_mtime_ns) for f in files)


def _tenant_forms(tenants_dir) -> dict:
    """The form templates of tenants/ (``load(...).forms``), read again only when a file changed:
    parsing the YAML cost more than the rest of make_agency, which about 120 tests call."""
    return _load_forms(*_tenant_files(tenants_dir))


@functools.cache
def _load_forms(tenants_dir: str, _files: tuple) -> dict:
    from touchpoints.tenants.loader import load

    return load(tenants_dir).forms


@pytest.fixture
def make_agency(app, make_region):
    """Creates an agency from a form template; returns its id. Templates come from tenants/."""

    def factory(
        slug=None, region_id=None, template="default-full", subdivisions=("main", "second")
    ):
        from touchpoints.tenants.schema import jsonable

        forms = _tenant_forms(app.config["TENANTS_DIR"])
        with app.app_context(), scoped(SYSTEM_SCOPE):
            region_id = region_id or make_region()
            slug = slug or f"agency-{uuid.uuid4().hex[:6]}"
            agency = Agency(
                slug=slug,
                region_id=region_id,
                full_name=f"Министерство {slug}",
                short_name=f"Министерство {slug}",
                form_template=template,
                form=jsonable(forms[template]),
                head_title="Министр",
                head_name="И.И. Иванов",
                city="г. Город",
                legal_basis="В соответствии с распоряжением",
                settings={
                    "policies": {
                        "publication_working_days": 10,
                        "review_working_days": 5,
                        "reconfirm_months": 3,
                    }
                },
            )
            db.session.add(agency)
            db.session.flush()
            for code in subdivisions:
                db.session.add(Subdivision(agency_id=agency.id, code=code, name=f"Отдел {code}"))
            db.session.commit()
            return agency.id

    return factory


@pytest.fixture
def make_user(app):
    """Creates a user with password PASSWORD; returns its id."""

    def factory(
        role: Role | str,
        agency_id=None,
        region_id=None,
        subdivision_code=None,
        email=None,
        name=None,
    ):
        role = Role(role)
        with app.app_context(), scoped(SYSTEM_SCOPE):
            sub_id = None
            if role is Role.EDITOR:
                q = sa.select(Subdivision).where(Subdivision.agency_id == agency_id)
                if subdivision_code:
                    q = q.where(Subdivision.code == subdivision_code)
                sub_id = db.session.scalars(q.order_by(Subdivision.id)).first().id
            user = User(
                email=email or f"{role.value}-{uuid.uuid4().hex[:8]}@example.org",
                name=name or f"Пользователь {role.label}",
                role=role.value,
                agency_id=agency_id,
                region_id=region_id,
                subdivision_id=sub_id,
            )
            # The test profile's argon2id cost is the lowest (TEST_PASSWORD_HASH, config.py):
            # hashing per user and verifying at each login cost about a millisecond.
            user.set_password(PASSWORD)
            db.session.add(user)
            db.session.commit()
            return user.id

    return factory


def login(client, app, user_id: int) -> None:
    with app.app_context(), scoped(SYSTEM_SCOPE):
        email = db.session.get(User, user_id).email
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


@pytest.fixture
def login_as(client, app):
    def do(user_id):
        login(client, app, user_id)
        return client

    return do


@pytest.fixture
def today() -> date:
    return date.today()


# --------------------------------------------------------------------------- Celery worker


class RealWorkers:
    """Real ``celery worker`` processes (solo pool) against the test Redis and database, and an
    application whose tasks go to that Redis (:meth:`broker_app`), as production sends them."""

    def __init__(self, urls):
        self.urls = urls
        self.procs: list = []
        self._logs: dict = {}
        self._broker_app = None

    def broker_app(self, **config):
        """The application that queues through Redis (built once per test)."""
        if self._broker_app is None:
            from touchpoints.config import build_config

            celery_cfg = dict(build_config("test")["CELERY"])
            celery_cfg.update(
                broker_url=REDIS_TEST_URL, result_backend=REDIS_TEST_URL, task_always_eager=False
            )
            self._broker_app = make_app(
                self.urls, REDIS_URL=REDIS_TEST_URL, CELERY=celery_cfg, **config
            )
        return self._broker_app

    def start(self, **env):
        """One more worker; ``env`` adds TOUCHPOINTS_* (or other) variables to its environment."""
        import subprocess
        import sys
        import tempfile

        log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "worker",
                "--pool=solo",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT_DIR,
            env={
                **os.environ,
                "TOUCHPOINTS_ENV": "test",
                "TOUCHPOINTS_DATABASE_URL": self.urls["app"],
                "TOUCHPOINTS_REDIS_URL": REDIS_TEST_URL,
                "PYTHONPATH": f"{ROOT_DIR / 'platform'}:{ROOT_DIR}",
                **env,
            },
            # A file, not a pipe: a worker writing into a pipe nobody reads would block.
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.procs.append(proc)
        self._logs[proc.pid] = log
        return proc

    def output(self, proc) -> str:
        log = self._logs[proc.pid]
        log.seek(0)
        return log.read().decode("utf-8", "replace")[-3000:]

    def assert_alive(self, proc) -> None:
        assert proc.poll() is None, f"the worker exited:\n{self.output(proc)}"

    def stop(self) -> None:
        import subprocess

        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
            self._logs.pop(proc.pid).close()
        if self._broker_app is not None:
            with self._broker_app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture
def real_workers(app, migrated):
    """Start real Celery workers with ``real_workers.start()``; all stopped after the test."""
    flush_redis()
    workers = RealWorkers(migrated)
    yield workers
    workers.stop()
    flush_redis()


# --------------------------------------------------------------------------- browser


@pytest.fixture
def live_server(app):
    """The application served over real HTTP on a free loopback port, in a thread."""
    with serving(app) as base:
        yield base


@contextlib.contextmanager
def serving(wsgi_app):
    """``wsgi_app`` over real HTTP on a free loopback port, in a thread; yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    # serve_forever looks for a shutdown every poll_interval: at its default of 0.5 s, stopping
    # the server cost each browser test up to half a second.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (no browser download: executable_path)."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(executable):
        pytest.fail(
            f"Chromium not found at {executable}: run `make test-deps` (apt-get install chromium)"
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def load_demo_data(app) -> None:
    """``flask demo load`` into the test database, as fast as a copy after the first time in a
    process (tests/snapshots.py): the demo goes through the real services (reviews,
    compliance, approval) and costs seconds; about forty tests need it."""
    from touchpoints.demo.data import load_demo

    def build():
        with app.app_context():
            load_demo()
            app.extensions["inprocess_jobs"].wait(timeout=60)
            db.session.remove()

    replay(app.config["MIGRATION_DATABASE_URL"], "demo", build)


@pytest.fixture
def demo_app(seeded):
    """The demo accounts and data loaded into the test database; demo passwords accepted."""
    load_demo_data(seeded)
    seeded.config["ALLOW_DEMO_PASSWORDS"] = True
    return seeded
