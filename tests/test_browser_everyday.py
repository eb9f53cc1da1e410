"""Issue 13 in a real browser: mail at the event over real SMTP, the audit page's text, the
approval guards, and public pages that fit a phone (390 px) and a laptop (1,366 px)."""

from __future__ import annotations

import re
import time
from datetime import date

import pytest
from playwright.sync_api import expect
from test_browser_journeys import MURMANSK_EDITOR, MURMANSK_REGISTRAR, click_link, press, sign_in
from test_reminders_delivery import free_port, start_smtp

from touchpoints.core.db import db

pytestmark = pytest.mark.browser

PUBLIC_PAGES = (
    "/p/",
    "/p/murmansk-tourism/",
    "/p/kuzbass-emergencies/",
    "/p/murmansk-tourism/embed",
    "/p/kuzbass-emergencies/embed",
)


@pytest.mark.parametrize("width", [390, 1366])
def test_public_pages_fit_the_screen(demo_app, live_server, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="ru-RU")
    page = context.new_page()
    try:
        for path in PUBLIC_PAGES:
            page.goto(live_server + path)
            document = page.evaluate("document.documentElement.scrollWidth")
            assert document <= width, f"{path}: {document} px wide at {width} px"
        # The wide list scrolls inside its own box, not the page.
        page.goto(live_server + "/p/murmansk-tourism/")
        box = page.evaluate("getComputedStyle(document.querySelector('.table-card')).overflowX")
        assert box == "auto"
        # Times carry their zone: the public page has no viewer region to assume.
        assert re.search(r"\d\d\.\d\d\.\d{4} \d\d:\d\d \(МСК\)", page.inner_text("main"))
        page.goto(live_server + "/p/kuzbass-emergencies/")
        assert "(МСК+4)" in page.inner_text("main")
    finally:
        context.close()


@pytest.fixture
def smtp_server(demo_app, live_server):
    """The demo, served by the application sending its mail over SMTP to a server on loopback."""
    port = free_port()
    controller, inbox = start_smtp(port)
    demo_app.config.update(MAIL_BACKEND="smtp", MAIL_PORT=port, MAIL_TIMEOUT=3)
    yield live_server, inbox
    with demo_app.app_context():
        demo_app.extensions["inprocess_jobs"].wait(timeout=60)
    controller.stop()


def _mail_to(inbox, address, subject, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for rcpts, msg in inbox.messages:
            if address in rcpts and msg["Subject"] == subject:
                return msg
        time.sleep(0.2)
    got = [(r, m["Subject"]) for r, m in inbox.messages]
    raise AssertionError(f"no «{subject}» to {address}; got {got}")


def test_people_hear_of_a_submission_and_a_return_at_once(smtp_server, page):
    base, inbox = smtp_server
    process = "Приём заявок на аккредитацию гидов-переводчиков"
    page.on("dialog", lambda dialog: dialog.accept())

    sign_in(page, base, MURMANSK_EDITOR)
    click_link(page, "Перечень")
    click_link(page, "Добавить строку")
    page.get_by_label("Направление деятельности органа власти").select_option(index=1)
    page.get_by_label("Наименование конкретного процесса").fill(process)
    page.get_by_label("Точка взаимодействия (справочник)").select_option(
        label="Телефонная связь · офлайн"
    )
    page.get_by_label("Получение консультации").check()
    page.get_by_label("Осуществляемое взаимодействие с клиентом").fill("Приём заявок")
    press(page, "Сохранить и отправить на проверку")

    msg = _mail_to(inbox, MURMANSK_REGISTRAR, "Комитет по туризму: строка отправлена на проверку")
    text = msg.get_body(("plain",)).get_content()
    assert f"«{process}»" in text and "/list/entries/" in text

    sign_in(page, base, MURMANSK_REGISTRAR)
    page.goto(f"{base}/list/review")
    page.locator("tr", has_text=process).get_by_role("link").first.click()
    page.get_by_label("Что нужно исправить").fill("Укажите срок рассмотрения заявки")
    press(page, "Вернуть с комментарием")

    msg = _mail_to(inbox, MURMANSK_EDITOR, "Комитет по туризму: строка возвращена на доработку")
    assert (
        "Что исправить: Укажите срок рассмотрения заявки" in msg.get_body(("plain",)).get_content()
    )
    # Exactly once: one message per event and person.
    subjects = [(tuple(r), m["Subject"]) for r, m in inbox.messages]
    assert len(subjects) == len(set(subjects))

    # The audit page tells the story in Russian, with the comment.
    page.goto(f"{base}/audit/?action=entry.")
    body = page.inner_text("main")
    assert "Возвращена на доработку" in body and "Укажите срок рассмотрения заявки" in body
    assert "Статус:" in body and "ожидает проверки → возвращена на доработку" in body
    assert "submitted" not in body and '{"' not in body
    page.set_viewport_size({"width": 1366, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366

    # The editor's own settings, on a phone: the return cannot be turned off.
    sign_in(page, base, MURMANSK_EDITOR)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"{base}/notifications/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    returned = page.get_by_role("group", name="Строка возвращена на доработку")
    expect(returned.get_by_label("не присылать")).to_be_disabled()
    page.get_by_role("group", name="Строка включена в перечень").get_by_label(
        "в ежедневной сводке"
    ).check()
    press(page, "Сохранить")
    assert "Настройки уведомлений сохранены." in page.inner_text("main")
    expect(
        page.get_by_role("group", name="Строка включена в перечень").get_by_label(
            "в ежедневной сводке"
        )
    ).to_be_checked()


def _add_change(app, slug):
    """One more included row, so that the working list differs from the approved version."""
    import sqlalchemy as sa
    from lists_support import add_included, agency_id_of, data, in_agency

    from touchpoints.auth.models import User
    from touchpoints.core.db import SYSTEM_SCOPE, scoped

    aid = agency_id_of(app, slug)
    with app.app_context(), scoped(SYSTEM_SCOPE):
        reg = db.session.scalar(sa.select(User.id).where(User.email == MURMANSK_REGISTRAR))
    with in_agency(app, aid) as agency:
        form = agency.form
    add_included(app, aid, reg, [data(form, process="Сопровождение туристских маршрутов")])


def test_approval_guards_confirmation_and_annulment_in_the_browser(demo_app, live_server, page):
    base = live_server
    _add_change(demo_app, "murmansk-tourism")
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.accept()

    page.on("dialog", answer)
    sign_in(page, base, MURMANSK_REGISTRAR)
    page.goto(f"{base}/list/approve")
    first = page.get_by_label("Номер приказа")
    # A date in the future (the 31.12.2027 typo of the issue) is refused; input is kept.
    first.fill("99")
    page.get_by_label("Дата приказа").fill("2027-12-31")
    press(page, "Утвердить", exact=True)
    assert questions[-1].startswith("Утвердить редакцию приказом № 99 от 31.12.2027, подписал:")
    assert "позже сегодняшней" in page.inner_text("main")
    assert page.get_by_label("Номер приказа").input_value() == "99"
    # Before the previous version's order (the demo's order No. 34 of 15.03.2024).
    page.get_by_label("Дата приказа").fill("2024-01-15")
    press(page, "Утвердить", exact=True)
    assert "раньше приказа предыдущей редакции № 1" in page.inner_text("main")
    # The same order number as the version in force.
    page.get_by_label("Номер приказа").fill("№ 34")
    page.get_by_label("Дата приказа").fill(date.today().isoformat())
    press(page, "Утвердить", exact=True)
    assert "уже утвердил редакцию № 1" in page.inner_text("main")
    page.get_by_label("Номер приказа").fill("57")
    press(page, "Утвердить", exact=True)
    assert "Редакция № 2" in page.inner_text("main")

    # The approval was a mistake: annulled with a reason; the public page shows № 1 again.
    page.get_by_text("Аннулировать ошибочное утверждение").click()
    page.get_by_label(re.compile("Причина")).fill("Приказ № 57 подписан не был")
    press(page, "Аннулировать утверждение")
    assert "Утверждение этой редакции аннулировано" in page.inner_text("main")
    assert "Аннулировать утверждение редакции № 2" in questions[-1]
    # The public page, as the public sees it (signed out).
    page.context.clear_cookies()
    page.goto(f"{base}/p/murmansk-tourism/")
    assert re.search(r"Редакция\s+№ 1 действующая", page.inner_text("main"))
    page.goto(f"{base}/p/murmansk-tourism/v/2/")
    assert "Утверждение редакции № 2 аннулировано: Приказ № 57 подписан не был" in page.inner_text(
        "main"
    )
    # And the list can be approved again.
    sign_in(page, base, MURMANSK_REGISTRAR)
    page.goto(f"{base}/list/approve")
    page.get_by_label("Номер приказа").fill("58")
    page.get_by_label("Дата приказа").fill(date.today().isoformat())
    press(page, "Утвердить", exact=True)
    assert "Редакция № 3" in page.inner_text("main")
