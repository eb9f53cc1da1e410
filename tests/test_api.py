"""JSON API v1 (issue 7): approved data only, pagination, JSON errors, token-protected monitoring."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from publicdata_helpers import build_published

from touchpoints.api.models import ApiToken
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped


@pytest.fixture(autouse=True)
def _no_pdf_rendering(monkeypatch):
    from touchpoints.public import services

    monkeypatch.setattr(services, "_orders_module", lambda: None)


@pytest.fixture
def two_regions(app, make_agency, make_user, make_region):
    north = make_region(name="Северная область")
    south = make_region(name="Южная область")
    return {
        "north": build_published(app, make_agency, make_user, region_id=north),
        "south": build_published(app, make_agency, make_user, region_id=south),
        "north_id": north,
        "south_id": south,
    }


def dump(response) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)


def assert_private_absent(body: str, data: dict) -> None:
    for marker in data["private"] + data["staff"]:
        assert marker not in body, marker


def test_public_endpoints_serve_approved_data_only(client, two_regions):
    north = two_regions["north"]
    slug = north["slug"]
    urls = [
        "/api/v1/regions",
        "/api/v1/agencies",
        f"/api/v1/agencies/{slug}",
        f"/api/v1/agencies/{slug}/versions",
        f"/api/v1/agencies/{slug}/versions/2",
        f"/api/v1/agencies/{slug}/versions/2/entries",
    ]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        assert r.mimetype == "application/json"
        for data in (two_regions["north"], two_regions["south"]):
            assert_private_absent(dump(r), data)
    entries = client.get(f"/api/v1/agencies/{slug}/versions/2/entries").get_json()
    assert [e["process_name"] for e in entries["items"]] == [
        north["markers"]["PUB1"],
        north["markers"]["PUB2"],
    ]
    agency = client.get(f"/api/v1/agencies/{slug}").get_json()
    assert agency["current_version"]["number"] == 2
    assert agency["current_version"]["order_number"] == "27-п"
    assert agency["current_version"]["links"]["csv"].endswith(f"/p/{slug}/v/2.csv")
    v1 = client.get(f"/api/v1/agencies/{slug}/versions/1").get_json()
    assert v1["is_current"] is False
    # Version 1 had the entry excluded later; its entries say so, the current ones do not.
    old = dump(client.get(f"/api/v1/agencies/{slug}/versions/1/entries"))
    assert north["markers"]["EXCLUDED"] in old


def test_pagination_counts_and_links(client, two_regions):
    r = client.get("/api/v1/agencies?per_page=1")
    body = r.get_json()
    assert body["total"] == 2 and body["pages"] == 2 and len(body["items"]) == 1
    assert body["links"]["prev"] is None
    second = client.get(body["links"]["next"].replace("http://localhost", "")).get_json()
    assert second["page"] == 2 and second["links"]["next"] is None
    assert {body["items"][0]["slug"], second["items"][0]["slug"]} == {
        two_regions["north"]["slug"],
        two_regions["south"]["slug"],
    }
    past = client.get("/api/v1/agencies?page=50").get_json()
    assert past["items"] == [] and past["total"] == 2
    only_south = client.get("/api/v1/agencies?region=" + _region_slug(client, "Южная область"))
    assert [a["slug"] for a in only_south.get_json()["items"]] == [two_regions["south"]["slug"]]


def _region_slug(client, name: str) -> str:
    regions = client.get("/api/v1/regions").get_json()["items"]
    return next(r["slug"] for r in regions if r["name"] == name)


@pytest.mark.parametrize(
    "url, status, phrase",
    [
        ("/api/v1/agencies?per_page=101", 400, "per_page должен быть от 1 до 100"),
        ("/api/v1/agencies?per_page=0", 400, "per_page должен быть от 1 до 100"),
        ("/api/v1/agencies?page=0", 400, "page должен быть от 1"),
        ("/api/v1/agencies?page=abc", 400, "page должен быть целым числом"),
        ("/api/v1/regions?per_page=1.5", 400, "целым числом"),
        ("/api/v1/agencies?region=nowhere", 404, "Регион «nowhere» не найден"),
        ("/api/v1/agencies/no-such-agency", 404, "не найдена"),
        ("/api/v1/agencies/NO%00SUCH", 400, "Неверный запрос"),  # a NUL: refused outright
        ("/api/v1/agencies/{slug}/versions/7", 404, "нет утверждённой редакции № 7"),
        ("/api/v1/agencies/{slug}/versions/99999999999", 404, "Страница не найдена"),
        ("/api/v1/agencies/{slug}/versions/abc", 404, "Страница не найдена"),
    ],
)
def test_bad_requests_get_clear_json_errors(client, app, make_agency, url, status, phrase):
    with app.app_context(), scoped(SYSTEM_SCOPE):
        from touchpoints.regions.models import Agency

        slug = db.session.get(Agency, make_agency()).slug
    r = client.get(url.format(slug=slug))
    assert r.status_code == status
    body = r.get_json()
    assert body["code"] == status
    assert phrase in (body["error"] + " " + body.get("detail", ""))


def _issue(client, name: str, region_id: int | None = None) -> str:
    # 0 is the administrator's "all regions" option.
    data = {"name": name, "region_id": str(region_id or 0)}
    r = client.post("/api-tokens/", data=data)
    assert r.status_code == 200, r.get_data(as_text=True)[:400]
    match = re.search(r"<code>(tpk_[A-Za-z0-9_-]+)</code>", r.get_data(as_text=True))
    assert match, "the new token is shown once"
    return match.group(1)


def test_monitoring_needs_a_valid_token(client):
    r = client.get("/api/v1/monitoring/agencies")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in r.get_json()["detail"]
    r = client.get(
        "/api/v1/monitoring/agencies", headers={"Authorization": "Bearer tpk_not-a-real-token"}
    )
    assert r.status_code == 401 and r.get_json()["error"] == "Токен не принят"
    r = client.get("/api/v1/monitoring/agencies", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401


def test_region_token_is_scoped_to_its_region(app, client, two_regions, make_user, login_as):
    office = make_user(Role.OFFICE, region_id=two_regions["north_id"])
    login_as(office)
    # The office cannot widen its token to another region by editing the form.
    r = client.post(
        "/api-tokens/", data={"name": "чужой", "region_id": str(two_regions["south_id"])}
    )
    assert "tpk_" not in r.get_data(as_text=True)
    raw = _issue(client, "Сводная панель", two_regions["north_id"])
    client.post("/logout")
    auth = {"Authorization": f"Bearer {raw}"}

    listing = client.get("/api/v1/monitoring/agencies", headers=auth)
    assert listing.status_code == 200
    items = listing.get_json()["items"]
    assert [a["slug"] for a in items] == [two_regions["north"]["slug"]]
    status = items[0]
    assert status["latest_version"]["number"] == 2
    # Working list: 2 approved + 1 included-not-approved; the proposals waiting for review.
    assert status["working_list"]["included"] == 3
    assert status["working_list"]["submitted"] == 2
    assert status["working_list"]["returned"] == 1
    assert status["working_list"]["draft"] == 1
    assert status["deadlines"] is not None
    assert status["deadlines"]["publication_status"] in ("on_time", "due", "overdue")
    # The office may see what waits in its own region (titles of reviews due), but no staff
    # and nothing of another region.
    for name in two_regions["north"]["staff"]:
        assert name not in dump(listing)
    assert_private_absent(dump(listing), two_regions["south"])
    assert two_regions["south"]["markers"]["PUB1"] not in dump(listing)

    other = client.get(f"/api/v1/monitoring/agencies/{two_regions['south']['slug']}", headers=auth)
    assert other.status_code == 404
    own = client.get(f"/api/v1/monitoring/agencies/{two_regions['north']['slug']}", headers=auth)
    assert own.status_code == 200 and own.get_json()["slug"] == two_regions["north"]["slug"]


def test_revoked_token_is_refused(app, client, two_regions, make_user, login_as):
    admin = make_user(Role.ADMIN)
    login_as(admin)
    raw = _issue(client, "Все регионы")
    auth = {"Authorization": f"Bearer {raw}"}
    items = client.get("/api/v1/monitoring/agencies", headers=auth).get_json()["items"]
    assert len(items) == 2
    with app.app_context(), scoped(SYSTEM_SCOPE):
        token = db.session.scalar(sa.select(ApiToken))
        assert token.token_hash != raw and raw not in token.token_hint + token.token_hash
        assert token.last_used_at is not None
        token_id = token.id
    page = client.get("/api-tokens/").get_data(as_text=True)
    assert raw not in page, "a token is shown once only"
    r = client.post(f"/api-tokens/{token_id}/revoke", follow_redirects=True)
    assert "отозван" in r.get_data(as_text=True)
    r = client.get("/api/v1/monitoring/agencies", headers=auth)
    assert r.status_code == 401


def test_token_of_a_deactivated_owner_is_refused(app, client, two_regions, make_user, login_as):
    from touchpoints.auth.models import User

    office = make_user(Role.OFFICE, region_id=two_regions["north_id"])
    login_as(office)
    raw = _issue(client, "Панель", two_regions["north_id"])
    with app.app_context(), scoped(SYSTEM_SCOPE):
        db.session.get(User, office).active = False
        db.session.commit()
    r = client.get("/api/v1/monitoring/agencies", headers={"Authorization": f"Bearer {raw}"})
    assert r.status_code == 401


def test_only_office_and_admin_manage_tokens(client, two_regions, make_user, login_as):
    assert client.get("/api-tokens/").status_code == 302  # to the login page
    registrar = two_regions["north"]["registrar_id"]
    login_as(registrar)
    assert client.get("/api-tokens/").status_code == 403
    assert client.post("/api-tokens/", data={"name": "x"}).status_code == 403


def test_office_cannot_revoke_anothers_token(app, client, two_regions, make_user, login_as):
    first = make_user(Role.OFFICE, region_id=two_regions["north_id"])
    login_as(first)
    _issue(client, "Первый", two_regions["north_id"])
    client.post("/logout")
    with app.app_context(), scoped(SYSTEM_SCOPE):
        token_id = db.session.scalar(sa.select(ApiToken.id))
    second = make_user(Role.OFFICE, region_id=two_regions["north_id"])
    login_as(second)
    assert client.post(f"/api-tokens/{token_id}/revoke").status_code == 404
    with app.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.get(ApiToken, token_id).revoked_at is None


def test_openapi_lists_every_api_route(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    documented = {p.replace("{", "<").replace("}", ">") for p in doc["paths"]}
    served = {
        re.sub(r"<(?:int:)?(\w+)>", r"<\1>", rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        and rule.rule not in ("/api/v1/", "/api/v1/openapi.json")
    }
    assert served == documented
