import pytest

from touchpoints import create_app
from touchpoints.config import DEMO_SECRET, ConfigError, build_config

GOOD_SECRET = "x" * 48


def _production_env(monkeypatch) -> None:
    """What a production server is given in its environment."""
    monkeypatch.setenv("TOUCHPOINTS_SECRET_KEY", GOOD_SECRET)
    monkeypatch.setenv("TOUCHPOINTS_SCOPE_KEY", "k" * 48)
    monkeypatch.setenv("TOUCHPOINTS_DATABASE_URL", "postgres://app@127.0.0.1/touchpoints")
    monkeypatch.setenv("TOUCHPOINTS_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("TOUCHPOINTS_TRUSTED_HOSTS", "touchpoints.example.gov.ru")


def test_production_refuses_demo_secret(monkeypatch):
    monkeypatch.delenv("TOUCHPOINTS_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build_config("production", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://u@h/db")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        build_config(
            "production",
            SECRET_KEY=DEMO_SECRET,
            SQLALCHEMY_DATABASE_URI="postgresql+psycopg://u@h/db",
        )


def test_production_refuses_sqlite():
    with pytest.raises(ConfigError, match="SQLite"):
        build_config("production", SECRET_KEY=GOOD_SECRET, SQLALCHEMY_DATABASE_URI="sqlite:///x.db")


def test_production_starts_with_real_settings(monkeypatch):
    _production_env(monkeypatch)
    cfg = build_config("production")
    assert cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert cfg["SESSION_COOKIE_SECURE"] and not cfg["ALLOW_DEMO_PASSWORDS"]
    assert cfg["CELERY"]["task_always_eager"] is False
    assert cfg["RATELIMIT_STORAGE_URI"].startswith("redis://")


def test_default_profile_is_production(monkeypatch):
    monkeypatch.delenv("TOUCHPOINTS_ENV", raising=False)
    monkeypatch.delenv("TOUCHPOINTS_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()


def test_demo_profile_runs_embedded(monkeypatch):
    for var in ("TOUCHPOINTS_DATABASE_URL", "TOUCHPOINTS_REDIS_URL"):
        monkeypatch.delenv(var, raising=False)
    cfg = build_config("demo")
    assert cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert cfg["CELERY"]["task_always_eager"] is True
    assert cfg["MAIL_BACKEND"] == "outbox"


def test_production_refuses_missing_trusted_hosts_and_disabled_csrf(monkeypatch):
    monkeypatch.delenv("TOUCHPOINTS_TRUSTED_HOSTS", raising=False)
    db_url = "postgresql+psycopg://u@h/db"
    with pytest.raises(ConfigError, match="TRUSTED_HOSTS"):
        build_config("production", SECRET_KEY=GOOD_SECRET, SQLALCHEMY_DATABASE_URI=db_url)
    with pytest.raises(ConfigError, match="CSRF"):
        build_config(
            "production",
            SECRET_KEY=GOOD_SECRET,
            SQLALCHEMY_DATABASE_URI=db_url,
            TRUSTED_HOSTS=["example.org"],
            WTF_CSRF_ENABLED=False,
        )


def test_production_timings_bring_a_killed_workers_job_back_within_a_minute(monkeypatch):
    """tests/test_security_faults.py kills a worker with shorter timings (the same code); these
    are the production ones it stands for (docs/jobs.md, "Killed workers")."""
    for name in ("VISIBILITY_TIMEOUT", "ORDER_RENDER_LEASE_SECONDS", "JOB_LEASE_SECONDS"):
        monkeypatch.delenv(f"TOUCHPOINTS_{name}", raising=False)
    _production_env(monkeypatch)
    cfg = build_config("production")
    transport = cfg["CELERY"]["broker_transport_options"]
    visibility, restore = transport["visibility_timeout"], transport["unacked_restore_interval"]
    lease = cfg["ORDER_RENDER_LEASE_SECONDS"]
    assert (visibility, restore, lease) == (30, 5, 20)
    # The killed worker's message is back after visibility + restore; its claim has expired by
    # then, or the task retries lease / 2 later (workers/tasks/orders.py): the render starts
    # within 35 s, leaving 25 s of the minute to render.
    assert max(visibility + restore, lease + lease / 2) <= 35
    # A background job (an import, an export) is taken over when its heartbeat is older than its
    # lease, by the redelivered message or by the page's poll (tests/test_import_faults.py).
    assert cfg["JOB_LEASE_SECONDS"] == 30
    assert max(visibility + restore, cfg["JOB_LEASE_SECONDS"]) <= 35
    # A retry's countdown stays below the visibility timeout: a held ETA message is not given
    # back to a second worker while the first still waits to run it.
    assert lease / 2 < visibility


def test_production_hashes_passwords_at_rfc_9106_low_memory_cost(monkeypatch):
    """The test profile hashes at the lowest cost (docs/testing.md); production at RFC 9106's
    "low memory" profile, and refuses to start cheaper."""
    from argon2.profiles import RFC_9106_LOW_MEMORY

    _production_env(monkeypatch)
    cost = build_config("production")["PASSWORD_HASH"]
    profile = RFC_9106_LOW_MEMORY
    assert cost == {
        "time_cost": profile.time_cost,
        "memory_cost": profile.memory_cost,
        "parallelism": profile.parallelism,
    }
    assert build_config("demo")["PASSWORD_HASH"] == cost
    assert build_config("test")["PASSWORD_HASH"]["memory_cost"] < cost["memory_cost"]
    with pytest.raises(ConfigError, match="RFC 9106"):
        build_config("production", PASSWORD_HASH={**cost, "time_cost": 1})
    app = create_app("production")
    with app.app_context():
        from touchpoints.auth.models import User

        user = User(email="x@example.org")
        user.set_password("long enough pw")
    assert user.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
