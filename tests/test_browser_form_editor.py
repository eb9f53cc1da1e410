"""The form editor in a real browser (issue 12): the live preview follows what is typed, a new
column is added with the button, a mistake is explained before saving, and the page fits a phone."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD
from lists_support import agency_id_of
from playwright.sync_api import expect

from touchpoints.auth.roles import Role

pytestmark = pytest.mark.browser


def sign_in(page, base, email):
    page.goto(f"{base}/login")
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(re.compile(r"^(?!.*/login).*$"))


def test_the_preview_follows_what_is_typed(seeded, make_user, live_server, browser):
    app = seeded
    email = "registrar-forms@example.org"
    make_user(Role.REGISTRAR, agency_id=agency_id_of(app, "murmansk-tourism"), email=email)
    context = browser.new_context(viewport={"width": 390, "height": 800}, locale="ru-RU")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server, email)
        page.get_by_role("link", name="Форма перечня").click()
        page.wait_for_url(f"{live_server}/forms/agencies/murmansk-tourism")
        preview = page.locator("#preview")
        expect(preview).to_contain_text("Особенности взаимодействия с клиентом")
        # A phone: the wide tables scroll inside their boxes, not the page.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390

        page.get_by_label("Заголовок графы").nth(4).fill("Особые условия обслуживания")
        expect(preview.locator("table.form-table").first).to_contain_text(
            "Особые условия обслуживания"
        )
        expect(preview.locator("table.appendix-preview")).to_contain_text(
            "Особые условия обслуживания"
        )

        page.get_by_role("button", name="Добавить графу").click()
        labels = page.get_by_label("Заголовок графы")
        codes = page.get_by_label("Код графы")
        labels.nth(6).fill("Примечание")
        codes.nth(6).fill("process")  # a mistake: the code of another column
        expect(preview).to_contain_text("Код «process» уже есть у графы № 2")
        codes.nth(6).fill("note")
        expect(preview.locator("table.form-table").first.locator("thead")).to_contain_text(
            "Примечание"
        )
        # Nothing is saved until «Сохранить».
        with page.expect_navigation():
            page.get_by_role("button", name="Сохранить").click()
        expect(page.locator("main")).to_contain_text("Форма сохранена.")
        page.goto(f"{live_server}/list/")
        expect(page.locator("main table").first).to_contain_text("Особые условия обслуживания")
        expect(page.locator("main table").first).to_contain_text("Примечание")
    finally:
        context.close()
