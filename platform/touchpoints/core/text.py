"""How numbers, counted nouns and dates read in Russian, everywhere: pages, PDFs, exports, mail.

One module so that a number in the list, in the order's appendix and in a downloaded file reads the
same. :func:`register_filters` puts these functions into a Jinja environment (the application's,
registered by ``create_app``, and the sandboxed one of the order templates).
"""

from __future__ import annotations

from datetime import date, datetime

MONTHS_GENITIVE = (
    "января", "февраля", "марта", "апреля", "мая", "июня",
    "июля", "августа", "сентября", "октября", "ноября", "декабря",
)  # fmt: skip
#: What a missing date reads as on a page.
NO_DATE = "—"


def number(value) -> str:
    """A number as the list prints it: a decimal comma, no exponent, a whole float without «,0»
    («1,5», «4», «0,25»); no thousands separator (norms and counts are small). Text passes as is,
    None is empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # repr gives the shortest exact digits (0.1 → "0.1"); only very small or large values
        # come out in exponent form, which a list of norms never holds.
        return repr(value).replace(".", ",")
    return str(value)


def share(part: float, whole: float) -> float | None:
    """``part`` of ``whole`` (0..1); None when there is no whole: «нет данных», not 0 %."""
    return part / whole if whole else None


def plural(n: int, one: str, few: str, many: str) -> str:
    """The noun form that goes with ``n``: plural(1, "строка", "строки", "строк") → "строка",
    2-4 → "строки", 5-20 and 0 → "строк" (21 → "строка", 111 → "строк")."""
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def counted(n: int, one: str, few: str, many: str) -> str:
    """``n`` with its noun: counted(42, "строка", "строки", "строк") → "42 строки"."""
    return f"{n} {plural(n, one, few, many)}"


def date_short(value: date | datetime | None) -> str:
    """28.02.2024"""
    if value is None:
        return NO_DATE
    return f"{value.day:02d}.{value.month:02d}.{value.year}"


def date_long(value: date | datetime | None) -> str:
    """28 февраля 2024 г. — it ends with «г.», so a sentence after it needs no full stop of its
    own (a template writes «… {{ d | ru_date(long=True) }}» and no dot after it)."""
    if value is None:
        return NO_DATE
    return f"{value.day} {MONTHS_GENITIVE[value.month - 1]} {value.year} г."


def ru_date(value, long: bool = False) -> str:
    """The Jinja filter ``ru_date``: short (28.02.2024) or, with ``long=True``, in words."""
    return date_long(value) if long else date_short(value)


def datetime_short(value: datetime | None) -> str:
    """28.02.2024 14:05 (the caller converts to the viewer's time zone first)."""
    if value is None:
        return NO_DATE
    return f"{date_short(value)} {value.hour:02d}:{value.minute:02d}"


def register_filters(env) -> None:
    """Put the text functions into a Jinja environment as filters."""
    env.filters["ru_date"] = ru_date
    env.filters["number"] = number
    env.filters["plural"] = plural
    env.filters["counted"] = counted
