"""Issue 12's acceptance journey in one real browser, end to end: the administrator creates a third
agency (its name in the cases) from a template, gives it its own 7-column form and its own
procedure (its order's number, date and title, its clauses), invites its registrar; the registrar
sets a password from the link in the mail read from a real SMTP server on loopback, imports a small
list (an XLSX made here in the 7 columns), runs the check — whose findings cite this agency's
clauses and none of the seeds' — approves, and the order PDF (read back with pypdf) and the list
pages are titled with the agency's name in the genitive."""

from __future__ import annotations

import re
import time

import pytest
import test_browser_onboarding as onboarding
from playwright.sync_api import expect
from test_browser_journeys import click_link, press
from test_browser_onboarding import _mail_to, sign_in
from test_orders import read_pdf

from tests import import_fixtures as fx

pytestmark = pytest.mark.browser

#: The onboarding journey's server: seed regions, the app sending mail over SMTP on loopback.
served = onboarding.served

SLUG = "murmansk-sport"
NAME = "Комитет по физической культуре и спорту Мурманской области"
GENITIVE = "Комитета по физической культуре и спорту Мурманской области"
REGISTRAR = "registrar@murmansk-sport.example.org"
PASSWORD = "свой пароль регистратора"
ORDER = "Приказ Комитета по физической культуре и спорту Мурманской области от 15.03.2024 № 47"
ORDER_TITLE = "Об утверждении Порядка ведения перечня точек взаимодействия с клиентом"
#: The agency's own clauses, unlike either seed's (Murmansk 2.3 / 2.10.2, Kuzbass 3.5 / 3.8).
AREA_CLAUSE = "п. 2.4 Порядка № 47"
OFFLINE_CLAUSE = "п. 2.11 Порядка № 47"
#: default-full's nine columns less «Клиент» and «Структурное подразделение»: seven.
COLUMNS = [
    "Направление деятельности",
    "Наименование процесса (услуги, функции, сервиса)",
    "Точка взаимодействия",
    "Вид точки (цифровая / офлайн)",
    "Удовлетворяемые потребности клиента",
    "Осуществляемое взаимодействие с клиентом",
    "Особенности взаимодействия",
]
AREA = "Предоставление государственных услуг"
ROWS = [
    ["№", *COLUMNS],
    ["1", AREA, "Присвоение спортивных разрядов", "Официальный сайт", "цифровая",
     "Получение информации", "Размещение порядка присвоения разрядов", ""],
    ["2", AREA, "Присвоение спортивных разрядов", "Личный приём", "офлайн",
     "Получение консультации", "Консультирование заявителей", "По вторникам"],
    # Served offline only: the check warns, citing the agency's own clause.
    ["3", AREA, "Государственная аккредитация спортивных федераций", "Личный приём", "офлайн",
     "Представление заявления, обращения, запроса, документов", "Приём документов", ""],
]  # fmt: skip


def _rule_row(page, title):
    return page.locator("#procedure table.editor tr", has_text=title)


def test_a_third_agency_from_template_to_approved_order(served, page):
    base, inbox = served
    started = time.monotonic()
    page.on("dialog", lambda dialog: dialog.accept())

    # 1. The administrator creates the agency from the fullest template, its name in the cases.
    sign_in(page, base, "admin@example.org")
    page.goto(f"{base}/agencies/new")
    page.get_by_label("Полное наименование (именительный падеж: кто?)").fill(NAME)
    page.get_by_label("в родительном падеже").fill(GENITIVE)
    page.get_by_label("в дательном падеже").fill(
        "Комитету по физической культуре и спорту Мурманской области"
    )
    page.get_by_label("в предложном падеже").fill(
        "Комитете по физической культуре и спорту Мурманской области"
    )
    page.get_by_label("Краткое наименование").fill("Комитет по спорту")
    page.get_by_label("Должность руководителя").fill("Председатель Комитета")
    page.get_by_label("Инициалы и фамилия руководителя").fill("П.П. Смирнов")
    page.get_by_label("Краткий латинский код").fill(SLUG)
    page.get_by_label("Регион").select_option(label="Мурманская область")
    page.get_by_label("Форма перечня").select_option(value="default-full")
    press(page, "Создать")
    expect(page.locator("main")).to_contain_text(
        f"Перечень точек взаимодействия с клиентом {GENITIVE}"
    )

    # 2. Its own form: seven columns (two of the template's nine dropped) and its own procedure.
    page.goto(f"{base}/forms/agencies/{SLUG}")
    expect(page.get_by_label("Заголовок графы")).to_have_count(10)  # nine and the blank row
    for label in ("Клиент (внешний / внутренний)", "Структурное подразделение"):
        row = page.locator("table[data-section=columns] tbody tr").filter(
            has=page.locator(f'input[value="{label}"]')
        )
        row.locator('input[name$="-delete"]').check()
    page.get_by_label("Приказ (как его цитировать)").fill(ORDER)
    page.get_by_label("Номер приказа").fill("47")
    page.get_by_label("Дата приказа").fill("2024-03-15")
    page.get_by_label("Заголовок приказа").fill(ORDER_TITLE)
    # Each rule cites this order's clause; an area without rows and an offline-only process
    # are warnings here, so the first version can be approved while they are being worked on.
    for title, clause in (
        ("Каждое направление деятельности заполнено или отмечено", AREA_CLAUSE),
        ("Цифровые каналы — преимущественные", OFFLINE_CLAUSE),
        ("Обязательные сведения заполнены", "п. 2.2 Порядка № 47"),
        ("Для каждой точки определены удовлетворяемые потребности", "п. 2.6 Порядка № 47"),
        ("Точки в рамках одного процесса не дублируются", "п. 2.8 Порядка № 47"),
    ):
        row = _rule_row(page, title)
        row.locator('input[name$="-applies"]').check()
        row.locator('input[name$="-clause"]').fill(clause)
    _rule_row(page, "Каждое направление деятельности заполнено или отмечено").locator(
        "select"
    ).select_option("warning")
    _rule_row(page, "Цифровые каналы — преимущественные").locator("select").select_option("warning")
    with page.expect_navigation():
        page.get_by_role("button", name="Сохранить").click()
    expect(page.locator("main")).to_contain_text("Форма сохранена.")
    expect(page.get_by_label("Заголовок графы")).to_have_count(8)  # seven and the blank row

    # 3. The registrar is invited by e-mail.
    page.goto(f"{base}/agencies/{SLUG}/")
    click_link(page, "Пригласить уполномоченное лицо")
    page.get_by_label("Электронная почта").fill(REGISTRAR)
    page.get_by_label("Фамилия, имя, отчество").fill("Ольга Викторовна Лебедева")
    page.get_by_label("Роль").select_option(label="Уполномоченное лицо")
    press(page, "Отправить приглашение")
    expect(page.locator("main")).to_contain_text(f"Приглашение отправлено на {REGISTRAR}")

    # 4. The registrar opens the link from the mail the SMTP server received, sets a password.
    body = _mail_to(inbox, REGISTRAR).get_body(("plain",)).get_content()
    assert f"вести перечень {GENITIVE}" in body
    link = re.search(re.escape(base) + r"/invite/[A-Za-z0-9_-]+", body).group(0)
    page.context.clear_cookies()
    page.goto(link)
    page.get_by_label("Придумайте пароль").fill(PASSWORD)
    page.get_by_label("Повторите пароль").fill(PASSWORD)
    press(page, "Задать пароль и войти")
    expect(page.locator("main")).to_contain_text("Пароль задан, вы вошли в реестр")

    # 5. The list page is titled in the genitive; a small list in the 7 columns is imported.
    click_link(page, "Перечень")
    expect(page.locator("h1")).to_have_text(f"Перечень точек взаимодействия с клиентом {GENITIVE}")
    expect(page.locator("main")).to_contain_text(f"Рабочий перечень {GENITIVE}")
    click_link(page, "Загрузить из Word или Excel")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "perechen-sport.xlsx", "buffer": fx.xlsx({"Перечень": ROWS}),
                "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}]
    )  # fmt: skip
    press(page, "Загрузить и проверить")
    main = page.locator("main")
    expect(main).not_to_contain_text("Загрузить пока нельзя")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile(r"^Загрузить \(3 строки\)")).click()
    expect(main).to_contain_text("Новых строк: 3")
    expect(main).to_contain_text("Изменения внесены в рабочий перечень")

    # 6. The check cites this agency's own clauses, not the seeds'.
    page.goto(f"{base}/list/check")
    expect(page.locator("h1")).to_contain_text("Проверка рабочего перечня")
    warnings = page.locator("table.findings tr.warning")
    offline = warnings.filter(has_text="Государственная аккредитация спортивных федераций")
    expect(offline).to_have_count(1)
    expect(offline.locator("td").nth(1)).to_have_text(OFFLINE_CLAUSE)
    areas = warnings.filter(has_text="Направление «Государственный контроль (надзор)»")
    expect(areas.locator("td").nth(1)).to_have_text(AREA_CLAUSE)
    findings = page.locator("table.findings").all_inner_texts()
    assert findings and not any("Кузбасс" in t or "Мурманская обл." in t for t in findings), (
        findings
    )
    # The areas' note cites the agency's clause too: the page quotes none of the seed orders.
    check_page = page.inner_text("main")
    assert AREA_CLAUSE in check_page and "Кузбасс" not in check_page, check_page
    expect(page.locator("main")).to_contain_text("Ошибок нет: перечень можно утверждать.")

    # 7. Approval by an order (the page asks to confirm: the dialog is accepted above).
    click_link(page, "Утвердить редакцию")
    page.get_by_label("Номер приказа").fill("12-од")
    page.get_by_label("Дата приказа").fill(time.strftime("%Y-%m-%d"))
    page.get_by_label("Должность подписавшего").fill("Председатель Комитета")
    page.get_by_label("Инициалы и фамилия подписавшего").fill("П.П. Смирнов")
    press(page, "Утвердить")
    expect(main).to_contain_text("Редакция № 1, утверждена приказом")
    expect(main).to_contain_text("№ 12-од")
    expect(page.locator("h1")).to_have_text(f"Перечень точек взаимодействия с клиентом {GENITIVE}")

    # 8. The order PDF (rendered in-process; fetched with the page's session) and the titles.
    page.goto(f"{base}/list/versions/1/order")
    pdf = None
    for _ in range(120):
        response = page.request.get(f"{base}/list/versions/1/order.pdf")
        if response.ok and response.headers.get("content-type") == "application/pdf":
            pdf = response.body()
            break
        time.sleep(0.5)
    assert pdf is not None, "the order PDF was not rendered"
    _, pages = read_pdf(pdf)
    text = " ".join(pages)
    assert f"Перечень точек взаимодействия с клиентом {GENITIVE}" in text, text[:600]
    assert "от 15.03.2024 № 47" in text, text[:1500]
    assert "Государственная аккредитация спортивных федераций" in text
    assert f"Перечень точек взаимодействия с клиентом {NAME}" not in text
    # The appendix is the agency's 7-column form: the dropped columns are not in it.
    assert "Особенности взаимодействия" in text
    assert "Клиент (внешний / внутренний)" not in text
    assert "Структурное подразделение" not in text
    print(f"journey: {time.monotonic() - started:.1f} s")
