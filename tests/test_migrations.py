"""Migrations: upgrade from empty on PostgreSQL, models match them, down and up again (issue 2)."""

import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.conftest import PG_ADMIN_URL, make_app
from touchpoints.config import ROOT_DIR
from touchpoints.core.db import db


@pytest.fixture
def empty_database():
    name = f"touchpoints_test_{os.environ.get('TEST_DB_PREFIX', '')}migr_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _diff(url):
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    engine.dispose()
    return diff


def test_upgrade_from_empty_matches_models_and_downgrades(empty_database):
    from flask_migrate import downgrade, upgrade

    app = make_app({"app": empty_database, "owner": empty_database})
    directory = str(ROOT_DIR / "migrations")
    with app.app_context():
        upgrade(directory=directory)
        assert _diff(empty_database) == [], "models and migrations differ: run flask db migrate"
        downgrade(directory=directory, revision="base")
        engine = sa.create_engine(empty_database)
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()
        upgrade(directory=directory)
        assert _diff(empty_database) == []


def test_migrations_have_one_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT_DIR / "migrations"))
    assert len(ScriptDirectory.from_config(cfg).get_heads()) == 1


def test_demo_database_on_sqlite(tmp_path):
    """`make demo`'s path: migrations and demo data on the embedded SQLite default."""
    from flask_migrate import upgrade

    from touchpoints import create_app
    from touchpoints.demo.data import load_demo

    app = create_app(
        "demo", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/demo.sqlite3", INSTANCE_DIR=tmp_path
    )
    with app.app_context():
        upgrade(directory=str(ROOT_DIR / "migrations"))
        first = load_demo()
        second = load_demo()
        assert any("утверждена редакция" in line for line in first)
        assert all("утверждена" not in line for line in second)  # idempotent
    client = app.test_client()
    r = client.post(
        "/login", data={"email": "registrar@murmansk-tourism.example.org", "password": "demo"}
    )
    # CSRF is on in the demo: the form without a token is refused, with one it works.
    assert r.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    r = client.post(
        "/login",
        data={
            "email": "registrar@murmansk-tourism.example.org",
            "password": "demo",
            "csrf_token": token,
        },
    )
    assert r.status_code == 302
    assert "Комитет по туризму" in client.get("/").get_data(as_text=True)
