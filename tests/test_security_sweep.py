"""The route × role sweep of issue 14, item 7, for what a URL carries besides its path ids
(tests/test_isolation.py sweeps those): every route of the URL map, for every role and
anonymously, with bad values in every query argument the views read, and with another
region's and agency's names in it. Routes come from ``app.url_map``, so a new route is swept
without touching this file."""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa

from tests import test_isolation as isolation
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.core.tenancy import Agency, Region

#: Every query argument a view reads (request.args / request.values in platform/).
QUERY_ARGS = ("a", "action", "activity_area", "actor", "approved", "archived", "area", "b",
              "changes", "channel", "client", "dir", "errors", "form", "from", "kind", "next",
              "page", "problems", "publication", "q", "queue", "region", "show", "sort",
              "status", "subdivision", "to", "year")  # fmt: skip
#: Beyond every range: integer, the calendar's ends, a float's overflow, a long text.
BAD_VALUES = ("99999999999999999999", "-1", "9999-12-31", "0001-01-01", "1e308", "я" * 300)
ROLES = (
    None,
    "registrar@murmansk-tourism.example.org",
    "viewer@murmansk-tourism.example.org",
    "office@murmansk.example.org",
    "admin@example.org",
)


two_agencies = isolation.two_agencies  # the fixture: both seed agencies and their objects


def _client(app, email):
    client = app.test_client()
    if email:
        response = client.post("/login", data={"email": email, "password": "demo"})
        assert response.status_code == 302
    return client


def _get_routes(app):
    """Every GET route, its path built with the own agency's ids (so that views really run)."""
    own = isolation._ids(app, "murmansk-tourism") | {"filename": ["app.css"], "fmt": ["csv"]}
    for rule in app.url_map.iter_rules():
        # PDFs render through the order's renderer, swept by tests/test_orders*.py.
        if "GET" not in rule.methods or rule.rule.endswith(".pdf"):
            continue
        if all(own.get(a) for a in rule.arguments):
            yield isolation._build(rule, {a: own[a][0] for a in rule.arguments}), rule


@pytest.fixture
def swept(two_agencies):
    two_agencies.config["ALLOW_DEMO_PASSWORDS"] = True
    two_agencies.config["PUBLIC_RATE_LIMIT"] = "100000 per minute"
    return two_agencies


@pytest.mark.parametrize("email", ROLES)
def test_bad_query_values_are_never_a_500(swept, email):
    client = _client(swept, email)
    failures = []
    for path, _rule in _get_routes(swept):
        for value in BAD_VALUES:
            response = client.get(path, query_string={a: value for a in QUERY_ARGS})
            if response.status_code >= 500:
                failures.append(f"{path} ({value[:20]}) -> {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("email", ROLES[1:4])
def test_another_region_named_in_the_query_shows_nothing_of_it(swept, email):
    with swept.app_context(), scoped(SYSTEM_SCOPE):
        kuz = db.session.scalar(sa.select(Agency).where(Agency.slug == "kuzbass-emergencies"))
        foreign = {kuz.short_name.encode(), kuz.full_name.encode()}
        query = {"region": db.session.get(Region, kuz.region_id).slug, "agency": kuz.slug}
    client = _client(swept, email)
    leaks, checked = [], 0
    for path, rule in _get_routes(swept):
        if rule.endpoint.split(".")[0] in ("public", "api", "static", "health"):
            continue  # approved lists of every agency are public by design (issue 7)
        response = client.get(path, query_string=query)
        body = response.data if response.status_code == 200 else b""
        if body[:2] == b"PK":  # an XLSX or DOCX: its XML parts
            with zipfile.ZipFile(io.BytesIO(body)) as z:
                body = b"".join(z.read(n) for n in z.namelist())
        checked += bool(body)
        if any(name in body for name in foreign):
            leaks.append(f"{path}?region={query['region']} -> {response.status_code}")
    assert checked > 10  # the sweep reads pages, not only refusals
    assert not leaks, "\n".join(leaks)
