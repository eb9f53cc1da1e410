"""Orders as PDF (issue 4): real PDFs rendered by WeasyPrint and read back as text with pypdf.

The demo data (touchpoints.demo.data.load_demo) gives both seed agencies a realistic list and an
approved version: Murmansk order № 34 of 15.03.2024, Kuzbass order № 141 of 22.01.2024.
"""

from __future__ import annotations

import io
import shutil
import struct
import zlib
from datetime import date

import pytest
import sqlalchemy as sa
from lists_support import approve_list
from pypdf import PdfReader

from tests.conftest import load_demo_data
from touchpoints.auth.models import User
from touchpoints.auth.roles import Role
from touchpoints.core.db import SYSTEM_SCOPE, agency_scope, db, scoped
from touchpoints.core.tenancy import Agency
from touchpoints.lists import services as lists
from touchpoints.lists.form import Form
from touchpoints.lists.models import Entry, ListVersion
from touchpoints.orders import claim, document, rendering, storage
from touchpoints.orders.models import OrderDocument

pytestmark = pytest.mark.slow

DEMO_ORDERS = {
    "murmansk-tourism": ("34", date(2024, 3, 15), "15 марта 2024 г."),
    "kuzbass-emergencies": ("141", date(2024, 1, 22), "от 22.01.2024 г. № 141"),
}


def norm(text: str) -> str:
    return " ".join(text.split())


def read_pdf(data: bytes) -> tuple[PdfReader, list[str]]:
    assert data[:5] == b"%PDF-"
    reader = PdfReader(io.BytesIO(data))
    return reader, [norm(p.extract_text()) for p in reader.pages]


def landscape(page) -> bool:
    return float(page.mediabox.width) > float(page.mediabox.height)


def embedded_fonts(reader: PdfReader) -> dict[str, bool]:
    """Base font name -> whether its font program is embedded (FontFile, FontFile2 or 3)."""
    out = {}
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            out[str(font["/BaseFont"])] = any(
                k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")
            )
    return out


@pytest.fixture
def demo(seeded):
    """Both seed agencies with the demo lists and one approved version each."""
    load_demo_data(seeded)
    return seeded


def agency_of(slug: str) -> Agency:
    with scoped(SYSTEM_SCOPE):
        return db.session.scalar(sa.select(Agency).where(Agency.slug == slug))


def viewer_client(app, make_user, login_as, slug: str):
    with app.app_context():
        agency_id = agency_of(slug).id
    return login_as(make_user(Role.VIEWER, agency_id=agency_id))


def download(app, client, status_url: str, pdf_url: str) -> bytes:
    response = client.get(status_url)
    assert response.status_code == 200
    app.extensions["inprocess_jobs"].wait()
    response = client.get(pdf_url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    return response.data


def check_common_layout(reader, pages, agency: Agency, form: Form, entries: list) -> None:
    full = " ".join(pages)
    # Letterhead (upper case, as both seeds), «ПРИКАЗ», city, title, preamble, signature.
    assert agency.full_name.upper() in pages[0]
    assert "ПРИКАЗ" in pages[0]
    assert agency.city in pages[0]
    assert "Об утверждении перечня точек взаимодействия с клиентом" in pages[0]
    assert norm(agency.legal_basis) in full
    assert "приказываю:" in full
    paragraphs = agency.settings["order"]["paragraphs"]
    if "Приложение № 2" in full:
        # With the changes as appendix № 2 the approving clause names both (issue 13).
        paragraphs = document.refer_to_appendices(paragraphs)
        assert "согласно приложению № 1" in full
    for paragraph in paragraphs:
        assert norm(paragraph) in full
    assert agency.head_name in full
    # The appendix: its title, every entry's touchpoint and process.
    assert norm(agency.settings["order"]["appendix_title"]) in full
    assert entries
    for e in entries:
        assert norm(e.touchpoint) in full, e.touchpoint
        assert norm(e.process_name) in full, e.process_name
    # Rows grouped by activity area: each area with entries has its heading row.
    for code in {e.activity_area for e in entries}:
        assert norm(form.area_name(code)) in full
    # Page numbers on every page.
    for i, text in enumerate(pages, start=1):
        assert f"Стр. {i} из {len(pages)}" in text
    # The order is portrait; the appendix pages are landscape and each repeats the header and the
    # row of column numbers.
    labels = ["№", *(norm(c["label"]) for c in form.columns)]
    numbers = " ".join(str(i) for i in range(1, len(labels) + 1))
    appendix = [i for i, t in enumerate(pages) if "Стр." in t and all(lb in t for lb in labels)]
    assert appendix, "no page carries the form's column headers"
    assert not landscape(reader.pages[0])
    first = appendix[0]
    assert all(not landscape(reader.pages[i]) for i in range(first))
    for i in range(first, len(pages)):
        assert landscape(reader.pages[i]), f"page {i + 1} is portrait"
        assert i in appendix, f"page {i + 1} lacks the column headers"
        assert numbers in pages[i], f"page {i + 1} lacks the row of column numbers"
    # The Cyrillic serif font is embedded (and subset) in the PDF.
    fonts = embedded_fonts(reader)
    assert fonts and all(fonts.values()), fonts
    assert any("LiberationSerif" in name.replace("-", "") for name in fonts), fonts


@pytest.mark.parametrize("slug", sorted(DEMO_ORDERS))
def test_approved_version_pdf_reproduces_the_seed_order(demo, make_user, login_as, slug):
    client = viewer_client(demo, make_user, login_as, slug)
    data = download(demo, client, "/list/versions/1/order", "/list/versions/1/order.pdf")
    reader, pages = read_pdf(data)
    number, order_date, requisites = DEMO_ORDERS[slug]
    with demo.app_context(), scoped(SYSTEM_SCOPE):
        agency = agency_of(slug)
        version = db.session.scalar(
            sa.select(ListVersion).where(ListVersion.agency_id == agency.id)
        )
        assert version.order_number == number
        entries = list(version.entries)
        check_common_layout(reader, pages, agency, Form(version.form), entries)
    full = " ".join(pages)
    assert requisites in pages[0]
    assert f"№ {number}" in pages[0]
    assert f"от {order_date:%d.%m.%Y} № {number}" in full  # the appendix heading
    assert "ПРОЕКТ" not in full
    if slug == "kuzbass-emergencies":
        # tenants/kuzbass-emergencies/templates/ overrides the heading as in its seed order.
        assert "ПРИЛОЖЕНИЕ к приказу от 22.01.2024 № 141" in full
        # The Kuzbass form has no process column: processes head their rows.
        assert "Наименование конкретного процесса" not in full
    else:
        assert (
            "Приложение к приказу Комитета по туризму Мурманской области от 15.03.2024 № 34" in full
        )
        assert "ПРИЛОЖЕНИЕ" not in full


@pytest.mark.parametrize("slug", sorted(DEMO_ORDERS))
def test_draft_order_carries_the_draft_mark_on_every_page(demo, make_user, login_as, slug):
    client = viewer_client(demo, make_user, login_as, slug)
    first = client.get("/list/order.pdf")
    assert first.status_code == 302 and first.location.endswith("/list/order")
    data = download(demo, client, "/list/order", "/list/order.pdf")
    reader, pages = read_pdf(data)
    assert len(pages) >= 2
    for i, text in enumerate(pages, start=1):
        assert "ПРОЕКТ" in text, f"page {i} has no draft mark"
    with demo.app_context(), scoped(SYSTEM_SCOPE):
        agency = agency_of(slug)
        entries = Entry.working(agency.id)
        check_common_layout(reader, pages, agency, Form(agency.form), entries)
    # No number or date yet.
    assert "№ ______" in pages[0]


def test_version_pdf_is_rendered_once_and_served_unchanged(demo, make_user, login_as):
    client = viewer_client(demo, make_user, login_as, "murmansk-tourism")
    before = rendering.render_count()
    status = client.get("/list/versions/1/order")
    assert "data-poll" in status.get_data(as_text=True)
    demo.extensions["inprocess_jobs"].wait()
    assert rendering.render_count() == before + 1
    assert "Скачать PDF" in client.get("/list/versions/1/order").get_data(as_text=True)
    first = client.get("/list/versions/1/order.pdf")
    second = client.get("/list/versions/1/order.pdf")
    assert first.status_code == second.status_code == 200
    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"]
    assert "attachment" in first.headers["Content-Disposition"]
    demo.extensions["inprocess_jobs"].wait()
    assert rendering.render_count() == before + 1, "the stored PDF was rendered again"
    # The client that has these bytes gets 304 and no body.
    etag = first.headers["ETag"]
    cached = client.get("/list/versions/1/order.pdf", headers={"If-None-Match": etag})
    assert cached.status_code == 304 and cached.data == b""
    with demo.app_context(), scoped(SYSTEM_SCOPE):
        docs = db.session.scalars(sa.select(OrderDocument).where(~OrderDocument.draft)).all()
        assert len(docs) == 1
        assert docs[0].sha256 in etag and docs[0].pages == len(
            PdfReader(io.BytesIO(first.data)).pages
        )
        # The function the public pages call finds the same document in the public scope.
        from touchpoints.core.db import Scope

        version = db.session.get(ListVersion, docs[0].version_id)
        with scoped(Scope("public")):
            found = storage.version_pdf(version)
            assert found is not None and found.id == docs[0].id
            assert storage.document_bytes(found) == first.data


def test_unchanged_working_list_is_not_rendered_twice_but_a_change_is(demo, make_user, login_as):
    client = viewer_client(demo, make_user, login_as, "kuzbass-emergencies")
    first = download(demo, client, "/list/order", "/list/order.pdf")
    count = rendering.render_count()
    assert client.get("/list/order.pdf").data == first
    assert rendering.render_count() == count
    with demo.app_context(), scoped(SYSTEM_SCOPE):
        entry = Entry.working(agency_of("kuzbass-emergencies").id)[0]
        entry.interaction = "Новый порядок взаимодействия по телефону доверия"
        db.session.commit()
    assert client.get("/list/order.pdf").status_code == 302
    second = download(demo, client, "/list/order", "/list/order.pdf")
    assert rendering.render_count() == count + 1
    assert "Новый порядок взаимодействия по телефону доверия" in " ".join(read_pdf(second)[1])


def test_updated_list_order_has_the_changes_appendix(demo):
    with demo.app_context(), scoped(SYSTEM_SCOPE):
        agency = agency_of("murmansk-tourism")
        registrar = db.session.scalar(
            sa.select(User).where(User.agency_id == agency.id, User.role == Role.REGISTRAR.value)
        )
        working = Entry.working(agency.id)
        changed, excluded = working[0], working[-1]
        changed.specifics = "Ответ в течение одного рабочего дня"
        excluded.status = "excluded"
        excluded.exclusion_reason = "Канал больше не используется"
        added = lists.create_entry(
            agency,
            registrar,
            {
                "activity_area": "appeals",
                "process_name": "Приём предложений по развитию туризма",
                "touchpoint_code": "vks",
                "client_needs": ["feedback"],
                "interaction": "Онлайн-встречи с туроператорами",
            },
        )
        added.status = "included"
        db.session.flush()
        version = approve_list(agency, registrar, order_number="58", order_date=date(2024, 9, 2))
        db.session.commit()
        assert document.default_with_changes(version)
        with scoped(agency_scope(agency.id)):
            rendered = rendering.render_order(agency, version)
            plain = rendering.render_order(agency, version, with_changes=False)
    reader, pages = read_pdf(rendered.pdf)
    full = " ".join(pages)
    assert "Приложение № 1 к приказу" in full and "Приложение № 2 к приказу" in full
    assert "по сравнению с редакцией № 1, утверждённой приказом от 15.03.2024 № 34" in full
    # Version 1's order is superseded by a clause before the control clause.
    assert (
        "Признать утратившим силу приказ Комитета по туризму Мурманской области от 15.03.2024 № 34"
        in full
    )
    assert "Приём предложений по развитию туризма" in full and "Включена" in full
    assert "Исключена" in full and "Канал больше не используется" in full
    assert "Изменена" in full and "Ответ в течение одного рабочего дня" in full
    changes_pages = [t for t in pages if "Содержание изменения" in t]
    assert changes_pages and all(landscape(reader.pages[pages.index(t)]) for t in changes_pages)
    plain_text = " ".join(read_pdf(plain.pdf)[1])
    assert "Приложение № 2" not in plain_text and "Содержание изменения" not in plain_text


def test_user_text_is_escaped(demo):
    with demo.app_context(), scoped(SYSTEM_SCOPE):
        agency = agency_of("kuzbass-emergencies")
        entry = Entry.working(agency.id)[0]
        entry.interaction = '<b>жирный</b> <img src="file:///etc/hostname"> & «кавычки»'
        db.session.commit()
        with scoped(agency_scope(agency.id)):
            rendered = rendering.render_order(agency, None)
    full = " ".join(read_pdf(rendered.pdf)[1])
    assert '<b>жирный</b> <img src="file:///etc/hostname"> & «кавычки»' in full
    assert rendered.refused_urls == []  # escaped markup is text, not an image to fetch
    assert b"/Subtype /Image" not in rendered.pdf


def _png(path) -> None:
    """A valid 2x2 red PNG: if a template could read it, an image would land in the PDF."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_template_cannot_read_local_files_or_the_network(demo, tmp_path):
    secret_css = tmp_path / "secret.css"
    secret_css.write_text('p.appendix-title::after { content: "SECRET-FROM-DISK"; }')
    image = tmp_path / "stamp.png"
    _png(image)
    tenants = tmp_path / "tenants"
    shutil.copytree(demo.config["TENANTS_DIR"], tenants)
    override = tenants / "murmansk-tourism" / "templates"
    override.mkdir(exist_ok=True)
    (override / "order.css").write_text(
        '@import url("file://' + str(secret_css) + '");\n'
        '{% include "default/order.css" %}\n'
        'body { background: url("file://' + str(image) + '"); }\n'
    )
    (override / "requisites.html").write_text(
        '{% include "default/requisites.html" %}\n'
        '<img src="file://' + str(image) + '">\n'
        '<img src="http://127.0.0.1:9/tracker.png">\n'
        '<link rel="stylesheet" href="file://' + str(secret_css) + '">\n'
    )
    demo.config["TENANTS_DIR"] = tenants
    with demo.app_context(), scoped(SYSTEM_SCOPE):
        agency = agency_of("murmansk-tourism")
        with scoped(agency_scope(agency.id)):
            rendered = rendering.render_order(agency, None, tenants_dir=tenants)
    full = " ".join(read_pdf(rendered.pdf)[1])
    assert "ПРИКАЗ" in full  # the override was used and the order rendered
    assert "SECRET-FROM-DISK" not in full
    assert b"/Subtype /Image" not in rendered.pdf
    refused = " ".join(rendered.refused_urls)
    assert str(secret_css) in refused and str(image) in refused and "127.0.0.1:9" in refused


def test_another_agencys_version_is_404_and_office_has_no_agency_list(demo, make_user, login_as):
    with demo.app_context(), scoped(SYSTEM_SCOPE):
        kuzbass = agency_of("kuzbass-emergencies")
        # Murmansk gets a second version; Kuzbass has only № 1.
        murmansk = agency_of("murmansk-tourism")
        registrar = db.session.scalar(
            sa.select(User).where(User.agency_id == murmansk.id, User.role == Role.REGISTRAR.value)
        )
        first = Entry.working(murmansk.id)[0]
        lists.update_entry(first, registrar, {"specifics": "Уточнено"}, first.revision)
        approve_list(murmansk, registrar, order_number="60", order_date=date(2024, 10, 1))
        db.session.commit()
        region_id = kuzbass.region_id
    client = login_as(make_user(Role.EDITOR, agency_id=kuzbass.id))
    for url in ("/list/versions/2/order", "/list/versions/2/order.pdf"):
        assert client.get(url).status_code == 404
    assert client.post("/list/versions/2/order").status_code == 404
    client.post("/logout")
    office = login_as(make_user(Role.OFFICE, region_id=region_id))
    for url in ("/list/order", "/list/order.pdf", "/list/versions/1/order.pdf"):
        assert office.get(url).status_code in (403, 404)
    with demo.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OrderDocument)) == 0


def test_failed_rendering_is_explained_and_can_be_retried(demo, make_user, login_as, monkeypatch):
    client = viewer_client(demo, make_user, login_as, "kuzbass-emergencies")

    def broken(*args, **kwargs):
        raise document.OrderError("Шаблон приказа организации содержит ошибку (проверка).")

    monkeypatch.setattr(claim, "render_order", broken)
    client.get("/list/versions/1/order")
    demo.extensions["inprocess_jobs"].wait()
    page = client.get("/list/versions/1/order").get_data(as_text=True)
    assert (
        "сформировать не удалось" in page and "Шаблон приказа организации содержит ошибку" in page
    )
    assert "Traceback" not in page
    assert client.get("/list/versions/1/order.pdf").status_code == 302
    monkeypatch.undo()
    response = client.post("/list/versions/1/order", follow_redirects=True)
    assert response.status_code == 200
    demo.extensions["inprocess_jobs"].wait()
    assert client.get("/list/versions/1/order.pdf").mimetype == "application/pdf"


def test_draft_of_an_empty_list_says_so(app, make_agency, make_user, login_as):
    agency_id = make_agency()
    client = login_as(make_user(Role.REGISTRAR, agency_id=agency_id))
    response = client.get("/list/order.pdf", follow_redirects=True)
    assert response.status_code == 200
    assert "В перечне нет ни одной включённой строки" in response.get_data(as_text=True)


def test_cli_renders_draft_and_stored_version(demo, tmp_path):
    runner = demo.test_cli_runner()
    draft = tmp_path / "draft.pdf"
    result = runner.invoke(args=["orders", "pdf", "murmansk-tourism", "-o", str(draft)])
    assert result.exit_code == 0, result.output
    assert all("ПРОЕКТ" in t for t in read_pdf(draft.read_bytes())[1])
    approved = tmp_path / "v1.pdf"
    result = runner.invoke(
        args=["orders", "pdf", "murmansk-tourism", "--version", "1", "-o", str(approved)]
    )
    assert result.exit_code == 0, result.output
    text = " ".join(read_pdf(approved.read_bytes())[1])
    assert "ПРОЕКТ" not in text and "№ 34" in text
    with demo.app_context(), scoped(SYSTEM_SCOPE):
        doc = db.session.scalar(sa.select(OrderDocument))
        assert storage.document_bytes(doc) == approved.read_bytes()
    result = runner.invoke(args=["orders", "pdf", "murmansk-tourism", "--version", "9", "-o", "x"])
    assert result.exit_code != 0 and "нет редакции № 9" in result.output
    result = runner.invoke(args=["orders", "pdf", "nowhere", "-o", "x"])
    assert result.exit_code != 0 and "Организации с кодом" in result.output
