"""The registry's pages in a real browser on a phone (390 px): the registrar adds a process,
sees the list marked «требует актуализации», fills a passport; the office adds a shared
touchpoint. No page is wider than the screen."""

from __future__ import annotations

import pytest
from test_browser_journeys import KUZBASS_REGISTRAR, click_link, press, sign_in

KUZBASS_OFFICE = "office@kuzbass.example.org"


def fits(page, width):
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= width, f"{page.url}: {wide} px wide at {width} px"


@pytest.mark.parametrize("width", [390])
def test_registry_on_a_phone(demo_app, live_server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("dialog", lambda dialog: dialog.accept())
    try:
        base = live_server
        sign_in(page, base, KUZBASS_REGISTRAR)
        page.goto(f"{base}/registry/")
        fits(page, width)
        click_link(page, "Добавить процесс")
        fits(page, width)
        page.get_by_label("Функция").check()
        page.get_by_label("Наименование услуги, функции или сервиса").fill(
            "Государственный надзор в области защиты населения и территорий от чрезвычайных ситуаций"
        )
        page.get_by_label("Жизненные ситуации (необязательно)").fill("Чрезвычайная ситуация")
        press(page, "Сохранить")
        assert "включён в реестр процессов" in page.inner_text("main")
        fits(page, width)
        page.goto(f"{base}/list/")
        assert "Перечень требует актуализации" in page.inner_text("main")
        fits(page, width)
        page.goto(f"{base}/registry/import")
        fits(page, width)
        page.goto(f"{base}/registry/passports/")
        fits(page, width)
        press(page, "Заполнить паспорт")
        fits(page, width)
        page.get_by_label("Распорядительное действие (поручение, резолюция)").check()
        page.get_by_label("Клиенты старшего возраста").fill("Консультация по телефону")
        press(page, "Сохранить")
        assert "Паспорт точки взаимодействия сохранён" in page.inner_text("main")

        sign_in(page, base, KUZBASS_OFFICE)
        click_link(page, "Общие точки")
        fits(page, width)
        click_link(page, "Добавить общую точку")
        page.get_by_label("Наименование").fill("МФЦ «Мои документы»")
        press(page, "Сохранить")
        assert "Какие органы её используют" in page.inner_text("main")
        fits(page, width)
    finally:
        context.close()
