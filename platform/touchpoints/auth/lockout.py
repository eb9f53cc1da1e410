"""Per-account lockout with backoff, besides the per-address limit of Flask-Limiter.

An attacker spreading guesses over many addresses still meets this one: after
``LOGIN_LOCKOUT_THRESHOLD`` failures for one e-mail, each further failure locks that e-mail for
30 s, 1 min, 2 min, … up to ``LOGIN_LOCKOUT_MAX_SECONDS``. Kept by e-mail, whether an account
exists or not, so the answer tells nothing about accounts; a success clears it. State lives in
the rate limiter's storage (Redis in production; memory in the demo).
"""

from __future__ import annotations

import hashlib
import threading
import time

import redis
from flask import current_app

_memory: dict[str, tuple[int, float]] = {}
_memory_lock = threading.Lock()
BASE_DELAY = 30
WINDOW = 3600  # failures are forgotten an hour after the last one


def _key(email: str) -> str:
    return "login-lockout:" + hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def _redis():
    uri = current_app.config.get("RATELIMIT_STORAGE_URI") or ""
    if not uri.startswith(("redis://", "rediss://")):
        return None
    client = current_app.extensions.get("lockout_redis")
    if client is None:
        client = current_app.extensions["lockout_redis"] = redis.Redis.from_url(uri)
    return client


def _read(key: str) -> tuple[int, float]:
    client = _redis()
    if client is None:
        with _memory_lock:
            return _memory.get(key, (0, 0.0))
    values = client.hmget(key, "failures", "until")
    return int(values[0] or 0), float(values[1] or 0)


def seconds_left(email: str) -> int:
    """Seconds until this e-mail may try again (0: now)."""
    _, until = _read(_key(email))
    return max(0, int(until - time.time() + 0.999))


def delay_after(failures: int) -> int:
    threshold = current_app.config["LOGIN_LOCKOUT_THRESHOLD"]
    if failures < threshold:
        return 0
    return min(
        BASE_DELAY * 2 ** (failures - threshold), current_app.config["LOGIN_LOCKOUT_MAX_SECONDS"]
    )


def record_failure(email: str) -> int:
    """Count one failure; returns the lock in seconds it causes (0: none yet)."""
    key = _key(email)
    client = _redis()
    if client is None:
        with _memory_lock:
            failures = _memory.get(key, (0, 0.0))[0] + 1
            delay = delay_after(failures)
            _memory[key] = (failures, time.time() + delay)
        return delay
    failures = client.hincrby(key, "failures", 1)
    delay = delay_after(failures)
    pipe = client.pipeline()
    pipe.hset(key, "until", time.time() + delay)
    pipe.expire(key, WINDOW + delay)
    pipe.execute()
    return delay


def clear(email: str) -> None:
    key = _key(email)
    client = _redis()
    if client is None:
        with _memory_lock:
            _memory.pop(key, None)
    else:
        client.delete(key)
