"""Numbers, plurals and dates: the one text module (core/text.py) and its Jinja filters."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from touchpoints.config import ROOT_DIR
from touchpoints.core import text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.5, "1,5"),
        (2.0, "2"),
        (0.25, "0,25"),
        (0.1, "0,1"),
        (15, "15"),
        (0, "0"),
        (None, ""),
        ("Ответ в течение 1.5 ч.", "Ответ в течение 1.5 ч."),
    ],
)
def test_numbers_have_a_decimal_comma_and_no_trailing_zero(value, expected):
    assert text.number(value) == expected


@pytest.mark.parametrize(
    ("n", "word"),
    [
        (0, "строк"),
        (1, "строка"),
        (2, "строки"),
        (4, "строки"),
        (5, "строк"),
        (11, "строк"),
        (12, "строк"),
        (14, "строк"),
        (21, "строка"),
        (22, "строки"),
        (42, "строки"),
        (111, "строк"),
        (101, "строка"),
    ],
)
def test_plural_picks_the_russian_form(n, word):
    assert text.plural(n, "строка", "строки", "строк") == word
    assert text.counted(n, "строка", "строки", "строк") == f"{n} {word}"


def test_dates_short_and_long():
    # The Murmansk order's own date (order of 28.02.2024 No. 21).
    day = date(2024, 2, 28)
    assert text.date_short(day) == "28.02.2024"
    assert text.date_long(day) == "28 февраля 2024 г."
    assert text.ru_date(day) == "28.02.2024"
    assert text.ru_date(day, long=True) == "28 февраля 2024 г."
    assert text.date_short(date(2023, 12, 8)) == "08.12.2023"
    assert text.datetime_short(datetime(2024, 2, 28, 9, 5)) == "28.02.2024 09:05"
    assert text.ru_date(None) == "—"


def test_filters_are_registered_in_the_application(app):
    env = app.jinja_env
    rendered = env.from_string(
        "{{ d | ru_date(long=True) }}|{{ 1.5 | number }}|{{ 3 | counted('строка', 'строки', 'строк') }}"
        "|{{ 5 | plural('строка', 'строки', 'строк') }}"
    ).render(d=date(2026, 11, 26))
    assert rendered == "26 ноября 2026 г.|1,5|3 строки|строк"


def test_no_template_puts_a_full_stop_after_a_long_date():
    """A long date ends with «г.»: a dot after it printed «26 ноября 2026 г..» in the
    dashboard's PDF."""
    pattern = re.compile(r"(ru_date\(long=True\)|date_long)\s*}}\.")
    offenders = [
        str(path.relative_to(ROOT_DIR))
        for base in (ROOT_DIR / "templates", ROOT_DIR / "tenants")
        for path in base.rglob("*.html")
        if pattern.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_dashboard_pdf_date_has_one_full_stop(app):
    with app.test_request_context():
        html = app.jinja_env.from_string(
            (ROOT_DIR / "templates" / "dashboard" / "pdf.html")
            .read_text(encoding="utf-8")
            .split('<p class="muted">Сформировано', 1)[1]
            .split("</p>", 1)[0]
        ).render(board={"today": date(2026, 11, 26)}, rows=[1, 2])
    assert "2026 г.." not in html
    assert "26 ноября 2026 г. Органов власти в отчёте: 2." in html
