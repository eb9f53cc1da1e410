"""The product's main journeys, driven through the interface in a real browser like a person would:
labels, button texts and link texts only; assertions on what the person sees."""

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from touchpoints.core.db import SYSTEM_SCOPE, db, scoped
from touchpoints.lists.models import Entry

pytestmark = pytest.mark.browser

MURMANSK_REGISTRAR = "registrar@murmansk-tourism.example.org"
MURMANSK_EDITOR = "editor@murmansk-tourism.example.org"
KUZBASS_REGISTRAR = "registrar@kuzbass-emergencies.example.org"


def sign_in(page, base, email):
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill("demo")
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))


def main_text(page) -> str:
    return page.inner_text("main")


def click_link(page, name, exact=True):
    with page.expect_navigation():
        page.get_by_role("link", name=name, exact=exact).first.click()


def press(page, name, exact=True):
    """Clicks a button that submits a form and waits for the page that answers."""
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=exact).first.click()


def test_entry_from_draft_to_approved_version_and_order_pdf(demo_app, live_server, page):
    base = live_server
    process = "Консультирование туроператоров по программе «Арктический маршрут»"
    page.on("dialog", lambda dialog: dialog.accept())

    # The editor drafts an entry in the Murmansk form and submits it.
    sign_in(page, base, MURMANSK_EDITOR)
    click_link(page, "Перечень")
    click_link(page, "Добавить строку")
    expect(page.get_by_role("heading", name="Новая строка перечня")).to_be_visible()
    page.get_by_label("Направление деятельности органа власти").select_option(
        label="Предоставление мер государственной поддержки"
    )
    page.get_by_label("Наименование конкретного процесса").fill(process)
    page.get_by_label("Точка взаимодействия (справочник)").select_option(
        label="Телефонная связь · офлайн"
    )
    page.get_by_label("Получение консультации").check()
    page.get_by_label("Осуществляемое взаимодействие с клиентом").fill("Консультирование")
    press(page, "Сохранить и отправить на проверку")
    expect(page.get_by_role("heading", level=1)).to_contain_text(process)
    assert "Телефонная связь" in main_text(page)

    # The registrar finds it among the entries waiting for review and returns it.
    sign_in(page, base, MURMANSK_REGISTRAR)
    click_link(page, "Черновики и проверка")
    click_link(page, re.compile("Ожидают проверки"), exact=False)
    assert process in main_text(page)
    page.get_by_text(process).locator("xpath=ancestor::tr//a").first.click()
    page.get_by_label("Что нужно исправить").fill("Уточните, что именно консультируют")
    press(page, "Вернуть с комментарием")

    # The editor sees it returned with the comment, fixes it and submits it again.
    sign_in(page, base, MURMANSK_EDITOR)
    click_link(page, "Черновики и проверка")
    click_link(page, re.compile("Возвращены мне"), exact=False)
    row = page.locator("tr", has_text=process)
    expect(row).to_contain_text("Уточните, что именно консультируют")
    row.get_by_role("link").first.click()
    expect(page.locator("main")).to_contain_text("Уточните, что именно консультируют")
    click_link(page, "Изменить")
    page.get_by_label("Осуществляемое взаимодействие с клиентом").fill(
        "Консультирование по условиям участия в программе"
    )
    press(page, "Сохранить и отправить на проверку")
    assert "Консультирование по условиям участия в программе" in main_text(page)

    # The registrar includes it, checks the list and approves a new version.
    sign_in(page, base, MURMANSK_REGISTRAR)
    page.goto(f"{base}/list/review")
    page.locator("tr", has_text=process).get_by_role("link").first.click()
    press(page, "Включить", exact=True)
    assert "В перечне" in main_text(page) or "включ" in main_text(page).lower()

    click_link(page, "Перечень")
    click_link(page, "Проверка на соответствие порядку")
    expect(page.locator("main")).to_contain_text("Ошибок нет")
    click_link(page, "Утвердить редакцию")
    expect(page.locator("main")).to_contain_text("добавлено 1")
    page.get_by_label("Номер приказа").fill("57")
    page.get_by_label("Дата приказа").fill(date.today().isoformat())
    press(page, "Утвердить", exact=True)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "Редакция № 2" in main_text(page)
    assert "№ 57" in main_text(page)
    assert process in main_text(page)

    # The order PDF is made in the background; its page shows the link when it is ready.
    click_link(page, "Приказ (PDF)")
    download = page.get_by_role("link", name="Скачать PDF")
    expect(download).to_be_visible(timeout=60_000)
    with page.expect_download() as pdf:
        download.click()
    assert pdf.value.suggested_filename == "Приказ от {} № 57 — Комитет по туризму.pdf".format(
        date.today().strftime("%d.%m.%Y")
    )
    assert Path(pdf.value.path()).read_bytes()[:5] == b"%PDF-"


def test_kuzbass_registrar_compares_working_list_with_version(demo_app, live_server, page):
    base = live_server
    sign_in(page, base, KUZBASS_REGISTRAR)
    # Before anything changes the working list equals version 1.
    click_link(page, "Перечень")
    click_link(page, "Утверждённые редакции")
    click_link(page, "Сравнить с рабочим")
    expect(page.locator("main")).to_contain_text("Различий нет")

    # Including one of the entries waiting for review changes the working list.
    click_link(page, "Черновики и проверка")
    first = page.locator("tbody tr").first.get_by_role("link").first
    touchpoint = first.inner_text().strip()
    first.click()
    press(page, re.compile("^(Включить|Внести изменение|Исключить)$"))

    page.goto(f"{base}/list/versions/")
    click_link(page, "Сравнить с рабочим")
    main = main_text(page)
    assert "Различий нет" not in main
    assert re.search(r"Добавлено: \d+ · изменено: \d+ · исключено: \d+", main)
    assert touchpoint in main
    # The form lets the person pick the two sides again.
    expect(page.get_by_label("Было")).to_have_value("1")
    expect(page.get_by_label("Стало")).to_have_value("working")


def test_project_office_dashboard_sort_filter_and_drill_down(demo_app, live_server, page):
    base = live_server
    sign_in(page, base, "office@murmansk.example.org")
    assert page.url.endswith("/dashboard/")
    table = page.locator("table").first
    expect(table).to_contain_text("Комитет по туризму")

    # Sorting by a column reorders by it (the header shows the direction).
    with page.expect_navigation():
        page.locator("thead").first.get_by_role("link", name=re.compile("Доля цифровых")).click()
    assert "sort=digital" in page.url

    # Filtering by name keeps matching agencies; a name that matches nothing says so.
    page.get_by_label("Название").fill("туризм")
    press(page, "Показать")
    expect(page.locator("table").first).to_contain_text("Комитет по туризму")
    page.get_by_label("Название").fill("нет такого органа")
    press(page, "Показать")
    assert "Комитет по туризму" not in page.locator("table").first.inner_text()

    # Drill down into the agency's list (read only).
    page.goto(f"{base}/dashboard/")
    with page.expect_navigation():
        page.locator("tbody").first.get_by_role("link", name="Комитет по туризму").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Комитет по туризму")
    click_link(page, "Перечень и редакции")
    main = main_text(page)
    assert "только просмотр" in main
    assert "Аттестация экскурсоводов" in main
    assert page.get_by_role("link", name="Добавить строку").count() == 0


def test_anonymous_visitor_reads_public_list_and_downloads(demo_app, live_server, page):
    base = live_server
    page.goto(f"{base}/p/")
    click_link(page, "Комитет по туризму Мурманской области")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Комитет по туризму Мурманской области"
    )
    assert "Аттестация экскурсоводов" in main_text(page)

    with page.expect_download() as csv_download:
        page.get_by_role("link", name="CSV", exact=True).first.click()
    csv_text = Path(csv_download.value.path()).read_text(encoding="utf-8-sig")
    assert "Аттестация экскурсоводов" in csv_text

    click_link(page, "JSON")
    data = json.loads(page.inner_text("body"))
    assert "Аттестация экскурсоводов" in json.dumps(data, ensure_ascii=False)


def test_registrar_previews_xlsx_import_and_cancels(demo_app, live_server, page):
    base = live_server
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, MURMANSK_REGISTRAR)
    click_link(page, "Перечень")
    with page.expect_download() as export:
        page.get_by_role("link", name="Excel (XLSX)").click()
    content = Path(export.value.path()).read_bytes()
    rows = load_workbook(io.BytesIO(content)).active.max_row
    assert rows > 40

    with demo_app.app_context(), scoped(SYSTEM_SCOPE):
        before = db.session.query(Entry).count()

    click_link(page, "Загрузить из Word или Excel")
    page.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "perechen.xlsx",
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "buffer": content,
            }
        ]
    )
    press(page, "Загрузить и проверить")
    expect(page.get_by_role("heading", level=1)).to_contain_text("perechen.xlsx")
    main = main_text(page)
    assert "В перечень пока ничего не записано" in main
    assert "строк со сведениями" in main

    press(page, "Отменить загрузку")
    assert "/list/import/" not in page.url
    with demo_app.app_context(), scoped(SYSTEM_SCOPE):
        assert db.session.query(Entry).count() == before
