"""Public pages (issue 7; seeds: Murmansk 5.1, Kuzbass 5.2 — the approved list is placed on the
site in electronic form): only approved data, downloads, caching, the embeddable card."""

from __future__ import annotations

import csv
import io
import json

import jsonschema_rs
import pytest
import sqlalchemy as sa
from publicdata_helpers import approve_another, build_published

from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.public import opendata
from touchpoints.public.models import PublishedFile


@pytest.fixture
def published(app, make_agency, make_user):
    return build_published(app, make_agency, make_user)


@pytest.fixture(autouse=True)
def _no_pdf_rendering(monkeypatch, request):
    """Most tests do not need WeasyPrint running behind them; the PDF test opts back in."""
    if "real_pdf" not in request.fixturenames:
        from touchpoints.public import services

        monkeypatch.setattr(services, "pdf_available", lambda: False)


def text(response) -> str:
    return response.get_data(as_text=True)


def assert_private_absent(body: str, data: dict) -> None:
    for marker in data["private"] + data["staff"]:
        assert marker not in body, marker


def test_agency_page_shows_current_approved_version_only(client, published):
    r = client.get(f"/p/{published['slug']}/")
    assert r.status_code == 200
    body = text(r)
    assert published["markers"]["PUB1"] in body
    assert published["markers"]["PUB2"] in body
    assert_private_absent(body, published)
    # The order's details, the form's own columns with the numbered row, the history.
    assert "27-п" in body and "3 июня 2024 г." in body
    assert "Осуществляемое взаимодействие с клиентом" in body
    assert 'class="colnums"' in body
    assert f"/p/{published['slug']}/v/1/" in body and f"/p/{published['slug']}/v/2/" in body
    assert "Дата обновления" in body
    # The signatory is on the signed order; that is public.
    assert "И.И. Иванов" in body


def test_public_pages_ignore_the_signed_in_users_scope(client, published, login_as):
    login_as(published["registrar_id"])
    body = text(client.get(f"/p/{published['slug']}/"))
    assert published["markers"]["PUB2"] in body
    assert_private_absent(body, published)


def test_old_version_is_viewable_and_marked(client, published):
    body = text(client.get(f"/p/{published['slug']}/v/1/"))
    # Version 1 really had the entry that was later excluded.
    assert published["markers"]["EXCLUDED"] in body
    assert published["markers"]["PUB2"] not in body
    assert "утратила силу" in body and "12-п" in body


def test_unknown_agency_and_version_are_russian_404(client, published):
    slug = published["slug"]
    for url, phrase in (
        (f"/p/{slug}/v/9/", "нет утверждённой редакции № 9"),
        (f"/p/{slug}/v/0/", "нет утверждённой редакции № 0"),
        ("/p/no-such-agency/", "не найдена"),
        (f"/p/{slug}/v/9.csv", "нет утверждённой редакции"),
        ("/p/no-such-agency/embed", "не найдена"),
        ("/p/Bad%20Slug/current.json", "не найдена"),
    ):
        r = client.get(url)
        assert r.status_code == 404, url
        assert phrase in text(r), url
        assert "Traceback" not in text(r)


def test_index_groups_agencies_by_region(client, app, make_agency, make_user, make_region):
    north = make_region(name="Северная область")
    south = make_region(name="Южная область")
    a = build_published(app, make_agency, make_user, region_id=north)
    b_id = make_agency(region_id=south)
    body = text(client.get("/p/"))
    assert "Северная область" in body and "Южная область" in body
    assert body.index("Северная область") < body.index("Южная область")
    assert f"/p/{a['slug']}/" in body
    assert "Перечень ещё не утверждён" in body  # the agency without versions
    with app.app_context(), scoped(SYSTEM_SCOPE):
        from touchpoints.core.tenancy import Agency

        assert f"/p/{db.session.get(Agency, b_id).slug}/" in body


def test_csv_and_json_downloads_follow_the_published_schema(client, published):
    slug = published["slug"]
    r = client.get(f"/p/{slug}/current.csv")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    raw = r.get_data().decode("utf-8")
    assert raw.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(raw[1:])))
    assert list(rows[0]) == list(opendata.FIELD_NAMES)
    assert [row["process_name"] for row in rows] == [
        published["markers"]["PUB1"],
        published["markers"]["PUB2"],
    ]
    assert {row["version"] for row in rows} == {"2"}
    assert_private_absent(raw, published)

    table = client.get("/p/opendata/tableschema.json").get_json()
    assert [f["name"] for f in table["fields"]] == list(rows[0])

    doc = client.get(f"/p/{slug}/v/2.json").get_json()
    schema = client.get("/p/opendata/schema.json").get_json()
    jsonschema_rs.validator_for(schema).validate(doc)
    assert doc["version"]["order_number"] == "27-п"
    assert [e["row_number"] for e in doc["entries"]] == [1, 2]
    assert_private_absent(json.dumps(doc, ensure_ascii=False), published)
    # The schema really constrains: a document missing a field does not pass.
    del doc["entries"][0]["touchpoint"]
    assert not jsonschema_rs.validator_for(schema).is_valid(doc)


def test_a_versions_download_is_rendered_once(client, app, published, monkeypatch):
    url = f"/p/{published['slug']}/v/2.csv"
    first = client.get(url).get_data()

    def boom(*args, **kwargs):
        raise AssertionError("rendered twice")

    monkeypatch.setattr(opendata, "render_csv", boom)
    assert client.get(url).get_data() == first
    assert client.get(f"/p/{published['slug']}/current.csv").get_data() == first
    with app.app_context(), scoped(SYSTEM_SCOPE):
        n = db.session.scalar(sa.select(sa.func.count()).select_from(PublishedFile))
    assert n == 1


def test_etag_round_trip_answers_304(client, app, published):
    for url in (
        f"/p/{published['slug']}/",
        f"/p/{published['slug']}/v/1/",
        f"/p/{published['slug']}/v/2.json",
        f"/p/{published['slug']}/current.csv",
        f"/p/{published['slug']}/embed",
        "/p/",
    ):
        first = client.get(url)
        assert first.status_code == 200, url
        etag = first.headers["ETag"]
        assert etag.startswith('"'), "strong validator"
        assert first.headers["Last-Modified"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.get_data() == b""
        by_date = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
        assert by_date.status_code == 304, url
        other = client.get(url, headers={"If-None-Match": '"something-else"'})
        assert other.status_code == 200, url
    assert "immutable" in client.get(f"/p/{published['slug']}/v/2.csv").headers["Cache-Control"]


def test_new_version_changes_the_validators_of_current_pages(client, app, published):
    page = client.get(f"/p/{published['slug']}/")
    current_csv = client.get(f"/p/{published['slug']}/current.csv")
    old = client.get(f"/p/{published['slug']}/v/2.csv")
    approve_another(app, published, "Новая строка третьей редакции")
    r = client.get(f"/p/{published['slug']}/", headers={"If-None-Match": page.headers["ETag"]})
    assert r.status_code == 200 and "Новая строка третьей редакции" in text(r)
    r = client.get(
        f"/p/{published['slug']}/current.csv",
        headers={"If-None-Match": current_csv.headers["ETag"]},
    )
    assert r.status_code == 200 and "Новая строка третьей редакции" in text(r)
    # The numbered version's file is unchanged forever.
    r = client.get(
        f"/p/{published['slug']}/v/2.csv", headers={"If-None-Match": old.headers["ETag"]}
    )
    assert r.status_code == 304


def test_embed_card_may_be_framed_and_other_pages_may_not(client, published):
    embed = client.get(f"/p/{published['slug']}/embed")
    assert embed.status_code == 200
    assert "frame-ancestors *" in embed.headers["Content-Security-Policy"]
    assert embed.headers.get("X-Frame-Options") != "DENY"
    body = text(embed)
    assert "№ 2" in body and "27-п" in body and 'target="_blank"' in body
    page = client.get(f"/p/{published['slug']}/")
    assert page.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    # The snippet to paste is on the agency's page, pointing at the embed and the page.
    assert f"/p/{published['slug']}/embed" in text(page)
    assert "&lt;iframe" in text(page)


def test_agency_without_versions_has_a_page_and_no_downloads(client, app, make_agency):
    agency_id = make_agency()
    with app.app_context(), scoped(SYSTEM_SCOPE):
        from touchpoints.core.tenancy import Agency

        slug = db.session.get(Agency, agency_id).slug
    assert "ещё не утверждён" in text(client.get(f"/p/{slug}/"))
    r = client.get(f"/p/{slug}/current.csv")
    assert r.status_code == 404 and "ещё нет утверждённого перечня" in text(r)


def test_opendata_page_documents_every_field(client):
    body = text(client.get("/p/opendata/"))
    for f in opendata.ENTRY_FIELDS:
        assert f">{f.name}<" in body
        assert f.description in body
    assert "/p/opendata/schema.json" in body and "/p/opendata/tableschema.json" in body


def test_xlsx_download_comes_from_the_export_feature(client, published):
    r = client.get(f"/p/{published['slug']}/v/2.xlsx")
    assert r.status_code == 200
    assert r.get_data()[:2] == b"PK"
    from openpyxl import load_workbook

    cells = [
        str(c.value)
        for row in load_workbook(io.BytesIO(r.get_data())).active.iter_rows()
        for c in row
        if c.value is not None
    ]
    joined = " ".join(cells)
    assert published["markers"]["PUB2"] in joined
    assert_private_absent(joined, published)


@pytest.fixture
def real_pdf():
    """Asks for the orders feature's real rendering (see _no_pdf_rendering)."""


def test_order_pdf_is_prepared_then_served(client, app, published, real_pdf):
    r = client.get(f"/p/{published['slug']}/v/2.pdf")
    assert r.status_code == 202
    assert "PDF приказа готовится" in text(r)
    app.extensions["inprocess_jobs"].wait(timeout=120)
    r = client.get(f"/p/{published['slug']}/current.pdf")
    assert r.status_code == 200, text(r)[:300]
    assert r.mimetype == "application/pdf" and r.get_data().startswith(b"%PDF")
    again = client.get(
        f"/p/{published['slug']}/current.pdf", headers={"If-None-Match": r.headers["ETag"]}
    )
    assert again.status_code == 304
    assert f"/p/{published['slug']}/v/2.pdf" in text(client.get(f"/p/{published['slug']}/"))


def test_staff_names_never_appear(client, published, make_user):
    make_user(Role.VIEWER, agency_id=published["agency_id"], name="Зрителев Зритель")
    for url in (f"/p/{published['slug']}/", f"/p/{published['slug']}/v/1/", "/p/"):
        body = text(client.get(url))
        assert "Зрителев" not in body
        for name in published["staff"]:
            assert name not in body


def test_public_pages_and_api_have_a_per_client_budget(migrated):
    from tests.conftest import make_app

    app = make_app(migrated, PUBLIC_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [client.get("/p/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    api = [client.get("/api/v1/regions").status_code for _ in range(4)]
    assert api[-1] == 429 and client.get("/api/v1/regions").is_json
