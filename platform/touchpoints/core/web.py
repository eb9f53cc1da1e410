"""Web helpers every feature uses: error wording, pagination, dates in the viewer's zone.

The application's request plumbing (the signed-in user, scope per request, headers, error
pages, navigation) is wired in touchpoints.webapp, above the features it knows about."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request
from flask_login import current_user

from touchpoints.core import text
from touchpoints.core.db import db

ERROR_TITLES = {
    400: "Неверный запрос",
    403: "Доступ запрещён",
    404: "Страница не найдена",
    405: "Действие недоступно",
    409: "Конфликт изменений",
    413: "Слишком большой запрос",
    429: "Слишком много попыток",
    500: "Внутренняя ошибка",
}
ERROR_TEXTS = {
    400: "Запрос не удалось обработать: в нём недопустимые данные или символы. "
    "Вернитесь назад и попробуйте ещё раз.",
    403: "У вашей роли нет прав на это действие.",
    404: "Такой страницы нет или она вам недоступна.",
    405: "Это действие нельзя выполнить таким способом.",
    # Also a form's text field over the form limit (MAX_FORM_MEMORY_SIZE, 500 kB): not a file.
    413: "Отправлено больше допустимого: сократите текст или выберите файл поменьше.",
    429: "Слишком много попыток подряд. Подождите минуту и повторите.",
    500: "Что-то пошло не так. Мы уже записали ошибку; попробуйте позже.",
}


class Done:
    """What :func:`committed` says afterwards: true when the block's work was committed."""

    ok = False

    def __bool__(self) -> bool:
        return self.ok


@contextlib.contextmanager
def committed(refusal, field=None, *, form=None) -> Iterator[Done]:
    """The edge of a request that changes data (docs/architecture.md, Transactions): what the block
    did is committed, or, when a service refuses it (``refusal``, an exception class or a tuple
    of them), rolled back and the refusal shown instead of a traceback: on the field of ``form``
    a :class:`~touchpoints.core.forms.FieldError` names, else on ``field``, else as a flashed
    error. Any other exception passes through untouched.

        with committed(RegistryError, form.name) as done:
            process = services.add_process(agency, current_user, form.values())
        if done:
            flash(...)
            return redirect(...)
    """
    done = Done()
    try:
        yield done
    except refusal as exc:
        db.session.rollback()
        shown_on = getattr(form, getattr(exc, "field", None) or "", None) or field
        if shown_on is None:
            flash(str(exc), "error")
        else:
            shown_on.errors = [*shown_on.errors, str(exc)]
    else:
        db.session.commit()
        done.ok = True


def valid_or_back(form, refusal: str, back: str) -> None:
    """A posted form that does not validate ends the request: ``refusal`` is flashed and the
    person is sent ``back`` to the page the form was on."""
    if not form.validate():
        flash(refusal, "error")
        abort(redirect(back))


def as_int(value) -> int:
    """A number from the request; -1 (no such row) when it is none."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def form_status(form) -> int:
    """The status of a page that shows a form: 400 when it comes back after a refused post."""
    return 400 if form.is_submitted() else 200


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def ru_datetime(value, tz=None) -> str:
    """A moment in the viewer's own time: their region's zone (Moscow for the operator)."""
    if value is None:
        return "—"
    return text.datetime_short(value.astimezone(tz or viewer_timezone()))


def zone_name(value, tz) -> str:
    """A Russian zone as people name it: «МСК», «МСК+4» (Kemerovo), «МСК−1» (Kaliningrad)."""
    from zoneinfo import ZoneInfo

    moscow = value.astimezone(ZoneInfo("Europe/Moscow")).utcoffset()
    hours = int((value.astimezone(tz).utcoffset() - moscow).total_seconds() // 3600)
    if hours == 0:
        return "МСК"
    return f"МСК{'+' if hours > 0 else '−'}{abs(hours)}"


def ru_datetime_zone(value, tz) -> str:
    """For pages read by anyone (no region of their own): the time and its zone."""
    if value is None:
        return "—"
    return f"{ru_datetime(value, tz)} ({zone_name(value, tz)})"


def viewer_timezone():
    from zoneinfo import ZoneInfo

    from flask import has_request_context

    if has_request_context() and current_user.is_authenticated:
        region = current_user.region or (
            current_user.agency.region if current_user.agency else None
        )
        if region is not None:
            return region.tz
    return ZoneInfo("Europe/Moscow")


def page_url(page: int) -> str:
    args = request.args.to_dict()
    args["page"] = str(page)
    from urllib.parse import urlencode

    return f"{request.path}?{urlencode(args)}"


def count_rows(query) -> int:
    """How many rows a select returns, without fetching them."""
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
    )


class Page:
    """A page of a query's results (or of a list, with :meth:`of_list`), for lists of any length."""

    def __init__(self, query, page: int | None = None, per_page: int | None = None):
        self._paginate(count_rows(query), page, per_page)
        self.items = list(
            db.session.scalars(query.limit(self.per_page).offset((self.page - 1) * self.per_page))
        )

    @classmethod
    def of_list(cls, items: list, page: int | None = None, per_page: int | None = None) -> Page:
        """A page of rows already in memory (sorted figures, an upload's preview)."""
        self = cls.__new__(cls)
        self._paginate(len(items), page, per_page)
        start = (self.page - 1) * self.per_page
        self.items = items[start : start + self.per_page]
        return self

    def _paginate(self, total: int, page: int | None, per_page: int | None) -> None:
        from flask import current_app

        self.total = total
        self.per_page = per_page or current_app.config["PAGE_SIZE"]
        try:
            requested = int(page if page is not None else request.args.get("page", 1))
        except (TypeError, ValueError):
            requested = 1
        self.pages = max(1, math.ceil(total / self.per_page))
        self.page = min(max(1, requested), self.pages)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def dead_link(problem: str, *, known: bool):
    """The page of a mailed link that does not work (an invitation, an e-mail to confirm):
    410 when the link once worked, 404 when there never was such a link."""
    return render_template("dead_link.html", problem=problem), (410 if known else 404)
