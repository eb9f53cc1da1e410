"""Longest tests first, so that ``pytest -n 2`` ends with both workers busy (docs/testing.md).

pytest-xdist's ``load`` scheduling deals the tests out in collection order: a forty-second test
collected last would run alone on one worker while the other has nothing left to do. So tests
that took a second or more in the last run (their setup, call and teardown, kept in pytest's
cache by the run that ended) are moved to the front, longest first; before any run is recorded,
tests that start real Celery workers or a browser, or are marked ``slow``, are. The rest keep
the order of their files. The order is the same in every xdist worker, which xdist requires:
they all read the same cache, which is written only when the whole run ends.
"""

from __future__ import annotations

import collections

import pytest

CACHE_KEY = "touchpoints/durations"
#: Seconds from which a test is moved to the front.
LONG = 1.0
#: What a test is guessed to take before its duration was recorded.
GUESSES = (("real_workers", 10.0), ("page", 3.0), ("live_server", 3.0))

_seen: dict[str, float] = collections.defaultdict(float)


def _guess(item) -> float:
    fixtures = set(getattr(item, "fixturenames", ()))
    for name, seconds in GUESSES:
        if name in fixtures:
            return seconds
    return 3.0 if item.get_closest_marker("slow") else 0.0


def pytest_collection_modifyitems(config, items):
    cache = getattr(config, "cache", None)
    known = cache.get(CACHE_KEY, {}) if cache is not None else {}

    def cost(item) -> float:
        return known.get(item.nodeid, _guess(item))

    long = sorted((i for i in items if cost(i) >= LONG), key=cost, reverse=True)
    rest = [i for i in items if cost(i) < LONG]
    items[:] = long + rest


def pytest_runtest_logreport(report):
    # In the xdist controller this sees every worker's reports; in a worker, its own.
    _seen[report.nodeid] += report.duration


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session):
    cache = getattr(session.config, "cache", None)
    if cache is None or hasattr(session.config, "workerinput") or not _seen:
        return
    known = cache.get(CACHE_KEY, {})
    known.update({nodeid: round(seconds, 2) for nodeid, seconds in _seen.items()})
    cache.set(CACHE_KEY, known)
