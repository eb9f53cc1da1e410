"""Public pages without login (seeds: Murmansk 5.1, Kuzbass 5.2 — the approved list is placed on
the agency's site in electronic form; 5.4 / 5.5 — its current version within 10 working days).

Every request of this blueprint runs in the ``public`` scope, whoever is signed in, so that the
pages are the same for everybody and can be cached by anyone in between.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from flask import (
    Blueprint,
    Response,
    current_app,
    make_response,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from touchpoints.core.db import set_scope
from touchpoints.core.web import Page
from touchpoints.extensions import limiter
from touchpoints.lists.form import Form
from touchpoints.lists.models import ListVersion
from touchpoints.public import fingerprint, opendata, services
from touchpoints.public.services import PUBLIC_SCOPE, NotFound

log = logging.getLogger(__name__)
bp = Blueprint("public", __name__, url_prefix="/p")
# Open to anyone: a per-address budget keeps one scraper from starving the agencies' staff.
limiter.limit(lambda: current_app.config["PUBLIC_RATE_LIMIT"])(bp)

#: Pages change when a new version is approved: always revalidate (a 304 costs little).
REVALIDATE = "public, no-cache"
#: A numbered version's file never changes.
IMMUTABLE = "public, max-age=31536000, immutable"
#: Bumped when the templates change in a way that must reach cached pages.
PAGE_REVISION = "2"


@bp.before_request
def _public_scope():
    set_scope(PUBLIC_SCOPE)


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound):
    return render_template("public/error.html", code=404, message=str(exc)), 404


# --------------------------------------------------------------------------- conditional GET


def conditional(
    etag: str, last_modified: datetime | None, build, cache_control: str = REVALIDATE
) -> Response:
    """Answer 304 when the client's copy is current; otherwise build the response, with
    validators. The body is built only when needed."""
    lm = last_modified.replace(microsecond=0) if last_modified else None
    fresh = False
    if request.if_none_match:
        # RFC 9110 13.1.2: If-None-Match uses weak comparison and takes precedence.
        fresh = request.if_none_match.contains_weak(etag)
    elif lm is not None and request.if_modified_since is not None:
        fresh = lm <= request.if_modified_since
    response = Response(status=304) if fresh else make_response(_body(etag, build))
    response.set_etag(etag)
    if lm is not None:
        response.last_modified = lm
    response.headers["Cache-Control"] = cache_control
    return response


#: Rendered pages by (host, ETag), most recent last. A strong ETag names exactly one body, so a
#: page is rendered once per process until something it shows changes.
_PAGE_CACHE_SIZE = 256


def _body(etag: str, build):
    cache = current_app.extensions.setdefault("public_page_cache", {})
    key = (request.host, etag)
    body = cache.get(key)
    if body is None:
        body = build()
        if isinstance(body, str):
            if len(cache) >= _PAGE_CACHE_SIZE:
                cache.pop(next(iter(cache)))
            cache[key] = body
    return body


# --------------------------------------------------------------------------- pages


@bp.route("/")
def index():
    # The validator from every agency's fingerprint (one aggregate of one narrow table); the
    # agencies and versions are read only to render a page not already rendered by this process.
    number = request.args.get("page", 1, type=int) or 1
    facts, last = fingerprint.index_tag()
    etag = services.etag_of("index", PAGE_REVISION, number, *facts)

    def build():
        page = Page(services.agencies_query(), per_page=INDEX_PAGE_SIZE)
        latest = ListVersion.latest_of(a.id for a in page.items)
        return render_template("public/index.html", page=page, latest=latest)

    return conditional(etag, last, build)


#: Agencies per page of the /p/ index.
INDEX_PAGE_SIZE = 100


@bp.route("/opendata/")
def opendata_page():
    return conditional(
        services.etag_of("opendata", opendata.RENDERER, PAGE_REVISION),
        None,
        lambda: render_template(
            "public/opendata.html",
            fields=opendata.ENTRY_FIELDS,
            format_name=opendata.FORMAT_NAME,
            format_version=opendata.FORMAT_VERSION,
            example=json.dumps(
                {f.name: f.example for f in opendata.ENTRY_FIELDS}, ensure_ascii=False, indent=2
            ),
        ),
    )


def _json_file(doc: dict, kind: str) -> Response:
    return conditional(
        services.etag_of(kind, opendata.RENDERER, services.schema_url()),
        None,
        lambda: current_app.response_class(
            json.dumps(doc, ensure_ascii=False, indent=1), mimetype="application/json"
        ),
    )


@bp.route("/opendata/schema.json")
def opendata_schema():
    return _json_file(opendata.document_json_schema(services.schema_url()), "schema")


@bp.route("/opendata/tableschema.json")
def opendata_table_schema():
    return _json_file(opendata.table_schema(), "tableschema")


def _fingerprinted(slug: str, kind: str, build, *parts) -> Response:
    """A page of one agency, validated by the agency's fingerprint (fingerprint.page_tag: one
    index lookup of one table, kept by triggers): the agency, its versions and rows are read
    only when the page is neither current at the client nor already rendered by this process.
    ``parts``: what else tells this page's representations apart."""
    tag = fingerprint.page_tag(slug)
    if tag is None:
        services.agency_by_slug(slug)  # NotFound: the message of a missing agency
        # An agency without a fingerprint means a trigger is missing: served, never cached.
        log.error("agency %s has no public fingerprint; its page is not cached", slug)
        return make_response(build())
    etag = services.etag_of(
        kind,
        PAGE_REVISION,
        tag.agency_id,
        tag.stamp,
        services.available_formats(),
        services.pdf_available(),
        *parts,
    )
    return conditional(etag, tag.changed_at, build)


def _version_page(slug: str, number: int | None):
    def build():
        agency = services.agency_by_slug(slug)
        version = (
            ListVersion.latest(agency.id)
            if number is None
            else services.version_by_number(agency, number)
        )
        current = ListVersion.latest(agency.id)
        history = Page(ListVersion.query_for(agency.id), per_page=50)
        pdf = services.order_pdf(version) if version is not None else None
        rows = services.version_rows(version) if version else []
        return render_template(
            "public/agency.html",
            agency=agency,
            version=version,
            current=current,
            form=Form(version.form) if version else Form(agency.form),
            table=services.version_table(version, rows) if version else None,
            history=history,
            formats=services.available_formats(),
            pdf_state=pdf.state if pdf else None,
            snippets=services.embed_snippets(agency),
            is_current_url=number is None,
        )

    return _fingerprinted(slug, "agency", build, number, request.args.get("page", ""))


@bp.route("/<slug>/")
def agency(slug):
    return _version_page(slug, None)


@bp.route("/<slug>/v/<int:number>/")
def version(slug, number):
    return _version_page(slug, number)


@bp.route("/<slug>/embed")
def embed(slug):
    def build():
        agency = services.agency_by_slug(slug)
        return render_template(
            "public/embed.html",
            agency=agency,
            version=ListVersion.latest(agency.id),
            formats=(["pdf"] if services.pdf_available() else []) + services.available_formats(),
        )

    response = _fingerprinted(slug, "embed", build)
    # The one page meant to be framed by other sites. frame-ancestors supersedes X-Frame-Options
    # (CSP level 2); the app only sets its defaults where a view has set nothing.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors *"
    )
    response.headers["X-Frame-Options"] = "ALLOWALL"
    return response


# --------------------------------------------------------------------------- downloads


def _send(agency, version, fmt: str, cache_control: str):
    if fmt == "pdf":
        return _send_pdf(agency, version, cache_control)
    if fmt not in services.available_formats():
        raise NotFound(f"Выгрузка в формате {fmt.upper()} пока недоступна.")

    def build():
        file = services.download(agency, version, fmt)
        return current_app.response_class(
            file.content,
            mimetype=file.mimetype,
            headers={"Content-Disposition": _disposition(file.filename, fmt)},
        )

    # Approved versions are immutable: the validator is the version and the format.
    etag = services.etag_of("file", version.id, fmt, opendata.RENDERER)
    return conditional(etag, version.approved_at, build, cache_control)


def _disposition(filename: str, fmt: str) -> str:
    # JSON opens in the browser (people read it, scripts fetch it); the others download.
    kind = "inline" if fmt == "json" else "attachment"
    return f'{kind}; filename="{filename}"'


def _send_pdf(agency, version, cache_control: str):
    pdf = services.order_pdf(version)
    if pdf is None:
        raise NotFound("PDF приказа пока недоступен.")
    if pdf.state != "ready":
        response = make_response(
            render_template(
                "public/pdf_pending.html",
                agency=agency,
                version=version,
                failed=pdf.state == "failed",
            ),
            202 if pdf.state == "pending" else 503,
        )
        response.headers["Retry-After"] = "10" if pdf.state == "pending" else "3600"
        response.headers["Cache-Control"] = "no-store"
        return response
    filename = f"{agency.slug}-prikaz-redakciya-{version.number}.pdf"
    return conditional(
        services.etag_of("pdf", version.id, pdf.sha256),
        version.approved_at,
        # Streamed from the database in slices: a worker never holds a whole PDF per view.
        lambda: current_app.response_class(
            stream_with_context(services.pdf_chunks(agency.id, pdf.document_id, pdf.size)),
            mimetype="application/pdf",
            headers={
                "Content-Disposition": f'inline; filename="{filename}"',
                "Content-Length": str(pdf.size),
            },
        ),
        cache_control,
    )


def download(slug, number, fmt):
    agency = services.agency_by_slug(slug)
    version = services.version_by_number(agency, number)
    return _send(agency, version, fmt, IMMUTABLE)


def download_current(slug, fmt):
    agency = services.agency_by_slug(slug)
    version = ListVersion.latest(agency.id)
    if version is None:
        raise NotFound(f"У организации «{agency.short_name}» ещё нет утверждённого перечня.")
    return _send(agency, version, fmt, REVALIDATE)


for _fmt in ("csv", "json", "xlsx", "pdf"):
    bp.add_url_rule(
        f"/<slug>/v/<int:number>.{_fmt}",
        endpoint=f"download_{_fmt}",
        view_func=download,
        defaults={"fmt": _fmt},
    )
    bp.add_url_rule(
        f"/<slug>/current.{_fmt}",
        endpoint=f"current_{_fmt}",
        view_func=download_current,
        defaults={"fmt": _fmt},
    )


def download_url(agency, version, fmt: str, *, current: bool = False) -> str:
    if current:
        return url_for(f"public.current_{fmt}", slug=agency.slug)
    return url_for(f"public.download_{fmt}", slug=agency.slug, number=version.number)


@bp.app_template_global()
def public_download_url(agency, version, fmt, current=False):
    return download_url(agency, version, fmt, current=current)
