"""Issue 16 in a real browser on a phone-sized screen: the registrar checks the page where the
list is published; the project office fixes the quarter's figures, assesses an agency and
downloads the report."""

import re
from datetime import date

import pytest
from docx import Document
from playwright.sync_api import expect

from tests.test_browser_journeys import click_link, press, sign_in
from tests.test_publication import site  # noqa: F401 - the loopback website fixture

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_registrar_checks_the_published_page(demo_app, live_server, page, site):  # noqa: F811
    demo_app.config["PUBLICATION_FETCH_PRIVATE"] = "loopback"
    base_url = demo_app.config["BASE_URL"]
    url = site.put(
        "/turizm/perechen",
        f'<p>Перечень точек взаимодействия: <a href="{base_url}/p/murmansk-tourism/">открыть</a></p>',
    )
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "registrar@murmansk-tourism.example.org")
    click_link(page, "Сроки")
    click_link(page, "Отметить размещение")
    page.get_by_label("Дата размещения").fill(date.today().isoformat())
    page.get_by_label("Адрес страницы на сайте").fill(url)
    press(page, "Сохранить")
    press(page, "Проверить сейчас")
    check = page.locator("#publication-check")
    expect(check).to_contain_text("страница показывает актуальную редакцию")
    expect(check).to_contain_text("есть ссылка на актуальный перечень на платформе")
    expect(check).to_contain_text("код 200")
    # The page loses the link: the deadline runs again, and the page says so.
    site.put("/turizm/perechen", "<p>Страница на реконструкции</p>")
    press(page, "Проверить сейчас")
    expect(check).to_contain_text("страница не показывает актуальную редакцию")
    expect(check).to_contain_text("Срок размещения снова идёт")


def test_office_assesses_the_quarter_and_downloads_the_report(demo_app, live_server, page):
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, "office@murmansk.example.org")
    click_link(page, "Квартальный отчёт")
    expect(page.get_by_role("heading", name=re.compile("Квартальный отчёт"))).to_be_visible()
    with page.expect_navigation():  # the current quarter: the first, highlighted button
        page.locator(".actions .button.primary").first.click()
    press(page, "Зафиксировать показатели")
    expect(page.locator(".flash")).to_contain_text("зафиксированы")
    row = page.locator("tr", has_text="Комитет по туризму")
    row.get_by_text("Оценить").click()
    row.get_by_label("жёлтый").check()
    row.get_by_label("Комментарий").fill("Обновить страницу на сайте до конца квартала")
    press(page, "Сохранить оценку")
    expect(page.locator(".flash")).to_contain_text("сохранена")
    row = page.locator("tr", has_text="Комитет по туризму")
    expect(row.locator(".assess-amber")).to_have_text("жёлтый")
    with page.expect_download() as download:
        page.get_by_role("link", name="Скачать DOCX").click()
    doc = Document(str(download.value.path()))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Отчёт о ведении перечней точек взаимодействия с клиентом за" in text
    assert "Мурманская область" in text
    click_link(page, "← К квартальным отчётам")
    expect(page.locator("table")).to_contain_text("квартал")
