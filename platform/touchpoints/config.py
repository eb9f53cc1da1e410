"""Configuration from environment variables, all prefixed ``TOUCHPOINTS_``.

``TOUCHPOINTS_ENV`` picks the profile: ``demo`` (SQLite, tasks in-process, mail to the outbox),
``test`` or ``production`` (the default: it refuses to start with demo secrets or SQLite, so a
forgotten variable fails loudly instead of running an insecure server).
"""

from __future__ import annotations

import os
from pathlib import Path


def _root_dir() -> Path:
    """Where templates/, static/, tenants/ and migrations/ are: the checkout for an editable
    install, ``TOUCHPOINTS_ROOT_DIR`` (the image sets it) for an installed package, whose code
    lives in site-packages apart from those folders."""
    configured = os.environ.get("TOUCHPOINTS_ROOT_DIR")
    if configured:
        return Path(configured).resolve()
    checkout = Path(__file__).resolve().parents[2]
    return checkout if (checkout / "templates").is_dir() else Path.cwd()


ROOT_DIR = _root_dir()
INSTANCE_DIR = Path(os.environ.get("TOUCHPOINTS_INSTANCE_DIR", ROOT_DIR / "instance"))
PREFIX = "TOUCHPOINTS_"
DEMO_SECRET = "demo-secret-key-not-for-production"
DEMO_SCOPE_KEY = "demo-scope-key-not-for-production"


class ConfigError(RuntimeError):
    """The configuration would run an unsafe or broken server."""


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(PREFIX + name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = env(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = env(name)
    return default if raw in (None, "") else int(raw)


def _sqlalchemy_url(url: str) -> str:
    # psycopg 3 is the driver we ship; accept the usual postgres:// spellings too.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


#: argon2id cost of password hashes: RFC 9106's "low memory" profile, argon2-cffi's default and
#: above OWASP's minimum (docs/security.md). Memory in KiB.
PASSWORD_HASH = {"time_cost": 3, "memory_cost": 65536, "parallelism": 4}
#: The test profile's: the same argon2id code at the lowest cost; its passwords guard nothing,
#: and at the production cost a login took longer than most tests (docs/testing.md).
TEST_PASSWORD_HASH = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}


def build_config(profile: str | None = None, **overrides) -> dict:
    profile = (profile or env("ENV", "production")).lower()
    if profile not in {"demo", "test", "production"}:
        raise ConfigError(f"TOUCHPOINTS_ENV={profile!r}: ожидается demo, test или production")
    demo = profile == "demo"
    default_db = f"sqlite:///{INSTANCE_DIR / 'touchpoints.sqlite3'}"
    redis_url = env("REDIS_URL") or None
    visibility = env_int("VISIBILITY_TIMEOUT", 30)
    cfg: dict = {
        "PROFILE": profile,
        "DEMO": demo,
        "TESTING": profile == "test",
        "SECRET_KEY": env("SECRET_KEY", DEMO_SECRET if profile != "production" else None),
        "SQLALCHEMY_DATABASE_URI": _sqlalchemy_url(env("DATABASE_URL", default_db)),
        #: Owner connection for migrations and RLS set-up; the app itself connects as a
        #: non-owner role (DATABASE_URL) so that row-level security applies to it.
        "MIGRATION_DATABASE_URL": _sqlalchemy_url(env("MIGRATION_DATABASE_URL", "") or "") or None,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        "BASE_URL": env("BASE_URL", "http://127.0.0.1:5000"),
        "TENANTS_DIR": Path(env("TENANTS_DIR", str(ROOT_DIR / "tenants"))),
        "INSTANCE_DIR": INSTANCE_DIR,
        # Mail: "outbox" stores messages in the database (demo), "smtp" sends them.
        "MAIL_BACKEND": env("MAIL_BACKEND", "outbox" if demo else "smtp"),
        "MAIL_SERVER": env("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": env_int("MAIL_PORT", 25),
        "MAIL_USERNAME": env("MAIL_USERNAME"),
        "MAIL_PASSWORD": env("MAIL_PASSWORD"),
        "MAIL_USE_TLS": env_bool("MAIL_USE_TLS", False),
        "MAIL_TIMEOUT": env_int("MAIL_TIMEOUT", 10),
        "MAIL_DEFAULT_SENDER": env(
            "MAIL_DEFAULT_SENDER", "Реестр точек взаимодействия <noreply@example.org>"
        ),
        "MAX_CONTENT_LENGTH": env_int("MAX_UPLOAD_BYTES", 10 * 1024 * 1024),
        "PASSWORD_HASH": dict(TEST_PASSWORD_HASH if profile == "test" else PASSWORD_HASH),
        #: Years whose working-day calendar an operator checked although holidays lacks a decree.
        "CALENDAR_DECREED_YEARS": [
            int(y) for y in (env("CALENDAR_DECREED_YEARS") or "").split(",") if y.strip()
        ],
        #: Offer the approving order's PDF with each approved version on the public pages and API.
        "PUBLIC_ORDER_PDF": env_bool("PUBLIC_ORDER_PDF", True),
        #: Run the beat schedule on a thread of the web process (make demo: no Redis, no beat).
        "INPROCESS_BEAT": env_bool("INPROCESS_BEAT", False),
        #: List import (transfer): own file limit, rows per file, hours an unconfirmed upload waits.
        "IMPORT_MAX_BYTES": env_int("IMPORT_MAX_BYTES", 5 * 1024 * 1024),
        "IMPORT_MAX_ROWS": env_int("IMPORT_MAX_ROWS", 3000),
        "IMPORT_TTL_HOURS": env_int("IMPORT_TTL_HOURS", 24),
        #: Exports of more rows than this run as a background job with a progress page.
        "EXPORT_BACKGROUND_ROWS": env_int("EXPORT_BACKGROUND_ROWS", 1000),
        #: Hours a background job's file is kept for download (then the cleanup drops it).
        "JOB_RESULT_HOURS": env_int("JOB_RESULT_HOURS", 24),
        #: A file of more rows is confirmed by a background task with a progress page.
        "IMPORT_BACKGROUND_ROWS": env_int("IMPORT_BACKGROUND_ROWS", 300),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env_bool("SECURE_COOKIES", profile == "production"),
        "REMEMBER_COOKIE_SECURE": env_bool("SECURE_COOKIES", profile == "production"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_ENABLED": env_bool("CSRF_ENABLED", True),
        "WTF_CSRF_TIME_LIMIT": None,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        #: X-RateLimit-* and Retry-After on every limited response cost two more Redis round
        #: trips per request (the window's state), and public pages meant for shared caches
        #: would carry one client's budget (docs/public-cache.md). A 429 page says when to retry.
        "RATELIMIT_HEADERS_ENABLED": env_bool("RATELIMIT_HEADERS", False),
        "LOGIN_RATE_LIMIT": env("LOGIN_RATE_LIMIT", "10 per minute; 50 per hour"),
        #: Per account (auth/lockout.py): failures before the first lock, and the longest lock.
        "LOGIN_LOCKOUT_THRESHOLD": env_int("LOGIN_LOCKOUT_THRESHOLD", 5),
        "LOGIN_LOCKOUT_MAX_SECONDS": env_int("LOGIN_LOCKOUT_MAX_SECONDS", 900),
        #: Signs the tenant scope handed to PostgreSQL (core/db.py); `flask database
        #: grant-app-role` stores it where the application's role cannot read it.
        "SCOPE_KEY": env("SCOPE_KEY", DEMO_SCOPE_KEY if profile != "production" else None),
        #: Requests per client address to the public pages and the API.
        "PUBLIC_RATE_LIMIT": env("PUBLIC_RATE_LIMIT", "600 per minute"),
        "TRUSTED_HOSTS": [h for h in (env("TRUSTED_HOSTS", "") or "").split(",") if h] or None,
        "PROXY_FIX": env_bool("PROXY_FIX", False),
        "PAGE_SIZE": env_int("PAGE_SIZE", 50),
        #: Proof of publication (touchpoints/publication/fetch.py): "" refuses loopback and
        #: private addresses, "loopback" admits 127.0.0.0/8 and ::1 (tests), "1" also private
        #: networks (a closed network); link-local (cloud metadata) is refused whatever it says.
        "PUBLICATION_FETCH_PRIVATE": env("PUBLICATION_FETCH_PRIVATE", "") or "",
        "PUBLICATION_CONNECT_TIMEOUT": float(env("PUBLICATION_CONNECT_TIMEOUT", "5") or 5),
        "PUBLICATION_READ_TIMEOUT": float(env("PUBLICATION_READ_TIMEOUT", "10") or 10),
        "PUBLICATION_TOTAL_TIMEOUT": float(env("PUBLICATION_TOTAL_TIMEOUT", "20") or 20),
        "PUBLICATION_MAX_BYTES": env_int("PUBLICATION_MAX_BYTES", 2 * 1024 * 1024),
        #: Days an approving order's date may lie ahead of today (an order signed for tomorrow).
        "ORDER_DATE_ALLOWANCE_DAYS": env_int("ORDER_DATE_ALLOWANCE_DAYS", 0),
        #: An order PDF whose appendix has at least this many rows is rendered in parts by
        #: parallel processes and merged (docs/pdf.md); 0 renders every order in one process.
        "ORDER_PDF_PARALLEL_ROWS": env_int("ORDER_PDF_PARALLEL_ROWS", 1000),
        #: At most this many appendix rows per part: WeasyPrint's peak memory grows with rows
        #: (about 220 MB for 1,250 rows, 690 MB for 5,000).
        "ORDER_PDF_PART_ROWS": env_int("ORDER_PDF_PART_ROWS", 1250),
        #: Processes rendering the parts of one order (at most the number of CPUs).
        "ORDER_PDF_PROCESSES": env_int("ORDER_PDF_PROCESSES", 2),
        #: Seconds a worker's claim on an order rendering lasts unless renewed (orders/lease.py);
        #: a killed worker's rendering is taken over after at most this long (docs/jobs.md).
        "ORDER_RENDER_LEASE_SECONDS": env_int("ORDER_RENDER_LEASE_SECONDS", 20),
        #: Seconds a background job's claim lasts without a heartbeat (every 2 s; background/
        #: service.py): a killed worker's job is taken over after at most this long (docs/jobs.md).
        "JOB_LEASE_SECONDS": env_int("JOB_LEASE_SECONDS", 30),
        #: Demo accounts log in with password "demo"; refused anywhere else.
        "ALLOW_DEMO_PASSWORDS": demo,
        "CELERY": {
            "broker_url": redis_url or "memory://",
            "result_backend": redis_url or None,
            # Without Redis (the demo) tasks run in the calling process.
            "task_always_eager": redis_url is None,
            "task_eager_propagates": False,
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "worker_max_memory_per_child": env_int("WORKER_MAX_MEMORY_KB", 600_000),
            "task_time_limit": env_int("TASK_TIME_LIMIT", 600),
            # A message a killed worker took is given back after this many seconds (Redis has
            # no other way to know), so it must be short for a job to finish within a minute
            # of the kill. Longer tasks may then run twice: every task is idempotent and
            # claims its row (orders/lease.py, mail.service.claim). Countdowns stay below it.
            "broker_transport_options": {
                "visibility_timeout": visibility,
                # Look for such messages every 5 s (kombu's default scans every 100 s), more
                # often when the timeout is shorter (the fault tests, docs/testing.md).
                "unacked_restore_interval": max(1, min(5, visibility // 6)),
                "unacked_restore_throttle": 1,
            },
            "timezone": "UTC",
            "enable_utc": True,
        },
    }
    cfg.update(overrides)
    validate(cfg)
    return cfg


def validate(cfg: dict) -> None:
    if cfg["PROFILE"] != "production":
        return
    problems = []
    if not cfg.get("SECRET_KEY") or cfg["SECRET_KEY"] == DEMO_SECRET or len(cfg["SECRET_KEY"]) < 32:
        problems.append("TOUCHPOINTS_SECRET_KEY не задан, короче 32 символов или демонстрационный")
    key = cfg.get("SCOPE_KEY")
    if not key or key == DEMO_SCOPE_KEY or len(key) < 32 or key == cfg.get("SECRET_KEY"):
        problems.append(
            "TOUCHPOINTS_SCOPE_KEY не задан, короче 32 символов, демонстрационный "
            "или совпадает с TOUCHPOINTS_SECRET_KEY"
        )
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        problems.append(
            "TOUCHPOINTS_DATABASE_URL указывает на SQLite; в эксплуатации нужна PostgreSQL"
        )
    if cfg.get("ALLOW_DEMO_PASSWORDS"):
        problems.append("демонстрационные пароли разрешены")
    if any(cfg["PASSWORD_HASH"].get(k, 0) < v for k, v in PASSWORD_HASH.items()):
        problems.append("пароли хешируются дешевле профиля RFC 9106 «low memory»")
    if not cfg.get("WTF_CSRF_ENABLED"):
        problems.append("защита от CSRF отключена (TOUCHPOINTS_CSRF_ENABLED)")
    if not cfg.get("TRUSTED_HOSTS"):
        # Links in e-mails, API documents and embed snippets use the Host header.
        problems.append("не задан TOUCHPOINTS_TRUSTED_HOSTS (имена хостов сайта через запятую)")
    if problems:
        raise ConfigError(
            "Конфигурация production небезопасна: "
            + "; ".join(problems)
            + ". Для демонстрации запустите с TOUCHPOINTS_ENV=demo (make demo)."
        )
