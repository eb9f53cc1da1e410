"""Issue 12 in a real browser: the administrator creates an agency with its name in the cases,
adds a subdivision and invites the registrar; the registrar opens the link from the mail (read
from a real SMTP server on loopback), sets a password and sees the first-steps checklist."""

from __future__ import annotations

import re
import time

import pytest
from conftest import PASSWORD
from test_browser_journeys import click_link, press
from test_reminders_delivery import free_port, start_smtp

from touchpoints.auth.roles import Role

pytestmark = pytest.mark.browser

REGISTRAR = "registrar@murmansk-culture.example.org"


@pytest.fixture
def served(seeded, live_server, make_user):
    """The seed regions and agencies, served over HTTP by the application sending its mail over
    SMTP to a server on loopback."""
    port = free_port()
    controller, inbox = start_smtp(port)
    make_user(Role.ADMIN, email="admin@example.org", name="Администратор платформы")
    # Links in mail point at this very server.
    seeded.config.update(MAIL_BACKEND="smtp", MAIL_PORT=port, MAIL_TIMEOUT=3, BASE_URL=live_server)
    yield live_server, inbox
    with seeded.app_context():
        seeded.extensions["inprocess_jobs"].wait(timeout=60)
    controller.stop()


def _mail_to(inbox, address, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for rcpts, msg in inbox.messages:
            if address in rcpts:
                return msg
        time.sleep(0.2)
    raise AssertionError(f"no mail to {address}: {[r for r, _ in inbox.messages]}")


def sign_in(page, base, email, password=PASSWORD):
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("Электронная почта").fill(email)
    page.get_by_label("Пароль").fill(password)
    press(page, "Войти")


def test_admin_brings_an_agency_on_board_and_the_registrar_starts(served, page):
    base, inbox = served
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, "admin@example.org")
    page.goto(f"{base}/agencies/new")
    page.get_by_label("Полное наименование (именительный падеж: кто?)").fill(
        "Комитет по культуре Мурманской области"
    )
    page.get_by_label("в родительном падеже").fill("Комитета по культуре Мурманской области")
    page.get_by_label("в дательном падеже").fill("Комитету по культуре Мурманской области")
    page.get_by_label("в предложном падеже").fill("Комитете по культуре Мурманской области")
    page.get_by_label("Краткое наименование").fill("Комитет по культуре")
    page.get_by_label("Должность руководителя").fill("Председатель Комитета")
    page.get_by_label("Инициалы и фамилия руководителя").fill("И.И. Иванова")
    page.get_by_label("Краткий латинский код").fill("murmansk-culture")
    page.get_by_label("Регион").select_option(label="Мурманская область")
    page.get_by_label("Форма перечня").select_option(value="default-full")
    press(page, "Создать")

    main = page.inner_text("main")
    assert "Комитет по культуре Мурманской области" in main and "Первые шаги" in main
    assert (
        "Перечень точек взаимодействия с клиентом Комитета по культуре Мурманской области" in main
    )

    click_link(page, "Добавить подразделения и подведомственные организации")
    page.get_by_label("Наименование", exact=True).fill("Отдел музейной работы")
    press(page, "Добавить")
    page.get_by_label("Наименование", exact=True).fill("Мурманский областной художественный музей")
    page.get_by_label("Что это").select_option(label="Подведомственная организация")
    press(page, "Добавить")
    assert (
        "Организации, подведомственные Комитету по культуре Мурманской области"
        in page.inner_text("main")
    )

    page.goto(f"{base}/agencies/murmansk-culture/")
    click_link(page, "Пригласить уполномоченное лицо")
    page.get_by_label("Электронная почта").fill(REGISTRAR)
    page.get_by_label("Фамилия, имя, отчество").fill("Анна Сергеевна Петрова")
    page.get_by_label("Роль").select_option(label="Уполномоченное лицо")
    press(page, "Отправить приглашение")
    assert f"Приглашение отправлено на {REGISTRAR}" in page.inner_text("main")

    msg = _mail_to(inbox, REGISTRAR)
    body = msg.get_body(("plain",)).get_content()
    assert "вести перечень Комитета по культуре Мурманской области" in body
    link = re.search(re.escape(base) + r"/invite/[A-Za-z0-9_-]+", body).group(0)

    # The registrar, on a phone, from the mail.
    page.context.clear_cookies()
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(link)
    assert page.get_by_label("Фамилия, имя, отчество").input_value() == "Анна Сергеевна Петрова"
    page.get_by_label("Придумайте пароль").fill("моё собственное слово")
    page.get_by_label("Повторите пароль").fill("моё собственное слово")
    press(page, "Задать пароль и войти")
    main = page.inner_text("main")
    assert "Пароль задан, вы вошли в реестр" in main
    assert "Первые шаги" in main and "Сделано 2 из 6" in main  # units and the registrar
    steps = page.locator(".first-steps-list li")
    assert steps.count() == 6
    assert "готово" in steps.nth(2).inner_text()  # the registrar is here
    assert "не сделано" in steps.nth(3).inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # The link is used up.
    page.context.clear_cookies()
    page.goto(link)
    assert "уже задан пароль" in page.inner_text("main")
    # And the password works.
    sign_in(page, base, REGISTRAR, "моё собственное слово")
    click_link(page, "Перечень")
    assert page.locator("h1").inner_text() == (
        "Перечень точек взаимодействия с клиентом Комитета по культуре Мурманской области"
    )
