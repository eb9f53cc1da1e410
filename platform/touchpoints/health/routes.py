import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from touchpoints.core.db import db

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    """State of the database, Redis (or "in-process") and the worker, for probes and operators."""
    checks: dict[str, dict] = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = {"ok": True, "backend": db.engine.dialect.name}
    except Exception as exc:  # a probe reports, it does not crash
        checks["database"] = {"ok": False, "error": type(exc).__name__}
    finally:
        db.session.rollback()

    redis_url = current_app.config["REDIS_URL"]
    if not redis_url:
        checks["redis"] = {"ok": True, "mode": "in-process"}
        checks["worker"] = {"ok": True, "mode": "in-process"}
    else:
        import redis

        try:
            redis.Redis.from_url(redis_url, socket_timeout=2).ping()
            checks["redis"] = {"ok": True}
        except Exception as exc:
            checks["redis"] = {"ok": False, "error": type(exc).__name__}
        try:
            replies = current_app.extensions["celery"].control.ping(timeout=1.0) or []
            checks["worker"] = {"ok": bool(replies), "workers": len(replies)}
        except Exception as exc:
            checks["worker"] = {"ok": False, "error": type(exc).__name__}
    ok = all(c["ok"] for c in checks.values())
    return jsonify(status="ok" if ok else "degraded", checks=checks), 200 if ok else 503
