"""Main journeys in a real browser (Debian's Chromium through Playwright). Features add theirs."""

import pytest

pytestmark = pytest.mark.browser


def login(page, base, email, password="demo"):
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_registrar_logs_in_and_sees_agency_home(demo_app, live_server, page):
    login(page, live_server, "registrar@murmansk-tourism.example.org")
    page.wait_for_url(f"{live_server}/")
    assert page.inner_text("h1") == "Комитет по туризму Мурманской области"
    body = page.inner_text("main")
    assert "Осуществляемое взаимодействие с клиентом" in body
    assert "Отдел связи и информатизации" in body
    assert "Иванова Мария Сергеевна" in page.inner_text("header")
    # Logging out brings the login page back.
    page.click("text=Выйти")
    page.wait_for_url(f"{live_server}/login")
    assert "Вы вышли из системы" in page.inner_text("main")


def test_wrong_password_in_browser_keeps_email(demo_app, live_server, page):
    login(page, live_server, "registrar@kuzbass-emergencies.example.org", "wrong")
    assert "Неверная электронная почта или пароль" in page.inner_text("main")
    assert page.input_value("input[name=email]") == "registrar@kuzbass-emergencies.example.org"


def test_office_sees_its_region(demo_app, live_server, page):
    login(page, live_server, "office@kuzbass.example.org")
    page.wait_for_url(f"{live_server}/**")
    # The office lands on its region's dashboard, which lists its agencies and no others.
    assert page.url.endswith("/dashboard/")
    body = page.inner_text("main")
    assert "Кемеровская область — Кузбасс" in body
    assert "Департамент по ЧС" in body
    assert "Комитет по туризму" not in body
