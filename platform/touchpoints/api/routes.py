"""The JSON API, version 1 (described by /api/v1/openapi.json), and the pages that issue tokens.

Public endpoints read approved data only, in the ``public`` scope. The monitoring endpoints
(``/api/v1/monitoring/…``) need a bearer token of a project office or the administrator and
read in the token's scope: its region, or everything.
"""

from __future__ import annotations

import functools

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from touchpoints.api import openapi as openapi_doc
from touchpoints.api import serializers
from touchpoints.api import services as tokens
from touchpoints.api.forms import TokenForm
from touchpoints.api.models import ApiToken
from touchpoints.core.db import db, set_scope
from touchpoints.core.tenancy import Agency, Region
from touchpoints.core.web import Page, committed, count_rows
from touchpoints.extensions import csrf, limiter
from touchpoints.lists.form import Form
from touchpoints.lists.models import ListVersion
from touchpoints.public import services
from touchpoints.public.services import PUBLIC_SCOPE, NotFound

bp = Blueprint("api", __name__, url_prefix="/api/v1")
# Bearer tokens, no cookies: nothing here can be forged cross-site, and scripts post no CSRF token.
csrf.exempt(bp)
limiter.limit(lambda: current_app.config["PUBLIC_RATE_LIMIT"])(bp)

DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
MAX_PAGE = 1_000_000


@bp.before_request
def _public_scope():
    set_scope(PUBLIC_SCOPE)


def error(code: int, title: str, detail: str, headers: dict | None = None):
    response = jsonify(error=title, code=code, detail=detail)
    response.status_code = code
    for k, v in (headers or {}).items():
        response.headers[k] = v
    return response


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound):
    return error(404, "Не найдено", str(exc))


@bp.after_request
def _cors(response):
    # Public open data: any site may read it from a browser. Tokens are never sent by browsers
    # on their own (no cookies are used), so this exposes nothing private.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers.setdefault("Cache-Control", "no-cache")
    return response


# --------------------------------------------------------------------------- paging


class BadParameter(ValueError):
    pass


@bp.errorhandler(BadParameter)
def _bad_parameter(exc: BadParameter):
    return error(400, "Неверный запрос", str(exc))


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
        if not raw.strip().lstrip("-").isdigit():
            raise ValueError
    except ValueError:
        raise BadParameter(
            f"Параметр {name} должен быть целым числом, получено «{raw[:40]}»"
        ) from None
    if not low <= value <= high:
        raise BadParameter(f"Параметр {name} должен быть от {low} до {high}, получено {value}")
    return value


class ApiPage:
    """One page of a query. A page past the end is empty, not an error."""

    def __init__(self, query):
        self.page = _int_arg("page", 1, 1, MAX_PAGE)
        self.per_page = _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        self.total = count_rows(query)
        offset = (self.page - 1) * self.per_page
        self.items = (
            list(db.session.scalars(query.limit(self.per_page).offset(offset)))
            if offset < self.total
            else []
        )


# --------------------------------------------------------------------------- public endpoints


@bp.route("/")
def index():
    return jsonify(
        name="Реестр перечней точек взаимодействия с клиентом: API",
        version="1",
        openapi=url_for("api.openapi", _external=True),
        opendata=url_for("public.opendata_page", _external=True),
        links={
            "regions": url_for("api.regions", _external=True),
            "agencies": url_for("api.agencies", _external=True),
            "monitoring": url_for("api.monitoring_agencies", _external=True),
        },
    )


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_doc.document(request.host_url.rstrip("/")))


@bp.route("/regions")
def regions():
    page = ApiPage(Region.ordered())
    counts = Region.agency_counts([r.id for r in page.items])
    return jsonify(
        serializers.paginated(
            [serializers.region(r, counts.get(r.id, 0)) for r in page.items], page
        )
    )


@bp.route("/agencies")
def agencies():
    region_id = None
    if request.args.get("region") is not None:
        region_id = services.region_by_slug(request.args["region"]).id
    page = ApiPage(services.agencies_query(region_id))
    latest = ListVersion.latest_of(a.id for a in page.items)
    return jsonify(
        serializers.paginated([serializers.agency(a, latest.get(a.id)) for a in page.items], page)
    )


@bp.route("/agencies/<slug>")
def agency(slug):
    a = services.agency_by_slug(slug)
    return jsonify(serializers.agency(a, ListVersion.latest(a.id)))


@bp.route("/agencies/<slug>/versions")
def versions(slug):
    a = services.agency_by_slug(slug)
    current = ListVersion.latest(a.id)
    page = ApiPage(ListVersion.query_for(a.id))
    return jsonify(
        serializers.paginated(
            [serializers.version(a, v, is_current=v.id == current.id) for v in page.items], page
        )
    )


@bp.route("/agencies/<slug>/versions/<int:number>")
def version(slug, number):
    a = services.agency_by_slug(slug)
    v = services.version_by_number(a, number)
    current = ListVersion.latest(a.id)
    return jsonify(serializers.version(a, v, is_current=v.id == current.id))


@bp.route("/agencies/<slug>/versions/<int:number>/entries")
def version_entries(slug, number):
    from touchpoints.lists.models import VersionEntry

    a = services.agency_by_slug(slug)
    v = services.version_by_number(a, number)
    page = ApiPage(VersionEntry.of_version(v.id))
    form = Form(v.form)
    return jsonify(
        serializers.paginated([serializers.entry(a, v, r, form) for r in page.items], page)
    )


# --------------------------------------------------------------------------- token endpoints


def token_required(view):
    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, raw = header.partition(" ")
        challenge = {"WWW-Authenticate": 'Bearer realm="touchpoints"'}
        if scheme.lower() != "bearer" or not raw.strip():
            return error(
                401,
                "Нужен токен API",
                "Передайте токен в заголовке Authorization: Bearer <токен>. "
                "Токены выдают проектный офис и администратор.",
                challenge,
            )
        token = tokens.authenticate(raw.strip())
        if token is None:
            return error(
                401,
                "Токен не принят",
                "Токен неизвестен, отозван или его владелец больше не может им пользоваться.",
                {"WWW-Authenticate": 'Bearer realm="touchpoints", error="invalid_token"'},
            )
        g.api_token = token
        set_scope(tokens.scope_of(token))
        return view(*args, **kwargs)

    return wrapped


@bp.route("/monitoring/agencies")
@token_required
def monitoring_agencies():
    page = ApiPage(
        tokens.token_agencies_query(g.api_token).options(sa.orm.joinedload(Agency.region))
    )
    return jsonify(serializers.paginated(tokens.statuses(page.items), page))


@bp.route("/monitoring/agencies/<slug>")
@token_required
def monitoring_agency(slug):
    a = tokens.token_agency(g.api_token, slug) if services.SLUG_RE.match(slug) else None
    if a is None:
        # Another region's agency is answered like one that does not exist.
        raise NotFound(f"Организация «{slug}» не найдена среди доступных этому токену.")
    return jsonify(tokens.statuses([a])[0])


# --------------------------------------------------------------------------- token pages

tokens_bp = Blueprint("api_tokens", __name__, url_prefix="/api-tokens")


def _managers_only(view):
    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not tokens.can_manage_tokens(current_user):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _token_form() -> TokenForm:
    form = TokenForm()
    if current_user.role_enum.value == "admin":
        regions = Region.by_name()
        form.region_id.choices = [(0, "Все регионы")] + [(r.id, r.name) for r in regions]
    else:
        form.region_id.choices = [(current_user.region_id, current_user.region.name)]
    return form


@tokens_bp.route("/", methods=["GET", "POST"])
@_managers_only
def token_list():
    form = _token_form()
    issued = None
    if form.validate_on_submit():
        with committed(tokens.TokenError, form.name) as done:
            token, raw = tokens.issue(current_user, form.name.data, form.region_id.data or None)
        if done:
            issued = {"raw": raw, "name": token.name}
            form = _token_form()
            form.name.data = ""
    page = Page(tokens.tokens_query(current_user))
    response = render_template("api/tokens.html", form=form, page=page, issued=issued)
    # The page may carry a fresh token: never keep it in any cache.
    return response, 200, {"Cache-Control": "no-store"}


@tokens_bp.route("/<int:token_id>/revoke", methods=["POST"])
@_managers_only
def token_revoke(token_id):
    token = db.session.scalar(tokens.tokens_query(current_user).where(ApiToken.id == token_id))
    if token is None:
        abort(404)
    with committed(tokens.TokenError) as done:
        tokens.revoke(token, current_user)
    if done:
        flash(f"Токен «{token.name}» отозван: запросы с ним больше не принимаются.", "success")
    return redirect(url_for("api_tokens.token_list"))
